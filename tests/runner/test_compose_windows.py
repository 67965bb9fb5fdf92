"""A composition recomputes every bucket its inputs recompute in a run — a `per_distinct`
one too, whose divisor is counted on another fact table than its numerator."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.runner.harness import project_files
from tripl_cli.api.project_api import open_project
from tripl_cli.api.run_api import RunOptions, run
from tripl_cli.timegrid import Window

AS_OF = datetime(2026, 1, 10, 12, tzinfo=UTC)


def _rows(column: str) -> str:
    return " UNION ALL ".join(
        f"SELECT TIMESTAMP '2026-01-0{day} 01:00:00' AS ts, {day % 3} AS {column}"
        for day in range(1, 10)
    )


def _windows(root: Path) -> dict[str, Window | None]:
    report = run(open_project(root), RunOptions(as_of=AS_OF))
    assert not report.failed, report.failed
    return {o.metric: o.window for o in report.outcomes}


def test_a_per_distinct_composition_follows_its_numerators_wider_window(tmp_path: Path) -> None:
    profile = "pd:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: wh.duckdb}\n"
    facts = (
        f'  - {{name: t, timestamp_column: ts, sql: "SELECT * FROM ({_rows("v")}) AS r"}}\n'
        f'  - {{name: u, timestamp_column: ts, sql: "SELECT * FROM ({_rows("uid")}) AS r"}}\n'
    )
    first = (
        "metrics:\n"
        "  - {name: n, kind: fact, fact_table: t, aggregation: count}\n"
        "  - {name: pd, kind: composition, numerator: n,"
        " per_distinct: {fact_table: u, column: uid}}\n"
    )
    config = "name: pd\ndefaults: {lookback: 1}\n"
    root = project_files(tmp_path / "p", profile=profile, facts=facts, metrics=first, config=config)
    metrics = root / "metrics" / "m.yml"
    _windows(root)  # both stored up to Jan 9: the next run resumes from Jan 8
    # A new metric on t collects its initial buckets and widens t's scan: n recollects them.
    metrics.write_text(
        metrics.read_text() + "  - {name: n2, kind: fact, fact_table: t, aggregation: sum,"
        " column: v}\n"
    )
    windows = _windows(root)
    assert windows["n"] == windows["n2"] and windows["n"] is not None
    assert windows["n"].start < datetime(2026, 1, 8, tzinfo=UTC)
    assert windows["pd"] == windows["n"]
