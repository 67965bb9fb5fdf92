"""Failure isolation, exit codes and output modes of `tripl run` (SPEC §5, §9, §10).

A metric whose SQL fails on the warehouse fails alone: the other metrics of its fact table
(computed by the same combined query) still collect, the culprit is `error` in
run_results.json with the warehouse's reason, a composition reading it fails too, values
stored earlier are kept, and the exit code is 1.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.engines import Engine, load_table

from .conformance_data import (
    ORDER_COLUMNS,
    SESSION_COLUMNS,
    as_dicts,
    expected_values,
    order_rows,
    session_rows,
)
from .harness import Workspace, make_workspace, stored_values
from .test_conformance import active_metrics, diff

ORDERS = order_rows()
SESSIONS = session_rows()
TRIPL = [sys.executable, "-c", "from tripl_cli.cli.main import run; run()"]
EXTRA_COLUMNS = [("ts", "timestamp"), ("v", "number")]

BROKEN = """\
metrics:
  - name: broken                # valid YAML and SQL, but the function does not exist
    kind: fact
    fact_table: orders
    aggregation: sum
    column: amount
    where: tripl_no_such_function(amount) > 0
  - name: broken_share          # reads the broken metric
    kind: composition
    numerator: broken
    denominator: orders
"""
EXTRA = """\
metrics:
  - name: extra                 # its table changes upstream between runs
    kind: sql
    sql: SELECT ts AS bucket, v AS value FROM {{ var('extra_table') }} WHERE ts < {{ end }}
