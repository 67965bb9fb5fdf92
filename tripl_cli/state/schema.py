"""The state database's tables at the CURRENT schema version (what queries are built on).

Older versions' tables are frozen in `migrations.py`; a test checks that migrating an empty
database to `SCHEMA_VERSION` yields exactly these tables. Every table name starts with
`tripl_` so the state can share a database with other tools.
"""

from __future__ import annotations

import sqlalchemy as sa

from tripl_cli.state.coltypes import UtcDateTime, json_type

SCHEMA_VERSION = 8

#: Names are SQL identifiers or metric names; hashes/run ids are hex or uuid strings.
_NAME = sa.String(255)
_ID = sa.String(64)

metadata = sa.MetaData()

schema_version = sa.Table(
    "tripl_schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", UtcDateTime, nullable=False),
    sa.Column("tripl_version", sa.String(32), nullable=False),
)

metric_values = sa.Table(
    "tripl_metric_values",
    metadata,
    sa.Column("metric", _NAME, primary_key=True),
    sa.Column("bucket", UtcDateTime, primary_key=True),
    sa.Column("value", sa.Double, nullable=True),
    sa.Column("numerator", sa.Double, nullable=True),
    sa.Column("denominator", sa.Double, nullable=True),
    sa.Column("definition_hash", _ID, nullable=False),
    sa.Column("run_id", _ID, nullable=False),
)

# Key order (metric, column, bucket, value): a window delete is one index range scan.
breakdown_values = sa.Table(
    "tripl_breakdown_values",
    metadata,
    sa.Column("metric", _NAME, primary_key=True),
    sa.Column("breakdown_column", _NAME, primary_key=True),
    sa.Column("bucket", UtcDateTime, primary_key=True),
    sa.Column("breakdown_value", sa.Text, primary_key=True),
    sa.Column("value", sa.Double, nullable=True),
    sa.Column("numerator", sa.Double, nullable=True),
    sa.Column("denominator", sa.Double, nullable=True),
    sa.Column("run_id", _ID, nullable=False),
)

metric_status = sa.Table(
    "tripl_metric_status",
    metadata,
    sa.Column("metric", _NAME, primary_key=True),
    sa.Column("definition_hash", _ID, nullable=True),
    sa.Column("watermark", UtcDateTime, nullable=True),
    sa.Column("last_status", sa.String(32), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("last_run_id", _ID, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # v4: the end of the windows actually collected (max over runs): buckets before it are
    # known, so a count series may be zero-filled up to it. `updated_at` is only when the
    # row was last written, which a bounded `--end` in the past does not make complete.
    sa.Column("collected_until", UtcDateTime, nullable=True),
    # v8: the breakdown columns and limit its definition hash was taken with (JSON): a
    # change of breakdowns alone is then told for sure (`semantics.breakdowns_only_changed`).
    sa.Column("breakdown_spec", sa.Text, nullable=True),
)

runs = sa.Table(
    "tripl_runs",
    metadata,
    sa.Column("run_id", _ID, primary_key=True),
    sa.Column("started_at", UtcDateTime, nullable=False, index=True),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("command", sa.Text, nullable=False),
    sa.Column("tripl_version", sa.String(32), nullable=False),
    sa.Column("summary", json_type(), nullable=True),
)

# At most one row (lock_id = 1): inserting it IS acquiring the lock.
run_lock = sa.Table(
    "tripl_run_lock",
    metadata,
    sa.Column("lock_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("run_id", _ID, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("hostname", _NAME, nullable=False),
    sa.Column("acquired_at", UtcDateTime, nullable=False),
    sa.Column("heartbeat_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("lock_id = 1", name="tripl_run_lock_single_row"),
)

# --- v2: detection and alerting ---------------------------------------------------

anomalies = sa.Table(
    "tripl_anomalies",
    metadata,
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

incidents = sa.Table(
    "tripl_incidents",
    metadata,
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
    sa.Column("last_alerted_at", UtcDateTime, nullable=True),  # the last notification
    # v3: the rest of the alert state machine's `IncidentState` (added by ALTER: at the end).
    sa.Column("rule", _NAME, nullable=False, server_default=""),
    sa.Column("acked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("muted_until", UtcDateTime, nullable=True),
    sa.Column("last_notified_bucket", UtcDateTime, nullable=True),
    sa.Index("tripl_incidents_rule_status", "rule", "status"),
)

alert_outbox = sa.Table(
    "tripl_alert_outbox",
    metadata,
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
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="tripl_alert_outbox_status"),
    sa.Index("tripl_alert_outbox_due", "status", "next_attempt_at"),
)

# --- v3: `tripl alert mute METRIC --for 24h` ----------------------------------------------

metric_mutes = sa.Table(
    "tripl_metric_mutes",
    metadata,
    sa.Column("metric", _NAME, primary_key=True),
    sa.Column("muted_until", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
)

# --- v6: whose state this is ------------------------------------------------------------------

#: One row: the project and target that first opened this state. Values and status are keyed
#: by metric name alone, so a second target on the same `state:` would overwrite the first's.
state_owner = sa.Table(
    "tripl_state_owner",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1
    sa.Column("project", _NAME, nullable=False),
    sa.Column("target", _NAME, nullable=False),
    sa.Column("claimed_at", UtcDateTime, nullable=False),
)
