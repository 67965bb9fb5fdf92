"""A level shift that ends soon after (an outage of a few hours, a one-day campaign) is one
incident: the return to the old level is a recovery, not a spike or a drop of its own."""

from __future__ import annotations

import pytest

from tests.detect.series import (
    WEEKLY_HOURS,
    backtest,
    bucket,
    detect,
    hourly_shape,
    points,
    poisson,
)
from tripl_cli.detect import SeriesResult
from tripl_cli.timegrid import Interval
from tripl_cli.types import DetectorName, Direction

SHIFT = 24 * 30 + 10  # 10:00 on a weekday, hourly


def _hourly(changes: list[tuple[int, int, float]], seed: int, days: int = 38) -> SeriesResult:
    """An hourly count series whose level is multiplied by f over [SHIFT + a, SHIFT + b)."""
    truth = hourly_shape(24 * days, low=100.0, high=400.0)
    for a, b, factor in changes:
        truth[SHIFT + a : SHIFT + b] *= factor
    return backtest(poisson(truth, seed=seed), Interval.H1, start=bucket(WEEKLY_HOURS, Interval.H1))


def _reported(result: SeriesResult) -> list[tuple[int, Direction]]:
    return [(_position(a.bucket), a.direction) for a in result.anomalies]


def _position(ts: object) -> int:
    return next(i for i in range(24 * 40) if bucket(i, Interval.H1) == ts)


@pytest.mark.parametrize("hours", [6, 8, 24])
@pytest.mark.parametrize(("factor", "direction"), [(0.4, Direction.DROP), (1.8, Direction.SPIKE)])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_shift_that_ends_within_days_is_one_incident(
    hours: int, factor: float, direction: Direction, seed: int
) -> None:
    result = _hourly([(0, hours, factor)], seed)
    assert _reported(result) == [(SHIFT, direction)]
    assert result.anomalies[0].detector is DetectorName.TREND  # long enough to be a shift


@pytest.mark.parametrize("seed", [1, 2])
def test_a_move_past_the_old_level_is_still_news(seed: int) -> None:
    # Up 80 % for 8 hours, then down to 40 %: not a return, a second event.
    result = _hourly([(0, 8, 1.8), (8, 10**6, 0.4)], seed)
    reported = _reported(result)
    assert reported[:2] == [(SHIFT, Direction.SPIKE), (SHIFT + 8, Direction.DROP)], reported


@pytest.mark.parametrize("seed", [1, 2])
def test_a_return_after_the_new_level_settled_is_news(seed: int) -> None:
    # Half the level for 5 days: by then it is the normal one, and leaving it alerts.
    result = _hourly([(0, 120, 0.5)], seed, days=40)
    (drop, back) = _reported(result)
    assert drop == (SHIFT, Direction.DROP)
    assert back[1] is Direction.SPIKE and SHIFT + 120 <= back[0] <= SHIFT + 123, back


def test_a_lasting_shift_stays_one_incident() -> None:
    result = _hourly([(0, 10**6, 0.5)], seed=3)
    assert _reported(result) == [(SHIFT, Direction.DROP)]


def test_detect_run_hourly_calls_the_same_returns_recoveries_as_backtest() -> None:
    # A 60-hour dip: longer than detect's old warm-up, within the recovery windows. Hourly
    # detect runs (what alerts) must report what backtest reports: the dip once, no return.
    hours = 60
    truth = hourly_shape(24 * 40, low=100.0, high=400.0)
    truth[SHIFT : SHIFT + hours] *= 0.4
    values = poisson(truth, seed=1)
    replayed = backtest(values, Interval.H1, start=bucket(WEEKLY_HOURS, Interval.H1))
    pts = points(values, Interval.H1)
    seen = set()
    for n in range(SHIFT - 2, SHIFT + hours + 30):  # hourly, from the dip to after its end
        found = detect(pts[:n], n=n, interval=Interval.H1).anomalies
        seen |= {(a.bucket, a.direction) for a in found}
    window = range(SHIFT - 30, SHIFT + hours + 30)
    expected = {
        (a.bucket, a.direction) for a in replayed.anomalies if _position(a.bucket) in window
    }
    assert seen == expected == {(bucket(SHIFT, Interval.H1), Direction.DROP)}
