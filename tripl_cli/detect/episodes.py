"""Point anomalies grouped into episodes: a spike, a drop or an outage is reported once.

A bucket with |z| >= sigma is *flagged*: it leaves the baseline and opens (or extends) an
episode of its sign. Later buckets of the same sign with |z| >= sigma/2 keep the episode open
(and out of the baseline); after `episode_gap` quiet buckets it closes. A flagged drop to zero
opens an *outage*, which every following zero extends, however small its expected value. An
outage never becomes the new baseline, so recovery does not alert. Only a series that is rarely
zero can have an outage: where zeros are routine (sparse counts, idle utilisation) a zero is
just a low value, scored like any other.
"""

from __future__ import annotations

import dataclasses

from tripl_cli.detect.baseline import Baseline
from tripl_cli.detect.gates import passes_gates
from tripl_cli.detect.state import Episode, WalkContext, WalkState
from tripl_cli.types import DetectorName

#: A zero can only be an outage when at most this share of the baseline's history is zero.
MAX_OUTAGE_ZERO_SHARE = 0.01


def observe_point(st: WalkState, ctx: WalkContext, t: int, base: Baseline) -> None:
    """Update episodes and exclusions after scoring bucket `t`."""
    actual = float(ctx.grid.values[t])
    z = (actual - base.expected) / base.spread
    sigma = ctx.settings.sigma
    sign = 1 if z > 0 else -1
    ep = st.episode
    if ep is not None and ep.outage:
        if actual == 0:
            _exclude(st, t, outage=True)
            _maybe_report(st, ctx, ep, t, base, z)
            return
        st.episode = ep = None  # the outage is over; score this bucket normally
    if abs(z) >= sigma:
        if ep is None or ep.sign != sign:
            outage = actual == 0 and sign < 0 and base.zero_share <= MAX_OUTAGE_ZERO_SHARE
            ep = st.episode = Episode(start=t, sign=sign, outage=outage)
        ep.misses = 0
        _exclude(st, t, outage=ep.outage)
        _maybe_report(st, ctx, ep, t, base, z)
        return
    if ep is None:
        return
    if sign == ep.sign and abs(z) >= sigma / 2:
        ep.misses = 0
        _exclude(st, t, outage=False)
        return
    ep.misses += 1
    if ep.misses > ctx.profile.episode_gap:
        st.episode = None


def _exclude(st: WalkState, t: int, *, outage: bool) -> None:
    st.usable[t] = False
    if outage:
        st.outage[t] = True


def _maybe_report(
    st: WalkState, ctx: WalkContext, ep: Episode, t: int, base: Baseline, z: float
) -> None:
    """Report the episode at its first bucket that passes the reporting gates."""
    if ep.finding is not None or abs(z) < ctx.settings.sigma:
        return
    den = None if ctx.grid.denominators is None else float(ctx.grid.denominators[t])
    ok = passes_gates(
        ctx.settings,
        actual=float(ctx.grid.values[t]),
        expected=base.expected,
        is_count=ctx.grid.is_count,
        denominator=den,
    )
    if not ok:
        return
    detector = DetectorName.OUTAGE if ep.outage else base.detector
    ep.finding = st.report(
        ctx,
        t,
        expected=base.expected,
        spread=base.spread,
        score=z,
        detector=detector,
        detected_at=t,
    )


def relabel_as_trend(st: WalkState, index: int) -> None:
    finding = st.findings[index]
    finding.anomaly = dataclasses.replace(finding.anomaly, detector=DetectorName.TREND)
