"""Issue 4's unit acceptance: each bullet, with series whose truth is known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from tests.detect.series import (
    DEFAULTS,
    backtest,
    bucket,
    detect,
    hourly_shape,
    points,
    poisson,
)
from tripl_cli.detect import DetectionSettings
from tripl_cli.timegrid import Interval
from tripl_cli.types import DetectorName, Direction, SeriesPoint, ValueKind


@pytest.mark.parametrize("interval", [Interval.D1, Interval.H1])
@pytest.mark.parametrize(("kind", "value"), [(ValueKind.COUNT, 120.0), (ValueKind.FRACTIONAL, 3.7)])
def test_a_constant_series_raises_nothing(
    interval: Interval, kind: ValueKind, value: float
) -> None:
    n = 120 if interval is Interval.D1 else 24 * 30
    result = backtest([value] * n, interval, kind)
    assert result.status == "ok"
    assert result.anomalies == ()
    assert len(result.scored_buckets) > n // 2
    assert all(band.expected == pytest.approx(value) for band in result.bands)


@pytest.mark.parametrize("level", [200.0, 1000.0, 5000.0])
def test_one_40_percent_spike_on_a_flat_count_series_is_one_spike_there(level: float) -> None:
    values = [level] * 60
    values[45] = level * 1.4
    result = backtest(values)
    assert [a.bucket for a in result.anomalies] == [bucket(45, Interval.D1)]
    (spike,) = result.anomalies
    assert spike.direction is Direction.SPIKE
    assert spike.actual == level * 1.4
    assert spike.expected == pytest.approx(level)
    assert spike.upper < spike.actual
    assert spike.detector in (DetectorName.SEASONAL, DetectorName.ROLLING)


def test_one_40_percent_spike_on_a_noisy_count_series_is_one_spike_there() -> None:
    values = poisson([1000.0] * 90, seed=3)
    values[70] = 1400.0
    result = backtest(values)
    assert [(a.bucket, a.direction) for a in result.anomalies] == [
        (bucket(70, Interval.D1), Direction.SPIKE)
    ]


#: Until two weeks of an hourly series exist only a daily shape can be fitted, and it cannot
#: know that weekends are quieter (it sees a level shift every Saturday): the hourly seasonal
#: tests score from the moment the weekly shape exists.
WEEKLY = bucket(24 * 14, Interval.H1)


def _seasonal_hourly(seed: int) -> tuple[np.ndarray, list[float]]:
    truth = hourly_shape(24 * 35, low=250.0, high=2500.0)
    return truth, poisson(truth, seed)


def test_a_clean_seasonal_series_raises_nothing() -> None:
    _, values = _seasonal_hourly(seed=11)
    result = backtest(values, Interval.H1, start=WEEKLY)
    assert result.status == "ok"
    assert result.anomalies == ()
    assert len(result.scored_buckets) == 24 * 21


def test_a_tripled_peak_and_a_quartered_trough_are_caught() -> None:
    truth, values = _seasonal_hourly(seed=11)
    last_day = range(24 * 33, 24 * 34)
    peak = max(last_day, key=lambda i: truth[i])
    trough = min(last_day, key=lambda i: truth[i])
    assert truth[trough] * 0.25 < 100 < truth[trough]  # a real trough, still above min_expected
    values[peak] *= 3
    values[trough] /= 4
    result = backtest(values, Interval.H1, start=WEEKLY)
    found = {(a.bucket, a.direction) for a in result.anomalies}
    assert found == {
        (bucket(peak, Interval.H1), Direction.SPIKE),
        (bucket(trough, Interval.H1), Direction.DROP),
    }
    assert all(a.detector is DetectorName.SEASONAL for a in result.anomalies)


@pytest.mark.parametrize("factor", [1.3, 0.7])
def test_a_30_percent_level_shift_is_one_incident(factor: float) -> None:
    mean = np.full(150, 800.0)
    mean[90:] *= factor
    result = backtest(poisson(mean, seed=5))
    assert len(result.anomalies) == 1, result.anomalies
    (shift,) = result.anomalies
    assert shift.detector is DetectorName.TREND
    assert shift.bucket == bucket(90, Interval.D1)
    assert shift.direction is (Direction.SPIKE if factor > 1 else Direction.DROP)


def test_a_level_shift_on_an_hourly_seasonal_series_is_one_incident() -> None:
    truth = hourly_shape(24 * 42, low=200.0, high=2000.0)
    truth[24 * 30 + 10 :] *= 1.3
    result = backtest(poisson(truth, seed=8), Interval.H1, start=WEEKLY)
    assert len(result.anomalies) == 1, result.anomalies
    assert result.anomalies[0].detector is DetectorName.TREND


@pytest.mark.parametrize(
    ("interval", "start", "length"), [(Interval.D1, 80, 4), (Interval.H1, 24 * 29 + 2, 9)]
)
def test_an_outage_is_reported_once(interval: Interval, start: int, length: int) -> None:
    n = 90 if interval is Interval.D1 else 24 * 30
    truth = np.full(n, 900.0) if interval is Interval.D1 else hourly_shape(n, 200.0, 2000.0)
    values: list[float | None] = list(poisson(truth, seed=2))
    for i in range(start, start + length):
        values[i] = None  # no rows at all: the bucket is simply absent from the store
    pts = [p for p in points(values, interval) if p.value is not None]
    result = detect(pts, n=n, interval=interval)
    assert [(a.bucket, a.detector) for a in result.anomalies] == [
        (bucket(start, interval), DetectorName.OUTAGE)
    ]
    assert result.anomalies[0].actual == 0


def test_an_outage_up_to_now_is_seen_when_the_watermark_is_given() -> None:
    values = poisson([700.0] * 60, seed=4)
    pts = points(values[:57], Interval.D1)  # the last three days collected no rows
    settled = bucket(60, Interval.D1)
    blind = detect(pts, n=60)
    from tripl_cli.detect import detect_series

    seen = detect_series(
        pts,
        metric="m",
        interval=Interval.D1,
        value_kind=ValueKind.COUNT,
        settings=DEFAULTS,
        as_of=settled + (bucket(1, Interval.D1) - bucket(0, Interval.D1)),
        complete_until=settled,
    )
    assert blind.anomalies == ()
    assert [(a.bucket, a.detector) for a in seen.anomalies] == [
        (bucket(57, Interval.D1), DetectorName.OUTAGE)
    ]


def test_a_missing_bucket_never_shifts_the_seasonal_phase() -> None:
    n = 24 * 35
    truth = hourly_shape(n, low=20.0, high=80.0)  # fractional: e.g. an average per hour
    rng = np.random.default_rng(9)
    noisy = truth * (1 + rng.normal(0, 0.01, n))
    dropped = {24 * 20 + 3, 24 * 29 + 15, 24 * 31 + 1, 24 * 33 + 7, 24 * 34 + 11}
    values = [None if i in dropped else float(v) for i, v in enumerate(noisy)]
    result = backtest(values, Interval.H1, ValueKind.FRACTIONAL, start=WEEKLY)
    assert result.anomalies == ()
    late = [b for b in result.bands if b.bucket >= bucket(24 * 29, Interval.H1)]
    index = {bucket(i, Interval.H1): i for i in range(n)}
    errors = [abs(b.expected - truth[index[b.bucket]]) / truth[index[b.bucket]] for b in late]
    assert max(errors) < 0.05  # a phase slip of one hour would be off by up to ~25 %
    assert not any(bucket(i, Interval.H1) in result.scored_buckets for i in dropped)


def test_rerunning_detect_gives_the_same_anomalies() -> None:
    values = poisson([500.0] * 80, seed=1)
    values[70] = 0.0
    values[75] = 900.0
    pts = points(values, Interval.D1)
    first = detect(pts, n=80)
    second = detect(list(reversed(pts)), n=80)  # order of the input does not matter either
    assert first == second
    assert len(first.anomalies) == 2


def test_learning_series_never_alert() -> None:
    values = [100.0, 100.0, 100.0, 100.0, 100_000.0, 0.0]
    result = backtest(values)
    assert result.status == "learning"
    assert result.anomalies == ()
    assert detect(points(values, Interval.D1), n=len(values)).status == "learning"


def test_detect_scores_the_trailing_window_of_settled_buckets_only() -> None:
    values = poisson([300.0] * 100, seed=6)
    pts = points(values, Interval.H1)
    settling = DetectionSettings(settling_minutes=120)
    # As of 2.5 h after the last bucket started: it closed 1.5 h ago, so it is not settled.
    as_of = bucket(99, Interval.H1) + 2.5 * Interval.H1.delta
    from tripl_cli.detect import detect_series

    result = detect_series(
        pts,
        metric="m",
        interval=Interval.H1,
        value_kind=ValueKind.COUNT,
        settings=settling,
        as_of=as_of,
        score_window=30,
    )
    assert result.scored_buckets[-1] == bucket(98, Interval.H1)
    assert len(result.scored_buckets) == 30
    assert [b.bucket for b in result.bands] == list(result.scored_buckets)


def test_disabled_series_are_not_scored() -> None:
    result = detect(
        points([1.0] * 40, Interval.D1), n=40, settings=DetectionSettings(enabled=False)
    )
    assert result.status == "disabled"
    assert result.scored_buckets == ()


def test_gates_decide_what_is_reported() -> None:
    values = poisson([400.0] * 60, seed=7)
    values[40] = 200.0  # a drop
    values[50] = 700.0  # a spike
    assert len(backtest(values).anomalies) == 2
    up_only = backtest(values, settings=DetectionSettings(direction="up"))
    assert [a.direction for a in up_only.anomalies] == [Direction.SPIKE]
    big_only = backtest(values, settings=DetectionSettings(min_percent_delta=60))
    assert [a.bucket for a in big_only.anomalies] == [bucket(50, Interval.D1)]
    quiet = backtest([v / 10 for v in values])  # expected ~40 < min_expected
    assert quiet.anomalies == ()


def test_ratio_spread_comes_from_the_denominator() -> None:
    rng = np.random.default_rng(12)
    dens = rng.poisson(5000, 80).astype(float)
    nums = rng.binomial(dens.astype(int), 0.1).astype(float)
    nums[70] = dens[70] * 0.13  # +30 %: ~7 binomial sigmas
    pts = [
        SeriesPoint(bucket(i, Interval.D1), nums[i] / dens[i], nums[i], dens[i]) for i in range(80)
    ]
    result = detect(pts, n=80, kind=ValueKind.FRACTIONAL)
    assert [a.bucket for a in result.anomalies] == [bucket(70, Interval.D1)]
    tiny = [SeriesPoint(p.bucket, p.value, p.numerator, 30.0) for p in pts]
    assert detect(tiny, n=80, kind=ValueKind.FRACTIONAL).anomalies == ()


@pytest.mark.parametrize("interval", [Interval.D1, Interval.H1])
def test_detect_needs_no_more_history_than_history_needed_says(interval: Interval) -> None:
    from tripl_cli.detect import history_needed

    n = 24 * 70 if interval is Interval.H1 else 200
    truth = np.full(n, 900.0) if interval is Interval.D1 else hourly_shape(n, 200.0, 2000.0)
    values = poisson(truth, seed=13)
    values[n - 5] *= 2.5
    pts = points(values, interval)
    as_of = bucket(n, interval) + (bucket(1, Interval.H1) - bucket(0, Interval.H1)) * 2
    cut = as_of - history_needed(interval, DEFAULTS)
    full = detect(pts, n=n, interval=interval)
    trimmed = detect([p for p in pts if p.bucket >= cut], n=n, interval=interval)
    assert full == trimmed
    assert [a.bucket for a in full.anomalies] == [bucket(n - 5, interval)]
