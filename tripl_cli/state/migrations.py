"""Versioned schema upgrades, applied automatically (in one transaction) when a store opens.

`MIGRATIONS[n]` upgrades a database at version n to n + 1. Version 0 is "no tripl tables".
Each step declares its tables as they were AT THAT VERSION (never imports `schema.py`, which
moves on), so an old database always upgrades along the same path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import CreateColumn

from tripl_cli.errors import StateError
from tripl_cli.state.coltypes import UtcDateTime, json_type
from tripl_cli.state.schema import SCHEMA_VERSION, schema_version

logger = logging.getLogger(__name__)

_NAME = sa.String(255)
_ID = sa.String(64)
_VERSION_TABLE = "tripl_schema_version"
#: Serializes concurrent upgrades of one PostgreSQL database (any constant works).
_PG_ADVISORY_KEY = 0x7472_6970_6C00  # "tripl"


def _v1_collection(conn: sa.Connection) -> None:
    """v1: values, breakdown values, per-metric status, runs, the run lock."""
    md = sa.MetaData()
    sa.Table(
        _VERSION_TABLE,
        md,
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("applied_at", UtcDateTime, nullable=False),
        sa.Column("tripl_version", sa.String(32), nullable=False),
    )
    sa.Table(
        "tripl_metric_values",
        md,
        sa.Column("metric", _NAME, primary_key=True),
        sa.Column("bucket", UtcDateTime, primary_key=True),
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("numerator", sa.Double, nullable=True),
        sa.Column("denominator", sa.Double, nullable=True),
        sa.Column("definition_hash", _ID, nullable=False),
        sa.Column("run_id", _ID, nullable=False),
    )
    sa.Table(
        "tripl_breakdown_values",
        md,
        sa.Column("metric", _NAME, primary_key=True),
        sa.Column("breakdown_column", _NAME, primary_key=True),
        sa.Column("bucket", UtcDateTime, primary_key=True),
        sa.Column("breakdown_value", sa.Text, primary_key=True),
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("numerator", sa.Double, nullable=True),
        sa.Column("denominator", sa.Double, nullable=True),
        sa.Column("run_id", _ID, nullable=False),
    )
    sa.Table(
        "tripl_metric_status",
        md,
        sa.Column("metric", _NAME, primary_key=True),
        sa.Column("definition_hash", _ID, nullable=True),
        sa.Column("watermark", UtcDateTime, nullable=True),
        sa.Column("last_status", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_run_id", _ID, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    sa.Table(
        "tripl_runs",
        md,
        sa.Column("run_id", _ID, primary_key=True),
        sa.Column("started_at", UtcDateTime, nullable=False, index=True),
        sa.Column("finished_at", UtcDateTime, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("tripl_version", sa.String(32), nullable=False),
        sa.Column("summary", json_type(), nullable=True),
    )
    sa.Table(
        "tripl_run_lock",
        md,
        sa.Column("lock_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("hostname", _NAME, nullable=False),
        sa.Column("acquired_at", UtcDateTime, nullable=False),
        sa.Column("heartbeat_at", UtcDateTime, nullable=False),
        sa.CheckConstraint("lock_id = 1", name="tripl_run_lock_single_row"),
    )
    md.create_all(conn)


def _v2_detection_and_alerts(conn: sa.Connection) -> None:
    """v2: anomalies, incidents and the alert outbox."""
    md = sa.MetaData()
    sa.Table(
        "tripl_anomalies",
        md,
        sa.Column("metric", _NAME, primary_key=True),
        sa.Column("bucket", UtcDateTime, primary_key=True),
        sa.Column("breakdown_column", _NAME, primary_key=True),
        sa.Column("breakdown_value", sa.Text, primary_key=True),
        sa.Column("detector", sa.String(16), primary_key=True),
        sa.Column("actual", sa.Double, nullable=True),
        sa.Column("expected", sa.Double, nullable=False),
        sa.Column("lower", sa.Double, nullable=False),
        sa.Column("upper", sa.Double, nullable=False),
        sa.Column("score", sa.Double, nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("detected_at", UtcDateTime, nullable=False),
        sa.Column("run_id", _ID, nullable=True),
    )
    sa.Table(
        "tripl_incidents",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fingerprint", _NAME, nullable=False, unique=True),
        sa.Column("metric", _NAME, nullable=False, index=True),
        sa.Column("breakdown_column", _NAME, nullable=False),
        sa.Column("breakdown_value", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(8), nullable=True),
        sa.Column("first_bucket", UtcDateTime, nullable=False),
        sa.Column("last_bucket", UtcDateTime, nullable=False),
        sa.Column("peak_score", sa.Double, nullable=True),
        sa.Column("opened_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("resolved_at", UtcDateTime, nullable=True),
        sa.Column("last_alerted_at", UtcDateTime, nullable=True),
    )
    sa.Table(
        "tripl_alert_outbox",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", _NAME, nullable=False, unique=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("tripl_incidents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("destination", _NAME, nullable=False),
        sa.Column("payload", json_type(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name="tripl_alert_outbox_status"
        ),
        sa.Index("tripl_alert_outbox_due", "status", "next_attempt_at"),
    )
    # The incidents table must exist before the outbox's foreign key points at it.
    md.create_all(conn)


def _add_columns(conn: sa.Connection, table: str, columns: list[sa.Column[Any]]) -> None:
    """`ALTER TABLE … ADD COLUMN` for each column, rendered by the backend's own DDL compiler."""
    holder = sa.Table(table, sa.MetaData(), *columns)  # CreateColumn needs a parent table
    preparer = conn.dialect.identifier_preparer
    for column in holder.columns:
        spec = CreateColumn(column).compile(dialect=conn.dialect)
        conn.execute(sa.text(f"ALTER TABLE {preparer.format_table(holder)} ADD COLUMN {spec}"))


