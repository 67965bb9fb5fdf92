"""The walk: score buckets oldest first, each only against data before it.

`tripl detect` and `tripl backtest` both run this loop; detect just starts it shortly before
its window. Seasonal shapes are refitted at grid-aligned block boundaries (so a bucket gets
the same model whoever asks), levels and spreads per bucket.
"""

from __future__ import annotations

import logging
from functools import partial

from tripl_cli.detect.baseline import (
    FULL_CYCLES,
    Baseline,
    SeasonalModel,
    fit_seasonal,
    seasonal_baseline,
)
from tripl_cli.detect.episodes import observe_point
from tripl_cli.detect.grid import BoolArray
from tripl_cli.detect.recovery import recovered_baseline
from tripl_cli.detect.rolling import rolling_baseline
from tripl_cli.detect.state import WalkContext, WalkState
from tripl_cli.detect.trend import observe_trend

logger = logging.getLogger(__name__)


def walk(ctx: WalkContext, start: int, stop: int, report_from: int | None = None) -> WalkState:
    """Score positions [start, stop) of `ctx.grid`; earlier positions are plain history.

    Warnings are only collected from `report_from` on (detect's warm-up is silent).
    """
    report_from = start if report_from is None else report_from
    profile = ctx.profile
    st = WalkState.start(ctx.grid, len(profile.trend_windows))
    model: SeasonalModel | None = None
    start = max(start, 0)
    block_end = start
    for t in range(start, min(stop, len(ctx.grid))):
        if t >= block_end:
            # Fit at the grid-aligned block start, as a walk from the beginning would have.
            block = profile.block if _young(ctx, model) else profile.long_block
            offset = (ctx.grid.first_index + t) % block
            b0 = t - offset if t == start else t
            previous = None if model is None else model.period
            model = _choose_model(ctx, st, b0, warn=b0 + block > report_from)
            baseline_at = partial(_baseline, ctx, st, model)  # (t, usable, rebase)
            if (None if model is None else model.period) != previous:
                # Errors before and after a change of model do not add up to a shift.
                st.trend_floor = max(st.trend_floor, t)
            block = profile.block if _young(ctx, model) else profile.long_block
            block_end = b0 + block - (ctx.grid.first_index + b0) % block
        if not st.usable[t]:
            continue  # a gap: nothing to score
        base = baseline_at(t, st.usable, st.rebase)
        if base is None:
            st.learning += 1
            continue
        if st.shift is not None:
            base = recovered_baseline(st, ctx, t, base, baseline_at) or base
        _record(st, t, base)
        observe_point(st, ctx, t, base)
        observe_trend(st, ctx, t, baseline_at)
    return st


def _young(ctx: WalkContext, model: SeasonalModel | None) -> bool:
    """Whether a better model may become possible soon (refit at the short block)."""
    periods = ctx.profile.periods
    if not periods:
        return False
    return model is None or model.period != periods[0] or model.cycles < FULL_CYCLES


def _baseline(
    ctx: WalkContext,
    st: WalkState,
    model: SeasonalModel | None,
    t: int,
    usable: BoolArray,
    rebase: int,
) -> Baseline | None:
    """Bucket `t`'s baseline from the `usable` buckets, its level from `rebase` on."""
    if model is not None:
        return seasonal_baseline(model, ctx.grid, usable, t, rebase)
    s = ctx.settings
    return rolling_baseline(
        ctx.grid,
        usable,
        t,
        rebase,
        s.baseline_window,
        s.min_history,
        ctx.profile.trend_sizes,
        st.outage,
    )


def _record(st: WalkState, t: int, base: Baseline) -> None:
    st.scored[t] = True
    st.expected[t] = base.expected
    st.spread[t] = base.spread
    st.level[t] = base.level
    st.multiplicative[t] = base.multiplicative
    st.inflation[t] = base.inflation


def _choose_model(ctx: WalkContext, st: WalkState, b0: int, *, warn: bool) -> SeasonalModel | None:
    """The longest period with 2+ full cycles (a warning below 3), else None (rolling).

    Longest first: a daily shape cannot know weekends, and would call every Saturday a
    level shift.
    """
    profile = ctx.profile
    for period in profile.periods:
        model = fit_seasonal(
            ctx.grid, st.usable, b0, period, profile.level_window, profile.trend_sizes, st.outage
        )
        if model is None:
            continue
        if model.cycles < FULL_CYCLES and warn:
            st.warnings.add(
                f"seasonal baseline (period {model.period} buckets) uses only "
                f"{model.cycles} cycles; {FULL_CYCLES} make it reliable"
            )
        return model
    return None
