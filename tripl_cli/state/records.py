"""Frozen records the state store returns (the write-side records live in `tripl_cli.types`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tripl_cli.timegrid import Window
from tripl_cli.types import Anomaly, MetricValue


@dataclass(frozen=True)
class WindowWrite:
    """One metric's window to replace (`StateStore.replace_window` says what each field does)."""

    metric: str
    window: Window
    values: Sequence[MetricValue]
    definition_hash: str
    run_id: str
    breakdown_columns: Sequence[str] = ()
    include_total: bool = True
    status: str | None = None
    reset: bool = False
    #: Only the breakdowns changed: drop the breakdown series, keep the totals (relabelled).
    reset_breakdowns: bool = False
    #: The breakdown columns and limit `definition_hash` was taken with (stored with it).
    breakdown_spec: str | None = None


@dataclass(frozen=True)
class AnomalyWrite:
    """One series' scored window and the anomalies found in it
    (`StateStore.replace_anomalies` says what each field does)."""

    metric: str
    window: Window
    anomalies: Sequence[Anomaly]
    breakdown: tuple[str, str] | None = None
    run_id: str | None = None


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"  # some metrics failed, the others were stored
    ERROR = "error"


@dataclass(frozen=True)
class MetricStatus:
    """Collection bookkeeping of one metric.

    `watermark` is the newest stored bucket (None before the first value); the next run
    resumes from it minus the metric's lookback. `collected_until` is the end of the newest
    window actually collected (None before the first collection, after a reset, or on rows
    from before schema v4): every bucket before it is known.
    """

    metric: str
    definition_hash: str | None
    watermark: datetime | None
    last_status: str | None
    last_error: str | None
    last_run_id: str | None
    updated_at: datetime | None
    collected_until: datetime | None = None
    #: The breakdown columns and limit of the stored definition (None before schema v8).
    breakdown_spec: str | None = None


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    command: str
    tripl_version: str
    summary: Mapping[str, object] | None


@dataclass(frozen=True)
class StoredAnomaly:
    """An anomaly as recorded: `detected_at` is when it was FIRST detected (kept on re-detect)."""

    anomaly: Anomaly
    detected_at: datetime
    run_id: str | None


@dataclass(frozen=True)
class LockHolder:
    """Who holds the run lock, as stored in the lock row."""

    run_id: str
    pid: int
    hostname: str
    acquired_at: datetime
    heartbeat_at: datetime

    def describe(self) -> str:
        return (
            f"run {self.run_id} (pid {self.pid} on {self.hostname}, since "
            f"{self.acquired_at.isoformat(timespec='seconds')}, last heartbeat "
            f"{self.heartbeat_at.isoformat(timespec='seconds')})"
        )


# --- alert state (v3): the api layer maps these to and from `tripl_cli.alerts` records ----


@dataclass(frozen=True)
class StoredIncident:
    """One row of `tripl_incidents`: the fields of the alert state machine's `IncidentState`.

    `key` is the incident's deterministic key (column `fingerprint`); `id` is the row id users
    pass to `tripl alert ack` (None on an incident not stored yet). `direction` and `status`
    are the enums' string values.
    """

    key: str
    rule: str
    metric: str
    breakdown: tuple[str, str]
    direction: str
    status: str
    opened_at: datetime
    first_bucket: datetime
    last_anomaly_bucket: datetime
    peak_score: float | None
    last_notified_at: datetime | None = None
    last_notified_bucket: datetime | None = None
    acked: bool = False
    muted_until: datetime | None = None
    resolved_at: datetime | None = None
    id: int | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class NewOutboxEntry:
    """A notification to enqueue: written `pending` before anything is sent."""

    key: str  # the idempotency key (unique: an existing key is skipped, never overwritten)
    destination: str
    payload: Mapping[str, object]
    created_at: datetime
    next_attempt_at: datetime | None
    incident_key: str | None = None  # links the row to its incident (None for a group)


@dataclass(frozen=True)
class StoredOutboxEntry:
    """One row of `tripl_alert_outbox`."""

    id: int
    key: str
    destination: str
    payload: Mapping[str, object]
    status: str  # pending | sent | failed
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    last_error: str | None
    sent_at: datetime | None
    incident_id: int | None


@dataclass(frozen=True)
class MetricMute:
    metric: str
    muted_until: datetime
    created_at: datetime
    reason: str | None
