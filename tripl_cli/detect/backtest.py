"""Summaries of a backtest: how many anomalies and incidents a metric would have raised."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tripl_cli.detect.result import SeriesResult


@dataclass(frozen=True)
class BacktestSummary:
    status: str
    scored_buckets: int
    anomalies: int
    #: Anomalies by detector name (`seasonal`, `rolling`, `trend`, `outage`).
    by_detector: tuple[tuple[str, int], ...]
    spikes: int
    drops: int


def summarize(result: SeriesResult) -> BacktestSummary:
    """Counts for `tripl backtest`'s per-metric table.

    Each anomaly is already one incident: consecutive unusual buckets of one event are
    reported once by the detector.
    """
    detectors = Counter(a.detector.value for a in result.anomalies)
    spikes = sum(1 for a in result.anomalies if a.direction.value == "spike")
    return BacktestSummary(
        status=result.status,
        scored_buckets=len(result.scored_buckets),
        anomalies=len(result.anomalies),
        by_detector=tuple(sorted(detectors.items())),
        spikes=spikes,
        drops=len(result.anomalies) - spikes,
    )
