"""Execution conformance: the compiled SQL of each dialect, run on its real engine over the
same rows, assembled, equals a pure-Python computation from those rows (tests/compiler/
reference.py) — per metric, bucket and breakdown value."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pydantic import TypeAdapter

from tests.support.engines import Engine, load_table
from tripl_cli.compiler.assemble import assemble, distinct_counts
from tripl_cli.compiler.dialects import (
    BreakdownStrategy,
    DistinctStrategy,
    FilterStrategy,
    Shapes,
)
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.model import Project
from tripl_cli.project.schema import CompositionMetric, FactTable, Metric, ProjectConfig
from tripl_cli.timegrid import Window

from .conformance import (
    FRAGMENTS,
    ORDER_COLUMNS,
    SESSION_COLUMNS,
    as_dicts,
    build_project,
    order_rows,
    refunds,
    session_rows,
    window_for,
)
from .projects import project_of
from .reference import Key, Reference, Value

ORDERS = order_rows()
SESSIONS = session_rows()


def _close(actual: float | None, expected: float | None) -> bool:
    if actual is None or expected is None:
        return actual is expected
    # Counts and sums of quarter-unit amounts are exact; averages and ratios are not.
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)


def _diff(actual: dict[Key, Value], expected: dict[Key, Value]) -> list[str]:
    problems = [
        f"missing {k}: expected {expected[k]}" for k in sorted(expected.keys() - actual.keys())
    ]
    problems += [f"unexpected {k}: {actual[k]}" for k in sorted(actual.keys() - expected.keys())]
    for key in sorted(actual.keys() & expected.keys()):
        if not all(_close(a, e) for a, e in zip(actual[key], expected[key], strict=True)):
            problems.append(f"{key}: got {actual[key]}, expected {expected[key]}")
    return problems


@pytest.fixture(scope="module")
def expected() -> tuple[Reference, dict[Key, Value]]:
    project = build_project("orders", "sessions")
    orders = as_dicts(ORDERS, ORDER_COLUMNS)
    ref = Reference(
        project,
        {"orders": orders, "sessions": as_dicts(SESSIONS, SESSION_COLUMNS)},
        FRAGMENTS,
        {"refunds_sql": refunds(orders)},
        window_for,
    )
    return ref, ref.values(project.metrics)


def test_reference_data_exercises_the_edge_cases(
    expected: tuple[Reference, dict[Key, Value]],
) -> None:
    """The data holds what the engines are tested on (otherwise this test proves little)."""
    _, values = expected
    metrics = {k[0] for k in values}
    by_metric = {m: [v for k, v in values.items() if k[0] == m] for m in metrics}
    daily_buckets = {k[1] for k in values if k[0] == "orders_count"}
    assert len({k[1] for k in values if k[0] == "max_obrien"}) < len(daily_buckets)  # gaps
    assert any(v[0] == 0.0 for v in by_metric["pending_sum"])  # all-NULL sum is 0
    assert "pending_avg" not in metrics  # …and the average a gap everywhere
    assert {k[2] for k in values if k[0] == "orders_count"} >= {
        ("country", "Other"), ("platform", "Other"), ("country", "us")}  # fmt: skip
    assert ("country", "") in {k[2] for k in values if k[0] == "null_platform"}
    assert ("country", "o'hare") in {k[2] for k in values if k[0] == "null_platform"}
    assert any(v[1] == 0.0 for v in by_metric["obrien_share"])  # numerator without rows: 0
    assert len(by_metric["conversion"]) < len(daily_buckets)  # a day without sessions
    assert any(k[0] == "refunds_sql" for k in values)
    # Distinct counts in the breakdown that folds values into Other, and of a nullable column.
    assert ("country", "Other") in {k[2] for k in values if k[0] == "buyers_completed"}
    assert any(r[5] is None for r in ORDERS)  # platform: NULLs the distinct count must skip


#: Every shape of each strategy, in combinations that together build every query form.
SHAPES = {
    "inline-rows-conditional": Shapes(
        DistinctStrategy.INLINE, BreakdownStrategy.FOLD_ROWS, FilterStrategy.CONDITIONAL
    ),
    "preagg-groups-grouped": Shapes(
        DistinctStrategy.PREAGGREGATE, BreakdownStrategy.FOLD_GROUPS, FilterStrategy.GROUPED
    ),
    "inline-rows-grouped": Shapes(
        DistinctStrategy.INLINE, BreakdownStrategy.FOLD_ROWS, FilterStrategy.GROUPED
    ),
    "preagg-rows-conditional": Shapes(
        DistinctStrategy.PREAGGREGATE, BreakdownStrategy.FOLD_ROWS, FilterStrategy.CONDITIONAL
    ),
    "separate-groups-grouped": Shapes(
        DistinctStrategy.SEPARATE, BreakdownStrategy.FOLD_GROUPS, FilterStrategy.GROUPED
    ),
    "separate-rows-conditional": Shapes(
        DistinctStrategy.SEPARATE, BreakdownStrategy.FOLD_ROWS, FilterStrategy.CONDITIONAL
    ),
    "inline-ranked-conditional": Shapes(
        DistinctStrategy.INLINE, BreakdownStrategy.RANK_GROUPS, FilterStrategy.CONDITIONAL
    ),
    # Bitmaps on DuckDB; the dialects without a bitmap type build PREAGGREGATE's part instead.
    "bitmap-groups-grouped": Shapes(
        DistinctStrategy.BITMAP, BreakdownStrategy.FOLD_GROUPS, FilterStrategy.GROUPED
    ),
    "bitmap-rows-conditional": Shapes(
        DistinctStrategy.BITMAP, BreakdownStrategy.FOLD_ROWS, FilterStrategy.CONDITIONAL
    ),
}


@pytest.mark.parametrize("shapes", list(SHAPES.values()), ids=list(SHAPES))
def test_compiled_sql_on_engine(
    engine: Engine, expected: tuple[Reference, dict[Key, Value]], shapes: Shapes
) -> None:
    """Every SQL shape on every engine, whichever ones the dialect table picks."""
    ref, want = expected
    orders = load_table(engine, "orders", ORDER_COLUMNS, ORDERS)
    sessions = load_table(engine, "sessions", SESSION_COLUMNS, SESSIONS)
    project = build_project(orders, sessions)
    plan = compile_plan(
        project,
        list(project.metrics),
        dialect=engine.dialect,
        window_for=window_for,
        shapes=shapes,
    )
    _check_plan(engine, plan, [q.sql for q in plan.queries], project, ref, want)


def test_the_bitmap_variants_on_duckdb(
    expected: tuple[Reference, dict[Key, Value]],
    engine_factory: Callable[[str], Engine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The BITMAP forms the dialect's own plan carries (the runner's probe picks them)."""
    monkeypatch.setattr("tripl_cli.compiler.bitmap.PROBED_MIN_BUCKETS", 2)  # a 7-day window
    ref, want = expected
    engine = engine_factory("duckdb")
    orders = load_table(engine, "orders", ORDER_COLUMNS, ORDERS)
    sessions = load_table(engine, "sessions", SESSION_COLUMNS, SESSIONS)
    project = build_project(orders, sessions)
    plan = compile_plan(project, list(project.metrics), dialect="duckdb", window_for=window_for)
    varied = [q for q in plan.queries if q.variant is not None]
    assert {q.kind for q in varied} == {"aggregate"}
    assert all("tripl_bitmaps" in q.variant.sql for q in varied if q.variant)
    sqls = [q.variant.sql if q.variant else q.sql for q in plan.queries]
    _check_plan(engine, plan, sqls, project, ref, want)


