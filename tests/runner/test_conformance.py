"""`tripl run` end to end on every real engine: the values it stores equal pure Python.

The same seeded rows are loaded into DuckDB, PostgreSQL, MariaDB, ClickHouse (chdb) and
Snowflake (fakesnow); the conformance fixture project (every metric kind, filters, conditions,
breakdowns folding into `Other`, same- and cross-table ratios, `{{ start }}`/`{{ end }}` in
SQL, both kinds of composition) is run with `tripl run --start … --end …` in-process, and every
stored series — totals and breakdowns — is compared with tests/runner/conformance_data.py.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.compiler.reference import Key, Row, Value
from tests.support.engines import Engine, load_table
from tripl_cli.project.model import Project
from tripl_cli.project.schema import MetricStatus

from .conformance_data import (
    NO_SESSIONS_DAY,
    ORDER_COLUMNS,
    SESSION_COLUMNS,
    WINDOW,
    as_dicts,
    expected_values,
    order_rows,
    session_rows,
)
from .harness import CONFORMANCE, Stored, Workspace, make_workspace, shown_values, stored_values

ORDERS = order_rows()
SESSIONS = session_rows()
START, END = "2026-01-05", "2026-01-12"


def _close(actual: float | None, expected: float | None) -> bool:
    if actual is None or expected is None:
        return actual is expected
    # Counts and sums of quarter-unit amounts are exact; averages and ratios are not.
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)


def diff(actual: Mapping[Key, Stored], expected: Mapping[Key, Value]) -> list[str]:
    problems = [
        f"missing {k}: expected {expected[k]}" for k in sorted(expected.keys() - actual.keys())
    ]
    problems += [f"unexpected {k}: {actual[k]}" for k in sorted(actual.keys() - expected.keys())]
    for key in sorted(actual.keys() & expected.keys()):
        if not all(_close(a, e) for a, e in zip(actual[key], expected[key], strict=True)):
            problems.append(f"{key}: got {actual[key]}, expected {expected[key]}")
    return problems


def reference_project() -> Project:
    ws = Workspace(CONFORMANCE)
    return ws.project()


@pytest.fixture(scope="module")
def rows() -> tuple[list[Row], list[Row]]:
    return as_dicts(ORDERS, ORDER_COLUMNS), as_dicts(SESSIONS, SESSION_COLUMNS)


@pytest.fixture(scope="module")
def expected(rows: tuple[list[Row], list[Row]]) -> dict[Key, Value]:
    return expected_values(reference_project(), *rows)


def active_metrics(project: Project) -> list[str]:
    return [n for n, m in project.metrics.items() if m.status is MetricStatus.ACTIVE]


def test_data_exercises_the_edge_cases(
    expected: dict[Key, Value], rows: tuple[list[Row], list[Row]]
) -> None:
    """The expectations hold what the engines are tested on (otherwise the test proves little)."""
    project = reference_project()
    assert {k[0] for k in expected} == set(active_metrics(project))  # every metric has values
    orders, _ = rows
    in_window = [r for r in orders if WINDOW.contains(r["ts"])]
    for column in ("country", "platform"):
        counts = Counter(r[column] for r in in_window)
        ranked = sorted(counts.values(), reverse=True)
        assert len(set(ranked)) == len(ranked), f"tied {column} counts make top-N ambiguous"
    breakdowns = {k[2] for k in expected if k[0] == "orders"}
    assert {("country", "Other"), ("platform", "Other"), ("country", "us")} <= breakdowns
    assert ("platform", "") in {k[2] for k in expected if k[0] == "buyers"}  # NULL → ''
    assert ("country", "o'hare") in {k[2] for k in expected if k[0] == "revenue"}
    exact = {k[2] for k in expected if k[0] == "orders_by_any_country"}
    assert {("country", "us"), ("country", "US")} <= exact
    days = {k[1] for k in expected if k[0] == "orders"}
    assert len(days) == 7
    assert ("conversion", NO_SESSIONS_DAY, ("", "")) not in expected  # gap, not 0 or inf
    assert len({k[1] for k in expected if k[0] == "max_big_us"}) == 7
    assert len({k[1] for k in expected if k[0] == "hourly_open_orders"}) > 150
    assert any(k[0] == "refunds" for k in expected)
    assert {k[0] for k in expected} >= {"revenue_per_order", "orders_per_buyer"}


def run_on(engine: Engine, tmp_path: Path) -> Workspace:
    orders = load_table(engine, "orders", ORDER_COLUMNS, ORDERS)
    sessions = load_table(engine, "sessions", SESSION_COLUMNS, SESSIONS)
    return make_workspace(
        tmp_path,
        engine.profile_output,
        cli_vars={"orders_table": orders, "sessions_table": sessions},
    )


def test_run_stores_what_python_computes(
    engine: Engine, tmp_path: Path, expected: dict[Key, Value]
) -> None:
    ws = run_on(engine, tmp_path)
    result = ws.run("--start", START, "--end", END, "--format", "json")
    assert result.exit_code == 0, f"{engine.name}: {result.output}"
    report = json.loads(result.stdout)
    statuses = {r["metric"]: r["status"] for r in report["results"]}
    project = ws.project()
    assert statuses == {
        n: "skipped" if n == "draft_orders" else "success" for n in project.metrics
    }, report
    assert ws.run_results()["run_id"] == report["run_id"]  # the artifact is this run's

    names = active_metrics(project)
    shown = shown_values(ws, names)  # what `tripl show --format json` reads back
    with ws.store() as store:
        stored = stored_values(store, names)  # the store also keeps ratios' operands
        assert not store.read_series("draft_orders")
    assert shown == {k: v[0] for k, v in stored.items()}
    got = {k: (shown[k], *stored[k][1:]) for k in shown}
    problems = diff(got, expected)
    assert not problems, f"{engine.name}: {len(problems)} differences:\n" + "\n".join(problems[:30])
    buckets = Counter(k[0] for k in expected if k[2] == ("", ""))
    written = {r["metric"]: r["buckets_written"] for r in report["results"]}
    assert all(written[m] == buckets[m] for m in names), (written, buckets)
