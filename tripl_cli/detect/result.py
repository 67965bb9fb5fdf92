"""What scoring one series returns."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tripl_cli.detect.state import WalkContext, WalkState
from tripl_cli.types import Anomaly, Direction

SeriesStatus = Literal["ok", "learning", "disabled"]


@dataclass(frozen=True)
class Band:
    """The expected value and the normal band of one scored bucket (charts, alerts)."""

    bucket: datetime
    expected: float
    lower: float
    upper: float


@dataclass(frozen=True)
class SeriesResult:
    status: SeriesStatus
    anomalies: tuple[Anomaly, ...]
    #: Buckets the detector actually scored (settled, with a value and enough history).
    scored_buckets: tuple[datetime, ...]
    warnings: tuple[str, ...]
    #: One band per scored bucket, same order as `scored_buckets`.
    bands: tuple[Band, ...] = ()
    #: Parallel to `anomalies`: the bucket whose scoring revealed each one (a level shift is
    #: dated at its start but known only once it has persisted).
    detected_at: tuple[datetime, ...] = ()
    #: The direction of a reported episode still open after the last scored bucket: quiet
    #: buckets within `episode_gap` do not end it, so its incident must not resolve yet.
    open_episode: Direction | None = None

    @property
    def anomalous_now(self) -> bool:
        """Whether the series is anomalous at its newest scored bucket: an anomaly there (or
        revealed there: a level shift dated at its start), or a reported episode going on."""
        if self.open_episode is not None:
            return True
        if not self.scored_buckets:
            return False
        newest = self.scored_buckets[-1]
        return newest in self.detected_at or any(a.bucket == newest for a in self.anomalies)


def disabled_result() -> SeriesResult:
    return SeriesResult("disabled", (), (), ())


def learning_result(warnings: tuple[str, ...] = ()) -> SeriesResult:
    return SeriesResult("learning", (), (), warnings)


def build_result(ctx: WalkContext, st: WalkState, lo: int, hi: int) -> SeriesResult:
    """Collect the walk's output for positions [lo, hi)."""
    grid = ctx.grid
    sigma = ctx.settings.sigma
    scored = [t for t in range(max(lo, 0), min(hi, len(grid))) if st.scored[t]]
    bands = tuple(_band(ctx, st, t, sigma) for t in scored)
    findings = sorted((f for f in st.findings if lo <= f.position < hi), key=lambda f: f.position)
    warnings = sorted(st.warnings)
    if not scored and st.learning:
        warnings.append("not enough history yet: this series is learning and cannot alert")
        return learning_result(tuple(warnings))
    return SeriesResult(
        status="ok",
        anomalies=tuple(f.anomaly for f in findings),
        scored_buckets=tuple(grid.bucket(t) for t in scored),
        warnings=tuple(warnings),
        bands=bands,
        detected_at=tuple(grid.bucket(f.detected_at) for f in findings),
        open_episode=_open_episode(st),
    )


def _open_episode(st: WalkState) -> Direction | None:
    episode = st.episode
    if episode is None or episode.finding is None:
        return None
    return Direction.SPIKE if episode.sign > 0 else Direction.DROP


def _band(ctx: WalkContext, st: WalkState, t: int, sigma: float) -> Band:
    expected = float(st.expected[t])
    spread = float(st.spread[t])
    lower = expected - sigma * spread
    if ctx.grid.is_count:
        lower = max(lower, 0.0)
    if math.isnan(lower):
        lower = expected
    return Band(ctx.grid.bucket(t), expected, lower, expected + sigma * spread)
