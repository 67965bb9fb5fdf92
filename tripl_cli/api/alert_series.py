"""Stored values an alert needs: the actual value of a series' latest scored bucket, and the
recent points and project facts (display name, owner, unit) a message shows.

Count-shaped series read a missing bucket as 0 (SPEC §7: no rows means none happened);
every other series reads it as a gap (None), the way detection saw them.
"""

from __future__ import annotations

from datetime import datetime

from tripl_cli.alerts import IncidentState, RecentPoint, SeriesContext
from tripl_cli.project.model import Project
from tripl_cli.project.semantics import value_kind
from tripl_cli.state import StateStore
from tripl_cli.timegrid import Interval, floor_to_bucket
from tripl_cli.types import TOTAL, ValueKind

#: How many buckets a message's sparkline shows.
RECENT_BUCKETS = 30

SeriesKey = tuple[str, tuple[str, str]]


class SeriesReader:
    """Reads the series an alerting step needs from the store (not cached yet)."""

    def __init__(self, project: Project, store: StateStore, now: datetime) -> None:
        self._project = project
        self._store = store
        self._now = now
        self._latest: dict[SeriesKey, datetime] = {}

    def note_latest(self, metric: str, breakdown: tuple[str, str], bucket: datetime) -> None:
        """The series' newest scored bucket: where its sparkline ends."""
        self._latest[(metric, breakdown)] = bucket

    def _shape(self, metric: str) -> tuple[Interval, bool] | None:
        definition = self._project.metrics.get(metric)
        if definition is None:  # an incident of a metric since removed from the project
            return None
        interval = self._project.interval_of(definition)
        return interval, value_kind(self._project, definition) is ValueKind.COUNT

    def value_at(self, metric: str, breakdown: tuple[str, str], bucket: datetime) -> float | None:
        shape = self._shape(metric)
        if shape is None:
            return None
        interval, is_count = shape
        points = self._store.read_series(
            metric, breakdown=breakdown or TOTAL, start=bucket, end=bucket + interval.delta
        )
        for p in points:
            if p.bucket == bucket and p.value is not None:
                return p.value
        return 0.0 if is_count and not points else None

    def recent(self, metric: str, breakdown: tuple[str, str]) -> tuple[RecentPoint, ...]:
        shape = self._shape(metric)
        if shape is None:
            return ()
        interval, is_count = shape
        last = self._latest.get((metric, breakdown))
        end = last + interval.delta if last is not None else floor_to_bucket(self._now, interval)
        start = end - interval.delta * RECENT_BUCKETS
        stored = {
            p.bucket: p.value
            for p in self._store.read_series(metric, breakdown=breakdown, start=start, end=end)
        }
        if not stored:
            return ()
        gap = 0.0 if is_count else None
        out: list[RecentPoint] = []
        bucket = min(stored)  # before its first stored bucket a series is unknown, not zero
        while bucket < end:
            out.append(RecentPoint(bucket, stored.get(bucket, gap)))
            bucket += interval.delta
        return tuple(out)

    def context(self, incident: IncidentState) -> SeriesContext:
        definition = self._project.metrics.get(incident.metric)
        return SeriesContext(
            display_name=definition.display_name if definition else None,
            owner=definition.owner if definition else None,
            unit=definition.unit if definition else None,
            recent=self.recent(incident.metric, incident.breakdown),
        )
