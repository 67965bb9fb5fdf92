"""Golden SQL of the `full` fixture project for every dialect.

Files: tests/golden/full/<query id>.<dialect>.sql, where a query id is
`<fact_table>__<interval>[__<breakdown>]` (plus a window suffix for chunks), `metric__<name>`
for SQL metrics. Regenerate with `pytest tests/compiler/test_golden.py --update-golden` and
review the diff like code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlglot

from tripl_cli.compiler.dialects import DIALECTS, rules_for
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.compiler.records import CompiledPlan
from tripl_cli.project.loader import load_project_or_raise
from tripl_cli.timegrid import Interval, Window

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "fixtures" / "projects" / "full"
GOLDEN = ROOT / "golden" / "full"
#: A fixed window (Monday to Monday) so golden files never depend on the clock.
WINDOW = Window(datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC))


def _plan(dialect: str) -> CompiledPlan:
    project = load_project_or_raise(FIXTURE)
    return compile_plan(project, list(project.metrics), dialect=dialect, window_for=WINDOW)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_golden_sql(dialect: str, request: pytest.FixtureRequest) -> None:
    plan = _plan(dialect)
    wanted = {f"{q.id}.{dialect}.sql": q.sql.rstrip() + "\n" for q in plan.queries}
    on_disk = {p.name: p for p in GOLDEN.glob(f"*.{dialect}.sql")}
    if request.config.getoption("--update-golden"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name in on_disk.keys() - wanted.keys():
            on_disk[name].unlink()
        for name, sql in wanted.items():
            (GOLDEN / name).write_text(sql, encoding="utf-8")
        return
    assert sorted(on_disk) == sorted(wanted), "query set changed: run with --update-golden"
    for name, sql in wanted.items():
        assert on_disk[name].read_text(encoding="utf-8") == sql, f"{name} changed"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_golden_files_parse_back(dialect: str) -> None:
    files = sorted(GOLDEN.glob(f"*.{dialect}.sql"))
    assert files, f"no golden files for {dialect}"
    read = rules_for(dialect).name
    for path in files:
        tree = sqlglot.parse_one(path.read_text(encoding="utf-8"), read=read)
        assert isinstance(tree, sqlglot.exp.Query), path.name


def test_fixture_covers_every_kind_and_interval() -> None:
    plan = _plan("duckdb")
    assert {q.kind for q in plan.queries} == {"aggregate", "breakdown", "sql_metric", "distinct"}
    assert {q.interval for q in plan.queries} == set(Interval)
    assert any(o.denominator is not None for o in plan.outputs)  # ratios
    assert any(o.breakdown is not None for o in plan.outputs)
    assert len({q.fact_table for q in plan.queries if q.kind == "aggregate"}) == 2
    sql = "\n".join(q.sql for q in plan.queries)
    for fragment in ("LIKE", "IS NULL", "STRPOS", " IN (", "'Other'", "ROW_NUMBER()"):
        assert fragment in sql, fragment
