"""An average over a DECIMAL column (money) is its exact average on every engine — in every
form tripl computes it: filtered, beside filtered metrics (re-aggregated from a cube, as
SUM / COUNT), and per breakdown value. ClickHouse's Decimal division keeps only the column's
scale (avg 1.5 of Decimal(12, 0) came out 1), so tripl divides in Float64 there."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from statistics import fmean

from tests.support.engines import Engine, assembled_on, load_table
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.schema import FactTable
from tripl_cli.timegrid import Window

from .projects import project_of

DAY = datetime(2026, 1, 5, tzinfo=UTC)
#: (hour, k, amount): averages like 5.9190476… that no two-decimal division gives.
ROWS: list[tuple[int, str, Decimal | None]] = [
    (h, "a" if h % 3 else "b", Decimal(f"{(h * 7919) % 1000}.{(h * 31) % 100:02d}"))
    for h in range(21)
] + [(21, "c", None), (22, "c", None)]  # 'c' has rows, but no amount: its average is a gap
METRICS = (
    {"name": "avg_all", "kind": "fact", "fact_table": "t", "aggregation": "avg", "column": "amt"},
    {"name": "avg_a", "kind": "fact", "fact_table": "t", "aggregation": "avg", "column": "amt",
     "where": "k = 'a'"},
    {"name": "rows_b", "kind": "fact", "fact_table": "t", "aggregation": "count",
     "where": "k = 'b'"},
    {"name": "avg_c", "kind": "fact", "fact_table": "t", "aggregation": "avg", "column": "amt",
     "where": "k = 'c'"},
    {"name": "avg_by_k", "kind": "fact", "fact_table": "t", "aggregation": "avg",
     "column": "amt", "breakdowns": ["k"]},
)  # fmt: skip


def test_averages_of_a_decimal_column_are_exact_on_every_engine(engine: Engine) -> None:
    rows = [(DAY + timedelta(hours=h), k, amt) for h, k, amt in ROWS]
    table = load_table(engine, "decimal_avg", [("ts", "timestamp"), ("k", "string"),
                                               ("amt", "decimal")], rows)  # fmt: skip
    fact = FactTable(name="t", sql=f"SELECT * FROM {table}", timestamp_column="ts")
    project = project_of([fact], *METRICS)
    plan = compile_plan(
        project, [m["name"] for m in METRICS], dialect=engine.name,
        window_for=Window(DAY, DAY + timedelta(days=1)),
    )  # fmt: skip
    got = {(v.metric, v.breakdown): v.value for v in assembled_on(engine, plan)}
    amounts = {k: [float(a) for _, kk, a in ROWS if kk == k and a is not None] for k in "ab"}
    every = amounts["a"] + amounts["b"]
    want = {  # no avg_c, nor avg_by_k of 'c': gaps
        ("avg_all", ("", "")): fmean(every),
        ("avg_a", ("", "")): fmean(amounts["a"]),
        ("rows_b", ("", "")): float(len(amounts["b"])),
        ("avg_by_k", ("", "")): fmean(every),
        ("avg_by_k", ("k", "a")): fmean(amounts["a"]),
        ("avg_by_k", ("k", "b")): fmean(amounts["b"]),
    }
    assert got.keys() == want.keys()
    wrong = {
        key: (got[key], value)
        for key, value in want.items()
        if not math.isclose(got[key] or math.nan, value, rel_tol=1e-12)
    }
    assert not wrong, f"{engine.name}: got, expected: {wrong}"
