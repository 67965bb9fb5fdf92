"""The spread adapts to series whose median-based noise estimate collapses or is too thin:
sparse counts (mostly zeros), quantised values that jump between a few levels, heavy tails."""

from __future__ import annotations

import numpy as np
import pytest

from tests.detect.series import backtest, bucket
from tripl_cli.detect.robust import resolution, tail_factor
from tripl_cli.timegrid import Interval
from tripl_cli.types import DetectorName, ValueKind

HOURS = 24 * 35


def test_tail_factor_is_one_for_normal_noise_and_ignores_a_few_outliers() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=2000)
    assert tail_factor(z) == pytest.approx(1.0, abs=0.05)
    z[:8] = 50.0  # one short episode of anomalies: below the 2 % tail the factor looks at
    assert tail_factor(z) == pytest.approx(1.0, abs=0.05)
    assert tail_factor(z[:10]) == 1.0  # too few residuals to judge a tail


def test_tail_factor_widens_heavy_tails_and_collapsed_spreads() -> None:
    rng = np.random.default_rng(2)
    laplace = rng.laplace(size=2000) / (1.4826 * np.log(2))  # unit MAD-scale, heavy tails
    assert tail_factor(laplace) > 1.4
    sparse = np.where(rng.random(2000) < 0.2, 1e6, 0.0)  # MAD 0: 20 % of buckets "infinite"
    assert tail_factor(sparse) > 1e5


@pytest.mark.parametrize(
    ("values", "step"),
    [([0.0, 1.0, 3.0, 2.0, 7.0, 4.0, 5.0, 6.0], 1.0), ([0.066, 0.068, 0.134, 0.132], 0.002)],
)
def test_resolution_is_the_step_of_a_quantised_series(values: list[float], step: float) -> None:
    assert resolution(np.array(values)) == pytest.approx(step)
    assert resolution(np.array([3.7] * 5)) == 0.0


def test_a_sparse_series_of_small_integers_does_not_flood_but_a_burst_is_caught() -> None:
    """Mostly zeros (MAD 0): without a calibrated spread every 1 is a '1e9 sigma' anomaly."""
    values = [float(v) for v in np.random.default_rng(3).poisson(0.3, HOURS)]
    burst = HOURS - 50
    values[burst] = 40.0
    result = backtest(values, Interval.H1, ValueKind.FRACTIONAL, start=bucket(24 * 7, Interval.H1))
    found = [a.bucket for a in result.anomalies]
    assert bucket(burst, Interval.H1) in found
    assert len(found) <= 2


def test_a_zero_where_zeros_are_routine_is_not_an_outage() -> None:
    rng = np.random.default_rng(4)
    values = [float(v) for v in rng.poisson(1.0, HOURS)]  # ~37 % zeros
    result = backtest(values, Interval.H1, ValueKind.FRACTIONAL)
    assert all(a.detector is not DetectorName.OUTAGE for a in result.anomalies)
    assert len(result.anomalies) <= 2


def test_a_quantised_series_flipping_between_two_levels_raises_nothing() -> None:
    """A CPU gauge reported to 3 decimals that idles at 0.066 and often sits at 0.134."""
    rng = np.random.default_rng(5)
    values = np.where(rng.random(HOURS) < 0.2, 0.134, 0.066).tolist()
    result = backtest(values, Interval.H1, ValueKind.FRACTIONAL)
    assert result.status == "ok"
    assert result.anomalies == ()


@pytest.mark.parametrize(("zero_share", "outage_expected"), [(0.0, True), (0.1, False)])
def test_a_drop_to_zero_is_an_outage_only_where_zeros_are_rare(
    zero_share: float, outage_expected: bool
) -> None:
    """A busy series (~50 a bucket): a run of zeros is an outage, unless exact zeros are
    already routine in its history (then it is scored as an ordinary drop, if at all)."""
    rng = np.random.default_rng(5)
    values = [float(v) for v in rng.poisson(50.0, HOURS)]
    for i in np.flatnonzero(rng.random(HOURS) < zero_share):
        values[i] = 0.0
    drop = HOURS - 30
    values[drop : drop + 3] = [0.0, 0.0, 0.0]
    result = backtest(values, Interval.H1, ValueKind.FRACTIONAL, start=bucket(24 * 7, Interval.H1))
    outages = [a for a in result.anomalies if a.detector is DetectorName.OUTAGE]
    assert bool(outages) is outage_expected
