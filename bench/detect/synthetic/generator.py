"""Seeded generator of tripl-shaped series, labelled by construction.

Each scenario draws many series of one shape (daily or hourly; counts or ratios), each with
weekly (and, hourly, daily) multiplicative seasonality, a gentle trend, a slow level wander,
Poisson or over-dispersed noise, and for some series injected events of known size and place:
level shifts (persisting to the end), one-bucket spikes and drops, and outages (runs of zero).
Ratios carry their denominators; fractional series have missing buckets (gaps).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from tripl_cli.timegrid import Interval
from tripl_cli.types import SeriesPoint, ValueKind

Floats = npt.NDArray[np.float64]
START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday


@dataclass(frozen=True)
class Event:
    kind: str  # level_shift | spike | drop | outage
    start: int  # bucket position
    end: int  # exclusive: the last affected bucket + 1 (level shifts: the series end)
    factor: float


@dataclass(frozen=True)
class Series:
    name: str
    scenario: str
    interval: Interval
    value_kind: ValueKind
    points: tuple[SeriesPoint, ...]
    events: tuple[Event, ...]
    length: int

    def bucket(self, position: int) -> datetime:
        return START + position * self.interval.delta


@dataclass(frozen=True)
class Scenario:
    name: str
    interval: Interval
    value_kind: ValueKind
    days: int
    series: int
    ratio: bool
    overdispersed: bool


SCENARIOS = (
    Scenario("daily_count_poisson", Interval.D1, ValueKind.COUNT, 180, 60, False, False),
    Scenario("daily_count_overdispersed", Interval.D1, ValueKind.COUNT, 180, 60, False, True),
    Scenario("daily_ratio", Interval.D1, ValueKind.FRACTIONAL, 180, 60, True, True),
    Scenario("hourly_count", Interval.H1, ValueKind.COUNT, 90, 20, False, True),
    Scenario("hourly_ratio", Interval.H1, ValueKind.FRACTIONAL, 90, 12, True, True),
)

#: Events start once the series has this many days of history (>= 3 weeks).
HISTORY_DAYS = 28
SHIFT_FACTORS = (0.6, 0.7, 1.3, 1.5)
SPIKE_FACTORS = (1.5, 2.0, 3.0)
DROP_FACTORS = (0.5, 0.25)


def generate(scenario: Scenario, seed: int) -> list[Series]:
    rng = np.random.default_rng(seed)
    return [_series(scenario, rng, i) for i in range(scenario.series)]


def _series(sc: Scenario, rng: np.random.Generator, index: int) -> Series:
    per_day = 86400 // sc.interval.seconds
    n = sc.days * per_day
    clean = index % 4 == 0  # a quarter of the series carry no event at all
    events = () if clean else _events(sc, rng, n, per_day)
    level = _level(sc, rng, n, per_day, events)
    if sc.ratio:
        points = _ratio_points(sc, rng, level, events)
    else:
        points = _count_points(sc, rng, level, events)
    return Series(f"{sc.name}_{index:03d}", sc.name, sc.interval, sc.value_kind, points, events, n)


def _level(
    sc: Scenario, rng: np.random.Generator, n: int, per_day: int, events: tuple[Event, ...]
) -> Floats:
    """Expected value of the driving count per bucket (before noise and point events)."""
    t = np.arange(n)
    day = t // per_day
    weekday = (day + START.weekday()) % 7
    weekly = np.array([1.0, 1.02, 1.0, 0.98, 0.95, rng.uniform(0.55, 0.85), rng.uniform(0.5, 0.8)])
    shape = weekly[weekday]
    if per_day > 1:
        hour = t % per_day
        night = rng.uniform(0.08, 0.3)
        shape = shape * (night + (1 - night) * np.sin(np.pi * ((hour - 5) % 24) / 24) ** 2)
    trend = np.exp(rng.uniform(-0.002, 0.003) * day)
    wander = np.exp(np.cumsum(rng.normal(0, 0.004, sc.days)))[day] if sc.overdispersed else 1.0
    size = rng.uniform(150, 6000) if per_day == 1 else rng.uniform(100, 2500)
    level = size * shape * trend * wander
    if not sc.ratio:  # ratio shifts move the rate, not the traffic
        level = level * _shift_factor(events, n)
    return np.asarray(level, dtype=np.float64)


def _events(sc: Scenario, rng: np.random.Generator, n: int, per_day: int) -> tuple[Event, ...]:
    """1-3 events after HISTORY_DAYS, at least two weeks apart."""
    out: list[Event] = []
    first = HISTORY_DAYS * per_day
    slots = list(range(first, n - 14 * per_day, 14 * per_day))
    chosen = sorted(
        rng.choice(len(slots), size=min(len(slots), int(rng.integers(1, 4))), replace=False)
    )
    kinds: list[str] = ["level_shift", "spike", "drop", "outage"]
    for slot in chosen:
        start = slots[slot] + int(rng.integers(0, 7 * per_day))
        if per_day > 1:
            start = start - start % per_day + int(rng.integers(9, 18))  # daytime
        kind = str(rng.choice(kinds))
        out.append(_event(kind, start, n, per_day, rng))
    return tuple(out)


def _event(kind: str, start: int, n: int, per_day: int, rng: np.random.Generator) -> Event:
    if kind == "level_shift":
        return Event(kind, start, n, float(rng.choice(SHIFT_FACTORS)))
    if kind == "spike":
        return Event(kind, start, start + 1, float(rng.choice(SPIKE_FACTORS)))
    if kind == "drop":
        return Event(kind, start, start + 1, float(rng.choice(DROP_FACTORS)))
    length = int(rng.integers(1, 4)) if per_day == 1 else int(rng.integers(2, 13))
    return Event("outage", start, start + length, 0.0)


def _point_factor(events: tuple[Event, ...], n: int) -> Floats:
    factor = np.ones(n)
    for ev in events:
        if ev.kind in ("spike", "drop", "outage"):
            factor[ev.start : ev.end] *= ev.factor
    return factor


def _noisy(sc: Scenario, rng: np.random.Generator, mean: Floats) -> Floats:
    if sc.overdispersed:
        cv = rng.uniform(0.02, 0.10)
        mean = mean * rng.gamma(1 / cv**2, cv**2, mean.size)
    return rng.poisson(mean).astype(np.float64)


def _count_points(
    sc: Scenario, rng: np.random.Generator, level: Floats, events: tuple[Event, ...]
) -> tuple[SeriesPoint, ...]:
    counts = _noisy(sc, rng, level * _point_factor(events, level.size))
    # Count series: a bucket with no rows is simply absent from the store (zero-filled later).
    return _points(sc, counts, None, lambda i: counts[i] > 0)


def _ratio_points(
    sc: Scenario, rng: np.random.Generator, level: Floats, events: tuple[Event, ...]
) -> tuple[SeriesPoint, ...]:
    """A conversion rate: numerator ~ Binomial(denominator, p); events move p."""
    n = level.size
    dens = _noisy(sc, rng, level * rng.uniform(2, 10))
    p0 = rng.uniform(0.03, 0.3)
    p = np.full(n, p0) * np.exp(rng.normal(0, 0.02, n))
    # Shifts were applied to `level` for counts; for ratios they move the rate instead.
    p = p * _shift_factor(events, n) * _point_factor(events, n)
    nums = rng.binomial(dens.astype(np.int64), np.clip(p, 0, 1)).astype(np.float64)
    present = rng.random(n) >= 0.02  # 2 % missing buckets (gaps)
    return _points(sc, nums, dens, lambda i: bool(present[i]) and dens[i] > 0)


def _shift_factor(events: tuple[Event, ...], n: int) -> Floats:
    factor = np.ones(n)
    for ev in events:
        if ev.kind == "level_shift":
            factor[ev.start :] *= ev.factor
    return factor


def _points(
    sc: Scenario, values: Floats, dens: Floats | None, keep: Callable[[int], bool]
) -> tuple[SeriesPoint, ...]:
    out: list[SeriesPoint] = []
    step = sc.interval.delta
    for i in range(values.size):
        if not keep(i):
            continue
        bucket = START + i * step
        if dens is None:
            out.append(SeriesPoint(bucket, float(values[i])))
        else:
            out.append(
                SeriesPoint(bucket, float(values[i] / dens[i]), float(values[i]), float(dens[i]))
            )
    return tuple(out)
