"""Alert state rows: incidents, the delivery outbox and metric mutes.

The alert state machine (`tripl_cli.alerts`, a sibling this package never imports) decides;
these functions only store its decisions. The one guarantee that lives here: incident
changes and the notifications they cause are written in ONE transaction
(`save_alert_changes`), so a notification is never lost and never enqueued twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tripl_cli.state.records import MetricMute, NewOutboxEntry, StoredIncident, StoredOutboxEntry
from tripl_cli.state.schema import alert_outbox, incidents, metric_mutes
from tripl_cli.state.upsert import native_insert, upsert

OPEN = "open"
PENDING = "pending"


# ------------------------------------------------------------------------------ incidents
def _incident(row: Any) -> StoredIncident:
    return StoredIncident(
        key=row.fingerprint,
        rule=row.rule,
        metric=row.metric,
        breakdown=(row.breakdown_column, row.breakdown_value),
        direction=row.direction or "",
        status=row.status,
        opened_at=row.opened_at,
        first_bucket=row.first_bucket,
        last_anomaly_bucket=row.last_bucket,
        peak_score=row.peak_score,
        last_notified_at=row.last_alerted_at,
        last_notified_bucket=row.last_notified_bucket,
        acked=bool(row.acked),
        muted_until=row.muted_until,
        resolved_at=row.resolved_at,
        id=row.id,
        updated_at=row.updated_at,
    )


def _incident_row(inc: StoredIncident, now: datetime) -> dict[str, Any]:
    return {
        "fingerprint": inc.key,
        "rule": inc.rule,
        "metric": inc.metric,
        "breakdown_column": inc.breakdown[0],
        "breakdown_value": inc.breakdown[1],
        "status": inc.status,
        "direction": inc.direction,
        "first_bucket": inc.first_bucket,
        "last_bucket": inc.last_anomaly_bucket,
        "peak_score": inc.peak_score,
        "opened_at": inc.opened_at,
        "updated_at": now,
        "resolved_at": inc.resolved_at,
        "last_alerted_at": inc.last_notified_at,
        "acked": inc.acked,
        "muted_until": inc.muted_until,
        "last_notified_bucket": inc.last_notified_bucket,
    }


def _sorted(found: Iterable[StoredIncident]) -> list[StoredIncident]:
    return sorted(found, key=lambda i: (i.opened_at, i.id or 0))


def load_rule_incidents(conn: sa.Connection, rule: str) -> list[StoredIncident]:
    """What the state machine needs for one rule: its open incidents, and per series
    (metric, breakdown, direction) the most recent incident of any status (an anomaly
    re-detected after its incident resolved must not reopen it). Older history stays out.
    """
    t = incidents
    series = (t.c.metric, t.c.breakdown_column, t.c.breakdown_value, t.c.direction)
    newest = (
        sa.select(*series, sa.func.max(t.c.last_bucket).label("newest"))
        .where(t.c.rule == rule)
        .group_by(*series)
        .subquery()
    )
    latest_per_series = sa.and_(
        *(col == newest.c[col.name] for col in series), t.c.last_bucket == newest.c.newest
    )
    query = (
        sa.select(t)
        .select_from(t.outerjoin(newest, latest_per_series))
        .where(t.c.rule == rule, sa.or_(t.c.status == OPEN, newest.c.newest.is_not(None)))
    )
    return _sorted(_incident(row) for row in conn.execute(query))


def open_incidents(conn: sa.Connection) -> list[StoredIncident]:
    query = sa.select(incidents).where(incidents.c.status == OPEN)
    return _sorted(_incident(row) for row in conn.execute(query))


#: The largest id an incident can have (an INTEGER key: 32 bits on PostgreSQL): a larger
#: one names no incident, and binding it would overflow the driver.
_MAX_ID = 2**31 - 1


def _may_exist(incident_id: int) -> bool:
    return 1 <= incident_id <= _MAX_ID


def incident_by_id(conn: sa.Connection, incident_id: int) -> StoredIncident | None:
    if not _may_exist(incident_id):
        return None
    row = conn.execute(sa.select(incidents).where(incidents.c.id == incident_id)).first()
    return None if row is None else _incident(row)


def ack_incident(conn: sa.Connection, incident_id: int, *, now: datetime) -> StoredIncident | None:
    """Mark an incident acknowledged; None when no incident has this id."""
    if not _may_exist(incident_id):
        return None
    conn.execute(
        sa.update(incidents).where(incidents.c.id == incident_id).values(acked=True, updated_at=now)
    )
    return incident_by_id(conn, incident_id)


def _upsert_incidents(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update incidents by key, never clearing an `acked` set meanwhile.

    The rows were computed from incidents read earlier; `tripl alert ack` may have set
    `acked` since. So the stored flag wins (`acked OR new acked`), except when the write
    reopens a resolved incident: that is a new incident, and a new one starts unacknowledged.
    One statement for all rows on SQLite and PostgreSQL (executemany).
    """
    if not rows:
        return
    # One row per key: a batched ON CONFLICT DO UPDATE may not touch a row twice (psycopg2).
    rows = list({row["fingerprint"]: row for row in rows}.values())
    t = incidents
    native = native_insert(conn, t)
    if native is not None:
        new = native.excluded
        updates: dict[str, Any] = {k: new[k] for k in rows[0] if k != "fingerprint"}
        reopened = sa.and_(t.c.status != OPEN, new.status == OPEN)
        updates["acked"] = sa.case((reopened, new.acked), else_=sa.or_(t.c.acked, new.acked))
        conn.execute(
            native.on_conflict_do_update(index_elements=["fingerprint"], set_=updates), rows
        )
        return
    for row in rows:  # portable fallback; the run lock keeps two writers from racing on one key
        key = t.c.fingerprint == row["fingerprint"]
        stored = conn.execute(sa.select(t.c.acked, t.c.status).where(key)).first()
        if stored is None:
            conn.execute(sa.insert(t).values(**row))
            continue
        reopens = stored.status != OPEN and row["status"] == OPEN
        acked = bool(row["acked"]) if reopens else bool(stored.acked) or bool(row["acked"])
        changes = {k: v for k, v in row.items() if k != "fingerprint"}
        conn.execute(sa.update(t).where(key).values(**{**changes, "acked": acked}))


