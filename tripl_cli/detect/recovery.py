"""The end of a level shift: a return to the level before it is a recovery, not news.

A confirmed shift becomes the baseline (trend.py), but many end within hours or days: an
outage of a few hours, a one-day campaign. Measured against the new level, the return would
alert as a spike or a drop (or a shift) of its own. While a shift is recent (`Shift.until`), a
return is checked against the level before it, its buckets left out: a single bucket beyond the
band on the side the shift came from that is normal for the old level
(`recovered_baseline`), or a window that moves back as a shift would and is no shift against
the old level (`returns_to_old_level`). Either ends the shift (`end_shift`): its buckets leave
the baseline, as an episode's do, and the old level is back.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from tripl_cli.detect.baseline import Baseline
from tripl_cli.detect.grid import BoolArray, IntArray
from tripl_cli.detect.state import Shift, WalkContext, WalkState

#: How long after its start a shift can still end in a recovery, in longest shift windows
#: (hourly: 4 days); after that the new level is the normal one, and leaving it is news.
RECOVERY_WINDOWS = 4

#: Bucket t's baseline from the given usable buckets, its level from the given rebase.
BaselineAt = Callable[[int, BoolArray, int], Baseline | None]


def start_shift(st: WalkState, ctx: WalkContext, start: int, sign: int) -> None:
    """The new regime is the baseline from `start` on; remember the old one for a while.

    Not after another recent shift: the old level was itself a passing one, and a spiky
    series would bounce back to it (measured on NAB's ec2_cpu_utilization_fe7f93).
    """
    until = start + RECOVERY_WINDOWS * max(ctx.profile.trend_sizes)
    recent = _recent(st, start) is not None
    st.shift = None if recent else Shift(start, sign, st.rebase, until)
    st.rebase = start


def recovered_baseline(
    st: WalkState, ctx: WalkContext, t: int, base: Baseline, baseline_at: BaselineAt
) -> Baseline | None:
    """The old level's baseline, if bucket `t` leaves the new level's band back to it (and
    the shift is then over); None otherwise."""
    shift = _recent(st, t)
    if shift is None:
        return None
    actual = float(ctx.grid.values[t])
    sigma = ctx.settings.sigma
    if shift.sign * (actual - base.expected) > -sigma * base.spread:
        return None
    before = baseline_at(t, _without(st.usable, shift, t), shift.rebase_before)
    if before is None or abs(actual - before.expected) >= sigma * before.spread:
        return None
    end_shift(st, ctx, t - 1, t)
    return before


def returns_to_old_level(
    st: WalkState,
    ctx: WalkContext,
    idx: IntArray,
    sign: int,
    inflation: float,
    baseline_at: BaselineAt,
) -> bool:
    """Whether the shift window `idx` (sign `sign`) moves back to the old level: the same
    combined score that confirms a shift stays below sigma against it."""
    first = int(idx[0])
    shift = _recent(st, first)
    if shift is None or sign == shift.sign:
        return False
    ep = st.episode
    if ep is not None and ep.sign == sign and ep.finding is not None:
        return False  # the way back was already reported: the shift stands
    usable = _without(st.usable, shift, first)
    z = np.empty(idx.size)
    for k, i in enumerate(idx):
        before = baseline_at(int(i), usable, shift.rebase_before)
        if before is None:
            return False
        z[k] = (ctx.grid.values[i] - before.expected) / before.spread
        usable[i] = True  # later buckets of the window see it, as the walk would have
    sigma = ctx.settings.sigma
    combined = float(np.sum(np.clip(z, -sigma, sigma))) / math.sqrt(idx.size) / inflation
    return abs(combined) < sigma


def end_shift(st: WalkState, ctx: WalkContext, last: int, back: int) -> None:
    """The shift is over: its buckets before `back` leave the baseline, those from `back`
    to `last` (the way back, if any) rejoin it, and the old level is the baseline again."""
    shift = st.shift
    assert shift is not None
    st.usable[shift.start : back] = False
    span = slice(back, last + 1)
    st.usable[span] = ~np.isnan(ctx.grid.values[span]) & ~st.outage[span]
    st.rebase = shift.rebase_before
    st.trend_floor = max(st.trend_floor, last + 1)
    st.shift = None
    st.episode = None


def _recent(st: WalkState, t: int) -> Shift | None:
    """The last shift, if bucket `t` can still end it."""
    if st.shift is not None and t > st.shift.until:
        st.shift = None
    return st.shift


def _without(usable: BoolArray, shift: Shift, upto: int) -> BoolArray:
    """`usable` without the shift's buckets before `upto`."""
    out = usable.copy()
    out[shift.start : upto] = False
    return out
