"""`tripl run` benchmark: tripl's compiled scan vs per-metric queries vs a bare scan.

    python -m bench.run                       # DuckDB 8M rows, PostgreSQL 1M rows, state writes
    python -m bench.run --rows 5000000 --pg-rows 0 --repeat 3 --out /tmp/RESULTS.md

On a generated 90-day `orders` table with 30 metrics (counts, sums, averages, min/max, 4
distinct counts, 3 ratios, named filters, `where` fragments, conditions, two breakdowns), one
process measures side by side, best of --repeat runs each:
  (a) tripl: `compile_plan` + the warehouse adapter (+ assembling the values in Python);
  (b) per-metric: each metric (and each breakdown) as its own naive `SELECT … GROUP BY bucket`;
  (c) bare: `SELECT count(*) … GROUP BY bucket` — one scan, the floor any approach pays;
  (d) `tripl run` end to end (run_api: plan, queries, state writes into SQLite);
and checks that (a) and (b) agree on every metric's daily totals. Then the state write rate
(bench/state_write.py, SQLite) for 1,000,000 values. Writes RESULTS.md (--out).
Wall times on a shared machine are noisy: compare the ratios, not the absolute seconds.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.run import data, shapes, spec
from bench.state_write import make_values, run_pass
from tripl_cli.adapters import Adapter, connect
from tripl_cli.api import run_api
from tripl_cli.api.project_api import open_project
from tripl_cli.compiler.assemble import assemble
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.runner.execute import execute_query
from tripl_cli.state.store import open_store
from tripl_cli.timegrid import Window
from tripl_cli.types import TOTAL

WINDOW = Window(data.START, data.END)


@dataclass
class EngineResult:
    engine: str
    rows: int
    timings: dict[str, list[float]] = field(default_factory=dict)
    queries: dict[str, int] = field(default_factory=dict)
    agree: str = ""
    sample_sql: str = ""
    note: str = ""
    shapes: dict[str, list[float]] = field(default_factory=dict)
    # CPU seconds of this process (all its threads): the work an in-process engine (DuckDB)
    # did, steadier than wall time when other jobs share the machine.
    cpu: dict[str, list[float]] = field(default_factory=dict)
    shapes_agree: bool = False

    def best(self, step: str) -> float:
        return min(self.timings[step])

    def median(self, step: str) -> float:
        return statistics.median(self.timings[step])


def _literal(ts: datetime) -> str:
    return f"TIMESTAMP '{ts:%Y-%m-%d %H:%M:%S}'"


def measure(
    label: str,
    adapter: Adapter,
    project_root: Path,
    table: str,
    rows: int,
    repeat: int,
) -> EngineResult:
    out = EngineResult(label, rows)
    project = open_project(project_root)
    names = [m.name for m in spec.METRICS]
    plan = compile_plan(project, names, dialect=adapter.dialect, window_for=WINDOW)
    out.sample_sql = plan.queries[0].sql
    start, end = _literal(WINDOW.start), _literal(WINDOW.end)
    bare_sql = (
        f"SELECT date_trunc('day', ts) AS bucket, count(*) FROM {table} "
        f"WHERE ts >= {start} AND ts < {end} GROUP BY 1"
    )
    naive = spec.naive_queries(table, "date_trunc('day', ts)", start, end)
    out.queries = {"bare": 1, "tripl": len(plan.queries), "per-metric": len(naive)}
    print(f"[{label}] {rows:,} rows, {len(names)} metrics", file=sys.stderr)
    outputs: dict[str, Any] = {}

    def tripl_run() -> Any:
        shutil.rmtree(project_root / ".tripl", ignore_errors=True)  # a first run every time
        report = run_api.run(
            project,
            run_api.RunOptions(start=WINDOW.start, end=WINDOW.end, as_of=WINDOW.end),
            profiles_dir=project_root,
        )
        assert not report.failed, [o.error for o in report.failed]
        return report

    steps: dict[str, Callable[[], Any]] = {
        "bare": lambda: adapter.execute(bare_sql),
        "tripl": lambda: assemble(
            plan, {q.id: execute_query(adapter, q, timeout_s=None) for q in plan.queries}
        ),
        "per-metric": lambda: {name: adapter.execute(sql) for name, sql in naive},
        "tripl run": tripl_run,
    }
    # Round-robin, so that load from elsewhere on the machine hits every step alike.
    for _ in range(repeat):
        for step, fn in steps.items():
            began, cpu = time.perf_counter(), time.process_time()
            outputs[step] = fn()
            out.timings.setdefault(step, []).append(time.perf_counter() - began)
            out.cpu.setdefault(step, []).append(time.process_time() - cpu)
    for step in steps:
        print(f"[{label}] {step}: best {out.best(step):.2f}s", file=sys.stderr)
    out.agree = _compare(outputs["tripl"], outputs["per-metric"])
    return out


def _compare(values: Sequence[Any], naive: dict[str, Any]) -> str:
    """Do tripl's daily totals equal the per-metric queries' (rel. 1e-9)?"""
    mismatches = 0
    checked = 0
    ours = {(v.metric, v.bucket): v.value for v in values if v.breakdown == TOTAL}
    for metric in spec.METRICS:
        for bucket, value in naive[metric.name].rows:
            if value is None:
                continue
            key = (metric.name, _utc(bucket))
            checked += 1
            got = ours.get(key)
            if got is None or not math.isclose(got, float(value), rel_tol=1e-9, abs_tol=1e-9):
                mismatches += 1
    return f"{checked - mismatches}/{checked} daily totals equal"


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def run_duckdb(workdir: Path, rows: int, repeat: int) -> EngineResult:
    path = workdir / "warehouse.duckdb"
    began = time.perf_counter()
    data.make_duckdb(path, rows)
    print(f"[duckdb] generated {rows:,} rows in {time.perf_counter() - began:.1f}s",
          file=sys.stderr)  # fmt: skip
    root = workdir / "duckdb_project"
    profile = {"type": "duckdb", "path": str(path)}
    spec.write_project(root, profile, "orders")
    adapter = connect("bench", profile, project_root=root)
    try:
        result = measure("duckdb", adapter, root, "orders", rows, repeat)
        window = f"ts >= {_literal(WINDOW.start)} AND ts < {_literal(WINDOW.end)}"
        result.shapes, result.shapes_agree = shapes.measure_shapes(
            adapter, "orders", "date_trunc('day', ts)", window, repeat
        )
        return result
    finally:
        adapter.close()


def run_postgres(workdir: Path, rows: int, repeat: int) -> EngineResult:
    schema = f"tripl_bench_{uuid.uuid4().hex[:8]}"
    try:
        table = data.make_postgres(data.POSTGRES, schema, rows)
    except Exception as exc:  # server down: say so in the results instead of failing
        result = EngineResult("postgres", rows)
        result.note = f"skipped: PostgreSQL unreachable ({type(exc).__name__})"
        return result
    try:
        root = workdir / "postgres_project"
        profile = {"type": "postgres", **data.POSTGRES}
        spec.write_project(root, profile, table)
        adapter = connect("bench", profile, project_root=root)
        try:
            return measure("postgres", adapter, root, table, rows, repeat)
        finally:
            adapter.close()
    finally:
        data.drop_postgres(data.POSTGRES, schema)


def state_writes(values: int) -> tuple[int, float, float]:
    """(values, insert values/s, replace values/s) through StateStore.replace_window, SQLite."""
    batch = make_values(values)
    count = sum(len(rows) for _w, rows in batch.values())
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_store(None, project_root=Path(tmp), target="bench") as store,
    ):
        first = run_pass(store, batch)
        second = run_pass(store, batch)
    return count, count / first, count / second


def report(results: list[EngineResult], writes: tuple[int, float, float], args: Any) -> str:
    lines = [
        "# `tripl run` benchmark",
        "",
        f"Generated by `python -m bench.run` ({' '.join(sys.argv[1:]) or 'defaults'}) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {platform.platform()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs (shared with other work: compare "
        f"the ratios, not the seconds). Best of {args.repeat} runs each; median in brackets.",
        "",
        f"Fact table: `orders`, 90 days, {len(spec.METRICS)} daily metrics (9 counts, 6 sums, "
        "4 averages, 4 min/max, 4 distinct counts, 3 ratios; named filters, `where`, "
        "conditions; breakdowns on 2 of them).",
        "",
        "| engine | rows | (c) bare scan | (a) tripl compiled | (b) per-metric | "
        "(d) `tripl run` end to end | a/b | a/c | d/b | values |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        if r.note:
            lines.append(f"| {r.engine} | {r.rows:,} | {r.note} ||||||||")
            continue
        cells = [
            f"{r.best(s):.2f}s ({r.median(s):.2f}s), {r.queries.get(s, 1)} "
            f"quer{'y' if r.queries.get(s, 1) == 1 else 'ies'}"
            if s != "tripl run"
            else f"{r.best(s):.2f}s ({r.median(s):.2f}s)"
            for s in ("bare", "tripl", "per-metric", "tripl run")
        ]
        lines.append(
            f"| {r.engine} | {r.rows:,} | {' | '.join(cells)} | "
            f"{r.best('tripl') / r.best('per-metric'):.2f} | "
            f"{r.best('tripl') / r.best('bare'):.2f} | "
            f"{r.best('tripl run') / r.best('per-metric'):.2f} | {r.agree} |"
        )
    for r in results:
        if r.engine == "duckdb" and r.cpu:
            cpu = {k: min(v) for k, v in r.cpu.items()}
            lines += [
                "",
                f"DuckDB runs in this process, so its CPU time (all threads) is measurable too "
                f"and steadier than wall time on a shared machine: bare {cpu['bare']:.2f}s, "
                f"tripl {cpu['tripl']:.2f}s, per-metric {cpu['per-metric']:.2f}s, tripl run "
                f"{cpu['tripl run']:.2f}s CPU; "
                f"a/b by CPU = {cpu['tripl'] / cpu['per-metric']:.2f}.",
            ]
    count, insert, replace = writes
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += [
        "",
        "a/b < 1: tripl's one scan per fact table (plus one per breakdown) beats running the "
        "metrics one by one; a/c: what computing 30 metrics costs over one bare scan.",
        "",
        f"State writes (bench/state_write.py, SQLite, `StateStore.replace_window`): {count:,} "
        f"values inserted at {insert:,.0f} values/s; replaced (delete + insert, as every "
        f"re-run does) at {replace:,.0f} values/s.",
        "",
        f"Peak memory of the benchmark process (DuckDB in-process): {peak:,.0f} MB.",
        "",
    ]
    for r in results:
        if r.shapes:
            best = {k: min(v) for k, v in r.shapes.items()}
            lines += [
                f"{r.engine}: the 4 filtered distinct counts alone, by SQL shape (bench/run/"
                f"shapes.py; all shapes {'agree' if r.shapes_agree else 'DISAGREE'}):",
                "",
                "| shape | best | median | vs separate |",
                "|---|---:|---:|---:|",
                *(
                    f"| {k} | {best[k]:.2f}s | {statistics.median(v):.2f}s | "
                    f"{best[k] / best['separate']:.2f} |"
                    for k, v in r.shapes.items()
                ),
                "",
            ]
    for r in results:
        if r.sample_sql:
            lines += [
                f"<details><summary>{r.engine}: tripl's aggregate query (the measured shape)"
                "</summary>",
                "",
                "```sql",
                r.sample_sql.rstrip(),
                "```",
                "</details>",
                "",
            ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=8_000_000, help="DuckDB rows")
    parser.add_argument("--pg-rows", type=int, default=1_000_000, help="PostgreSQL rows; 0 skips")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--state-values", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="tripl_bench_run_"))
    try:
        results = [run_duckdb(workdir, args.rows, args.repeat)]
        if args.pg_rows:
            results.append(run_postgres(workdir, args.pg_rows, args.repeat))
        writes = state_writes(args.state_values)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(results, writes, args)
    args.out.write_text(text + "\n")
    print(text)
    return 0
