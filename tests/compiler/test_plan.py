"""`compile_plan`: scans, dedupe across metrics, chunking, query ids, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlglot

from tests.compiler.projects import project_of
from tripl_cli.compiler.dialects import DIALECTS, rules_for
from tripl_cli.compiler.plan import compile_plan, compile_single
from tripl_cli.compiler.records import CompiledPlan, CompiledQuery
from tripl_cli.errors import TriplError
from tripl_cli.project.model import Project
from tripl_cli.project.schema import FactTable
from tripl_cli.timegrid import Interval, Window, floor_to_bucket

START = datetime(2026, 1, 5, tzinfo=UTC)
WINDOW = Window(START, START + timedelta(days=7))

FACTS = [
    FactTable.model_validate({
        "name": "orders", "timestamp_column": "created_at",
        "sql": "SELECT * FROM raw.orders WHERE created_at >= {{ start }} AND created_at < {{end}}",
        "row_filters": [{"name": "completed", "sql": "status = 'completed'"}],
    }),
    FactTable(name="sessions", sql="SELECT * FROM raw.sessions", timestamp_column="ts"),
]  # fmt: skip


def _project(*metrics: dict[str, Any]) -> Project:
    return project_of(FACTS, *metrics)


def _fact(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "kind": "fact", "fact_table": "orders", "aggregation": "count", **kw}


def test_one_scan_per_fact_table_and_interval_with_shared_aggregates() -> None:
    project = _project(
        _fact("orders_count"),
        _fact("revenue", aggregation="sum", column="amount", filters=["completed"]),
        _fact("completed", filters=["completed"]),
        _fact("hourly", interval="1h"),
        {"name": "aov", "kind": "fact",
         "numerator": {"fact_table": "orders", "aggregation": "sum", "column": "amount",
                       "filters": ["completed"]},
         "denominator": {"fact_table": "orders", "aggregation": "count",
                         "filters": ["completed"]}},
    )  # fmt: skip
    plan = compile_plan(project, list(project.metrics), dialect="duckdb", window_for=WINDOW)
    assert [q.id for q in plan.queries] == ["orders__1d", "orders__1h"]
    daily = plan.query("orders__1d")
    assert daily.metrics == ("orders_count", "revenue", "completed", "aov")
    # count(*), sum(amount) filtered, count(*) filtered: three columns serve four metrics.
    assert daily.sql.count(" AS a") == 3 and "AS a3" not in daily.sql
    aov = next(o for o in plan.outputs if o.metric == "aov")
    revenue = next(o for o in plan.outputs if o.metric == "revenue")
    assert aov.value == revenue.value
    assert aov.denominator is not None and aov.denominator.value == revenue.value.matches


def test_window_placeholders_become_literals_of_each_chunk() -> None:
    project = _project(_fact("orders_count", chunk="3d"))
    plan = compile_plan(project, ["orders_count"], dialect="postgres", window_for=WINDOW)
    windows = [q.window for q in plan.queries]
    assert windows == [
        Window(START, START + timedelta(days=3)),
        Window(START + timedelta(days=3), START + timedelta(days=6)),
        Window(START + timedelta(days=6), START + timedelta(days=7)),
    ]
    assert [q.id for q in plan.queries] == [
        "orders__1d__20260105T0000_20260108T0000",
        "orders__1d__20260108T0000_20260111T0000",
        "orders__1d__20260111T0000_20260112T0000",
    ]
    assert {q.base_id for q in plan.queries} == {"orders__1d"}
    rules = rules_for("postgres")
    for query in plan.queries:
        assert "{{" not in query.sql
        for ts in (query.window.start, query.window.end):
            assert rules.render(rules.timestamp_literal(ts)) in query.sql


def test_chunks_never_split_a_bucket_and_unaligned_windows_are_aligned() -> None:
    project = _project(_fact("weekly", interval="1w", chunk="1d"))
    odd = Window(START + timedelta(hours=5), START + timedelta(days=15, hours=1))
    plan = compile_plan(project, ["weekly"], dialect="duckdb", window_for=odd)
    windows = [q.window for q in plan.queries]
    assert windows[0].start == floor_to_bucket(odd.start, Interval.W1)
    assert all(w.end - w.start == timedelta(weeks=1) for w in windows)
    assert len(windows) == 3 and windows[-1].end >= odd.end


def _breakdowns(plan: CompiledPlan) -> list[CompiledQuery]:
    return [q for q in plan.queries if q.kind == "breakdown"]


def test_chunked_breakdowns_rank_the_whole_window_once() -> None:
    project = _project(_fact("orders_count", chunk="3d", breakdowns=["country"]))
    rules = rules_for("postgres")
    literal = lambda ts: rules.render(rules.timestamp_literal(ts))  # noqa: E731
    whole_start, whole_end = literal(WINDOW.start), literal(WINDOW.end)
    plan = compile_plan(project, ["orders_count"], dialect="postgres", window_for=WINDOW)
    # Without the ranking's answer, each chunk ranks the whole window itself (correct alone).
    (ranking,) = plan.rankings
    assert ranking.query.kind == "ranking" and ranking.query.window == WINDOW
    assert whole_start in ranking.query.sql and whole_end in ranking.query.sql
    chunks = _breakdowns(plan)
    assert len(chunks) == 3 and all(whole_start in q.sql and whole_end in q.sql for q in chunks)

    # With it, each chunk reads only its own window and folds by the values kept.
    tops = {ranking.key: ("us", "de's")}
    ranked = compile_plan(
        project, ["orders_count"], dialect="postgres", window_for=WINDOW, tops=tops
    )
    assert ranked.rankings == ()
    assert [q.id for q in ranked.queries] == [q.id for q in plan.queries]
    folded = _breakdowns(ranked)
    assert len(folded) == 3
    for query in folded:
        assert "IN ('us', 'de''s')" in query.sql and "tripl_top" not in query.sql
        # Neither read nor filtered beyond its chunk.
        assert (whole_start in query.sql) == (query.window.start == WINDOW.start)
        assert (whole_end in query.sql) == (query.window.end == WINDOW.end)


def test_a_resumed_window_ranks_over_initial_buckets_in_a_ranking_of_its_own() -> None:
    project = _project(_fact("orders_count", breakdowns=["country"]))  # initial_buckets 30
    span = Window(WINDOW.end - timedelta(days=30), WINDOW.end)
    rules = rules_for("postgres")
    plan = compile_plan(
        project, ["orders_count"], dialect="postgres", window_for=WINDOW, rank_history=True
    )
    (ranking,) = plan.rankings
    assert ranking.query.window == span
    assert rules.render(rules.timestamp_literal(span.start)) in ranking.query.sql
    (query,) = _breakdowns(plan)
    assert query.window == WINDOW
    tops = {ranking.key: ("us",)}
    ranked = compile_plan(
        project,
        ["orders_count"],
        dialect="postgres",
        window_for=WINDOW,
        rank_history=True,
        tops=tops,
    )
    (folded,) = _breakdowns(ranked)
    assert folded.id == query.id and "IN ('us')" in folded.sql and "tripl_top" not in folded.sql
    assert rules.render(rules.timestamp_literal(span.start)) not in folded.sql
    # A window as long as initial_buckets already is the span: ranked in the one query.
    month = compile_plan(
        project, ["orders_count"], dialect="postgres", window_for=span, rank_history=True
    )
    assert month.rankings == () and "tripl_rank" in _breakdowns(month)[0].sql
    # Without rank_history (a window chosen with --start), the window ranks itself.
    alone = compile_plan(project, ["orders_count"], dialect="postgres", window_for=WINDOW)
    assert alone.rankings == ()


def test_a_ranking_that_kept_nothing_folds_every_chunk_into_other() -> None:
    project = _project(_fact("orders_count", chunk="3d", breakdowns=["country"]))
    plan = compile_plan(project, ["orders_count"], dialect="postgres", window_for=WINDOW)
    (ranking,) = plan.rankings
    empty = compile_plan(
        project, ["orders_count"], dialect="postgres", window_for=WINDOW, tops={ranking.key: ()}
    )
    chunks = _breakdowns(empty)
    assert len(chunks) == 3 and all("FALSE" in q.sql for q in chunks)


def test_breakdown_limit_one_folds_everything_without_a_ranking() -> None:
    flat = _project(_fact("all_other", breakdowns=["country"], breakdown_limit=1))
    plan = compile_plan(flat, ["all_other"], dialect="postgres", window_for=WINDOW)
    (query,) = _breakdowns(plan)
    assert "tripl_top" not in query.sql and "FALSE" in query.sql
    one = _project(_fact("orders_count", chunk="3d", breakdowns=["country"], breakdown_limit=1))
    alone = compile_plan(one, ["orders_count"], dialect="postgres", window_for=WINDOW)
    chunks = _breakdowns(alone)
    assert alone.rankings == () and len(chunks) == 3 and all("FALSE" in q.sql for q in chunks)


def test_a_chunk_and_the_same_windows_own_breakdown_get_two_ids() -> None:
    first_chunk = Window(START, START + timedelta(days=3))
    both = _project(
        _fact("orders_count", chunk="3d", breakdowns=["country"]),
        _fact("plain", breakdowns=["country"]),
    )
    windows = {"orders_count": WINDOW, "plain": first_chunk}
    mixed = compile_plan(both, list(windows), dialect="postgres", window_for=windows.__getitem__)
    ids = [q.id for q in _breakdowns(mixed)]
    assert len(ids) == len(set(ids)) == 4


def test_breakdowns_one_query_per_column_and_limit() -> None:
    project = _project(
        _fact("a", breakdowns=["country", "platform"]),
        _fact("b", aggregation="sum", column="amount", breakdowns=["country"]),
        _fact("c", breakdowns=["country"], breakdown_limit=None),
    )
    plan = compile_plan(project, ["a", "b", "c"], dialect="duckdb", window_for=WINDOW)
    assert [q.id for q in plan.queries] == [
        "orders__1d",
        "orders__1d__country__all",
        "orders__1d__country__top10",
        "orders__1d__platform",
    ]
    assert plan.query("orders__1d__country__top10").metrics == ("a", "b")
    assert "tripl_rank < 10" in plan.query("orders__1d__country__top10").sql
    assert "tripl_rank" not in plan.query("orders__1d__country__all").sql
    assert {o.breakdown for o in plan.outputs if o.metric == "a"} == {None, "country", "platform"}


def test_cross_table_ratio_scans_each_table_and_single_compiles_both() -> None:
    project = _project(
        _fact("orders_count"),
        {"name": "conversion", "kind": "fact",
         "numerator": {"fact_table": "orders", "aggregation": "count"},
         "denominator": {"fact_table": "sessions", "aggregation": "count_distinct",
                         "column": "user_id"}},
    )  # fmt: skip
    plan = compile_plan(project, ["orders_count", "conversion"], dialect="mysql", window_for=WINDOW)
    assert [q.id for q in plan.queries] == ["orders__1d", "sessions__1d"]
    output = next(o for o in plan.outputs if o.metric == "conversion")
    assert output.query_ids == ("orders__1d", "sessions__1d")
    single = compile_single(project, "conversion", dialect="mysql", window_for=WINDOW)
    assert [q.metrics for q in single.queries] == [("conversion",), ("conversion",)]


def test_sql_metric_and_per_distinct_composition() -> None:
    project = _project(
        _fact("orders_count", interval="1h"),
        {"name": "active", "kind": "sql", "interval": "6h",
         "sql": "SELECT day AS bucket, n AS value FROM raw.daily WHERE day >= {{ start }}"},
        {"name": "per_user", "kind": "composition", "numerator": "orders_count",
         "per_distinct": {"fact_table": "orders", "column": "user_id"}},
        {"name": "ratio", "kind": "composition", "numerator": "orders_count",
         "denominator": "active"},
    )  # fmt: skip
    windows = {"orders_count": WINDOW, "active": WINDOW, "per_user": WINDOW}
    plan = compile_plan(
        project, list(project.metrics), dialect="snowflake", window_for=windows.__getitem__
    )
    assert [(q.id, q.kind) for q in plan.queries] == [
        ("metric__active", "sql_metric"),
        ("orders__1h", "aggregate"),
        ("orders__1h__distinct__user_id", "distinct"),  # the numerator's interval
    ]
    assert plan.compositions == ("per_user", "ratio")
    assert plan.distincts[0].value.query_id == "orders__1h__distinct__user_id"
    assert list(plan.metrics()) == ["orders_count", "active", "per_user", "ratio"]


def test_metrics_with_different_windows_get_different_scans() -> None:
    project = _project(_fact("old"), _fact("new"))
    older = Window(START - timedelta(days=30), WINDOW.end)
    plan = compile_plan(
        project, ["old", "new"], dialect="duckdb",
        window_for=lambda name: WINDOW if name == "old" else older,
    )  # fmt: skip
    assert sorted(q.metrics for q in plan.queries) == [("new",), ("old",)]
    assert len({q.id for q in plan.queries}) == 2


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ({"name": "r", "kind": "fact", "breakdowns": ["country"],
          "numerator": {"fact_table": "orders", "aggregation": "count"},
          "denominator": {"fact_table": "sessions", "aggregation": "count"}},
         "breakdowns need both ratio operands on one fact table"),
        ({"name": "s", "kind": "sql", "sql": "SELECT 1 AS bucket, 2 AS value",
          "breakdowns": ["x"]}, "breakdowns are not supported on sql metrics"),
        ({"name": "x", "kind": "fact", "fact_table": "nope", "aggregation": "count"},
         "unknown fact table 'nope'"),
        ({"name": "bad", "kind": "fact", "fact_table": "orders", "aggregation": "count",
          "chunk": "soon"}, "bad duration"),
    ],
)  # fmt: skip
def test_user_errors(metric: dict[str, Any], message: str) -> None:
    project = _project(metric)
    with pytest.raises(TriplError, match=message):
        compile_plan(project, [metric["name"]], dialect="duckdb", window_for=WINDOW)
    with pytest.raises(TriplError, match="unknown metric 'zzz'"):
        compile_plan(project, ["zzz"], dialect="duckdb", window_for=WINDOW)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_query_parses_back_in_its_dialect(dialect: str) -> None:
    project = _project(
        _fact("a", breakdowns=["country"], filters=["completed"], where="amount > 1"),
        {"name": "s", "kind": "sql", "sql": "SELECT ts AS bucket, 1 AS value FROM raw.t"},
    )
    plan = compile_plan(project, ["a", "s"], dialect=dialect, window_for=WINDOW)
    for query in plan.queries:
        assert query.dialect == rules_for(dialect).name
        sqlglot.parse_one(query.sql, read=query.dialect)
