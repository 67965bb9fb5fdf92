"""`python bench/collect.py`: collecting 20 metrics, four ways, on DuckDB, PostgreSQL, chdb.

    python bench/collect.py                          # DuckDB 50M (+ MetricFlow), PG and chdb 5M
    python bench/collect.py --rows 5000000 --engines duckdb --no-metricflow --repeat 1

On a generated 90-day `orders` table (DuckDB: --rows, default 50,000,000; PostgreSQL and
ClickHouse/chdb: --other-rows, default 5,000,000), with 20 daily metrics (7 counts, 5 sums,
4 averages, 4 count_distincts; named filters, `where`, conditions) and one breakdown
(`orders` by `country`), one run measures side by side, best of --repeat (round-robin):
  (a) a bare `SELECT count(*), sum(amount)` full scan;
  (b) the 20 metrics (+ the breakdown) as 21 separate per-metric queries;
  (c) `tripl run` end to end, state writes included (SQLite state, a fresh state each time):
      a subprocess of the real CLI on DuckDB and PostgreSQL, in-process `run_api.run` on chdb
      (chdb allows one process per data directory); (c') its SQL alone, in-process:
      compile + the queries + assembling values;
  (d) DuckDB only: MetricFlow `mf query` for the same 20 metrics by day plus `orders` by day
      and country, end to end (2 commands); (d') the SQL mf generated (`--explain`), alone;
then checks that tripl's stored values equal the per-metric queries' and MetricFlow's, times
tripl's SQL in each distinct-count strategy (the dialect's measured choice), reports the
peak memory (RSS high-water mark) of the tripl run, and writes --out (collect_RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from bench.collector import checks, engines, metricflow, report
from bench.collector.measure import Bench, Result

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
OUT = BENCH / "out" / "collect"  # ignored by .gitignore's bench/**/out/
#: In-process engines spread one query over every core already: a second connection only
#: contends (measured, DuckDB 50M rows: the per-metric queries 10.5 s over 2 connections vs
#: 9.9 s over one; tripl's 2 queries 4.9-5.5 s vs 4.6 s), so their profile keeps 1 thread.
EMBEDDED = ("duckdb", "clickhouse")


def _args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/collect.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=50_000_000, help="DuckDB rows")
    parser.add_argument("--other-rows", type=int, default=5_000_000, help="PostgreSQL/chdb rows")
    parser.add_argument("--engines", default="duckdb,postgres,clickhouse")
    parser.add_argument("--metricflow", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--shapes", action=argparse.BooleanOptionalAction, default=True,
                        help="also time tripl's SQL in every distinct-count strategy")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="the profile's `threads` (default: 1 on the embedded DuckDB and "
                             "chdb, the CPU count on PostgreSQL)")  # fmt: skip
    parser.add_argument("--venv", type=Path, default=OUT / "venv-metricflow")
    parser.add_argument("--out", type=Path, default=BENCH / "collect_RESULTS.md")
    return parser.parse_args(argv)


def run_engine(name: str, args: argparse.Namespace, workdir: Path) -> Result:
    began = time.perf_counter()
    if name == "duckdb":
        engine = engines.make_duckdb(workdir, args.rows)
    elif name == "postgres":
        engine = engines.make_postgres(args.other_rows)
    elif name == "clickhouse":
        engine = engines.make_clickhouse(workdir, args.other_rows)
    else:
        raise SystemExit(f"unknown engine {name!r}: use duckdb, postgres, clickhouse")
    print(f"[{name}] generated {engine.rows:,} rows in {time.perf_counter() - began:.1f}s",
          file=sys.stderr)  # fmt: skip
    use_mf = args.metricflow and name == "duckdb"
    if use_mf:
        metricflow.ensure_venv(args.venv)
    threads = args.threads or (1 if name in EMBEDDED else min(os.cpu_count() or 1, 64))
    bench = Bench(engine, workdir, args.venv if use_mf else None, threads)
    try:
        if use_mf:
            bench.prepare_metricflow()
        result = bench.measure(args.repeat)
        if args.shapes:
            bench.measure_shapes(args.repeat)
        bench.close()
        stored = checks.stored_values(bench.project, bench.root)
        result.checks["per-metric"] = checks.compare(
            stored, checks.naive_values(bench.outputs["per-metric"]), "the per-metric queries"
        )
        result.checks["tripl SQL"] = checks.compare(
            stored, checks.computed_values(bench.outputs["tripl SQL"]), "tripl's SQL in-process"
        )
        if use_mf:
            result.checks["metricflow"] = checks.compare(
                stored, checks.metricflow_values(bench.dbt_root / "out"), "MetricFlow"
            )
        return result
    finally:
        bench.close()
        engines.drop(engine)


def main(argv: Sequence[str] | None = None) -> int:
    args = _args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="work_", dir=OUT))
    results: list[Result] = []
    try:
        for name in [e.strip() for e in args.engines.split(",") if e.strip()]:
            try:
                results.append(run_engine(name, args, workdir))
            except Exception as exc:  # one engine down: say so in the results, go on
                traceback.print_exc()
                failed = Result(name, args.rows if name == "duckdb" else args.other_rows)
                failed.notes.append(f"failed: {type(exc).__name__}: {str(exc)[:300]}")
                results.append(failed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = report.render(results, args)
    args.out.write_text(text + "\n")
    print(text)
    return 0 if all(not r.notes for r in results) else 1