"""


@pytest.fixture
def ws(engine_factory: Callable[[str], Engine], tmp_path: Path) -> Workspace:
    engine = engine_factory("duckdb")
    orders = load_table(engine, "orders_fail", ORDER_COLUMNS, ORDERS)
    sessions = load_table(engine, "sessions_fail", SESSION_COLUMNS, SESSIONS)
    extra = load_table(engine, "extra_fail", EXTRA_COLUMNS, _extra_rows())
    workspace = make_workspace(
        tmp_path,
        engine.profile_output,
        cli_vars={"orders_table": orders, "sessions_table": sessions, "extra_table": extra},
    )
    (workspace.root / "metrics" / "extra.yml").write_text(EXTRA)
    workspace.engine = engine  # type: ignore[attr-defined]
    return workspace


def _extra_rows() -> list[tuple[Any, ...]]:
    return [(row[0], 1.0) for row in ORDERS]


def _add_broken(ws: Workspace) -> None:
    (ws.root / "metrics" / "broken.yml").write_text(BROKEN)


def _state_rows(ws: Workspace, table: str) -> int:
    if not ws.state_path.exists():
        return 0
    with closing(sqlite3.connect(ws.state_path)) as conn:
        count: int = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return count


def test_a_failing_metric_fails_alone(ws: Workspace) -> None:
    _add_broken(ws)
    assert ws.cli("validate").exit_code == 0  # it passes validation: it fails on the engine
    result = ws.run("--start", "2026-01-05", "--end", "2026-01-12", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)  # exactly one JSON document on stdout
    assert ws.run_results() == {"target": "test", **report}  # the artifact says the same
    results = {r["metric"]: r for r in report["results"]}
    assert results["broken"]["status"] == "error"
    assert "tripl_no_such_function" in results["broken"]["error"]
    assert results["broken_share"]["status"] == "error"
    assert "broken" in results["broken_share"]["error"]
    assert report["status"] == "partial"
    ok = {m for m, r in results.items() if r["status"] == "success"}
    assert ok == set(active_metrics(ws.project())) - {"broken", "broken_share"}
    assert ws.results_by_metric()["broken"]["error"] == results["broken"]["error"]
    # The failed combined scan, then its metrics' one-by-one retries, all listed as sent.
    failed = [q for q in report["queries"] if q["status"] == "error"]
    assert any(not q.get("retry") and len(q["metrics"]) > 1 for q in failed)
    retries = [q for q in report["queries"] if q.get("retry")]
    assert retries and all(len(q["metrics"]) == 1 for q in retries)
    assert [q["metrics"] for q in retries if q["status"] == "error"] == [["broken"]]

    # The metrics that shared the failed scan were collected, and correctly.
    project = ws.project()
    fixture_metrics = sorted(ok - {"extra"})
    want = expected_values(
        project,
        as_dicts(ORDERS, ORDER_COLUMNS),
        as_dicts(SESSIONS, SESSION_COLUMNS),
        metrics=fixture_metrics,
    )
    with ws.store() as store:
        got = stored_values(store, fixture_metrics)
        statuses = store.metric_statuses()
        assert not store.read_series("broken")
    problems = diff(got, want)
    assert not problems, "\n".join(problems[:20])
    assert statuses["broken"].last_status == "error"
    assert "tripl_no_such_function" in (statuses["broken"].last_error or "")
    assert statuses["orders"].last_status == "success"


def test_text_mode_names_the_culprit_on_stderr(ws: Workspace) -> None:
    _add_broken(ws)
    result = ws.run("--start", "2026-01-10", "--end", "2026-01-12")
    assert result.exit_code == 1
    assert result.stdout == ""  # humans' messages go to stderr
    assert "error broken:" in " ".join(result.stderr.split())
    assert "tripl_no_such_function" in result.stderr
    assert "2 failed" in result.stderr
    quiet = ws.cli("-q", "run", "--start", "2026-01-10", "--end", "2026-01-12")
    assert quiet.exit_code == 1
    assert quiet.stderr.count("tripl_no_such_function") == 1  # errors only, each once


def test_a_warehouse_failure_keeps_what_was_stored(ws: Workspace) -> None:
    assert ws.run("--start", "2026-01-05", "--end", "2026-01-12").exit_code == 0
    with ws.store() as store:
        before = store.read_series("extra")
    assert len(before) == 7
    # Upstream, the column the SQL metric reads is renamed.
    engine: Engine = ws.engine  # type: ignore[attr-defined]
    load_table(engine, "extra_fail", [("ts", "timestamp"), ("w", "number")], _extra_rows())
    result = ws.run("--start", "2026-01-05", "--end", "2026-01-12", "--format", "json")
    assert result.exit_code == 1
    results = {r["metric"]: r for r in json.loads(result.stdout)["results"]}
    assert results["extra"]["status"] == "error"
    assert results["orders"]["status"] == "success"
    with ws.store() as store:
        assert store.read_series("extra") == before  # nothing stored was lost
        assert store.metric_statuses()["extra"].last_status == "error"


def test_dry_run_prints_the_queries_and_stores_nothing(ws: Workspace) -> None:
    # 19 days: enough buckets for DuckDB's BITMAP variant and its probe (compiler/bitmap.py).
    result = ws.run("--start", "2026-01-01", "--end", "2026-01-20", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "SELECT" in result.stdout.upper()
    headers = [line for line in result.stdout.splitlines() if line.startswith("-- ")]
    assert len(headers) >= 4
    assert any("orders" in h and "metrics:" in h for h in headers)
    assert "nothing was stored" in result.stderr
    assert _state_rows(ws, "tripl_metric_values") == 0
    assert _state_rows(ws, "tripl_runs") == 0
    assert not (ws.root / "target" / "run_results.json").exists()

    as_json = ws.run(
        "--start", "2026-01-01", "--end", "2026-01-20", "--dry-run", "--format", "json"
    )
    assert as_json.exit_code == 0
    doc = json.loads(as_json.stdout)
    assert doc["dry_run"] is True
    queries = [h for h in headers if "metrics:" in h]
    variants = [h for h in headers if "probe: true runs the form below instead" in h]
    forms = [h for h in headers if h.endswith("bitmap form")]
    assert len(doc["queries"]) == len(queries) and len(forms) == len(variants)
    assert len(headers) == len(queries) + 2 * len(variants)
    # DuckDB's distinct counts come with their BITMAP form and its probe, in both outputs.
    assert len([q for q in doc["queries"] if "variant" in q]) == len(variants) >= 1
    assert all(q["sql"].lstrip().upper().startswith(("SELECT", "WITH")) for q in doc["queries"])
    assert _state_rows(ws, "tripl_metric_values") == 0


def test_dry_run_says_which_definitions_changed_and_drops_nothing(ws: Workspace) -> None:
    assert ws.run("--start", "2026-01-10", "--end", "2026-01-12").exit_code == 0
    with ws.store() as store:
        before = store.read_series("paid_orders")
    assert before
    ws.edit_yaml("metrics/facts.yml", "paid_orders", column="user_id")
    ws.edit_yaml("metrics/facts.yml", "revenue", breakdowns=["platform"])
    result = ws.run("--dry-run")
    assert result.exit_code == 0, result.output
    said = sorted(line for line in result.stderr.splitlines() if "changed" in line)
    assert len(said) == 2, result.stderr
    assert said[0].startswith("paid_orders: definition changed; a run drops its stored history")
    assert said[1].startswith("revenue: breakdowns changed; a run drops its stored breakdown")
    as_json = ws.run("--dry-run", "--format", "json")
    doc = json.loads(as_json.stdout)
    said_too = sorted(line for line in as_json.stderr.splitlines() if "changed" in line)
    assert said_too == said  # also beside the JSON document, as a real run warns
    changed, breakdowns = sorted(doc["definition_changed"], key=lambda c: str(c["metric"]))
    assert (breakdowns["metric"], breakdowns["drops"]) == ("revenue", "breakdowns")
    assert (changed["metric"], changed["drops"]) == ("paid_orders", "history")
    assert changed["recollect"]["start"] <= "2026-01-10T00:00:00Z"
    with ws.store() as store:
        assert store.read_series("paid_orders") == before  # a dry run drops nothing


def test_json_output_is_one_document_even_with_warnings(ws: Workspace) -> None:
    # A definition change logs a warning (to stderr): stdout stays one JSON document.
    assert ws.run("--start", "2026-01-10", "--end", "2026-01-12").exit_code == 0
    ws.edit_yaml("metrics/facts.yml", "paid_orders", column="user_id")
    result = ws.run("--start", "2026-01-10", "--end", "2026-01-12", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert {r["metric"]: r["note"] for r in doc["results"]}["paid_orders"]
    assert "definition changed" in result.stderr


def test_a_start_not_before_the_end_is_a_usage_error(ws: Workspace) -> None:
    result = ws.run("--start", "2026-01-12", "--end", "2026-01-05")
    assert result.exit_code == 2
    assert "--start" in result.output and "not before --end" in " ".join(result.output.split())
    assert not ws.state_path.exists()  # nothing was opened, let alone stored


def test_an_unreachable_warehouse_stops_the_run_with_one_message(tmp_path: Path) -> None:
    # Port 1 refuses at once: no metric is "failed", the run as a whole is.
    dead = {"type": "postgres", "host": "127.0.0.1", "port": 1, "user": "u", "dbname": "d"}
    ws = make_workspace(tmp_path, dead)
    proc = subprocess.run(
        [*TRIPL, "--project-dir", str(ws.root), "run", "--start", "2026-01-05", "--end",
         "2026-01-12", "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    shown = json.loads(proc.stdout)  # --format json: one error document, nothing else
    assert shown["status"] == "error" and "could not connect" in shown["error"]
    assert proc.stderr.count("could not connect to target 'test'") == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    results = ws.run_results()
    assert results["status"] == "error" and results["results"] == []
    assert "could not connect" in results["error"]
    with ws.store() as store:
        assert store.list_runs(limit=1)[0].status == "error"


def _read_only(*args: Any, **kwargs: Any) -> Any:
    raise OSError(30, "Read-only file system")


def test_an_unwritable_target_directory_stops_the_run_before_anything_is_stored(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tripl_cli.files
    from tripl_cli.api import run_api
    from tripl_cli.errors import TriplError

    monkeypatch.setattr(tripl_cli.files.tempfile, "NamedTemporaryFile", _read_only)
    options = run_api.RunOptions(start=datetime(2026, 1, 10, tzinfo=UTC))
    # A TriplError (one message, exit 1), not an OSError reported as a bug at the end.
    with pytest.raises(
        TriplError, match=r"cannot write files in the directory .*target: Read-only"
    ):
        run_api.run(ws.project(), options, profiles_dir=ws.root)
    assert _state_rows(ws, "tripl_metric_values") == 0


def test_a_run_results_file_that_cannot_be_written_leaves_the_runs_own_error(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from tripl_cli.api import run_api
    from tripl_cli.errors import TriplError

    def gone(*args: Any, **kwargs: Any) -> Any:
        raise TriplError("the warehouse is gone")

    # The run stops as a whole; its error document cannot be written either (a read-only
    # target/ refuses the clean-up of its temporary file too): the run's error is raised.
    monkeypatch.setattr(run_api, "_run_on", gone)
    monkeypatch.setattr(Path, "write_text", _read_only)
    monkeypatch.setattr(Path, "unlink", _read_only)
    with pytest.raises(TriplError, match="the warehouse is gone"):
        run_api.run(ws.project(), run_api.RunOptions(), profiles_dir=ws.root)
    assert "cannot write" in caplog.text and "run_results.json" in caplog.text
