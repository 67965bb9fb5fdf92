"""Recorded anomalies: re-detecting is idempotent, first detection time is kept."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from tests.state.state_testlib import T0, OpenStore, hour, hours, raw_rows, value_set
from tripl_cli.state import StateStore
from tripl_cli.state.records import AnomalyWrite, WindowWrite
from tripl_cli.types import Anomaly, DetectorName, Direction, MetricValue

#: tripl_metric_values' columns but its definition hash.
_ALL_BUT_HASH = ("metric", "bucket", "value", "numerator", "denominator", "run_id")


def anomaly(b: int, *, breakdown: tuple[str, str] = ("", ""), score: float = 5.0) -> Anomaly:
    return Anomaly(
        metric="m",
        bucket=hour(b),
        actual=100.0 + b,
        expected=10.0,
        lower=5.0,
        upper=15.0,
        score=score,
        direction=Direction.SPIKE,
        detector=DetectorName.SEASONAL,
        breakdown=breakdown,
    )


@pytest.fixture
def clocked(make_store: OpenStore) -> StateStore:
    """A store whose clock moves one minute per call: detection times are distinguishable."""
    store = make_store()
    ticks = iter(range(10_000))
    store.clock = lambda: T0 + timedelta(minutes=next(ticks))
    return store


def test_redetect_is_idempotent_and_keeps_first_detection(clocked: StateStore) -> None:
    found = [anomaly(3), anomaly(7), anomaly(7, breakdown=("country", "US"))]
    assert clocked.replace_anomalies("m", hours(0, 24), found, run_id="d1") == 3
    first = raw_rows(clocked, "tripl_anomalies", skip=["run_id"])
    assert clocked.replace_anomalies("m", hours(0, 24), found, run_id="d2") == 0  # none new
    assert raw_rows(clocked, "tripl_anomalies", skip=["run_id"]) == first
    stored = clocked.read_anomalies("m")
    assert [s.anomaly for s in stored] == [found[0], found[1], found[2]]
    assert {s.detected_at for s in stored} == {T0}  # the first call's time, kept on re-detect
    assert {s.run_id for s in stored} == {"d2"}
    # The same bucket relabelled (a spike confirmed as a level shift) is not new; a new
    # bucket is.
    trend = dataclasses.replace(found[0], detector=DetectorName.TREND)
    again = [trend, found[1], found[2], anomaly(9)]
    assert clocked.replace_anomalies("m", hours(0, 24), again, run_id="d3") == 1


def test_vanished_anomalies_go_and_other_series_stay(clocked: StateStore) -> None:
    us = ("country", "US")
    clocked.replace_anomalies(
        "m", hours(0, 24), [anomaly(3), anomaly(5), anomaly(5, breakdown=us)], run_id="d1"
    )
    # Re-score only the total series: bucket 5 is no longer anomalous, bucket 9 newly is.
    clocked.replace_anomalies(
        "m", hours(0, 24), [anomaly(3), anomaly(9)], breakdown=("", ""), run_id="d2"
    )
    total = clocked.read_anomalies("m", breakdown=("", ""))
    assert [(s.anomaly.bucket, s.detected_at) for s in total] == [
        (hour(3), T0),
        (hour(9), T0 + timedelta(minutes=1)),
    ]
    assert [s.anomaly for s in clocked.read_anomalies("m", breakdown=us)] == [
        anomaly(5, breakdown=us)
    ]
    assert [s.anomaly.bucket for s in clocked.read_anomalies("m", start=hour(4), end=hour(9))] == [
        hour(5)
    ]
    with pytest.raises(ValueError, match="does not belong"):
        clocked.replace_anomalies("m", hours(0, 3), [anomaly(3)])
    with pytest.raises(ValueError, match="series"):
        clocked.replace_anomalies("m", hours(0, 24), [anomaly(3)], breakdown=us)


def test_reset_metric_drops_its_anomalies(clocked: StateStore) -> None:
    clocked.replace_window(
        "m", hours(0, 4), value_set("m", range(4), base=1), definition_hash="h", run_id="r"
    )
    clocked.replace_anomalies("m", hours(0, 24), [anomaly(3)])
    clocked.reset_metric("m", "h2")
    assert clocked.read_anomalies("m") == []


def test_a_breakdown_reset_keeps_the_totals_and_their_anomalies(clocked: StateStore) -> None:
    us = ("country", "US")
    old = value_set("m", range(8), base=1, keys=["US", "DE"])
    clocked.replace_window("m", hours(0, 8), old, definition_hash="h", run_id="r")
    clocked.replace_anomalies("m", hours(0, 24), [anomaly(3), anomaly(5, breakdown=us)])
    # Only the breakdowns changed: the new window (hours 4-8) holds a platform breakdown.
    new = [v for v in value_set("m", range(4, 8), base=1) if v.breakdown == ("", "")]
    new += [MetricValue("m", hour(b), 2.0, ("platform", "ios")) for b in range(4, 8)]
    write = WindowWrite(
        "m", hours(4, 8), new, definition_hash="h2", run_id="r2", reset_breakdowns=True
    )
    clocked.replace_windows([write])
    assert [p.value for p in clocked.read_series("m")] == [1.0 + b for b in range(8)]
    assert clocked.breakdown_columns("m") == ["platform"]
    assert clocked.read_breakdowns("m", "country") == {}
    assert [s.anomaly for s in clocked.read_anomalies("m")] == [anomaly(3)]
    assert clocked.metric_statuses()["m"].definition_hash == "h2"
    # Every total row carries the new hash: a later write under it is not refused.
    clocked.replace_window("m", hours(7, 8), new[3:4], definition_hash="h2", run_id="r3")
    hashes = raw_rows(clocked, "tripl_metric_values", skip=_ALL_BUT_HASH)
    assert {row for (row,) in hashes} == {"h2"} and len(hashes) == 8


def test_several_series_are_recorded_in_one_transaction(clocked: StateStore) -> None:
    us = ("country", "US")
    first = [
        AnomalyWrite("m", hours(0, 24), [anomaly(3)], run_id="d1"),
        AnomalyWrite("m", hours(0, 24), [anomaly(5, breakdown=us)], breakdown=us, run_id="d1"),
    ]
    assert clocked.replace_anomalies_of(first) == [1, 1]
    recorded = {(s.anomaly.bucket, s.anomaly.breakdown) for s in clocked.read_anomalies("m")}
    assert recorded == {(hour(3), ("", "")), (hour(5), us)}
    # One bad write (an anomaly outside its window) records nothing of the others.
    bad = AnomalyWrite("m", hours(0, 2), [anomaly(7)], run_id="d2")
    again = AnomalyWrite("m", hours(0, 24), [anomaly(3), anomaly(9)], run_id="d2")
    with pytest.raises(ValueError, match="does not belong"):
        clocked.replace_anomalies_of([again, bad])
    assert {
        (s.anomaly.bucket, s.anomaly.breakdown) for s in clocked.read_anomalies("m")
    } == recorded