def _check_plan(
    engine: Engine,
    plan: Any,
    sqls: list[str],
    project: Project,
    ref: Reference,
    want: dict[Key, Value],
) -> None:
    """Run `sqls` (one per query of `plan`), assemble, and compare with the reference."""
    results: dict[str, Any] = {}
    for query, sql in zip(plan.queries, sqls, strict=True):
        try:
            results[query.id] = engine.adapter.execute(sql)
        except Exception as exc:  # show which query and its SQL
            raise AssertionError(f"{engine.name}: {query.id} failed: {exc}\n{sql}") from exc

    got: dict[Key, Value] = {}
    for v in assemble(plan, results):
        key = (v.metric, v.bucket, v.breakdown)
        assert key not in got, f"duplicate value for {key}"
        got[key] = (v.value, v.numerator, v.denominator)  # type: ignore[assignment]
    problems = _diff(got, want)
    assert not problems, f"{engine.name}: {len(problems)} differences:\n" + "\n".join(problems[:25])

    composition = project.metrics["orders_per_user"]
    assert isinstance(composition, CompositionMetric)
    counts = distinct_counts(plan, results)["orders_per_user"]
    assert counts == ref.distinct(composition, project.interval_of(composition))


@pytest.mark.parametrize("folding", list(BreakdownStrategy))
def test_every_breakdown_shape_breaks_ties_at_the_cut_off_by_value(
    folding: BreakdownStrategy,
) -> None:
    """Top 2 + Other over tied counts: rows desc, then value asc ('' for NULL sorts first)."""
    counts = {"b": 3, "a": 2, "c": 2, None: 2}  # b leads; a, c and NULL tie at the cut-off
    rows = [v for v, n in counts.items() for _ in range(n)]
    values = ", ".join(
        f"(TIMESTAMP '2026-01-05 0{i % 9}:00:00', {'NULL' if v is None else repr(v)})"
        for i, v in enumerate(rows)
    )
    fact = FactTable(
        name="t", sql=f"SELECT * FROM (VALUES {values}) AS r (ts, v)", timestamp_column="ts"
    )
    metric = TypeAdapter(Metric).validate_python(
        {"name": "n", "kind": "fact", "fact_table": "t", "aggregation": "count",
         "breakdowns": ["v"], "breakdown_limit": 3}
    )  # fmt: skip
    project = Project(
        root=Path(), config=ProjectConfig(name="p"), fact_tables={"t": fact}, metrics={"n": metric}
    )
    start = datetime(2026, 1, 5, tzinfo=UTC)
    plan = compile_plan(
        project,
        ["n"],
        dialect="duckdb",
        window_for=Window(start, start + timedelta(days=1)),
        shapes=Shapes(breakdown=folding),
    )
    (query,) = [q for q in plan.queries if q.kind == "breakdown"]
    rows_out = duckdb.connect().execute(query.sql).fetchall()
    assert {value: n for _, value, n in rows_out} == {"b": 3, "": 2, "Other": 4}


