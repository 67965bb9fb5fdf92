"""Rolling baseline: the median of the last `baseline_window` buckets (young series).

Used until a seasonal shape can be fitted. Its spread comes from the one-step-ahead errors of
the same rolling median (in-sample MAD of a handful of points is too optimistic), on top of the
same floors as the seasonal baseline. Only buckets the walk marks `usable` enter it.
"""

from __future__ import annotations

import numpy as np

from tripl_cli.detect.baseline import (
    MIN_LEVEL_POINTS,
    Baseline,
    dens_at,
    floor_sq,
    min_spread,
    spread_of,
)
from tripl_cli.detect.grid import BoolArray, FloatArray, GridSeries, IntArray
from tripl_cli.detect.robust import (
    excess_scale,
    level_noise_factor,
    median,
    resolution,
    tail_factor,
    trailing_medians,
    window_inflation,
    zero_share,
)
from tripl_cli.types import DetectorName

_HALF_PI = np.pi / 2


def rolling_baseline(
    grid: GridSeries,
    usable: BoolArray,
    t: int,
    rebase: int,
    window: int,
    min_history: int,
    trend_sizes: tuple[int, ...],
    outage: BoolArray,
) -> Baseline | None:
    """Median of the last `window` usable buckets; None (learning) below `min_history`
    points, or before three of them could be checked against their own forecasts.

    The spread comes from the one-step-ahead errors of the same rolling median over the
    preceding buckets (in-sample MAD of a handful of points is too optimistic); its tails
    are checked against every valid bucket of the look-back but outages (`tail_factor`).
    """
    lo = max(t - 8 * window, 0)
    positions = np.flatnonzero(usable[lo:t]) + lo
    if positions.size < min_history:
        return None
    positions = positions[-3 * window :]
    xs = grid.values[positions]
    after = positions >= rebase
    # After a confirmed level shift the level comes from the new regime only.
    recent = xs[after][-window:] if np.count_nonzero(after) >= MIN_LEVEL_POINTS else xs[-window:]
    level = median(recent)
    expected = max(level, 0.0) if grid.is_count else level
    magnitude = median(np.abs(xs))
    preds, actual, pred_pos = _one_step(xs, after, window, min_history)
    if preds.size < MIN_LEVEL_POINTS:
        return None  # too young to measure its own errors: still learning
    share = float(_HALF_PI / window)
    dens = dens_at(grid, positions[pred_pos])
    floors = floor_sq(np.abs(preds), dens, grid.is_count, magnitude, share)
    residuals = actual - preds
    excess = excess_scale(residuals, floors, np.ones_like(preds))
    floor_min = min_spread(grid.is_count, magnitude, resolution(xs))
    standardized = residuals / spread_of(floors, excess, floor_min)
    tail = _tail(grid, usable, outage, (max(lo, rebase), t), window, min_history, share, excess)
    inflation = window_inflation(standardized / tail, trend_sizes)
    widen = level_noise_factor(recent.size) / level_noise_factor(window)
    floor = floor_sq(
        np.array([expected]), dens_at(grid, slice(t, t + 1)), grid.is_count, magnitude, share
    )
    spread = float(spread_of(floor, excess, floor_min, widen)[0]) * tail
    return Baseline(expected, spread, level, False, DetectorName.ROLLING, inflation, zero_share(xs))


def _tail(
    grid: GridSeries,
    usable: BoolArray,
    outage: BoolArray,
    span: tuple[int, int],
    window: int,
    min_history: int,
    share: float,
    excess: float,
) -> float:
    """`tail_factor` of the one-step errors at every valid bucket in `span` (flagged ones too:
    a series flagged far more often than a normal would be has too narrow a band)."""
    lo, hi = span
    kept = np.flatnonzero(usable[lo:hi]) + lo
    if kept.size <= min_history:
        return 1.0
    # Only the span: this runs once per scored bucket.
    targets = np.flatnonzero(~np.isnan(grid.values[lo:hi]) & ~outage[lo:hi]) + lo
    xs = grid.values[kept]
    # trailing[k] = median of the `window` usable values before the k-th (one past the end ok).
    trailing = trailing_medians(np.append(xs, np.nan), window)
    k = np.searchsorted(kept, targets)  # usable buckets strictly before each target
    ok = k >= min_history
    targets, preds = targets[ok], trailing[k[ok]]
    magnitude = median(np.abs(xs))
    floors = floor_sq(np.abs(preds), dens_at(grid, targets), grid.is_count, magnitude, share)
    spread = spread_of(floors, excess, min_spread(grid.is_count, magnitude, resolution(xs)))
    return tail_factor((grid.values[targets] - preds) / spread)


def _one_step(
    xs: FloatArray, after: BoolArray, window: int, min_history: int
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Rolling-median predictions for the last `window` points, each from its predecessors
    in the same regime (before/after the last shift)."""
    preds: list[float] = []
    actual: list[float] = []
    where: list[int] = []
    first_after = int(np.argmax(after)) if np.any(after) else xs.size
    for j in range(max(min_history, xs.size - window), xs.size):
        seg = first_after if j >= first_after else 0
        prior = xs[max(seg, j - window) : j]
        if prior.size < min_history:
            continue
        preds.append(median(prior))
        actual.append(float(xs[j]))
        where.append(j)
    return np.array(preds), np.array(actual), np.array(where, dtype=np.intp)
