"""Moving alert records between `tripl_cli.alerts` and `tripl_cli.state` (siblings that never
import each other): incidents both ways, outbox rows into the outbox policy's entries.

Mapping of `IncidentState` onto `tripl_incidents` (docs/alerts.md has the table): `key` →
`fingerprint`, `last_anomaly_bucket` → `last_bucket`, `last_notified_at` → `last_alerted_at`;
every other field has a column of its own name.
"""

from __future__ import annotations

import math

from tripl_cli.alerts import IncidentState, IncidentStatus, OutboxEntry, OutboxStatus
from tripl_cli.state import StoredIncident, StoredOutboxEntry
from tripl_cli.types import Direction


def incident_from_row(row: StoredIncident) -> IncidentState:
    return IncidentState(
        key=row.key,
        rule=row.rule,
        metric=row.metric,
        breakdown=row.breakdown,
        direction=Direction(row.direction),
        status=IncidentStatus(row.status),
        opened_at=row.opened_at,
        first_bucket=row.first_bucket,
        last_anomaly_bucket=row.last_anomaly_bucket,
        peak_score=math.nan if row.peak_score is None else row.peak_score,
        last_notified_at=row.last_notified_at,
        last_notified_bucket=row.last_notified_bucket,
        acked=row.acked,
        muted_until=row.muted_until,
        resolved_at=row.resolved_at,
        id=row.id,
    )


def incident_to_row(incident: IncidentState) -> StoredIncident:
    peak = incident.peak_score
    return StoredIncident(
        key=incident.key,
        rule=incident.rule,
        metric=incident.metric,
        breakdown=incident.breakdown,
        direction=incident.direction.value,
        status=incident.status.value,
        opened_at=incident.opened_at,
        first_bucket=incident.first_bucket,
        last_anomaly_bucket=incident.last_anomaly_bucket,
        # NaN is not a number every database stores: NULL means "unknown" here too.
        peak_score=peak if math.isfinite(peak) else None,
        last_notified_at=incident.last_notified_at,
        last_notified_bucket=incident.last_notified_bucket,
        acked=incident.acked,
        muted_until=incident.muted_until,
        resolved_at=incident.resolved_at,
        id=incident.id,
    )


def outbox_entry(row: StoredOutboxEntry) -> OutboxEntry:
    return OutboxEntry(
        key=row.key,
        destination=row.destination,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
    )
