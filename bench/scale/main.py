"""How a big project runs: `python -m bench.scale [--rows N] [--repeat K]`.

Generates bench/compile's project (1,000 metrics on 20 fact tables: every metric kind, every
interval from 15m to 1w, breakdowns) and a DuckDB warehouse holding N rows per fact table over
58 days, then measures side by side, best of --repeat:
  (a) the run's SQL alone: every query of the compiled plan, one after the other, through
      the adapter (its rows fetched and normalised into Python values);
  (b) `tripl run --start … --end …` end to end as the CLI, into a fresh SQLite state:
      start-up, compile, the same queries, assembling the metric values, storing them;
and prints the values stored, (b) − (a) — what tripl itself costs around the warehouse —
and the peak memory of (b). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import yaml

from bench.collector.child import run_child
from bench.compile.generate import generate_project
from tripl_cli.adapters import connect
from tripl_cli.api.project_api import open_project
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.runner.execute import execute_query
from tripl_cli.timegrid import Window

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 28, tzinfo=UTC)
_CLI = "from tripl_cli.cli.main import run; run()"
_TABLE = """
CREATE TABLE raw.{name} AS SELECT
  TIMESTAMP '2026-10-01' + to_microseconds((hash(r, 1) % {span})::BIGINT) AS ts,
  (hash(r, 2) % 5000)::BIGINT AS user_id, (hash(r, 3) % 20000)::BIGINT AS session_id,
  (hash(r, 4) % 50000) / 100.0 AS amount, (hash(r, 5) % 10)::BIGINT AS qty,
  (hash(r, 6) % 3000)::BIGINT AS duration_ms,
  ['completed', 'pending', 'refunded'][(1 + hash(r, 7) % 3)::BIGINT] AS status,
  ['US', 'DE', 'FR', 'GB'][(1 + hash(r, 8) % 4)::BIGINT] AS country,
  ['ios', 'android', 'web'][(1 + hash(r, 9) % 3)::BIGINT] AS platform,
  ['phone', 'tablet', 'desktop'][(1 + hash(r, 10) % 3)::BIGINT] AS device,
  ['ads', 'email', 'seo', 'direct'][(1 + hash(r, 11) % 4)::BIGINT] AS channel,
  hash(r, 12) % 10 = 0 AS is_test
FROM range({rows}) t(r)
"""


def make_project(root: Path, rows: int) -> tuple[int, int]:
    """The generated project, its profile pointed at a warehouse made here."""
    import duckdb

    generated = generate_project(root, metrics=1000, fact_tables=20)
    warehouse = root / "warehouse.duckdb"
    span = int((END - START).total_seconds() * 1_000_000)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("CREATE SCHEMA raw")
        for i in range(generated.fact_tables):
            conn.execute(_TABLE.format(name=f"events_{i:02d}", span=span, rows=rows))
    profile = {"type": "duckdb", "path": str(warehouse)}
    profiles = {"bench": {"target": "dev", "outputs": {"dev": profile}}}
    (root / "profiles.yml").write_text(yaml.safe_dump(profiles))
    return generated.metrics, generated.fact_tables


def sql_alone(root: Path) -> tuple[float, int]:
    project = open_project(root)
    plan = compile_plan(
        project, list(project.metrics), dialect="duckdb", window_for=Window(START, END)
    )
    adapter = connect(
        "dev", {"type": "duckdb", "path": str(root / "warehouse.duckdb")}, project_root=root
    )
    try:
        began = time.perf_counter()
        for query in plan.queries:
            execute_query(adapter, query, timeout_s=None)
        return time.perf_counter() - began, len(plan.queries)
    finally:
        adapter.close()


def tripl_run(root: Path) -> tuple[float, float, int]:
    shutil.rmtree(root / ".tripl", ignore_errors=True)
    args = [sys.executable, "-c", _CLI, "run", "--project-dir", str(root), "--profiles-dir"]
    args += [str(root), "--start", f"{START:%Y-%m-%d}", "--end", f"{END:%Y-%m-%d}"]
    done = run_child([*args, "--format", "json"])
    if done.code != 0:
        raise RuntimeError(f"tripl run exited {done.code}:\n{done.stderr[-2000:]}")
    json.loads(done.stdout)  # one JSON document, or this raises
    with contextlib.closing(sqlite3.connect(root / ".tripl" / "dev.db")) as state:
        stored = sum(
            state.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("tripl_metric_values", "tripl_breakdown_values")
        )
    return done.seconds, done.peak_mb, stored


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000, help="rows per fact table")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="tripl_scale_"))
    try:
        metrics, tables = make_project(root, args.rows)
        sql_times, run_times, peaks = [], [], []
        stored = queries = 0
        for _ in range(args.repeat):  # round-robin: a busy spell hits both alike
            seconds, queries = sql_alone(root)
            sql_times.append(seconds)
            seconds, peak, stored = tripl_run(root)
            run_times.append(seconds)
            peaks.append(peak)
        a, b = min(sql_times), min(run_times)  # best of --repeat
        span = f"{START:%Y-%m-%d}..{END:%Y-%m-%d}"
        print(f"{metrics} metrics on {tables} fact tables x {args.rows:,} rows, {span}")
        print(f"(a) SQL alone ({queries} queries)   {a:7.2f} s")
        print(f"(b) tripl run end to end         {b:7.2f} s   {stored:,} values stored")
        per_value = (b - a) / max(stored, 1) * 1e6
        print(f"(b) - (a): tripl around the SQL  {b - a:7.2f} s   ({per_value:.1f} us a value)")
        print(f"peak memory of (b)               {max(peaks):7.0f} MB   (highest of the runs)")
        return 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
