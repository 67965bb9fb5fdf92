"""The geometry of one SVG chart of the HTML report: pure numbers, no markup.

The template draws it: a polyline per run of consecutive buckets (a gap breaks the line), the
detector's band as shaded polygons, anomalies as red circles. Only numbers and plain text leave
this module, so the template's autoescaping covers every string that reaches the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tripl_cli.detect import Band
from tripl_cli.textfmt import fmt_bucket, fmt_number
from tripl_cli.timegrid import Interval
from tripl_cli.types import Anomaly, SeriesPoint

WIDTH, HEIGHT = 760, 190
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 10, 22
#: How far a band may widen the value axis, as a share of the values' own range: a wild band
#: on a quiet series must not flatten the line into the axis.
_BAND_ROOM = 0.5


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    title: str
    direction: str  # spike / drop


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: tuple[str, ...]  # SVG `points` of each polyline
    bands: tuple[str, ...]  # SVG `points` of each band polygon
    markers: tuple[Marker, ...]
    dots: tuple[tuple[float, float], ...]  # isolated points (no neighbour to draw a line to)
    y_top: str  # axis labels
    y_bottom: str
    x_first: str
    x_last: str
    plot_left: int = _LEFT
    plot_right: int = WIDTH - _RIGHT
    plot_top: int = _TOP
    plot_bottom: int = HEIGHT - _BOTTOM


def _value_range(values: Sequence[float], bands: Sequence[Band]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    span = hi - lo or abs(hi) or 1.0
    if bands:
        lo = max(min(lo, min(b.lower for b in bands)), lo - _BAND_ROOM * span)
        hi = min(max(hi, max(b.upper for b in bands)), hi + _BAND_ROOM * span)
    if hi == lo:
        lo, hi = lo - span / 2, hi + span / 2
    return lo, hi


def _runs(indexes: Sequence[int]) -> list[list[int]]:
    """Consecutive runs: [1, 2, 3, 7, 8] → [[1, 2, 3], [7, 8]]."""
    runs: list[list[int]] = []
    for i in indexes:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


class _Scale:
    def __init__(self, first: datetime, interval: Interval, slots: int, lo: float, hi: float):
        self.first, self.interval, self.slots, self.lo, self.hi = first, interval, slots, lo, hi

    def index(self, bucket: datetime) -> int:
        return round((bucket - self.first) / self.interval.delta)

    def x(self, index: int) -> float:
        width = WIDTH - _LEFT - _RIGHT
        return _LEFT + (index / (self.slots - 1) * width if self.slots > 1 else width / 2)

    def y(self, value: float) -> float:
        clipped = min(max(value, self.lo), self.hi)
        return _TOP + (1 - (clipped - self.lo) / (self.hi - self.lo)) * (HEIGHT - _TOP - _BOTTOM)

    def point(self, index: int, value: float) -> str:
        return f"{self.x(index):.1f},{self.y(value):.1f}"


def _anomaly_title(a: Anomaly, interval: Interval) -> str:
    return (
        f"{fmt_bucket(a.bucket, interval)}: {fmt_number(a.actual)} — expected "
        f"{fmt_number(a.expected)} ({fmt_number(a.lower)} … {fmt_number(a.upper)}), "
        f"{a.direction.value}, {a.detector.value}"
    )


def build_chart(
    points: Sequence[SeriesPoint],
    interval: Interval,
    *,
    bands: Sequence[Band] = (),
    anomalies: Sequence[Anomaly] = (),
) -> Chart | None:
    """The chart of `points` (oldest first); None when there is no value to draw."""
    known = [p for p in points if p.value is not None and math.isfinite(p.value)]
    if not known:
        return None
    first, last = known[0].bucket, known[-1].bucket
    shown = [b for b in bands if first <= b.bucket <= last]
    lo, hi = _value_range([p.value for p in known if p.value is not None], shown)
    scale = _Scale(first, interval, round((last - first) / interval.delta) + 1, lo, hi)
    value_at = {scale.index(p.bucket): p.value for p in known if p.value is not None}
    runs = _runs(sorted(value_at))
    lines = tuple(
        " ".join(scale.point(i, value_at[i]) for i in run) for run in runs if len(run) > 1
    )
    dots = tuple((scale.x(r[0]), scale.y(value_at[r[0]])) for r in runs if len(r) == 1)
    band_at = {scale.index(b.bucket): b for b in shown}
    polygons = []
    for run in _runs(sorted(band_at)):
        if len(run) < 2:
            continue
        upper = [scale.point(i, band_at[i].upper) for i in run]
        lower = [scale.point(i, band_at[i].lower) for i in reversed(run)]
        polygons.append(" ".join(upper + lower))
    markers = tuple(
        Marker(
            scale.x(i),
            scale.y(value_at[i]),
            _anomaly_title(a, interval),
            a.direction.value,
        )
        for a in anomalies
        if (i := scale.index(a.bucket)) in value_at and first <= a.bucket <= last
    )
    return Chart(
        WIDTH,
        HEIGHT,
        lines,
        tuple(polygons),
        markers,
        dots,
        y_top=fmt_number(hi),
        y_bottom=fmt_number(lo),
        x_first=fmt_bucket(first, interval),
        x_last=fmt_bucket(last, interval),
    )
