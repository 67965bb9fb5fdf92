"""The alternative SQL shapes: when each applies, and their limits (compile level).

That every shape returns the reference values on every engine is proven by
test_execution.py; here: which shape a query gets, and the shapes' edge cases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlglot
from sqlglot import exp

from tests.compiler.projects import project_of
from tripl_cli.compiler.cube import MAX_TERMS
from tripl_cli.compiler.dialects import (
    DIALECTS,
    BreakdownStrategy,
    DistinctStrategy,
    FilterStrategy,
    Shapes,
    rules_for,
)
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.model import Project
from tripl_cli.project.schema import FactTable
from tripl_cli.timegrid import Window

START = datetime(2026, 1, 5, tzinfo=UTC)
WINDOW = Window(START, START + timedelta(days=7))
ALL = Shapes(DistinctStrategy.PREAGGREGATE, BreakdownStrategy.FOLD_GROUPS, FilterStrategy.GROUPED)


def _project(*metrics: dict[str, Any], sql: str = "SELECT * FROM raw.orders") -> Project:
    return project_of([FactTable(name="orders", sql=sql, timestamp_column="ts")], *metrics)


def _fact(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "kind": "fact", "fact_table": "orders", "aggregation": "count", **kw}


def _sql(project: Project, dialect: str = "duckdb", shapes: Shapes = ALL) -> dict[str, str]:
    plan = compile_plan(
        project, list(project.metrics), dialect=dialect, window_for=WINDOW, shapes=shapes
    )
    return {q.id: q.sql for q in plan.queries}


def _ctes(sql: str, dialect: str = "duckdb") -> list[str]:
    tree = sqlglot.parse_one(sql, read=dialect)
    with_ = tree.args.get("with_")
    return [cte.alias_or_name for cte in with_.expressions] if with_ else []


def test_each_distinct_column_gets_its_own_part_joined_on_the_bucket() -> None:
    project = _project(
        _fact("n", where="amount > 0"),
        _fact("users", aggregation="count_distinct", column="user_id"),
        _fact("buyers", aggregation="count_distinct", column="user_id", where="paid"),
        _fact("countries", aggregation="count_distinct", column="country", where="paid"),
    )
    sql = _sql(project)["orders__1d"]
    assert _ctes(sql) == ["src", "tripl_main", "tripl_distinct_0", "tripl_distinct_1"]
    tree = sqlglot.parse_one(sql, read="duckdb")
    assert [j.side for j in tree.args["joins"]] == ["LEFT", "LEFT"]
    assert [e.alias_or_name for e in tree.expressions] == ["bucket", "a0", "a1", "a2", "a3", "a4"]


def test_standard_shapes_keep_one_query_level() -> None:
    project = _project(_fact("users", aggregation="count_distinct", column="user_id", where="x"))
    sql = _sql(project, shapes=Shapes())["orders__1d"]
    assert _ctes(sql) == ["src"]
    assert "COUNT(DISTINCT" in sql


def test_duckdb_packs_flags_into_bit_or_masks_of_62() -> None:
    rules = rules_for("duckdb")
    conditions = [exp.condition(f"x = {i}") for i in range(63)]
    flags, tests = rules.distinct_flags(conditions, "tripl_f")
    assert [name for name, _ in flags] == ["tripl_f0", "tripl_f1"]
    assert len(tests) == 63
    last = tests[-1].sql(dialect="duckdb")
    assert last == "(tripl_f1 & 1) <> 0"  # the 63rd condition: bit 0 of the second mask
    assert tests[61].sql(dialect="duckdb") == f"(tripl_f0 & {1 << 61}) <> 0"


def test_grouped_filters_group_by_terms_not_by_whole_filters() -> None:
    project = _project(
        _fact("a", where="paid", conditions=[{"column": "c", "operator": "eq", "value": "us"}]),
        _fact("b", where="paid"),
        _fact("c", conditions=[{"column": "c", "operator": "eq", "value": "us"}]),
    )
    sql = " ".join(_sql(project)["orders__1d"].split())
    assert "tripl_cube" in sql
    # One bit per term: `b` tests bit 1, `c` bit 2, `a` (the AND of both terms) bits 1 + 2.
    assert "CASE WHEN paid THEN 1 ELSE 0 END + CASE WHEN c = 'us' THEN 2 ELSE 0 END" in sql
    assert "( tripl_mask & 3 ) = 3" in sql
    assert "( tripl_mask & 1 ) = 1" in sql and "( tripl_mask & 2 ) = 2" in sql
    assert "& 4" not in sql  # two terms: no third bit


def test_grouped_filters_fall_back_past_max_terms() -> None:
    many = [_fact(f"m{i}", where=f"x = {i}") for i in range(MAX_TERMS + 1)]
    assert "tripl_cube" not in _sql(_project(*many))["orders__1d"]
    assert "tripl_cube" in _sql(_project(*many[:MAX_TERMS]))["orders__1d"]


def test_fold_groups_only_without_count_distinct_and_with_a_limit() -> None:
    counts = _project(_fact("n", breakdowns=["country"], breakdown_limit=3))
    assert "tripl_groups" in _sql(counts)["orders__1d__country"]
    distinct = _project(
        _fact("u", aggregation="count_distinct", column="user_id", breakdowns=["country"],
              breakdown_limit=3)
    )  # fmt: skip
    assert "tripl_groups" not in _sql(distinct)["orders__1d__country"]
    unlimited = _project(_fact("n", breakdowns=["country"], breakdown_limit=None))
    assert "tripl_groups" not in _sql(unlimited)["orders__1d__country"]


def test_user_ctes_named_like_tripls_stay_nested() -> None:
    sql = "WITH tripl_main AS (SELECT * FROM raw.orders) SELECT * FROM tripl_main"
    project = _project(_fact("users", aggregation="count_distinct", column="user_id"), sql=sql)
    compiled = _sql(project)["orders__1d"]
    assert _ctes(compiled)[0] == "src"  # not hoisted: it would collide with tripl's own


def test_every_dialect_renders_every_shape_and_parses_back() -> None:
    project = _project(
        _fact("n", where="amount > 0", breakdowns=["country"], breakdown_limit=3),
        _fact("avg", aggregation="avg", column="amount", where="paid", breakdowns=["country"],
              breakdown_limit=3),
        _fact("users", aggregation="count_distinct", column="user_id", where="paid"),
    )  # fmt: skip
    every = [
        Shapes(d, b, f) for d in DistinctStrategy for b in BreakdownStrategy for f in FilterStrategy
    ]
    for dialect in DIALECTS:
        for shapes in every:
            for sql in _sql(project, dialect, shapes).values():
                tree = sqlglot.parse_one(sql, read=rules_for(dialect).name)
                assert isinstance(tree, exp.Query), (dialect, shapes)


def test_separate_distinct_counts_get_a_query_of_their_own() -> None:
    project = _project(
        _fact("orders"),
        _fact("paid", where="paid"),
        _fact("users", aggregation="count_distinct", column="user_id"),
        _fact("payers", aggregation="count_distinct", column="user_id", where="paid"),
        _fact("by_country", aggregation="count_distinct", column="user_id", breakdowns=["c"]),
        _fact("paid_by_country", where="paid", breakdowns=["c"]),
    )
    shapes = Shapes(DistinctStrategy.SEPARATE, BreakdownStrategy.FOLD_ROWS, FilterStrategy.GROUPED)
    sql = _sql(project, "postgres", shapes)
    assert set(sql) == {"orders__1d", "orders__1d__count_distinct", "orders__1d__c"}
    assert "DISTINCT" not in sql["orders__1d"] and "tripl_cube" in sql["orders__1d"]
    apart = sql["orders__1d__count_distinct"]
    # One GROUP BY: the two distinct counts and the payers' match count, no cube, no join.
    assert apart.count("COUNT(DISTINCT user_id)") == 2 and "tripl_cube" not in apart
    assert _ctes(apart, "postgres") == ["src"]
    assert "COUNT(DISTINCT" in sql["orders__1d__c"]  # breakdown queries keep theirs
    # …in one statement: no GROUPED cube joined to a distinct part (PostgreSQL sorts that).
    assert _ctes(sql["orders__1d__c"], "postgres") == ["src", "tripl_values", "tripl_top"]


def test_a_breakdown_named_like_a_query_suffix_keeps_its_own_query_id() -> None:
    project = _project(
        _fact("users", aggregation="count_distinct", column="user_id"),
        _fact("n", breakdowns=["count_distinct"]),
    )
    for shapes in (Shapes(distinct=DistinctStrategy.SEPARATE), ALL):
        plan = compile_plan(
            project, list(project.metrics), dialect="postgres", window_for=WINDOW, shapes=shapes
        )
        ids = [q.id for q in plan.queries]
        assert len(set(ids)) == len(ids), ids
        by_id = {q.id: q for q in plan.queries}
        for output in plan.outputs:  # each metric reads the query of its own kind
            query = by_id[output.value.query_id]
            assert (query.kind == "breakdown") == (output.breakdown is not None)


def test_rank_groups_ranks_the_groups_in_one_statement() -> None:
    project = _project(_fact("n", breakdowns=["country"], breakdown_limit=3))
    shapes = Shapes(breakdown=BreakdownStrategy.RANK_GROUPS)
    sql = _sql(project, "clickhouse", shapes)["orders__1d__country"]
    assert _ctes(sql, "clickhouse") == ["src"]  # no twice-read tripl_groups CTE
    flat = " ".join(sql.split())
    assert "DENSE_RANK() OVER (ORDER BY tripl_total DESC, tripl_value ASC)" in flat
    assert "SUM(tripl_rows) OVER (PARTITION BY tripl_value)" in flat
    assert "CASE WHEN tripl_rank < 3 THEN tripl_value ELSE 'Other' END" in flat
