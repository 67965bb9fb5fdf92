"""Detector invariants under random series (hypothesis)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.detect.series import WEEKLY_HOURS, backtest, bucket, detect, hourly_shape, points
from tripl_cli.detect import DetectionSettings
from tripl_cli.timegrid import Interval
from tripl_cli.types import ValueKind

INTERVALS = st.sampled_from([Interval.D1, Interval.H1, Interval.H6])
KINDS = st.sampled_from([ValueKind.COUNT, ValueKind.FRACTIONAL])


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False)), min_size=1, max_size=120
    ),
    interval=INTERVALS,
    kind=KINDS,
    sigma=st.sampled_from([3.0, 4.0, 5.0]),
)
def test_detection_is_deterministic(
    values: list[float | None], interval: Interval, kind: ValueKind, sigma: float
) -> None:
    pts = points(values, interval)
    s = DetectionSettings(sigma=sigma)
    first = detect(pts, n=len(values), interval=interval, kind=kind, settings=s)
    again = detect(list(reversed(pts)), n=len(values), interval=interval, kind=kind, settings=s)
    # repr: a band may be NaN (no baseline yet), and NaN != NaN would fail equal results.
    assert repr(first) == repr(again)


@settings(max_examples=40, deadline=None)
@given(
    value=st.one_of(st.integers(0, 10**7).map(float), st.floats(-1e9, 1e9, allow_nan=False)),
    length=st.integers(1, 150),
    interval=INTERVALS,
    kind=KINDS,
    sigma=st.sampled_from([3.0, 4.0, 5.0]),
)
def test_a_constant_series_never_alerts(
    value: float, length: int, interval: Interval, kind: ValueKind, sigma: float
) -> None:
    if kind is ValueKind.COUNT:
        value = abs(value)
    result = backtest([value] * length, interval, kind, DetectionSettings(sigma=sigma))
    assert result.anomalies == ()
    assert result.status in ("ok", "learning")


@settings(max_examples=15, deadline=None, database=None)
@given(
    dropped=st.sets(st.integers(WEEKLY_HOURS, 24 * 28 - 1), max_size=20),
    level=st.floats(1.0, 1e5),
)
def test_dropped_buckets_never_shift_the_seasonal_phase(dropped: set[int], level: float) -> None:
    """A noise-free seasonal (fractional) series with random buckets missing: the expected
    value stays on the truth at every bucket, and nothing alerts."""
    n = 24 * 28
    truth = hourly_shape(n, low=0.2 * level, high=level)
    values = [None if i in dropped else float(v) for i, v in enumerate(truth)]
    result = backtest(
        values, Interval.H1, ValueKind.FRACTIONAL, start=bucket(WEEKLY_HOURS, Interval.H1)
    )
    assert result.anomalies == ()
    index = {bucket(i, Interval.H1): i for i in range(n)}
    assert result.bands
    for band in result.bands:
        assert np.isclose(band.expected, truth[index[band.bucket]], rtol=1e-6)


@settings(max_examples=10, deadline=None, database=None)
@given(scale=st.sampled_from([1e-12, 1e-8, 1e-3, 1e4]), seed=st.integers(0, 1000))
def test_a_fractional_series_is_scored_alike_in_any_unit(scale: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = list(100 * (1 + 0.02 * rng.standard_normal(60)))
    values[50] *= 0.6  # one clear drop
    plain = backtest(values, Interval.D1, ValueKind.FRACTIONAL)
    scaled = backtest([v * scale for v in values], Interval.D1, ValueKind.FRACTIONAL)
    assert [a.bucket for a in scaled.anomalies] == [a.bucket for a in plain.anomalies]
    assert bucket(50, Interval.D1) in [a.bucket for a in plain.anomalies]
    for a, b in zip(plain.anomalies, scaled.anomalies, strict=True):
        assert np.isclose(a.score, b.score, rtol=1e-6)


@pytest.mark.parametrize(
    "values",
    [
        [1e-310, 2e-310] * 15 + [1e6],  # subnormal, then an ordinary value
        [5e-324, 1e-310] * 15 + [123.4],
        [1e-300, 2e-300, 3e-300] * 10 + [1e6],  # normal, but 1e306 apart
    ],
)
def test_values_across_the_whole_float_range_give_finite_anomalies(values: list[float]) -> None:
    """A spread of subnormal values made the next ordinary one score infinity, which
    `detect --format json` wrote as `Infinity` (not JSON). A jump is still reported."""
    pts = points(values, Interval.D1)
    result = detect(pts, n=len(values), interval=Interval.D1, kind=ValueKind.FRACTIONAL)
    assert [a.bucket for a in result.anomalies] == [bucket(len(values) - 1, Interval.D1)]
    for a in result.anomalies:
        numbers = [a.actual, a.expected, a.lower, a.upper, a.score]
        assert all(x is not None and math.isfinite(x) for x in numbers), a
        json.dumps(numbers, allow_nan=False)
