"""The mutable state of one walk over one series, and the anomalies it has found."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tripl_cli.detect.grid import BoolArray, FloatArray, GridSeries, IntervalProfile
from tripl_cli.detect.settings import DetectionSettings
from tripl_cli.types import Anomaly, DetectorName, Direction

#: Scores stay finite (JSON has no infinity); only an overflowing one is cut to this.
_SCORE_MAX = 1e300


@dataclass(frozen=True)
class WalkContext:
    grid: GridSeries
    settings: DetectionSettings
    profile: IntervalProfile
    metric: str
    breakdown: tuple[str, str]


@dataclass
class Episode:
    """Consecutive unusual buckets of one sign: one event, reported at most once."""

    start: int
    sign: int
    outage: bool
    misses: int = 0
    #: Index into WalkState.findings once the episode has been reported.
    finding: int | None = None


@dataclass(frozen=True)
class Shift:
    """The last confirmed level shift, while a return to the level before it is a recovery."""

    start: int
    sign: int
    #: `WalkState.rebase` before the shift: where the old regime's level came from.
    rebase_before: int
    #: The last bucket whose return to the old level ends the shift instead of alerting.
    until: int


@dataclass
class Finding:
    anomaly: Anomaly
    position: int
    #: The bucket at whose scoring the anomaly first became known (detection delay).
    detected_at: int


@dataclass
class WalkState:
    usable: BoolArray
    scored: BoolArray
    outage: BoolArray
    expected: FloatArray
    spread: FloatArray
    level: FloatArray
    multiplicative: BoolArray
    #: Per bucket and level-shift window: the correlated-error widening of a window's sum.
    inflation: FloatArray
    #: Level estimates only use buckets from here (the start of the last confirmed shift).
    rebase: int = 0
    #: Level-shift windows may not start before here (one report per shift).
    trend_floor: int = 0
    shift: Shift | None = None
    episode: Episode | None = None
    findings: list[Finding] = field(default_factory=list)
    learning: int = 0
    warnings: set[str] = field(default_factory=set)

    @classmethod
    def start(cls, grid: GridSeries, windows: int) -> WalkState:
        n = len(grid)
        return cls(
            usable=~np.isnan(grid.values),
            scored=np.zeros(n, dtype=bool),
            outage=np.zeros(n, dtype=bool),
            expected=np.full(n, np.nan),
            spread=np.full(n, np.nan),
            level=np.full(n, np.nan),
            multiplicative=np.zeros(n, dtype=bool),
            inflation=np.ones((n, windows)),
        )

    def report(
        self,
        ctx: WalkContext,
        t: int,
        *,
        expected: float,
        spread: float,
        score: float,
        detector: DetectorName,
        detected_at: int,
    ) -> int:
        """Record an anomaly at bucket `t`; returns its index in `findings`."""
        actual = float(ctx.grid.values[t])
        sigma = ctx.settings.sigma
        lower = expected - sigma * spread
        if ctx.grid.is_count:
            lower = max(lower, 0.0)
        anomaly = Anomaly(
            metric=ctx.metric,
            bucket=ctx.grid.bucket(t),
            actual=actual,
            expected=float(expected),
            lower=float(lower),
            upper=float(expected + sigma * spread),
            # Finite, for JSON: a spread of subnormal values makes any change "infinite".
            score=round(float(np.clip(score, -_SCORE_MAX, _SCORE_MAX)), 6),
            direction=Direction.SPIKE if actual > expected else Direction.DROP,
            detector=detector,
            breakdown=ctx.breakdown,
        )
        self.findings.append(Finding(anomaly, t, detected_at))
        return len(self.findings) - 1
