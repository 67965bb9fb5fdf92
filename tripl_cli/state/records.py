"""Frozen records the state store returns (the write-side records live in `tripl_cli.types`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tripl_cli.types import Anomaly


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"  # some metrics failed, the others were stored
    ERROR = "error"


@dataclass(frozen=True)
class MetricStatus:
    """Collection bookkeeping of one metric.

    `watermark` is the newest stored bucket (None before the first value); the next run
    resumes from it minus the metric's lookback.
    """

    metric: str
    definition_hash: str | None
    watermark: datetime | None
    last_status: str | None
    last_error: str | None
    last_run_id: str | None
    updated_at: datetime | None


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
