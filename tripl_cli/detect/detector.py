"""Entry points: score a series' trailing window (`detect`) or its whole history (`backtest`).

Pure: points in, anomalies out. Time is passed in (`as_of`), never read from the clock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from tripl_cli.detect.grid import (
    PROFILES,
    GridSeries,
    IntervalProfile,
    build_grid,
    grid_index,
    max_cycles,
)
from tripl_cli.detect.recovery import RECOVERY_WINDOWS
from tripl_cli.detect.result import SeriesResult, build_result, disabled_result, learning_result
from tripl_cli.detect.settings import DetectionSettings
from tripl_cli.detect.state import WalkContext
from tripl_cli.detect.walk import walk
from tripl_cli.timegrid import Interval, as_utc, floor_to_bucket
from tripl_cli.types import TOTAL, SeriesPoint, ValueKind

logger = logging.getLogger(__name__)

#: detect scores at least this many trailing buckets (SPEC: a window of >= 30 buckets).
DEFAULT_SCORE_WINDOW = 30


def detect_series(
    points: Sequence[SeriesPoint],
    *,
    metric: str,
    interval: Interval,
    value_kind: ValueKind,
    settings: DetectionSettings,
    as_of: datetime,
    breakdown: tuple[str, str] = TOTAL,
    score_window: int = DEFAULT_SCORE_WINDOW,
    complete_until: datetime | None = None,
) -> SeriesResult:
    """Score the trailing `score_window` settled buckets of one series.

    Each bucket is scored against earlier data only. The walk starts a little before the
    window (warm-up) so an event that began just before it is recognised, not re-reported.
    `complete_until` (the collection watermark) lets a count series zero-fill trailing
    buckets that had no rows, so an outage up to now is seen.
    """
    if not settings.enabled:
        return disabled_result()
    if score_window < 1:
        raise ValueError(f"score_window must be >= 1, not {score_window}")
    grid = build_grid(points, interval, value_kind, complete_until)
    if grid is None:
        return learning_result()
    ctx = WalkContext(grid, settings, PROFILES[interval], metric, breakdown)
    stop = _settled_stop(grid, settings, as_of)
    lo = stop - score_window
    st = walk(ctx, lo - warm_up_buckets(ctx.profile, settings), stop, report_from=lo)
    return build_result(ctx, st, lo, stop)


def backtest_series(
    points: Sequence[SeriesPoint],
    *,
    metric: str,
    interval: Interval,
    value_kind: ValueKind,
    settings: DetectionSettings,
    start: datetime | None = None,
    end: datetime | None = None,
    breakdown: tuple[str, str] = TOTAL,
    as_of: datetime | None = None,
    complete_until: datetime | None = None,
) -> SeriesResult:
    """Replay the detector bucket by bucket over history (same walk as `detect_series`).

    Reports the anomalies (and bands) of buckets in [start, end); a bucket is only scored
    once settled at `as_of` (default: every stored bucket is settled).
    """
    if not settings.enabled:
        return disabled_result()
    grid = build_grid(points, interval, value_kind, complete_until)
    if grid is None:
        return learning_result()
    ctx = WalkContext(grid, settings, PROFILES[interval], metric, breakdown)
    stop = len(grid) if as_of is None else _settled_stop(grid, settings, as_of)
    hi = stop if end is None else min(stop, _position_ceil(grid, end))
    lo = 0 if start is None else max(0, _position_ceil(grid, start))
    st = walk(ctx, 0, hi, report_from=lo)
    return build_result(ctx, st, lo, hi)


def history_needed(
    interval: Interval, settings: DetectionSettings, score_window: int = DEFAULT_SCORE_WINDOW
) -> timedelta:
    """How far before `as_of` detect_series reads points: load no more than this.

    The window, its warm-up, and the seasonal cycles fitted before them (plus settling).
    """
    profile = PROFILES[interval]
    cycles = max((max_cycles(p) * p for p in profile.periods), default=0)
    rolling = 8 * settings.baseline_window  # rolling_baseline's furthest look-back
    warm_up = warm_up_buckets(profile, settings)
    buckets = score_window + warm_up + max(cycles + profile.long_block, rolling) + 2
    return buckets * interval.delta + timedelta(minutes=settings.settling_minutes)


def _settled_stop(grid: GridSeries, settings: DetectionSettings, as_of: datetime) -> int:
    """Position just past the newest bucket that has been closed for `settling` minutes."""
    newest_closed = (
        as_utc(as_of) - timedelta(minutes=settings.settling_minutes) - grid.interval.delta
    )
    last = floor_to_bucket(newest_closed, grid.interval)
    return min(len(grid), grid_index(last, grid.interval) - grid.first_index + 1)


def _position_ceil(grid: GridSeries, ts: datetime) -> int:
    """Position of the first bucket starting at or after `ts`."""
    pos = grid.position(ts)
    if grid.bucket(pos) < as_utc(ts):
        pos += 1
    return pos


def warm_up_buckets(profile: IntervalProfile, settings: DetectionSettings) -> int:
    """Buckets walked (silently) before detect's window: a level window, a long shift, and
    as long as a shift may still end in a recovery — so that detect, which alerts, knows
    the shifts backtest knows, and calls the same returns recoveries (recovery.py)."""
    longest_trend = max(profile.trend_sizes)
    recovery = RECOVERY_WINDOWS * longest_trend
    return max(profile.level_window, settings.baseline_window) + longest_trend + recovery
