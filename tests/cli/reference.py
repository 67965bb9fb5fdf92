"""Expected values computed in plain Python from the demo warehouse's raw rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

Row = dict[str, Any]

#: What the first run at AS_OF collects: 90 whole days before AS_OF's day.
WINDOW_END = datetime(2026, 3, 15, tzinfo=UTC)
WINDOW_START = WINDOW_END - timedelta(days=90)


def day_of(ts: datetime) -> datetime:
    return ts.replace(hour=0, minute=0, second=0, microsecond=0)


def in_window(rows: Iterable[Row]) -> list[Row]:
    return [r for r in rows if WINDOW_START <= r["created_at"] < WINDOW_END]


def daily(
    rows: Iterable[Row],
    value: Callable[[list[Row]], float] = len,
    where: Callable[[Row], bool] = lambda r: True,
) -> dict[datetime, float]:
    """`value` of each day's matching rows; days without a matching row are absent (gaps)."""
    by_day: dict[datetime, list[Row]] = defaultdict(list)
    for row in in_window(rows):
        if where(row):
            by_day[day_of(row["created_at"])].append(row)
    return {day: float(value(group)) for day, group in sorted(by_day.items())}


def breakdown_counts(
    rows: Iterable[Row], column: str, limit: int
) -> dict[str, dict[datetime, float]]:
    """Daily counts per value of `column`: the top `limit - 1` values by rows in the window
    (ties by value), the rest folded into 'Other'; NULL is ''."""
    window = in_window(rows)
    key = {id(r): "" if r[column] is None else str(r[column]) for r in window}
    totals = Counter(key.values())
    ranked = sorted(totals, key=lambda v: (-totals[v], v))
    kept = set(ranked[: limit - 1]) if len(ranked) > limit else set(ranked)
    out: dict[str, dict[datetime, float]] = defaultdict(lambda: defaultdict(float))
    for row in window:
        value = key[id(row)] if key[id(row)] in kept else "Other"
        out[value][day_of(row["created_at"])] += 1
    return {v: dict(sorted(days.items())) for v, days in out.items()}


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")