def test_postgres_ranks_and_groups_breakdown_values_by_code_point(
    engine_factory: Callable[[str], Engine],
) -> None:
    """Under an ICU collation 'a' sorts before 'B'; by code point 'B' (66) comes first. The
    other engines break the tie as the reference does: by code point."""
    engine = engine_factory("postgres")
    adapter = engine.connect()
    table = "tripl_collation_check"
    try:
        adapter.execute(f"DROP TABLE IF EXISTS {table}")
        adapter.execute(f'CREATE TABLE {table} (ts TIMESTAMP, v TEXT COLLATE "en-x-icu")')
        adapter.execute(
            f"INSERT INTO {table} VALUES ('2026-01-05 01:00', 'a'), ('2026-01-05 02:00', 'a'),"
            " ('2026-01-05 03:00', 'B'), ('2026-01-05 04:00', 'B'), ('2026-01-05 05:00', 'c')"
        )
        fact = FactTable(name="t", sql=f"SELECT ts, v FROM {table}", timestamp_column="ts")
        metric = {"name": "n", "kind": "fact", "fact_table": "t", "aggregation": "count",
                  "breakdowns": ["v"], "breakdown_limit": 2}  # fmt: skip
        project = project_of([fact], metric)
        window = Window(datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC))
        plan = compile_plan(project, ["n"], dialect="postgres", window_for=window)
        results = {q.id: adapter.execute(q.sql) for q in plan.queries}
        by_value = {v.breakdown[1]: v.value for v in assemble(plan, results) if v.breakdown[0]}
        assert by_value == {"B": 2.0, "Other": 3.0}
    finally:
        adapter.execute(f"DROP TABLE IF EXISTS {table}")
        adapter.close()
