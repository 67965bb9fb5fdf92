"""A value the state database cannot hold fails only its metric: a run stores its metrics in
one transaction, and if the state refuses it, stores them one by one so the others are kept."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from tests.runner.harness import project_files
from tripl_cli.api.project_api import open_project
from tripl_cli.api.run_api import RunOptions, open_state, run

#: PostgreSQL text cannot hold a NUL character; SQLite can.
ROWS = "SELECT TIMESTAMP '2026-01-05 01:00' AS ts, 'x' || chr(0) || 'y' AS k FROM range(2)"


def test_a_refused_value_fails_only_its_metric(state_url: str, tmp_path: Path) -> None:
    profile = (
        "p:\n  target: dev\n  outputs:\n"
        f"    dev: {{type: duckdb, path: wh.duckdb, state: '{state_url}'}}\n"
    )
    facts = f'  - {{name: ev, timestamp_column: ts, sql: "{ROWS}"}}\n'
    metrics = (
        "metrics:\n"
        "  - {name: plain, kind: fact, fact_table: ev, aggregation: count}\n"
        "  - {name: by_k, kind: fact, fact_table: ev, aggregation: count, breakdowns: [k]}\n"
    )
    root = project_files(tmp_path / "p", profile=profile, facts=facts, metrics=metrics,
                         config="name: p\n")  # fmt: skip
    project = open_project(root)
    window = RunOptions(
        start=datetime(2026, 1, 5, tzinfo=UTC), end=datetime(2026, 1, 6, tzinfo=UTC)
    )
    report = run(project, window)
    by_metric = {o.metric: o for o in report.outcomes}
    with open_state(project, profiles_dir=None, target=None) as store:
        assert [p.value for p in store.read_series("plain")] == [2.0]  # kept either way
        statuses = store.metric_statuses()
        if state_url.startswith("postgresql"):
            assert by_metric["by_k"].status == "error"
            assert by_metric["by_k"].error is not None
            assert by_metric["by_k"].error.startswith("storing its values failed: ")
            assert "refused a value" in by_metric["by_k"].error
            assert statuses["by_k"].last_status == "error"
            assert store.read_breakdowns("by_k", "k") == {}
        else:
            assert by_metric["by_k"].status == "success"
            assert store.read_breakdowns("by_k", "k").keys() == {"x\x00y"}
    assert by_metric["plain"].status == "success"
    # Alone (one write, nothing else to keep), it fails the same way instead of the run.
    (alone,) = run(project, dataclasses.replace(window, select=["by_k"])).outcomes
    refused = state_url.startswith("postgresql")
    assert alone.status == ("error" if refused else "success"), alone.error
