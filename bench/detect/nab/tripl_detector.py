"""tripl's detector as a NAB detector: NAB rows are laid on tripl's own time grid.

NAB rows come every 5 minutes (some files 10, 30 or 60 minutes); tripl scores buckets of a
regular grid of 15m, 1h, 6h, 1d or 1w. The adapter does what `tripl run` would do with such a
source: it picks the finest tripl interval at least as wide as the file's typical row spacing
(5/10-minute rows -> 15m, 30/60-minute rows -> 1h) and aggregates the rows of each bucket by
their mean, keyed by the rows' *real* timestamps. So tripl's seasonal periods (96/672 buckets
at 15m, 24/168 at 1h) span a real day and week, and a hole in the data is a gap, not a shift.

Values are FRACTIONAL (NAB values are measurements, not counts) and nothing is held back for
settling. A bucket's mean is only known once its last row has arrived, so a detection is placed
at the *last* row of the bucket whose scoring raised the anomaly (`detected_at`, never
back-dated): at most one bucket width after the row that caused it.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from bench.detect.nab.harness import Candidate, DetectorFamily, NabSeries
from tripl_cli.timegrid import Interval
from tripl_cli.types import SeriesPoint, ValueKind

logger = logging.getLogger(__name__)

#: The grid intervals NAB rows may be aggregated to, finest first.
GRID_INTERVALS = (Interval.M15, Interval.H1, Interval.H6, Interval.D1)
SIGMA_GRID = (3.0, 4.0, 5.0, 6.0, 8.0, 12.0, 16.0, 24.0)


def tripl_available() -> bool:
    """Whether `tripl_cli.detect` can be imported yet (it is being written in parallel)."""
    try:
        return importlib.util.find_spec("tripl_cli.detect") is not None
    except ImportError:
        return False


def grid_interval(timestamps: Sequence[datetime]) -> Interval:
    """The finest tripl interval at least as wide as the median spacing of the rows."""
    if len(timestamps) < 2:
        return GRID_INTERVALS[0]
    stamps = np.array([_utc(t).timestamp() for t in timestamps])
    spacing = float(np.median(np.diff(stamps)))
    for interval in GRID_INTERVALS:
        if interval.seconds >= spacing:
            return interval
    return GRID_INTERVALS[-1]


@dataclass(frozen=True)
class Regridded:
    """A NAB file as tripl buckets: the points, and the last row that fed each bucket."""

    interval: Interval
    points: tuple[SeriesPoint, ...]
    last_row: Mapping[datetime, int]


def regrid(timestamps: Sequence[datetime], values: Sequence[float]) -> Regridded:
    """Mean of the rows falling in each bucket of `grid_interval(timestamps)` (real time)."""
    interval = grid_interval(timestamps)
    origin = interval.origin
    width = interval.seconds
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    last_row: dict[int, int] = {}
    for row, (ts, value) in enumerate(zip(timestamps, values, strict=True)):
        index = int((_utc(ts) - origin).total_seconds() // width)
        sums[index] = sums.get(index, 0.0) + float(value)
        counts[index] = counts.get(index, 0) + 1
        last_row[index] = max(row, last_row.get(index, row))
    points = tuple(
        SeriesPoint(bucket=origin + timedelta(seconds=i * width), value=sums[i] / counts[i])
        for i in sorted(sums)
    )
    rows = {origin + timedelta(seconds=i * width): r for i, r in last_row.items()}
    return Regridded(interval, points, rows)


def _utc(ts: datetime) -> datetime:
    """NAB timestamps are naive; read them as UTC (only their spacing and order matter)."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


@dataclass(frozen=True)
class TriplDetector:
    """Run `tripl_cli.detect.backtest_series` over a NAB file with fixed settings.

    `settings` are keyword arguments for `DetectionSettings`; settling is always switched off.
    """

    settings: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, series: NabSeries) -> list[datetime]:
        grid = regrid(series.timestamps, series.values)
        result = run_backtest(series.name, grid, self.settings)
        # NAB credits a detection at the moment it is raised: a level shift dated back to its
        # start is only known later (`detected_at`), and back-dating it would flatter the score.
        raised = result.detected_at or tuple(a.bucket for a in result.anomalies)
        flagged = [series.timestamps[grid.last_row[b]] for b in raised]
        logger.debug("%s: %d anomalies", series.name, len(flagged))
        return flagged


def run_backtest(name: str, grid: Regridded, settings: Mapping[str, Any]) -> Any:
    """`backtest_series` over a regridded file (returns its `SeriesResult`)."""
    from tripl_cli.detect import DetectionSettings, backtest_series

    return backtest_series(
        grid.points,
        metric=name,
        interval=grid.interval,
        value_kind=ValueKind.FRACTIONAL,
        settings=DetectionSettings(**{**dict(settings), **_NO_SETTLING}),
    )


_NO_SETTLING: dict[str, Any] = {"settling_minutes": 0}


def tripl_family(sigmas: tuple[float, ...] = SIGMA_GRID) -> DetectorFamily:
    return DetectorFamily(
        name="tripl",
        description=(
            "tripl_cli.detect.backtest_series; rows aggregated (mean) into buckets of the finest"
            " tripl interval at least as wide as the file's median row spacing (5/10-minute"
            " rows -> 15m, 30/60-minute rows -> 1h), by real timestamp, so the daily/weekly"
            " seasonal periods are a real day and week; FRACTIONAL, settling 0, other settings"
            " default; a detection sits at the last row of the bucket whose scoring raised it"
            f" (`detected_at`, never back-dated); sigma from {sigmas}"
        ),
        candidates=tuple(Candidate(f"sigma={s:g}", TriplDetector({"sigma": s})) for s in sigmas),
    )
