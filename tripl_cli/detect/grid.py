"""Series points laid on the time grid as dense arrays, plus per-interval tuning constants.

Positions are absolute grid indices (buckets since the interval's origin), so the seasonal
phase of a bucket depends on its time only: a missing bucket never shifts the phase.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from tripl_cli.timegrid import Interval, as_utc, floor_to_bucket
from tripl_cli.types import SeriesPoint, ValueKind

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class IntervalProfile:
    """Structural constants per interval (not user settings)."""

    #: Seasonal periods in buckets, longest first (weekly, then daily).
    periods: tuple[int, ...]
    #: Recent buckets the seasonal level is re-estimated from (one short cycle).
    level_window: int
    #: The seasonal shape is refitted at block boundaries aligned to the grid, so detect
    #: and backtest fit the same models whatever `as_of` is.
    block: int
    #: Once a full seasonal model stands, it is refitted only this often.
    long_block: int
    #: (buckets, allowed misses) of the level-shift windows, short then long.
    trend_windows: tuple[tuple[int, int], ...]
    #: Quiet buckets an open episode tolerates before it ends.
    episode_gap: int

    @property
    def trend_sizes(self) -> tuple[int, ...]:
        return tuple(size for size, _ in self.trend_windows)


PROFILES: dict[Interval, IntervalProfile] = {
    Interval.M15: IntervalProfile((672, 96), 96, 96, 672, ((8, 0), (32, 5)), 4),
    Interval.H1: IntervalProfile((168, 24), 24, 24, 168, ((6, 0), (24, 4)), 2),
    Interval.H6: IntervalProfile((28, 4), 8, 4, 28, ((4, 0), (12, 2)), 1),
    Interval.D1: IntervalProfile((7,), 7, 7, 7, ((3, 0), (7, 1)), 1),
    Interval.W1: IntervalProfile((), 4, 4, 4, ((3, 0), (6, 1)), 1),
}


def max_cycles(period: int) -> int:
    """How many past cycles feed a seasonal shape: more for short periods (cheap, steadier)."""
    return 8 if period <= 28 else 4


def grid_index(ts: datetime, interval: Interval) -> int:
    """The absolute grid index of an aligned bucket start."""
    delta = as_utc(ts) - interval.origin
    return (delta.days * 86400 + delta.seconds) // interval.seconds


@dataclass(frozen=True)
class GridSeries:
    """One series as dense arrays over consecutive buckets from `first_index`.

    `values` holds NaN for gaps (fractional series only: count-shaped series are zero-filled).
    """

    interval: Interval
    value_kind: ValueKind
    first_index: int
    values: FloatArray
    denominators: FloatArray | None

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def is_count(self) -> bool:
        return self.value_kind is ValueKind.COUNT

    def bucket(self, i: int) -> datetime:
        return self.interval.origin + timedelta(
            seconds=(self.first_index + i) * self.interval.seconds
        )

    def position(self, ts: datetime) -> int:
        """Relative position of the bucket holding `ts` (may be outside the series)."""
        return grid_index(floor_to_bucket(ts, self.interval), self.interval) - self.first_index


def build_grid(
    points: Sequence[SeriesPoint],
    interval: Interval,
    value_kind: ValueKind,
    complete_until: datetime | None = None,
) -> GridSeries | None:
    """Lay points on the grid; None when there are none.

    Count-shaped series are zero-filled (a bucket with no rows counted nothing), up to
    `complete_until` when given (the collection watermark: buckets before it are known).
    """
    by_index: dict[int, SeriesPoint] = {}
    origin = interval.origin
    width = interval.seconds
    for point in points:
        # floor_to_bucket inlined: this loop runs for every stored bucket of every series.
        delta = as_utc(point.bucket) - origin
        seconds = delta.days * 86400 + delta.seconds
        if seconds % width or delta.microseconds:
            when = point.bucket.isoformat()
            raise ValueError(f"point {when} is not a {interval.value} bucket start")
        by_index[seconds // width] = point  # a later duplicate wins
    if not by_index:
        return None
    first = min(by_index)
    last = max(by_index)
    if complete_until is not None and value_kind is ValueKind.COUNT:
        until = floor_to_bucket(complete_until, interval)
        last = max(last, grid_index(until, interval) - 1)
    size = last - first + 1
    is_count = value_kind is ValueKind.COUNT
    values = np.full(size, 0.0 if is_count else np.nan)
    dens = np.full(size, np.nan)
    has_den = False
    for index, point in by_index.items():
        if point.value is not None:
            values[index - first] = float(point.value)
        if point.denominator is not None:
            dens[index - first] = float(point.denominator)
            has_den = True
    # Subnormal values (below ~2.2e-308) count as 0: beside ordinary ones, the ratios and
    # spreads the baseline takes of them overflow to infinity.
    values[np.abs(values) < np.finfo(np.float64).tiny] = 0.0
    return GridSeries(interval, value_kind, first, values, dens if has_den else None)
