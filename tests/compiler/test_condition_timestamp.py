"""A `conditions:` timestamp written with a UTC offset means that instant on every engine.

Against a column without a zone, engines read an offset differently (DuckDB and PostgreSQL
dropped it, MySQL converts it), so tripl renders such a value as UTC text: every session
runs in UTC. A column declared `string` keeps the text as written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tests.support.engines import Engine, assembled_on, load_table
from tripl_cli.compiler.filters import measure_condition
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.schema import ColumnDef, ColumnType, Condition, FactTable
from tripl_cli.timegrid import Window

from .projects import project_of

DAY = datetime(2026, 1, 5, tzinfo=UTC)
PLUS_5 = timezone(timedelta(hours=5))
MINUS_3 = timezone(timedelta(hours=-3))
#: name → (condition on `ts`, Python's reading of an aware row timestamp)
CONDITIONS: dict[str, tuple[dict[str, Any], Any]] = {
    "lt_plus5": (
        {"operator": "lt", "value": "2026-01-05T10:00:00+05:00"},
        lambda t: t < datetime(2026, 1, 5, 10, tzinfo=PLUS_5),
    ),
    "gte_z": (
        {"operator": "gte", "value": "2026-01-05T20:00:00Z"},
        lambda t: t >= datetime(2026, 1, 5, 20, tzinfo=UTC),
    ),
    "eq_minus3": (
        {"operator": "eq", "value": "2026-01-05T04:00:00-03:00"},
        lambda t: t == datetime(2026, 1, 5, 4, tzinfo=MINUS_3),
    ),
    "in_mixed": (
        {"operator": "in", "value": ["2026-01-05T08:00:00+05:00", "2026-01-05 09:00:00"]},
        lambda t: (
            t in (datetime(2026, 1, 5, 8, tzinfo=PLUS_5), datetime(2026, 1, 5, 9, tzinfo=UTC))
        ),
    ),
    "naive_is_utc": (
        {"operator": "lt", "value": "2026-01-05T05:00:00"},
        lambda t: t < datetime(2026, 1, 5, 5, tzinfo=UTC),
    ),
}


def test_offset_timestamps_mean_the_same_instant_on_every_engine(engine: Engine) -> None:
    rows = [(DAY + timedelta(hours=h),) for h in range(24)]
    table = load_table(engine, "condition_ts", [("ts", "timestamp")], rows)
    window = Window(DAY, DAY + timedelta(days=1))
    want = {
        name: float(n)
        for name, (_, reads) in CONDITIONS.items()
        if (n := sum(1 for (t,) in rows if reads(t)))
    }
    assert want == {"lt_plus5": 5.0, "gte_z": 4.0, "eq_minus3": 1.0, "in_mixed": 2.0,
                    "naive_is_utc": 5.0}  # fmt: skip
    for declared in (None, [ColumnDef(name="ts", type=ColumnType.TIMESTAMP)]):
        fact = FactTable(
            name="t", sql=f"SELECT * FROM {table}", timestamp_column="ts", columns=declared
        )
        metrics = [
            {"name": name, "kind": "fact", "fact_table": "t", "aggregation": "count",
             "conditions": [{"column": "ts", **condition}]}
            for name, (condition, _) in CONDITIONS.items()
        ]  # fmt: skip
        plan = compile_plan(
            project_of([fact], *metrics), list(CONDITIONS), dialect=engine.name, window_for=window
        )
        got = {v.metric: v.value for v in assembled_on(engine, plan)}
        assert got == want, f"columns declared: {declared is not None}"


def test_a_column_declared_as_text_keeps_the_value_as_written() -> None:
    value = "2026-01-05T10:00:00+05:00"
    fact = FactTable(
        name="t",
        sql="SELECT * FROM x",
        timestamp_column="ts",
        columns=[
            ColumnDef(name="ts", type=ColumnType.TIMESTAMP),
            ColumnDef(name="s", type=ColumnType.STRING),
        ],
    )
    for column, rendered in (("s", value), ("ts", "2026-01-05 05:00:00")):
        condition = Condition.model_validate({"column": column, "operator": "eq", "value": value})
        found = measure_condition(
            fact, filters=[], where=None, conditions=[condition], dialect="duckdb"
        )
        assert found is not None
        assert found.expression.sql(dialect="duckdb") == f"{column} = '{rendered}'"