# ------------------------------------------------------------------------------ outbox
def _insert_new(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert the outbox rows whose idempotency key is not there yet; how many were."""
    if not rows:
        return 0
    native = native_insert(conn, alert_outbox)
    if native is not None:
        stmt = native.on_conflict_do_nothing(index_elements=["idempotency_key"])
        # RETURNING, not rowcount: drivers report rowcount of a skipped insert differently.
        return len(conn.execute(stmt.returning(alert_outbox.c.id), rows).all())
    inserted = 0
    for row in rows:
        key = alert_outbox.c.idempotency_key == row["idempotency_key"]
        if conn.execute(sa.select(alert_outbox.c.id).where(key)).first() is None:
            conn.execute(sa.insert(alert_outbox).values(**row))
            inserted += 1
    return inserted


def save_alert_changes(
    conn: sa.Connection,
    changed: Sequence[StoredIncident],
    outbox: Sequence[NewOutboxEntry],
    *,
    now: datetime,
) -> int:
    """Upsert `changed` incidents by key and enqueue `outbox` as pending (keys already in the
    outbox are skipped, whatever their status). Returns the outbox rows inserted.

    The caller's transaction makes both one atomic step.
    """
    _upsert_incidents(conn, [_incident_row(inc, now) for inc in changed])
    keys = {e.incident_key for e in outbox if e.incident_key is not None}
    ids: dict[str, int] = {}
    if keys:
        query = sa.select(incidents.c.fingerprint, incidents.c.id).where(
            incidents.c.fingerprint.in_(sorted(keys))
        )
        ids = {str(row.fingerprint): int(row.id) for row in conn.execute(query)}
    rows = [
        {
            "idempotency_key": entry.key,
            "incident_id": ids.get(entry.incident_key or ""),
            "destination": entry.destination,
            "payload": dict(entry.payload),
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": entry.next_attempt_at,
            "last_error": None,
            "created_at": entry.created_at,
            "sent_at": None,
        }
        for entry in outbox
    ]
    return _insert_new(conn, rows)


def _entry(row: Any) -> StoredOutboxEntry:
    return StoredOutboxEntry(
        id=row.id,
        key=row.idempotency_key,
        destination=row.destination,
        payload=row.payload,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
        incident_id=row.incident_id,
    )


def due_outbox(conn: sa.Connection, *, now: datetime) -> list[StoredOutboxEntry]:
    """Pending entries whose next attempt is due at `now`, oldest first."""
    t = alert_outbox
    due = sa.or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= now)
    query = sa.select(t).where(t.c.status == PENDING, due).order_by(t.c.created_at, t.c.id)
    return [_entry(row) for row in conn.execute(query)]


def outbox_entries(conn: sa.Connection, *, status: str | None = None) -> list[StoredOutboxEntry]:
    t = alert_outbox
    query = sa.select(t).order_by(t.c.created_at, t.c.id)
    if status is not None:
        query = query.where(t.c.status == status)
    return [_entry(row) for row in conn.execute(query)]


def record_delivery(
    conn: sa.Connection,
    key: str,
    *,
    previous_attempts: int,
    status: str,
    attempts: int,
    next_attempt_at: datetime | None,
    last_error: str | None,
    sent_at: datetime | None,
) -> bool:
    """Store the outcome of one attempt; False (nothing written) if the row moved on since
    it was read (another process recorded an attempt, or it is no longer pending)."""
    t = alert_outbox
    result = conn.execute(
        sa.update(t)
        .where(
            t.c.idempotency_key == key,
            t.c.status == PENDING,
            t.c.attempts == previous_attempts,
        )
        .values(
            status=status,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_error=last_error,
            sent_at=sent_at,
        )
    )
    return bool(result.rowcount)


# ------------------------------------------------------------------------------ mutes
def set_metric_mute(
    conn: sa.Connection, metric: str, *, until: datetime, reason: str | None, now: datetime
) -> None:
    row = {"metric": metric, "muted_until": until, "created_at": now, "reason": reason}
    upsert(conn, metric_mutes, row, keys=["metric"])


def clear_metric_mute(conn: sa.Connection, metric: str) -> bool:
    result = conn.execute(sa.delete(metric_mutes).where(metric_mutes.c.metric == metric))
    return bool(result.rowcount)


def read_metric_mutes(conn: sa.Connection) -> list[MetricMute]:
    query = sa.select(metric_mutes).order_by(metric_mutes.c.metric)
    return [
        MetricMute(row.metric, row.muted_until, row.created_at, row.reason)
        for row in conn.execute(query)
    ]
