"""How an engine applies `conditions:`: one value per row, one `count` metric per condition."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.engines import Engine, assembled_on, load_table
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.schema import FactTable
from tripl_cli.timegrid import Window

from .projects import counts_where

DAY = datetime(2026, 1, 5, tzinfo=UTC)
#: name → (condition without its column, Python's reading of a value)
Conditions = Mapping[str, tuple[dict[str, Any], Callable[[Any], bool]]]


def counted(
    engine: Engine, table: str, column_type: str, values: Sequence[Any], conditions: Conditions
) -> tuple[dict[str, float], dict[str, float]]:
    """(what the engine counted, what Python counts) per condition on column `x`, the values
    loaded one per hour of DAY; a condition that matches nothing has no value (a gap)."""
    rows = [(DAY + timedelta(hours=h), x) for h, x in enumerate(values)]
    loaded = load_table(engine, table, [("ts", "timestamp"), ("x", column_type)], rows)
    fact = FactTable(name="t", sql=f"SELECT * FROM {loaded}", timestamp_column="ts")
    on_x = {name: {"column": "x", **condition} for name, (condition, _) in conditions.items()}
    plan = compile_plan(
        counts_where(fact, on_x),
        list(on_x),
        dialect=engine.name,
        window_for=Window(DAY, DAY + timedelta(days=1)),
    )
    got = {v.metric: v.value for v in assembled_on(engine, plan) if v.value is not None}
    want = {
        name: float(n)
        for name, (_, reads) in conditions.items()
        if (n := sum(1 for x in values if reads(x)))
    }
    return got, want
