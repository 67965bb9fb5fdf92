"""Baselines: what a bucket should have been, and how far from it is still normal.

Seasonal: a shape by grid slot (phase = absolute bucket index mod period) from the median of
past cycles, each cycle normalised by its own level so one level shift does not bend the
shape; times a level re-estimated from the most recent buckets (the level adjustment).
(The rolling baseline of young series lives in `rolling.py`.)

The spread is a robust 1.4826·MAD-style estimate on top of a floor (Poisson √expected for
counts; relative to the magnitude, or binomial from the denominator, for fractional series;
never below one step of a quantised series' resolution). It is measured on *honest*
residuals — each past bucket against what the same procedure would have predicted without it
(leave-one-cycle-out shape, trailing level) — because in-sample residuals are too small and a
too-narrow band is a flood of false alerts. For the same reason its tails are calibrated: when
the honest residuals (flagged buckets included, outages not) break the band far more often
than normal noise would — sparse series whose MAD is 0, gauges jumping between a few levels,
bursty heavy-tailed noise — the spread is widened until they do not (`robust.tail_factor`).

Only buckets the walk marks `usable` (valid and not flagged) enter an expected value or the
spread's core.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from tripl_cli.detect.grid import BoolArray, FloatArray, GridSeries, IntArray, max_cycles
from tripl_cli.detect.robust import (
    column_nanmedian,
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

#: Fractional series: the spread never drops below 1 % of the series' typical magnitude.
RELATIVE_FLOOR = 0.01
_TINY = 1e-9
#: Seasonal needs this many cycles; fewer (down to 2) is used with a warning.
FULL_CYCLES = 3
#: Fewer recent points than this and the level falls back to the last cycle's.
MIN_LEVEL_POINTS = 3
#: Multiplicative shapes: slots below this share of the typical slot (night hours) are too
#: noisy to estimate the level from.
_LEVEL_SLOT_SHARE = 0.2
#: Honest residuals the seasonal spread is measured on: at least this many buckets
#: (whole cycles, at least two).
_RESIDUAL_BUCKETS = 56
_HALF_PI = np.pi / 2


@dataclass(frozen=True)
class SeasonalModel:
    period: int
    #: Shape indexed by phase (absolute index mod period): multiplicative (~1) or additive (~0).
    shape: FloatArray
    multiplicative: bool
    #: Noise beyond the floor, in units of the expected value (multiplicative) or absolute.
    excess: float
    magnitude: float
    fallback_level: float
    cycles: int
    level_window: int
    inflation: tuple[float, ...]
    min_slot: float
    #: The step a quantised series moves in: the spread never drops below it.
    resolution: float = 0.0
    #: Share of the fitted history that is exactly zero (outages only where zero is rare).
    zero_share: float = 0.0
    #: Widening that makes the spread's tails match the honest residuals' (>= 1).
    tail: float = 1.0

    @property
    def estimate_share(self) -> float:
        """Relative variance the expected value carries from its shape and level medians."""
        return float(_HALF_PI * (1.0 / self.cycles + 1.0 / self.level_window))


@dataclass(frozen=True)
class Baseline:
    expected: float
    spread: float
    level: float
    multiplicative: bool
    detector: DetectorName
    #: Per level-shift window: how much correlated errors widen a window's sum.
    inflation: tuple[float, ...]
    #: Share of the baseline's history that is exactly zero.
    zero_share: float = 0.0


def floor_sq(
    expected: FloatArray,
    dens: FloatArray | None,
    is_count: bool,
    magnitude: float,
    estimate_share: float = 0.0,
) -> FloatArray:
    """Squared spread floor per bucket.

    `estimate_share` adds the sampling noise of the expected value itself (a median of a few
    equally noisy buckets has variance ~ pi/2 * sigma^2 / n), so a pure-Poisson series gets an
    honest floor without relying on a noisy estimate of the excess.
    """
    widen = 1.0 + estimate_share
    if is_count:
        poisson: FloatArray = np.maximum(expected, 1.0) * widen
        return poisson
    # Fractional series: no sampling noise is known without a denominator; their floor
    # relative to the magnitude is a minimum spread (see `min_spread`), not a noise term.
    base = np.zeros(expected.shape)
    if dens is None:
        return base
    # Ratios: the sampling noise of numerator/denominator. Proportions get the binomial
    # p(1-p)/n; other ratios (e.g. revenue per order) a CV-of-one guess p^2/n.
    p = expected
    binom = np.where((p >= 0) & (p <= 1), p * (1 - p), p * p)
    with np.errstate(divide="ignore", invalid="ignore"):
        sampling = np.where(dens > 0, binom / dens, 0.0)
    floors: FloatArray = np.maximum(base, np.nan_to_num(sampling) * widen)
    return floors


def min_spread(is_count: bool, magnitude: float, step: float = 0.0) -> float:
    """The smallest spread a series can have: one step of its resolution, and for fractional
    series 1 % of the typical magnitude (counts have their Poisson floor)."""
    if is_count:
        return step
    # Relative, so scoring does not depend on the unit (a series of 1e-9 is scored as one
    # of 1); _TINY only keeps an all-zero series' spread from being 0.
    floor = max(RELATIVE_FLOOR * magnitude, step)
    return floor if floor > 0 else _TINY


def spread_of(
    floors: FloatArray, excess: FloatArray | float, minimum: float, widen: float = 1.0
) -> FloatArray:
    """The spread per bucket: the floor's noise and the excess noise added in quadrature,
    widened (never narrowed) by `widen`, and never below `minimum` (see `min_spread`)."""
    spread: FloatArray = np.maximum(np.hypot(np.sqrt(floors), excess) * max(widen, 1.0), minimum)
    return spread


def dens_at(grid: GridSeries, idx: IntArray | slice) -> FloatArray | None:
    return None if grid.denominators is None else grid.denominators[idx]


def fit_seasonal(
    grid: GridSeries,
    usable: BoolArray,
    b0: int,
    period: int,
    level_window: int,
    trend_sizes: tuple[int, ...],
    outage: BoolArray,
) -> SeasonalModel | None:
    """Fit a shape from the whole cycles ending at `b0`; None with fewer than 2 cycles.

    `outage` marks buckets of reported outages: kept out of the tail calibration too.
    """
    rows = min(max_cycles(period), b0 // period)
    if rows < 2:
        return None
    lo = b0 - rows * period
    raw = grid.values[lo:b0].reshape(rows, period)
    flagged = ~usable[lo:b0].reshape(rows, period) & ~np.isnan(raw)
    # A slot flagged in several cycles is a pattern the shape must learn, not an anomaly
    # to keep out (else it is flagged again every cycle, forever).
    recurring = np.sum(flagged, axis=0) >= 2
    hist = np.where(flagged & ~recurring[None, :], np.nan, raw)
    bad = np.sum(~np.isnan(hist), axis=1) < period / 2
    hist[bad] = np.nan
    cycles = rows - int(np.count_nonzero(bad))
    if cycles < 2:
        return None
    valid = hist[~np.isnan(hist)]
    multiplicative, row_level = _row_levels(hist, grid.is_count or float(np.min(valid)) >= 0)
    normalised = hist / row_level[:, None] if multiplicative else hist - row_level[:, None]
    # Put the shape on a unit scale (median slot 1, or 0 when additive) so levels estimated
    # under successive refits stay comparable (the level-shift test compares them).
    centre = median(column_nanmedian(normalised)[~np.all(np.isnan(normalised), axis=0)])
    if multiplicative:
        if centre > 0:
            normalised, row_level = normalised / centre, row_level * centre
    else:
        normalised, row_level = normalised - centre, row_level + centre
    good_levels = row_level[~bad]
    neutral = 1.0 if multiplicative else 0.0
    cols = _fill_empty_slots(column_nanmedian(normalised), neutral)
    # Column j of the history holds absolute phase (first_index + lo + j) mod period.
    roll = (grid.first_index + lo) % period
    model = SeasonalModel(
        period=period,
        shape=np.roll(cols, roll),
        multiplicative=multiplicative,
        excess=0.0,
        magnitude=median(np.abs(valid)),
        fallback_level=float(good_levels[-1]),
        cycles=cycles,
        level_window=level_window,
        inflation=(),
        min_slot=_LEVEL_SLOT_SHARE * median(cols) if multiplicative else -np.inf,
        resolution=resolution(valid),
        zero_share=zero_share(valid),
    )
    return _calibrate(model, grid, usable, outage, b0, normalised, bad, trend_sizes)


def _row_levels(hist: FloatArray, non_negative: bool) -> tuple[bool, FloatArray]:
    """Each cycle's level relative to the typical cycle, slot by slot.

    Comparing slot to slot (not the cycles' plain medians) keeps a cycle with a few missing
    buckets from looking higher or lower than it is. Multiplicative when the series is
    non-negative and every cycle's level is positive; additive otherwise.
    """
    typical = column_nanmedian(hist)
    if non_negative:
        busy = typical > _LEVEL_SLOT_SHARE * np.nanmedian(typical)
        if np.any(busy):
            with np.errstate(over="ignore"):  # subnormal slots: an infinite level is no level
                levels = column_nanmedian((hist[:, busy] / typical[busy]).T)
            good = levels[~np.isnan(levels)]
            if good.size and np.all(good > 0) and np.all(np.isfinite(good)):
                return True, levels
    return False, column_nanmedian((hist - typical).T)


def _fill_empty_slots(cols: FloatArray, neutral: float) -> FloatArray:
    """Slots with no usable value (e.g. flagged every cycle) take their nearest neighbours'
    mean: a neutral value there would make the slot look anomalous forever."""
    empty = np.isnan(cols)
    if not np.any(empty):
        return cols
    if np.all(empty):
        return np.full(cols.shape, neutral)
    known = np.flatnonzero(~empty)
    period = cols.size
    # Circular interpolation between the known slots on either side.
    xs = np.concatenate([known - period, known, known + period])
    ys = np.tile(cols[known], 3)
    filled = cols.copy()
    filled[empty] = np.interp(np.flatnonzero(empty), xs, ys)
    return filled


def _calibrate(
    model: SeasonalModel,
    grid: GridSeries,
    usable: BoolArray,
    outage: BoolArray,
    b0: int,
    normalised: FloatArray,
    bad: BoolArray,
    trend_sizes: tuple[int, ...],
) -> SeasonalModel:
    """Measure the spread on honest residuals of the last cycles.

    The spread's core (excess over the floor) comes from usable buckets only, so past
    anomalies never widen it; its tails are checked against every valid bucket but outages:
    a series that breaks its band far more often than a normal would is not that anomalous,
    its band is too narrow (bursty or heavy-tailed noise).
    """
    rows, period = normalised.shape
    lo = b0 - rows * period
    tail = min(rows, max(2, -(-_RESIDUAL_BUCKETS // period)))
    # Leave-one-cycle-out shapes for the residual cycles.
    loo = np.full((tail, period), np.nan)
    for k in range(rows - tail, rows):
        if not bad[k]:
            loo[k - rows + tail] = column_nanmedian(np.delete(normalised, k, axis=0))
    start = b0 - tail * period
    reach = max(0, start - 4 * model.level_window)
    positions, ratios = _level_points(model, grid, usable, reach, b0)
    seen = ~np.isnan(grid.values[start:b0]) & ~outage[start:b0]
    targets = np.flatnonzero(seen) + start
    k = np.searchsorted(positions, targets)  # level points strictly before each target
    level = _level_before(ratios, k, model.level_window)
    rel = targets - lo
    shape = loo[rel // period - (rows - tail), rel % period]
    keep = ~np.isnan(shape) & ~np.isnan(level)
    targets, shape, level = targets[keep], shape[keep], level[keep]
    expected = shape * level if model.multiplicative else shape + level
    if grid.is_count:
        expected = np.maximum(expected, 0.0)
    floors = floor_sq(
        expected, dens_at(grid, targets), grid.is_count, model.magnitude, model.estimate_share
    )
    scale = np.abs(expected) if model.multiplicative else np.ones_like(expected)
    residuals = grid.values[targets] - expected
    clean = usable[targets]
    excess = excess_scale(residuals[clean], floors[clean], scale[clean])
    spread = spread_of(
        floors, excess * scale, min_spread(grid.is_count, model.magnitude, model.resolution)
    )
    standardized = residuals / spread
    widen = tail_factor(standardized)
    inflation = window_inflation(standardized[clean] / widen, trend_sizes)
    return dataclasses.replace(model, excess=excess, inflation=inflation, tail=widen)


def _level_before(ratios: FloatArray, k: IntArray, width: int) -> FloatArray:
    """Median of the `width` level ratios before each target (NaN when too few)."""
    out = np.full(k.shape, np.nan)
    has_level = k >= MIN_LEVEL_POINTS
    if ratios.size == 0:
        return out
    # trailing_medians(...)[j] = median(ratios[j-width:j]); index k is one past the end.
    extended = trailing_medians(np.append(ratios, np.nan), width)
    out[has_level] = extended[k[has_level]]
    return out


def _level_points(
    model: SeasonalModel, grid: GridSeries, usable: BoolArray, lo: int, hi: int
) -> tuple[IntArray, FloatArray]:
    """Positions in [lo, hi) that can inform the level, and each one's level ratio."""
    positions = np.flatnonzero(usable[lo:hi]) + lo
    shapes = model.shape[(grid.first_index + positions) % model.period]
    if model.multiplicative:
        # A slot whose shape is ~0 carries no information about the level.
        ok = (shapes >= model.min_slot) & (shapes > 0)
        positions, shapes = positions[ok], shapes[ok]
        return positions, grid.values[positions] / shapes
    return positions, grid.values[positions] - shapes


def seasonal_baseline(
    model: SeasonalModel, grid: GridSeries, usable: BoolArray, t: int, rebase: int
) -> Baseline:
    """Expected value and spread of bucket `t` under a fitted seasonal model."""
    width = model.level_window
    lo = max(rebase, t - 4 * width, 0)
    _, ratios = _level_points(model, grid, usable, lo, t)
    ratios = ratios[-width:]
    n_level = int(ratios.size)
    level = median(ratios) if n_level >= MIN_LEVEL_POINTS else model.fallback_level
    shape = float(model.shape[(grid.first_index + t) % model.period])
    expected = shape * level if model.multiplicative else shape + level
    if grid.is_count:
        expected = max(expected, 0.0)
    floors = floor_sq(
        np.array([expected]),
        dens_at(grid, slice(t, t + 1)),
        grid.is_count,
        model.magnitude,
        model.estimate_share,
    )
    scale = abs(expected) if model.multiplicative else 1.0
    # The honest residuals already carry the noise of a full level window; a shorter one
    # (just after a shift, or after gaps) is noisier.
    widen = level_noise_factor(max(n_level, MIN_LEVEL_POINTS)) / level_noise_factor(width)
    minimum = min_spread(grid.is_count, model.magnitude, model.resolution)
    spread = float(spread_of(floors, model.excess * scale, minimum, widen)[0])
    return Baseline(
        expected,
        spread * model.tail,
        level,
        model.multiplicative,
        DetectorName.SEASONAL,
        model.inflation,
        model.zero_share,
    )
