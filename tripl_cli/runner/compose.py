"""Compositions, computed bucket by bucket from other metrics' stored series (SPEC §3.4)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from tripl_cli.project.schema import CompositionMetric
from tripl_cli.timegrid import Window
from tripl_cli.types import MetricValue, SeriesPoint


def _by_bucket(points: list[SeriesPoint], window: Window) -> dict[datetime, float]:
    return {p.bucket: p.value for p in points if p.value is not None and window.contains(p.bucket)}


def compose(
    metric: CompositionMetric,
    window: Window,
    numerator: list[SeriesPoint],
    divisor: list[SeriesPoint] | Mapping[datetime, float],
) -> list[MetricValue]:
    """numerator / divisor per bucket; a bucket without both, or with a 0 divisor, is a gap."""
    num = _by_bucket(numerator, window)
    den = dict(divisor) if isinstance(divisor, Mapping) else _by_bucket(divisor, window)
    out: list[MetricValue] = []
    for bucket in sorted(num.keys() & den.keys()):
        if not den[bucket]:
            continue
        out.append(
            MetricValue(
                metric.name,
                bucket,
                num[bucket] / den[bucket],
                numerator=num[bucket],
                denominator=den[bucket],
            )
        )
    return out
