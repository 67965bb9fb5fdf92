"""`count_distinct` tells values apart exactly on every engine, in every distinct shape: case,
trailing spaces and near-equal doubles are different values (MySQL/MariaDB's default
collation would merge 'Ann@x.com' with 'ann@x.com', and 'bob' with 'bob ')."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.engines import Engine, assembled_on, load_table
from tripl_cli.compiler.dialects import DistinctStrategy, Shapes, rules_for
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.schema import FactTable
from tripl_cli.timegrid import Window

from .projects import project_of

DAY = datetime(2026, 1, 5, tzinfo=UTC)
EMAILS = ["Ann@x.com", "ann@x.com", "bob@x.com", "bob@x.com ", "", None, "ann@x.com"]
AMOUNTS = [0.3, 0.30000000000000004, 1.0, 1.0000000000000002, 2.0, None, 2.0]
METRICS = (
    {"name": "emails", "kind": "fact", "fact_table": "t", "aggregation": "count_distinct",
     "column": "email"},
    {"name": "emails_not_bob", "kind": "fact", "fact_table": "t",
     "aggregation": "count_distinct", "column": "email", "where": "amount <> 1"},
    {"name": "amounts", "kind": "fact", "fact_table": "t", "aggregation": "count_distinct",
     "column": "amount"},
)  # fmt: skip


@pytest.mark.parametrize("distinct", [None, DistinctStrategy.INLINE, DistinctStrategy.PREAGGREGATE])
def test_count_distinct_is_exact_on_every_engine(
    engine: Engine, distinct: DistinctStrategy | None
) -> None:
    rows = [
        (DAY + timedelta(hours=i), email, amount)
        for i, (email, amount) in enumerate(zip(EMAILS, AMOUNTS, strict=True))
    ]
    columns = [("ts", "timestamp"), ("email", "string"), ("amount", "number")]
    table = load_table(engine, "distinct_exact", columns, rows)
    fact = FactTable(name="t", sql=f"SELECT * FROM {table}", timestamp_column="ts")
    project = project_of([fact], *METRICS)
    default = rules_for(engine.name).shapes()
    shapes = None if distinct is None else Shapes(distinct, default.breakdown, default.filters)
    plan = compile_plan(
        project, [m["name"] for m in METRICS], dialect=engine.name,
        window_for=Window(DAY, DAY + timedelta(days=1)), shapes=shapes,
    )  # fmt: skip
    got = {v.metric: v.value for v in assembled_on(engine, plan)}
    not_one = {e for e, a in zip(EMAILS, AMOUNTS, strict=True) if a is not None and a != 1}
    assert got == {
        "emails": float(len({e for e in EMAILS if e is not None})),  # 5: case and space count
        "emails_not_bob": float(len(not_one - {None})),
        "amounts": float(len({a for a in AMOUNTS if a is not None})),  # 5: no rounding
    }, engine.name
