"""tripl's state database: the only package that writes it (SQLAlchemy Core, no ORM).

See docs/state.md for the schema, its versions and the guarantees.
"""

from __future__ import annotations

from tripl_cli.state.lock import RunLock
from tripl_cli.state.records import (
    AnomalyWrite,
    LockHolder,
    MetricMute,
    MetricStatus,
    NewOutboxEntry,
    RunRecord,
    RunStatus,
    StoredAnomaly,
    StoredIncident,
    StoredOutboxEntry,
    WindowWrite,
)
from tripl_cli.state.schema import SCHEMA_VERSION
from tripl_cli.state.store import StateStore, open_store

__all__ = [
    "SCHEMA_VERSION",
    "AnomalyWrite",
    "LockHolder",
    "MetricMute",
    "MetricStatus",
    "NewOutboxEntry",
    "RunLock",
    "RunRecord",
    "RunStatus",
    "StateStore",
    "StoredAnomaly",
    "StoredIncident",
    "StoredOutboxEntry",
    "WindowWrite",
    "open_store",
]
