"""Compositions, computed bucket by bucket from other metrics' stored series (SPEC §3.4)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    *,
    zero_at: Callable[[datetime], bool] = lambda _bucket: False,
) -> list[MetricValue]:
    """numerator / divisor per bucket; a bucket without both, or with a 0 divisor, is a gap
    — except that an absent numerator bucket where `zero_at` says so is 0: a count numerator
    collected over it stores no bucket where no row matched, as a fact ratio's numerator
    counts 0 there (docs/compiler.md)."""
    num = _by_bucket(numerator, window)
    den = dict(divisor) if isinstance(divisor, Mapping) else _by_bucket(divisor, window)
    out: list[MetricValue] = []
    for bucket in sorted(den):
        top = num.get(bucket)
        if top is None and zero_at(bucket):
            top = 0.0
        bottom = den[bucket]
        if top is None or not bottom:
            continue
        ratio = top / bottom
        out.append(MetricValue(metric.name, bucket, ratio, numerator=top, denominator=bottom))
    return out
