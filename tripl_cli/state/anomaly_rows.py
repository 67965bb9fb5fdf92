"""Recorded anomalies: idempotent replacement per window, and reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tripl_cli.state.records import StoredAnomaly
from tripl_cli.state.schema import anomalies
from tripl_cli.timegrid import Window, as_utc
from tripl_cli.types import Anomaly, DetectorName, Direction

_Key = tuple[datetime, str, str, str]


def _key(a: Anomaly) -> _Key:
    return (as_utc(a.bucket), a.breakdown[0], a.breakdown[1], a.detector.value)


def _series_filter(metric: str, breakdown: tuple[str, str] | None) -> list[Any]:
    t = anomalies
    where: list[Any] = [t.c.metric == metric]
    if breakdown is not None:
        where += [t.c.breakdown_column == breakdown[0], t.c.breakdown_value == breakdown[1]]
    return where


def replace_anomalies(
    conn: sa.Connection,
    metric: str,
    window: Window,
    found: Sequence[Anomaly],
    *,
    breakdown: tuple[str, str] | None,
    run_id: str | None,
    now: datetime,
) -> int:
    """Make the window's anomalies exactly `found`; re-detecting changes nothing. Returns
    how many are in a bucket of their series where none was recorded before.

    `breakdown=None` replaces every series of the metric, a tuple only that series. An
    anomaly found again keeps its first `detected_at` (alerts key on it).
    """
    for a in found:
        if a.metric != metric or not window.contains(a.bucket):
            raise ValueError(f"anomaly {a.metric} @ {a.bucket} does not belong to this write")
        if breakdown is not None and a.breakdown != breakdown:
            raise ValueError(f"anomaly of series {a.breakdown} passed for series {breakdown}")
    t = anomalies
    where = [
        *_series_filter(metric, breakdown),
        t.c.bucket >= window.start,
        t.c.bucket < window.end,
    ]
    first_seen: dict[_Key, datetime] = {
        (row.bucket, row.breakdown_column, row.breakdown_value, row.detector): row.detected_at
        for row in conn.execute(
            sa.select(
                t.c.bucket, t.c.breakdown_column, t.c.breakdown_value, t.c.detector, t.c.detected_at
            ).where(*where)
        )
    }
    conn.execute(sa.delete(t).where(*where))
    rows = [
        {
            "metric": metric,
            "bucket": as_utc(a.bucket),
            "breakdown_column": a.breakdown[0],
            "breakdown_value": a.breakdown[1],
            "detector": a.detector.value,
            "actual": a.actual,
            "expected": a.expected,
            "lower": a.lower,
            "upper": a.upper,
            "score": a.score,
            "direction": a.direction.value,
            "detected_at": first_seen.get(_key(a), now),
            "run_id": run_id,
        }
        for a in found
    ]
    if rows:
        conn.execute(sa.insert(t), rows)
    # New by series and bucket: the same event relabelled (a spike confirmed as a level
    # shift) is no news.
    seen = {(bucket, column, value) for bucket, column, value, _ in first_seen}
    return sum(1 for a in found if (as_utc(a.bucket), *a.breakdown) not in seen)


def read_anomalies(
    conn: sa.Connection,
    metric: str,
    *,
    breakdown: tuple[str, str] | None,
    start: datetime | None,
    end: datetime | None,
) -> list[StoredAnomaly]:
    t = anomalies
    where = _series_filter(metric, breakdown)
    if start is not None:
        where.append(t.c.bucket >= as_utc(start))
    if end is not None:
        where.append(t.c.bucket < as_utc(end))
    query = sa.select(t).where(*where).order_by(t.c.bucket, t.c.detector)
    out = [
        StoredAnomaly(
            anomaly=Anomaly(
                metric=row.metric,
                bucket=row.bucket,
                actual=row.actual,
                expected=row.expected,
                lower=row.lower,
                upper=row.upper,
                score=row.score,
                direction=Direction(row.direction),
                detector=DetectorName(row.detector),
                breakdown=(row.breakdown_column, row.breakdown_value),
            ),
            detected_at=row.detected_at,
            run_id=row.run_id,
        )
        for row in conn.execute(query)
    ]
    # Python orders the series key: database collations differ.
    out.sort(key=lambda s: (s.anomaly.bucket, s.anomaly.breakdown, s.anomaly.detector.value))
    return out