def _v3_incident_state(conn: sa.Connection) -> None:
    """v3: everything the alert state machine records per incident, and metric mutes.

    New NOT NULL columns carry a server default so that rows written at v2 stay valid.
    """
    _add_columns(
        conn,
        "tripl_incidents",
        [
            sa.Column("rule", _NAME, nullable=False, server_default=""),
            sa.Column("acked", sa.Boolean, nullable=False, server_default=sa.false()),
            sa.Column("muted_until", UtcDateTime, nullable=True),
            sa.Column("last_notified_bucket", UtcDateTime, nullable=True),
        ],
    )
    md = sa.MetaData()
    incidents = sa.Table("tripl_incidents", md, sa.Column("rule", _NAME), sa.Column("status"))
    sa.Index("tripl_incidents_rule_status", incidents.c.rule, incidents.c.status).create(conn)
    sa.Table(
        "tripl_metric_mutes",
        md,
        sa.Column("metric", _NAME, primary_key=True),
        sa.Column("muted_until", UtcDateTime, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
    ).create(conn)


def _v4_collected_until(conn: sa.Connection) -> None:
    """v4: `tripl_metric_status.collected_until`, the end of the windows actually collected.

    Rows written before v4 read NULL ("not known"): detection then zero-fills nothing past
    the last stored bucket until the metric's next run records the window it collected.
    """
    _add_columns(
        conn, "tripl_metric_status", [sa.Column("collected_until", UtcDateTime, nullable=True)]
    )


def _v5_finite_values(conn: sa.Connection) -> None:
    """v5: no ±inf among stored numbers. tripl before v5 stored an infinite value (a SQL
    metric dividing by zero) as it came; since then it is a gap, NULL, as NaN always was."""
    infinite = {"pos": float("inf"), "neg": float("-inf")}
    for table in ("tripl_metric_values", "tripl_breakdown_values"):
        for column in ("value", "numerator", "denominator"):
            conn.execute(
                sa.text(f"UPDATE {table} SET {column} = NULL WHERE {column} IN (:pos, :neg)"),
                infinite,
            )


def _v6_state_owner(conn: sa.Connection) -> None:
    """v6: `tripl_state_owner`, the project and target a state belongs to (claimed by the
    first to open it since; a state shared before v6 is claimed by its next user)."""
    sa.Table(
        "tripl_state_owner",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("project", _NAME, nullable=False),
        sa.Column("target", _NAME, nullable=False),
        sa.Column("claimed_at", UtcDateTime, nullable=False),
    ).create(conn)


def _v7_retired_incidents(conn: sa.Connection) -> None:
    """v7: incidents may have the status `retired` (closed because their rule stopped
    watching the series; reopened if it watches again). No table changes: the version
    makes an older tripl, which knows only `open` and `resolved`, refuse this state
    instead of failing on its first retired incident. Incidents retired before v7 stay
    `resolved`: nothing recorded tells them apart."""
    del conn


def _v8_breakdown_spec(conn: sa.Connection) -> None:
    """v8: `tripl_metric_status.breakdown_spec`, the breakdown columns and limit of the
    definition last stored. Rows written before v8 read NULL until the metric's next run;
    until then a change of its breakdowns is told from the breakdown columns stored."""
    _add_columns(conn, "tripl_metric_status", [sa.Column("breakdown_spec", sa.Text, nullable=True)])


MIGRATIONS: list[Callable[[sa.Connection], None]] = [
    _v1_collection,
    _v2_detection_and_alerts,
    _v3_incident_state,
    _v4_collected_until,
    _v5_finite_values,
    _v6_state_owner,
    _v7_retired_incidents,
    _v8_breakdown_spec,
]
if len(MIGRATIONS) != SCHEMA_VERSION:  # pragma: no cover - a bug caught at import
    raise RuntimeError("state schema: exactly one migration per schema version")


def current_version(conn: sa.Connection) -> int:
    """The database's schema version; 0 when it has no tripl tables yet."""
    if not sa.inspect(conn).has_table(_VERSION_TABLE):
        return 0
    found = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar_one()
    return int(found or 0)


def refuse_newer(found: int, display_url: str) -> None:
    if found > SCHEMA_VERSION:
        raise StateError(
            f"state database {display_url} was written by a newer tripl (schema v{found}, "
            f"this tripl supports v{SCHEMA_VERSION}); upgrade tripl",
            hint="pip install -U tripl (every run against this state must use that version), "
            "or point the target's `state:` at another database",
        )


def upgrade(
    conn: sa.Connection,
    *,
    display_url: str,
    tripl_version: str,
    target: int = SCHEMA_VERSION,
    now: datetime | None = None,
) -> int:
    """Bring the schema to `target` inside the caller's transaction; returns the old version.

    The caller's transaction must hold the database's write lock (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: the advisory lock below), so two processes never both upgrade.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_ADVISORY_KEY)))
    found = current_version(conn)
    refuse_newer(found, display_url)
    applied_at = now or datetime.now(UTC)
    for version in range(found, target):
        logger.info("upgrading state schema of %s: v%d -> v%d", display_url, version, version + 1)
        MIGRATIONS[version](conn)
        conn.execute(
            sa.insert(schema_version).values(
                version=version + 1, applied_at=applied_at, tripl_version=tripl_version
            )
        )
    return found
