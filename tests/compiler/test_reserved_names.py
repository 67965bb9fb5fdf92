"""Columns named after a word some engine reserves are quoted, so every engine runs the SQL
and sqlglot reads it back in every dialect: `at` (DuckDB), `sample`, `regexp`, `minus`,
`connect`, `start`, `current` (Snowflake), `left`, `order` (everywhere)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlglot

from tests.support.engines import Engine, assembled_on, load_table
from tripl_cli.compiler.dialects import DIALECTS
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.model import Project
from tripl_cli.project.schema import FactTable
from tripl_cli.timegrid import Window

from .projects import project_of

DAY = datetime(2026, 1, 5, tzinfo=UTC)
WINDOW = Window(DAY, DAY + timedelta(days=1))
NAMES = ["at", "sample", "regexp", "minus", "connect", "start", "current", "left", "order"]
# Hour h: column i holds 'x' when (h >> i) & 1, else 'y' — every column differs.
ROWS = [
    (DAY + timedelta(hours=h), *("x" if (h >> (i % 5)) & 1 else "y" for i in range(len(NAMES))))
    for h in range(24)
]


def _project(table: str, quote: str) -> Project:
    aliases = ", ".join(f"c{i} AS {quote}{name}{quote}" for i, name in enumerate(NAMES))
    fact = FactTable(name="t", sql=f"SELECT ts, {aliases} FROM {table}", timestamp_column="ts")
    metrics: list[dict[str, Any]] = [
        {"name": f"x_{name}", "kind": "fact", "fact_table": "t", "aggregation": "count",
         "conditions": [{"column": name, "operator": "eq", "value": "x"}]}
        for name in NAMES
    ]  # fmt: skip
    metrics.append({"name": "by_sample", "kind": "fact", "fact_table": "t",
                    "aggregation": "count", "breakdowns": ["sample"]})  # fmt: skip
    metrics.append({"name": "starts", "kind": "fact", "fact_table": "t",
                    "aggregation": "count_distinct", "column": "start"})  # fmt: skip
    return project_of([fact], *metrics)


def test_reserved_column_names_run_on_every_engine(engine: Engine) -> None:
    columns = [("ts", "timestamp")] + [(f"c{i}", "string") for i in range(len(NAMES))]
    table = load_table(engine, "reserved_names", columns, ROWS)
    project = _project(table, "`" if engine.name == "mysql" else '"')
    plan = compile_plan(project, list(project.metrics), dialect=engine.name, window_for=WINDOW)
    got = {(v.metric, v.breakdown): v.value for v in assembled_on(engine, plan)}
    want: dict[tuple[str, tuple[str, str]], float] = {}
    for i, name in enumerate(NAMES):
        want[(f"x_{name}", ("", ""))] = float(sum(1 for row in ROWS if row[1 + i] == "x"))
    sample = NAMES.index("sample")
    want[("by_sample", ("", ""))] = 24.0
    for value in ("x", "y"):
        matching = sum(1 for row in ROWS if row[1 + sample] == value)
        want[("by_sample", ("sample", value))] = float(matching)
    want[("starts", ("", ""))] = 2.0
    assert got == want


def test_reserved_column_names_parse_back_in_every_dialect() -> None:
    project = _project("reserved_names", '"')
    for dialect in DIALECTS:
        plan = compile_plan(project, list(project.metrics), dialect=dialect, window_for=WINDOW)
        for query in plan.queries:
            assert sqlglot.parse_one(query.sql, read=dialect) is not None, (dialect, query.id)
