"""Builders of test series (points on the grid) with known truth."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from tripl_cli.detect import DetectionSettings, SeriesResult, backtest_series, detect_series
from tripl_cli.timegrid import Interval
from tripl_cli.types import SeriesPoint, ValueKind

START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
DEFAULTS = DetectionSettings()
#: An hourly series has a weekly shape (two cycles) from here on.
WEEKLY_HOURS = 24 * 14


def points(values: Iterable[float | None], interval: Interval) -> list[SeriesPoint]:
    return [SeriesPoint(START + i * interval.delta, v) for i, v in enumerate(values)]


def bucket(i: int, interval: Interval) -> datetime:
    return START + i * interval.delta


def poisson(mean: Sequence[float] | np.ndarray, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    return [float(v) for v in rng.poisson(np.asarray(mean, dtype=float))]


def hourly_shape(hours: int, low: float, high: float) -> np.ndarray:
    """Multiplicative day and week pattern: `low` at night up to `high` at the daily peak."""
    t = np.arange(hours)
    daily = np.sin(np.pi * ((t % 24) - 5) / 24) ** 2
    weekday = (t // 24) % 7
    weekly = np.where(weekday >= 5, 0.7, 1.0)
    return (low + (high - low) * daily) * weekly


def backtest(
    values: Iterable[float | None],
    interval: Interval = Interval.D1,
    kind: ValueKind = ValueKind.COUNT,
    settings: DetectionSettings = DEFAULTS,
    start: datetime | None = None,
) -> SeriesResult:
    return backtest_series(
        points(values, interval),
        metric="m",
        interval=interval,
        value_kind=kind,
        settings=settings,
        start=start,
    )


def detect(
    pts: Sequence[SeriesPoint],
    *,
    n: int,
    interval: Interval = Interval.D1,
    kind: ValueKind = ValueKind.COUNT,
    settings: DetectionSettings = DEFAULTS,
) -> SeriesResult:
    """detect as of the moment bucket n-1 (the last) has just settled."""
    as_of = bucket(n, interval) + timedelta(minutes=settings.settling_minutes)
    return detect_series(
        pts, metric="m", interval=interval, value_kind=kind, settings=settings, as_of=as_of
    )
