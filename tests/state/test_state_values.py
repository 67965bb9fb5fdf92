"""Values: round trips, idempotent window replacement, resets, status, runs (both backends)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.state.state_testlib import T0, OpenStore, hour, hours, raw_rows, value_set
from tripl_cli.state import RunStatus, StateStore
from tripl_cli.timegrid import Window
from tripl_cli.types import MetricValue, SeriesPoint


def test_round_trip_keeps_microseconds_nulls_and_exact_floats(store: StateStore) -> None:
    odd = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    before_epoch = datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    last_micro = datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=UTC)
    window = Window(datetime(1969, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    values = [
        MetricValue("m", before_epoch, -1.5),
        MetricValue("m", odd, 0.1 + 0.2, numerator=3.0, denominator=7.0),
        MetricValue("m", last_micro, None),  # a NULL value (gap) is stored as NULL
        MetricValue("m", datetime(2026, 5, 1, tzinfo=UTC), 1.7976931348623157e308),
        MetricValue("m", odd, 5e-324, ("country", "")),  # NULL breakdown value -> ''
        MetricValue("m", odd, None, ("country", "Zürich 🚀"), numerator=None, denominator=0.0),
    ]
    assert store.replace_window("m", window, values, definition_hash="h1", run_id="r1") == 6

    series = store.read_series("m")
    assert series == [
        SeriesPoint(before_epoch, -1.5),
        SeriesPoint(odd, 0.1 + 0.2, 3.0, 7.0),
        SeriesPoint(last_micro, None),
        SeriesPoint(datetime(2026, 5, 1, tzinfo=UTC), 1.7976931348623157e308),
    ]
    for point in series:
        assert point.bucket.tzinfo is not None and point.bucket.utcoffset() == timedelta(0)
    assert series[1].value is not None and series[1].value.hex() == (0.1 + 0.2).hex()
    assert store.read_breakdowns("m", "country") == {
        "": [SeriesPoint(odd, 5e-324)],
        "Zürich 🚀": [SeriesPoint(odd, None, None, 0.0)],
    }
    assert store.read_series("m", breakdown=("country", "")) == [SeriesPoint(odd, 5e-324)]
    assert store.read_series("m", start=odd, end=last_micro) == [series[1]]
    assert store.breakdown_columns("m") == ["country"]


def test_naive_and_offset_datetimes_are_taken_as_utc(store: StateStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    values = [
        MetricValue("m", datetime(2026, 1, 1, 1), 1.0),  # naive: UTC
        MetricValue("m", datetime(2026, 1, 1, 4, tzinfo=plus_two), 2.0),  # = 02:00 UTC
    ]
    store.replace_window("m", hours(0, 3), values, definition_hash="h", run_id="r")
    assert store.read_series("m") == [SeriesPoint(hour(1), 1.0), SeriesPoint(hour(2), 2.0)]


def test_nan_is_stored_as_a_gap(store: StateStore) -> None:
    values = [MetricValue("m", hour(0), math.nan, numerator=math.nan, denominator=0.0)]
    store.replace_window("m", hours(0, 1), values, definition_hash="h", run_id="r")
    assert store.read_series("m") == [SeriesPoint(hour(0), None, None, 0.0)]


def test_infinity_is_stored_as_a_gap_with_a_warning(
    store: StateStore, caplog: pytest.LogCaptureFixture
) -> None:
    # A SQL metric dividing by zero: JSON output could not spell the value (`Infinity`).
    values = [MetricValue("m", hour(h), v) for h, v in enumerate([math.inf, -math.inf, 2.0])]
    store.replace_window("m", hours(0, 3), values, definition_hash="h", run_id="r")
    assert [p.value for p in store.read_series("m")] == [None, None, 2.0]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "m: an infinite value (bucket 2026-01-01 00:00:00+00:00) is stored as a gap"
    ]


def test_same_window_twice_is_byte_for_byte_equal(store: StateStore) -> None:
    values = value_set("m", range(48), base=0.1, keys=["US", "FR", "Other"])
    store.replace_window("m", hours(0, 48), values, definition_hash="h", run_id="run-1")
    tables = ("tripl_metric_values", "tripl_breakdown_values")
    first = [raw_rows(store, t, skip=["run_id"]) for t in tables]
    store.replace_window("m", hours(0, 48), values, definition_hash="h", run_id="run-2")
    second = [raw_rows(store, t, skip=["run_id"]) for t in tables]
    assert first == second
    assert len(first[0]) == 48 and len(first[1]) == 48 * 3
    # Same run id too: every column identical.
    everything = raw_rows(store, "tripl_breakdown_values")
    store.replace_window("m", hours(0, 48), values, definition_hash="h", run_id="run-2")
    assert raw_rows(store, "tripl_breakdown_values") == everything


def test_values_missing_from_a_rewrite_disappear_and_neighbours_stay(store: StateStore) -> None:
    store.replace_window(
        "m",
        hours(0, 30),
        value_set("m", range(30), base=1, keys=["US", "FR"]),
        definition_hash="h",
        run_id="r1",
    )
    store.replace_window(
        "other",
        hours(0, 30),
        value_set("other", range(30), base=5),
        definition_hash="h",
        run_id="r1",
    )
    # Rewrite [10, 20): bucket 15 vanished upstream, FR vanished everywhere, values changed.
    new = value_set("m", [b for b in range(10, 20) if b != 15], base=100, keys=["US"])
    store.replace_window("m", hours(10, 20), new, definition_hash="h", run_id="r2")

    def base(b: int) -> float:
        return 100.0 if 10 <= b < 20 else 1.0

    expected_totals = [
        SeriesPoint(hour(b), base(b) + b, base(b) + b, 1.0) for b in range(30) if b != 15
    ]
    assert store.read_series("m") == expected_totals
    breakdowns = store.read_breakdowns("m", "country")
    assert [p.bucket for p in breakdowns["FR"]] == [hour(b) for b in range(30) if not 10 <= b < 20]
    assert [(p.bucket, p.value) for p in breakdowns["US"]] == [
        (hour(b), base(b) + b * 10) for b in range(30) if b != 15
    ]
    assert len(store.read_series("other")) == 30  # another metric is never touched


def test_declared_breakdown_column_is_cleared_even_without_values(store: StateStore) -> None:
    store.replace_window(
        "m",
        hours(0, 5),
        value_set("m", range(5), base=1, keys=["US"]),
        definition_hash="h",
        run_id="r1",
    )
    store.replace_window(
        "m",
        hours(0, 5),
        value_set("m", range(5), base=1),
        definition_hash="h",
        run_id="r2",
        breakdown_columns=["country"],
    )
    assert store.read_breakdowns("m", "country") == {}
    assert len(store.read_series("m")) == 5


def test_breakdown_only_write_keeps_totals(store: StateStore) -> None:
    store.replace_window(
        "m",
        hours(0, 5),
        value_set("m", range(5), base=1, keys=["US"]),
        definition_hash="h",
        run_id="r1",
    )
    only_breakdown = [v for v in value_set("m", range(5), base=50, keys=["DE"]) if v.breakdown[0]]
    store.replace_window(
        "m", hours(0, 5), only_breakdown, definition_hash="h", run_id="r2", include_total=False
    )
    assert [p.value for p in store.read_series("m")] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert list(store.read_breakdowns("m", "country")) == ["DE"]
    with pytest.raises(ValueError, match="breakdown-only"):
        store.replace_window(
            "m",
            hours(0, 5),
            value_set("m", [0], base=1),
            definition_hash="h",
            run_id="r3",
            include_total=False,
        )


@pytest.mark.parametrize(
    "bad",
    [
        MetricValue("m", hour(5), 1.0),  # the window's end is outside [start, end)
        MetricValue("m", hour(-1), 1.0),
        MetricValue("other", hour(1), 1.0),
        MetricValue("m", hour(1), 1.0, ("", "US")),
    ],
)
def test_bad_values_abort_the_whole_write(store: StateStore, bad: MetricValue) -> None:
    store.replace_window(
        "m", hours(0, 5), value_set("m", range(5), base=1), definition_hash="h", run_id="r1"
    )
    before = raw_rows(store, "tripl_metric_values")
    good = value_set("m", range(5), base=9)
    with pytest.raises(ValueError):
        store.replace_window("m", hours(0, 5), [*good, bad], definition_hash="h", run_id="r2")
    assert raw_rows(store, "tripl_metric_values") == before


def test_watermark_is_the_newest_stored_bucket(store: StateStore) -> None:
    assert store.metric_status("m") is None
    store.replace_window(
        "m", hours(0, 24), value_set("m", range(24), base=1), definition_hash="h", run_id="r1"
    )
    status = store.metric_status("m")
    assert status is not None and status.watermark == hour(23)
    assert status.definition_hash == "h" and status.last_run_id == "r1"
    # A rewrite in which the newest buckets vanished moves the watermark back.
    store.replace_window(
        "m", hours(20, 24), value_set("m", [20], base=1), definition_hash="h", run_id="r2"
    )
    status = store.metric_status("m")
    assert status is not None and status.watermark == hour(20)
    # Breakdown-only metric: the newest breakdown bucket.
    only = [v for v in value_set("b", range(3), base=1, keys=["US"]) if v.breakdown[0]]
    store.replace_window(
        "b", hours(0, 3), only, definition_hash="h", run_id="r", include_total=False
    )
    b_status = store.metric_status("b")
    assert b_status is not None and b_status.watermark == hour(2)


def test_collected_until_is_the_furthest_window_end_ever_collected(store: StateStore) -> None:
    assert store.metric_status("m") is None
    store.replace_window(
        "m", hours(0, 24), value_set("m", [3], base=1), definition_hash="h", run_id="r1"
    )
    status = store.metric_status("m")
    # The window's end, not the newest stored bucket (hour 3) nor the clock.
    assert status is not None and status.collected_until == hour(24)
    # A backfill of an older window (`tripl run --start … --end …` in the past) keeps it.
    store.replace_window(
        "m", hours(2, 10), value_set("m", [5], base=1), definition_hash="h", run_id="r2"
    )
    status = store.metric_status("m")
    assert status is not None and status.collected_until == hour(24)
    assert status.last_run_id == "r2"
    # An empty window collected nothing; a later window moves it forward.
    store.replace_window("m", hours(30, 30), [], definition_hash="h", run_id="r3")
    assert store.metric_status("m").collected_until == hour(24)  # type: ignore[union-attr]
    store.replace_window("m", hours(20, 30), [], definition_hash="h", run_id="r4")
    assert store.metric_status("m").collected_until == hour(30)  # type: ignore[union-attr]
    # A status write (a failed run) does not touch it; a reset forgets it.
    store.record_status("m", status="error", run_id="r5", error="boom")
    assert store.metric_status("m").collected_until == hour(30)  # type: ignore[union-attr]
    store.reset_metric("m", "h2")
    assert store.metric_status("m").collected_until is None  # type: ignore[union-attr]


def test_definition_change_requires_reset_and_reset_drops_history(store: StateStore) -> None:
    store.replace_window(
        "m",
        hours(0, 10),
        value_set("m", range(10), base=1, keys=["US"]),
        definition_hash="old",
        run_id="r1",
    )
    store.replace_window(
        "keep", hours(0, 10), value_set("keep", range(10), base=1), definition_hash="k", run_id="r1"
    )
    with pytest.raises(ValueError, match="reset_metric"):
        store.replace_window(
            "m", hours(0, 10), value_set("m", range(10), base=2), definition_hash="new", run_id="r2"
        )
    assert len(store.read_series("m")) == 10  # the refused write changed nothing

    assert store.reset_metric("m", "new") == 10 + 10
    assert store.read_series("m") == [] and store.read_breakdowns("m", "country") == {}
    status = store.metric_status("m")
    assert status is not None and status.definition_hash == "new" and status.watermark is None
    assert len(store.read_series("keep")) == 10
    store.replace_window(
        "m", hours(0, 2), value_set("m", range(2), base=3), definition_hash="new", run_id="r3"
    )
    assert [p.value for p in store.read_series("m")] == [3.0, 4.0]


def test_status_and_runs_round_trip(make_store: OpenStore) -> None:
    clock_times = iter(T0 + timedelta(seconds=s, microseconds=7) for s in range(100))
    store = make_store()
    store.clock = lambda: next(clock_times)
    store.record_status("m", status="error", run_id="r1", error="boom: relation missing")
    store.record_status("n", status="success", run_id="r1", definition_hash="hn")
    statuses = store.metric_statuses()
    assert list(statuses) == ["m", "n"]
    assert (
        statuses["m"].last_status == "error"
        and statuses["m"].last_error == "boom: relation missing"
    )
    assert statuses["m"].definition_hash is None and statuses["n"].definition_hash == "hn"
    assert statuses["m"].updated_at == T0 + timedelta(microseconds=7)
    store.record_status("m", status="success", run_id="r2")
    m = store.metric_status("m")
    assert m is not None and m.last_error is None and m.last_run_id == "r2"

    store.start_run("r1", command="tripl run -s tag:x", tripl_version="1.2.3")
    store.start_run("r2", command="tripl run")
    summary = {"metrics": {"m": {"status": "success", "buckets": 24}}, "failed": [], "ratio": 0.5}
    store.finish_run("r1", status=RunStatus.PARTIAL, summary=summary)
    runs = store.list_runs()
    assert [r.run_id for r in runs] == ["r2", "r1"]  # newest first
    r1 = runs[1]
    assert r1.status == "partial" and r1.summary == summary and r1.tripl_version == "1.2.3"
    assert r1.finished_at is not None and r1.finished_at > r1.started_at
    assert runs[0].status == "running" and runs[0].finished_at is None
    with pytest.raises(ValueError, match="no run"):
        store.finish_run("nope", status="success")
    assert store.list_runs(limit=1)[0].run_id == "r2"
