"""The rows behind the `tripl run` conformance fixture, and what every metric must store.

Rows span 2026-01-01 .. 2026-01-13 12:00 (the tested window is 2026-01-05 .. 2026-01-12, so
rows on both sides of it prove the window filter); they include timestamps exactly on bucket
boundaries and in their last microsecond, NULL measures and breakdown values, a quote in a
breakdown value, and a day without sessions. Expectations come from the compiler's independent
pure-Python reference (tests/compiler/reference.py); compositions are computed here.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.compiler.reference import Key, Predicate, Reference, Row, Value
from tripl_cli.project.model import Project
from tripl_cli.project.schema import CompositionMetric, MetricStatus
from tripl_cli.timegrid import Interval, Window, floor_to_bucket

DATA_START = datetime(2026, 1, 1, tzinfo=UTC)
DATA_END = datetime(2026, 1, 13, 12, tzinfo=UTC)
WINDOW = Window(datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC))
NO_SESSIONS_DAY = datetime(2026, 1, 8, tzinfo=UTC)
US = timedelta(microseconds=1)

ORDER_COLUMNS = [
    ("ts", "timestamp"), ("user_id", "int"), ("amount", "number"), ("status", "string"),
    ("country", "string"), ("platform", "string"), ("flagged", "bool"),
]  # fmt: skip
SESSION_COLUMNS = [("ts", "timestamp"), ("user_id", "int"), ("platform", "string")]

# Distinct weights keep the top-N cut-offs free of ties (collations order ties differently);
# `test_data_exercises_the_edge_cases` checks there are none.
COUNTRIES = [("us", 40), ("de", 22), ("o'hare", 13), ("fr", 8), ("it", 5), (None, 9), ("es", 3)]
PLATFORMS = [("ios", 30), ("android", 22), ("web", 16), (None, 7)]
STATUSES = [("completed", 60), ("refunded", 12), ("pending", 28)]

#: Each SQL fragment of the fixture project and its meaning in Python.
FRAGMENTS: dict[str, Predicate] = {
    "status = 'completed'": lambda r: r["status"] == "completed",
    "amount > 0": lambda r: r["amount"] is not None and r["amount"] > 0,
    "amount >= 100": lambda r: r["amount"] is not None and r["amount"] >= 100,  # edited in
}


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _boundaries() -> Iterator[datetime]:
    """Every 6-hour boundary of the data span and the microsecond before it."""
    t = DATA_START + timedelta(hours=6)
    while t < DATA_END:
        yield t
        yield t - US
        t += timedelta(hours=6)


def order_rows(seed: int = 20260105, n: int = 2600) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    span = (DATA_END - DATA_START).total_seconds()
    times = [DATA_START + timedelta(seconds=rng.random() * span) for _ in range(n)]
    times = [t.replace(microsecond=rng.randrange(1_000_000)) for t in times]
    rows = []
    for i, ts in enumerate(sorted([*times, *_boundaries()])):
        status = _pick(rng, STATUSES)
        # Pending orders have no amount yet; a few others lack one too.
        amount = None if status == "pending" or rng.random() < 0.05 else rng.randrange(1, 2400) / 4
        user = None if rng.random() < 0.04 else rng.randrange(1, 400)
        flagged = None if rng.random() < 0.1 else rng.random() < 0.3
        country = _pick(rng, COUNTRIES)
        if country == "us" and i % 23 == 0:  # a value differing only in case: its own series
            country = "US"
        rows.append((ts, user, amount, status, country, _pick(rng, PLATFORMS), flagged))
    return rows


def session_rows(seed: int = 7, n: int = 1500) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    span = (DATA_END - DATA_START).total_seconds()
    rows = []
    for _ in range(n):
        ts = DATA_START + timedelta(seconds=rng.random() * span)
        if NO_SESSIONS_DAY <= ts < NO_SESSIONS_DAY + timedelta(days=1):
            continue
        rows.append((ts, rng.randrange(1, 300), _pick(rng, PLATFORMS)))
    return rows


def as_dicts(rows: Iterable[tuple[Any, ...]], columns: list[tuple[str, str]]) -> list[Row]:
    return [dict(zip([c for c, _ in columns], r, strict=True)) for r in rows]


def _refunds(orders: list[Row]) -> Any:
    """The SQL metric `refunds` in Python: refunded amounts per UTC day (one row per day)."""

    def run(window: Window) -> list[tuple[datetime, Any]]:
        days: dict[datetime, list[float]] = defaultdict(list)
        for r in orders:
            if r["status"] == "refunded" and window.contains(r["ts"]):
                day = floor_to_bucket(r["ts"], Interval.D1)
                days[day].extend([] if r["amount"] is None else [r["amount"]])
        # SQL's sum(): NULL over no non-NULL values.
        return [(day, sum(values) if values else None) for day, values in days.items()]

    return run


def metric_window(project: Project, name: str, start: datetime, end: datetime) -> Window:
    """A backfill's window for one metric: [floor(start), ceil(end)) on its interval."""
    metric = project.metrics[name]
    interval = (
        project.interval_of(project.metrics[metric.numerator])
        if isinstance(metric, CompositionMetric)
        else project.interval_of(metric)
    )
    lo = floor_to_bucket(start, interval)
    hi = floor_to_bucket(end, interval)
    return Window(lo, hi if hi == end else hi + interval.delta)


def expected_values(
    project: Project,
    orders: list[Row],
    sessions: list[Row],
    window: Window = WINDOW,
    *,
    metrics: Iterable[str] | None = None,
    rank_window: Window | None = None,
) -> dict[Key, Value]:
    """The stored values of `metrics` (default: all active) after a backfill of `window`
    (breakdowns ranked over `rank_window` instead, as a resumed run ranks)."""
    ref = Reference(
        project,
        {"orders": orders, "sessions": sessions},
        FRAGMENTS,
        {"refunds": _refunds(orders)},
        lambda name: metric_window(project, name, window.start, window.end),
        rank_window,
    )
    active = [n for n, m in project.metrics.items() if m.status is MetricStatus.ACTIVE]
    if metrics is not None:
        active = [n for n in active if n in set(metrics)]
    values = ref.values(active)
    for name in active:
        metric = project.metrics[name]
        if isinstance(metric, CompositionMetric):
            values.update(_composition(ref, project, metric, values))
    return values


def _composition(
    ref: Reference, project: Project, metric: CompositionMetric, values: dict[Key, Value]
) -> dict[Key, Value]:
    def totals(name: str) -> dict[datetime, float]:
        return {k[1]: v[0] for k, v in values.items() if k[0] == name and k[2] == ("", "")}

    numerator = totals(metric.numerator)
    if metric.denominator is not None:
        divisor = totals(metric.denominator)
    else:
        interval: Interval = project.interval_of(project.metrics[metric.numerator])
        divisor = ref.distinct(metric, interval)
    return {
        (metric.name, bucket, ("", "")): (n / divisor[bucket], n, divisor[bucket])
        for bucket, n in numerator.items()
        if divisor.get(bucket)
    }
