from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tripl_cli.runner.windows import (
    MetricHistory,
    WindowRequest,
    metric_window,
    widen_to_shared_scans,
)
from tripl_cli.timegrid import Interval, Window

AS_OF = datetime(2026, 3, 10, 13, 45, tzinfo=UTC)
FRESH = MetricHistory(watermark=None, hash_changed=False)


def _window(
    history: MetricHistory, request: WindowRequest, interval: Interval = Interval.D1
) -> Window:
    return metric_window(interval, history, request, lookback=2, initial_buckets=30)


def test_first_run_collects_initial_buckets_up_to_the_incomplete_bucket() -> None:
    window = _window(FRESH, WindowRequest(as_of=AS_OF))
    assert window == Window(datetime(2026, 2, 8, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))


def test_resume_recomputes_lookback_buckets_before_the_watermark() -> None:
    history = MetricHistory(watermark=datetime(2026, 3, 8, tzinfo=UTC), hash_changed=False)
    window = _window(history, WindowRequest(as_of=AS_OF))
    assert window.start == datetime(2026, 3, 6, tzinfo=UTC)
    assert window.end == datetime(2026, 3, 10, tzinfo=UTC)


def test_changed_definition_and_full_refresh_start_over() -> None:
    changed = MetricHistory(watermark=datetime(2026, 3, 8, tzinfo=UTC), hash_changed=True)
    assert _window(changed, WindowRequest(as_of=AS_OF)).start == datetime(2026, 2, 8, tzinfo=UTC)
    kept = MetricHistory(watermark=datetime(2026, 3, 8, tzinfo=UTC), hash_changed=False)
    refresh = WindowRequest(as_of=AS_OF, full_refresh=True)
    assert _window(kept, refresh).start == datetime(2026, 2, 8, tzinfo=UTC)


def test_new_breakdowns_reach_initial_buckets_back_and_kept_totals_resume_from_the_watermark() -> (
    None
):
    # Kept totals whose watermark is older than initial_buckets resume from it: starting at
    # initial_buckets would leave the buckets between them never collected.
    old = MetricHistory(watermark=datetime(2026, 1, 20, tzinfo=UTC), hash_changed=False,
                        breakdowns_changed=True)  # fmt: skip
    assert _window(old, WindowRequest(as_of=AS_OF)) == Window(
        datetime(2026, 1, 18, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
    )
    recent = MetricHistory(watermark=datetime(2026, 3, 8, tzinfo=UTC), hash_changed=False,
                           breakdowns_changed=True)  # fmt: skip
    assert _window(recent, WindowRequest(as_of=AS_OF)).start == datetime(2026, 2, 8, tzinfo=UTC)


def test_a_changed_definition_recollects_initial_buckets_whatever_the_window_asked() -> None:
    changed = MetricHistory(watermark=datetime(2026, 3, 8, tzinfo=UTC), hash_changed=True)
    bounded = WindowRequest(
        as_of=AS_OF, start=datetime(2026, 3, 1, tzinfo=UTC), end=datetime(2026, 3, 3, tzinfo=UTC)
    )
    assert _window(changed, bounded) == Window(
        datetime(2026, 2, 8, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
    )
    older = WindowRequest(as_of=AS_OF, start=datetime(2026, 1, 1, tzinfo=UTC))
    assert _window(changed, older).start == datetime(2026, 1, 1, tzinfo=UTC)


def test_explicit_start_end_are_aligned_and_never_pass_the_current_bucket() -> None:
    request = WindowRequest(
        as_of=AS_OF,
        start=datetime(2026, 3, 1, 5, tzinfo=UTC),
        end=datetime(2026, 3, 3, 1, tzinfo=UTC),
    )
    assert _window(FRESH, request) == Window(
        datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC)
    )
    future = WindowRequest(
        as_of=AS_OF, start=datetime(2026, 3, 9, tzinfo=UTC), end=datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert _window(FRESH, future).end == datetime(2026, 3, 10, tzinfo=UTC)


def test_nothing_to_do_when_start_is_after_the_current_bucket() -> None:
    request = WindowRequest(as_of=AS_OF, start=datetime(2026, 4, 1, tzinfo=UTC))
    assert _window(FRESH, request).empty


def test_hourly_window_excludes_the_incomplete_hour() -> None:
    window = _window(FRESH, WindowRequest(as_of=AS_OF), Interval.H1)
    assert window.end == datetime(2026, 3, 10, 13, tzinfo=UTC)


def test_shared_scans_get_one_window_and_cross_table_ratios_join_groups() -> None:
    d = lambda day: datetime(2026, 3, day, tzinfo=UTC)  # noqa: E731
    windows = {
        "a": Window(d(6), d(10)),
        "b": Window(d(1), d(10)),
        "c": Window(d(8), d(10)),
        "ratio": Window(d(7), d(10)),
        "idle": Window(d(10), d(10)),
    }
    merged = widen_to_shared_scans(windows, [["a", "b", "ratio"], ["c", "ratio"], ["idle"]])
    assert merged["a"] == merged["b"] == merged["c"] == merged["ratio"] == Window(d(1), d(10))
    assert "idle" not in merged


def test_ranked_breakdown_sql_is_swapped_in_only_for_the_very_same_queries() -> None:
    from tests.compiler.projects import project_of
    from tripl_cli.compiler.plan import compile_plan
    from tripl_cli.project.schema import FactTable
    from tripl_cli.runner.run import _with_sql_of

    fact = FactTable(name="o", sql="SELECT * FROM o", timestamp_column="ts")
    chunked = {"name": "a", "kind": "fact", "fact_table": "o", "aggregation": "count",
               "breakdowns": ["country"], "chunk": "2d"}  # fmt: skip
    other = {**chunked, "name": "b", "breakdown_limit": 3, "chunk": None}
    start = datetime(2026, 1, 5, tzinfo=UTC)
    window = Window(start, start + timedelta(days=6))
    both = project_of([fact], chunked, other)
    plan = compile_plan(both, ["a", "b"], dialect="duckdb", window_for=window)
    (ranking,) = plan.rankings
    tops = {ranking.key: ("de", "us")}
    part = compile_plan(both, ["a"], dialect="duckdb", window_for=window, tops=tops)
    # With `b` (another limit on the same column) the ids carry `__top10`; alone they don't.
    assert _with_sql_of(plan, part) is None
    alone = project_of([fact], chunked)
    first = compile_plan(alone, ["a"], dialect="duckdb", window_for=window)
    swapped = _with_sql_of(first, compile_plan(alone, ["a"], dialect="duckdb",
                                                window_for=window, tops=tops))  # fmt: skip
    assert swapped is not None and swapped.rankings == ()
    assert [q.id for q in swapped.queries] == [q.id for q in first.queries]
    chunks = [q for q in swapped.queries if q.kind == "breakdown"]
    assert len(chunks) == 3 and all("IN ('de', 'us')" in q.sql for q in chunks)
