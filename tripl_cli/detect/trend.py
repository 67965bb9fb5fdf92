"""Level shifts: a persistent move is reported once (detector `trend`), then re-based.

After each bucket the walk asks whether the last K scored buckets, measured against the level
known *before* the window, moved together: every bucket (but `misses`) at least sigma/sqrt(K)
the same way and the combined score sum(clip(z, ±sigma))/sqrt(K) at least sigma. Clipping
keeps one huge spike from passing as a shift; the short window catches big shifts fast, the
long one smaller shifts that single buckets cannot. On a shift the open episode (if it is the
same event) is relabelled `trend`, and the level is re-estimated from the shift on: the new
regime becomes the baseline, so it does not alert again bucket after bucket.

A shift can also end soon after (recovery.py): then the return is no news of its own.
"""

from __future__ import annotations

import math

import numpy as np

from tripl_cli.detect.episodes import relabel_as_trend
from tripl_cli.detect.gates import passes_gates
from tripl_cli.detect.grid import FloatArray, IntArray
from tripl_cli.detect.recovery import BaselineAt, end_shift, returns_to_old_level, start_shift
from tripl_cli.detect.state import WalkContext, WalkState
from tripl_cli.types import DetectorName

_MIN_LAST_Z = 1.0


def observe_trend(st: WalkState, ctx: WalkContext, t: int, baseline_at: BaselineAt) -> None:
    """Check the level-shift windows ending at bucket `t` (already scored)."""
    if st.episode is not None and st.episode.outage:
        return
    # Cheap pre-check: a window ending on a bucket that sits on its baseline has no
    # shift to confirm yet (the next moved bucket will ask again).
    z = (ctx.grid.values[t] - st.expected[t]) / st.spread[t]
    if abs(z) < _MIN_LAST_Z:
        return
    for which, (size, misses) in enumerate(ctx.profile.trend_windows):
        if _try_window(st, ctx, t, which, size, misses, baseline_at):
            return


def _try_window(
    st: WalkState,
    ctx: WalkContext,
    t: int,
    which: int,
    size: int,
    misses: int,
    baseline_at: BaselineAt,
) -> bool:
    lo = max(st.trend_floor, t - 2 * size + 1, 0)
    if t + 1 - lo < size:
        return False
    window = st.scored[lo : t + 1] & ~st.outage[lo : t + 1]
    idx = (np.flatnonzero(window) + lo)[-size:]
    if idx.size < size or idx[-1] != t:
        return False
    expected = _expected_at_window_start(st, idx)
    with np.errstate(over="ignore", invalid="ignore"):
        z = (ctx.grid.values[idx] - expected) / st.spread[idx]
    if not np.all(np.isfinite(z)):
        return False  # a level near 0 re-leveled past float range: no evidence either way
    sigma = ctx.settings.sigma
    # Correlated errors (a lagging level) make sums run wider than sqrt(K) under no change.
    inflation = float(st.inflation[idx[0], which])
    if math.isnan(inflation):
        return False  # the baseline is too young to know how its errors correlate
    combined = float(np.sum(np.clip(z, -sigma, sigma))) / math.sqrt(size) / inflation
    if abs(combined) < sigma:
        return False
    sign = 1 if combined > 0 else -1
    strong = int(np.count_nonzero(sign * z >= sigma * inflation / math.sqrt(size)))
    if size - strong > misses:
        return False
    if returns_to_old_level(st, ctx, idx, sign, inflation, baseline_at):
        end_shift(st, ctx, t, int(idx[0]))
    else:
        _confirm(st, ctx, t, idx, expected, combined, sign)
    return True


def _expected_at_window_start(st: WalkState, idx: IntArray) -> FloatArray:
    """Each bucket's expected value re-leveled to the level known at the window's start.

    Later buckets' own levels already drifted toward the new regime; comparing against the
    level before the window keeps a real shift from hiding itself.
    """
    first = int(idx[0])
    ref = st.level[first]
    levels = st.level[idx]
    expected = st.expected[idx].copy()
    same_mode = st.multiplicative[idx] == st.multiplicative[first]
    if st.multiplicative[first]:
        ok = same_mode & (levels != 0)
        with np.errstate(over="ignore", invalid="ignore"):  # subnormal levels; see caller
            expected[ok] = expected[ok] * (ref / levels[ok])
    else:
        expected[same_mode] = expected[same_mode] + (ref - levels[same_mode])
    return expected


def _confirm(
    st: WalkState,
    ctx: WalkContext,
    t: int,
    idx: IntArray,
    expected: FloatArray,
    combined: float,
    sign: int,
) -> None:
    first = int(idx[0])
    start = first
    ep = st.episode
    same_event = ep is not None and not ep.outage and ep.sign == sign
    if ep is not None and same_event:
        start = min(start, ep.start)
    if ep is not None and same_event and ep.finding is not None:
        relabel_as_trend(st, ep.finding)
    elif _window_passes_gates(ctx, idx, expected):
        st.report(
            ctx,
            first,
            expected=float(expected[0]),
            spread=float(st.spread[first]),
            score=combined,
            detector=DetectorName.TREND,
            detected_at=t,
        )
    # The new regime is the baseline from its start on (outages stay excluded).
    span = slice(start, t + 1)
    st.usable[span] = ~np.isnan(ctx.grid.values[span]) & ~st.outage[span]
    start_shift(st, ctx, start, sign)
    st.trend_floor = t + 1
    st.episode = None


def _window_passes_gates(ctx: WalkContext, idx: IntArray, expected: FloatArray) -> bool:
    dens = ctx.grid.denominators
    return passes_gates(
        ctx.settings,
        actual=float(np.mean(ctx.grid.values[idx])),
        expected=float(np.mean(expected)),
        is_count=ctx.grid.is_count,
        denominator=None if dens is None else float(np.nanmean(dens[idx])),
    )
