"""A NaN in the data makes its bucket's sum, average and max a gap on every engine that can
store a NaN — never the additive 0 (docs/compiler.md, "NULL means gap"). ClickHouse's JSON
output wrote NaN as null unless asked to quote it, and null with matching rows read as 0.
MySQL/MariaDB cannot store a NaN in a DOUBLE, so they are not among these engines."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.engines import Engine, assembled_on, load_table
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.schema import FactTable
from tripl_cli.timegrid import Window

from .condition_counts import counted
from .projects import project_of

DAY = datetime(2026, 1, 5, tzinfo=UTC)
#: Day 1: 70 and NaN; day 2: 20 and 30; day 3: +inf and 5.
ROWS = [(0, 70.0), (0, math.nan), (1, 20.0), (1, 30.0), (2, math.inf), (2, 5.0)]
#: The engines that can store a NaN.
NAN_ENGINES = pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, id=n, marks=pytest.mark.engine(n))
        for n in ("duckdb", "postgres", "clickhouse", "snowflake")
    ],
)
METRICS = (
    {"name": "total", "kind": "fact", "fact_table": "t", "aggregation": "sum", "column": "x"},
    {"name": "mean", "kind": "fact", "fact_table": "t", "aggregation": "avg", "column": "x"},
    {"name": "rows", "kind": "fact", "fact_table": "t", "aggregation": "count"},
)


@NAN_ENGINES
def test_a_nan_or_infinite_value_makes_its_bucket_a_gap(
    name: str, engine_factory: Callable[[str], Engine]
) -> None:
    engine = engine_factory(name)
    rows = [(DAY + timedelta(days=d, hours=1), x) for d, x in ROWS]
    table = load_table(engine, "nan_values", [("ts", "timestamp"), ("x", "number")], rows)
    fact = FactTable(name="t", sql=f"SELECT * FROM {table}", timestamp_column="ts")
    project = project_of([fact], *METRICS)
    plan = compile_plan(
        project,
        [m["name"] for m in METRICS],
        dialect=engine.name,
        window_for=Window(DAY, DAY + timedelta(days=3)),
    )
    got = {(v.metric, (v.bucket - DAY).days): v.value for v in assembled_on(engine, plan)}
    assert got == {
        ("total", 1): 50.0,
        ("mean", 1): 25.0,
        **{("rows", d): 2.0 for d in range(3)},
    }


#: name → (condition on x, Python's IEEE reading)
NAN_CONDITIONS = {
    "gt_zero": ({"operator": "gt", "value": 0}, lambda x: x > 0),
    "gte_minus_one": ({"operator": "gte", "value": -1}, lambda x: x >= -1),
    "lt_zero": ({"operator": "lt", "value": 0}, lambda x: x < 0),
    "ne_one": ({"operator": "ne", "value": 1}, lambda x: x != 1),
}


@NAN_ENGINES
def test_a_nan_is_greater_than_no_number_in_a_condition(
    name: str, engine_factory: Callable[[str], Engine]
) -> None:
    # DuckDB, PostgreSQL and Snowflake sort NaN above every number: `gt 0` counted it there
    # and not on ClickHouse (found by a cross-engine test).
    engine = engine_factory(name)
    values = [math.nan, math.nan, math.inf, -math.inf, 1.0, -1.0, 0.0]
    got, want = counted(engine, "nan_conditions", "number", values, NAN_CONDITIONS)
    assert want == {"gt_zero": 2.0, "gte_minus_one": 4.0, "lt_zero": 2.0, "ne_one": 6.0}
    assert got == want
