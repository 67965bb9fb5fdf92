"""Timing the benchmark's steps on one engine, side by side, best of N (round-robin).

Steps: (a) bare scan, (b) the per-metric queries, (c) `tripl run` end to end and its SQL
alone (compile + queries + assembling values, in this process), (d) MetricFlow `mf query`
end to end and its SQL alone. Round-robin, so load from other work on the machine hits every
step alike; the best of N is reported with the median.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.collector import metricflow as mf
from bench.collector import spec
from bench.collector.child import run_child
from bench.collector.engines import END, START, Engine
from tripl_cli.adapters import Adapter, connect
from tripl_cli.api import run_api
from tripl_cli.api.project_api import open_project
from tripl_cli.compiler.assemble import assemble
from tripl_cli.compiler.dialects import (
    BreakdownStrategy,
    DistinctStrategy,
    FilterStrategy,
    Shapes,
)
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.runner.execute import Executor, execute_query, probe_takes
from tripl_cli.timegrid import Window
from tripl_cli.types import MetricValue

WINDOW = Window(START, END)
#: The shapes timed per engine: the standard SQL, each alternative alone, all of them.
SHAPES = {
    "standard": Shapes(),
    "distinct: preaggregate": Shapes(distinct=DistinctStrategy.PREAGGREGATE),
    "breakdown: fold groups": Shapes(breakdown=BreakdownStrategy.FOLD_GROUPS),
    "filters: grouped": Shapes(filters=FilterStrategy.GROUPED),
    "all three": Shapes(
        DistinctStrategy.PREAGGREGATE, BreakdownStrategy.FOLD_GROUPS, FilterStrategy.GROUPED
    ),
    "grouped filters + preaggregate": Shapes(
        distinct=DistinctStrategy.PREAGGREGATE, filters=FilterStrategy.GROUPED
    ),
    "distinct: separate": Shapes(distinct=DistinctStrategy.SEPARATE),
    "breakdown: rank groups": Shapes(breakdown=BreakdownStrategy.RANK_GROUPS),
    "preaggregate + rank groups + grouped": Shapes(
        DistinctStrategy.PREAGGREGATE, BreakdownStrategy.RANK_GROUPS, FilterStrategy.GROUPED
    ),
    "separate + rank groups + grouped": Shapes(
        DistinctStrategy.SEPARATE, BreakdownStrategy.RANK_GROUPS, FilterStrategy.GROUPED
    ),
    # Where a dialect has no bitmap type, BITMAP builds PREAGGREGATE's SQL.
    "distinct: bitmap": Shapes(distinct=DistinctStrategy.BITMAP),
    "bitmap + fold groups + grouped": Shapes(
        DistinctStrategy.BITMAP, BreakdownStrategy.FOLD_GROUPS, FilterStrategy.GROUPED
    ),
}
_CLI = "from tripl_cli.cli.main import run; run()"


@dataclass
class Result:
    engine: str
    rows: int
    timings: dict[str, list[float]] = field(default_factory=dict)
    queries: dict[str, int] = field(default_factory=dict)
    peak_mb: dict[str, float] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)
    shapes: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sample_sql: str = ""
    threads: int = 1

    def best(self, step: str) -> float:
        return min(self.timings[step])


def _peak_reset() -> None:
    """Reset this process's RSS high-water mark (Linux: VmHWM) before a measured step."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Bench:
    def __init__(self, engine: Engine, workdir: Path, mf_venv: Path | None, threads: int) -> None:
        self.engine = engine
        self.threads = threads
        self.root = workdir / f"{engine.name}_project"
        profile = {**engine.profile, "threads": threads}
        spec.write_tripl_project(self.root, profile, engine.table)
        self.project = open_project(self.root)
        self.names = [m.name for m in spec.METRICS]
        self.naive = spec.naive_queries(engine.table, engine.bucket_sql, engine.window_sql)
        self.adapter: Adapter | None = None
        self.mf_venv = mf_venv
        self.dbt_root = workdir / "dbt_project"
        self.mf_sql: list[str] = []
        self.outputs: dict[str, Any] = {}
        self.result = Result(engine.name, engine.rows)
        self.result.threads = threads

    # ------------------------------------------------------------------ plumbing
    def _connect(self) -> Adapter:
        return connect("bench", self.engine.profile, project_root=self.root)

    def _open(self) -> Adapter:
        if self.adapter is None:
            self.adapter = self._connect()
        return self.adapter

    def close(self) -> None:
        """DuckDB: another process (the CLI, mf) cannot open the file while this one has it."""
        if self.adapter is not None:
            self.adapter.close()
            self.adapter = None

    # --------------------------------------------------------------------- steps
    def bare(self) -> Any:
        return self._open().execute(f"SELECT count(*), sum(amount) FROM {self.engine.table}")

    def per_metric(self) -> dict[str, Any]:
        adapter = self._open()
        return {label: adapter.execute(sql) for label, sql in self.naive}

    def per_metric_threads(self) -> dict[str, Any]:
        """(b∥) The per-metric queries over as many connections as tripl's `threads`."""
        self.close()
        local = threading.local()
        opened: list[Adapter] = []

        def run(item: tuple[str, str]) -> tuple[str, Any]:
            adapter: Adapter | None = getattr(local, "adapter", None)
            if adapter is None:
                adapter = local.adapter = self._connect()
                opened.append(adapter)  # list.append is atomic
            return item[0], adapter.execute(item[1])

        try:
            with ThreadPoolExecutor(self.threads) as pool:
                return dict(pool.map(run, self.naive))
        finally:
            for adapter in opened:
                adapter.close()

    def tripl_sql(self, shapes: Shapes | None = None) -> list[MetricValue]:
        """Compile, run the queries as `tripl run` does (`threads` connections), assemble."""
        plan = compile_plan(
            self.project, self.names, dialect=self.engine.name, window_for=WINDOW, shapes=shapes
        )
        if self.threads == 1:
            adapter = self._open()
            results = {q.id: execute_query(adapter, q, timeout_s=None) for q in plan.queries}
            return assemble(plan, results)
        self.close()
        executor = Executor(self._connect, threads=self.threads, timeout_s=None)
        try:
            outcomes = executor.run_all(plan.queries)
        finally:
            executor.close()
        for outcome in outcomes:
            if outcome.error is not None:
                raise outcome.error
        return assemble(plan, {o.query.id: o.result for o in outcomes})

    def tripl_run(self) -> None:
        shutil.rmtree(self.root / ".tripl", ignore_errors=True)  # a first run every time
        if self.engine.in_process:
            _peak_reset()
            report = run_api.run(
                self.project,
                run_api.RunOptions(start=START, end=END),
                profiles_dir=self.root,
            )
            if report.failed:
                raise RuntimeError(f"tripl run failed: {[o.error for o in report.failed]}")
            self._peak("tripl run", _peak_mb())
            return
        self.close()
        args = [sys.executable, "-c", _CLI, "run", "--project-dir", str(self.root)]
        args += ["--profiles-dir", str(self.root), "--start", f"{START:%Y-%m-%d}"]
        args += ["--end", f"{END:%Y-%m-%d}", "--format", "json"]
        done = run_child(args)
        if done.code != 0:
            raise RuntimeError(
                f"tripl run exited {done.code}:\n{done.stdout[-2000:]}\n{done.stderr}"
            )
        self._peak("tripl run", done.peak_mb)

    def mf_query(self) -> None:
        assert self.mf_venv is not None
        self.close()
        exe = self.mf_venv / "bin" / "mf"
        out = self.dbt_root / "out"
        out.mkdir(exist_ok=True)
        day = mf.query(self.dbt_root, exe, self.names, "metric_time__day", out / "day.csv")
        by = mf.query(
            self.dbt_root, exe, ["orders"], "metric_time__day,order__country", out / "country.csv"
        )
        self._peak("mf query", max(day.peak_mb, by.peak_mb))

    def mf_sql_only(self) -> Any:
        adapter = self._open()
        return [adapter.execute(sql) for sql in self.mf_sql]

    def _peak(self, step: str, mb: float) -> None:
        self.result.peak_mb[step] = max(self.result.peak_mb.get(step, 0.0), mb)

    # ---------------------------------------------------------------------- run
    def steps(self) -> dict[str, Callable[[], Any]]:
        steps: dict[str, Callable[[], Any]] = {
            "bare": self.bare,
            "per-metric": self.per_metric,
            "tripl SQL": self.tripl_sql,
            "tripl run": self.tripl_run,
        }
        if self.threads > 1:  # with one, (b∥) is (b)
            steps["per-metric threads"] = self.per_metric_threads
        if self.mf_venv is not None:
            steps["mf query"] = self.mf_query
            steps["mf SQL"] = self.mf_sql_only
        return steps

    def prepare_metricflow(self) -> None:
        assert self.mf_venv is not None and self.engine.duckdb_path is not None
        self.close()
        mf.write_dbt_project(self.dbt_root, self.engine.duckdb_path, self.engine.table)
        mf.build(self.dbt_root, self.mf_venv)
        exe = self.mf_venv / "bin" / "mf"
        self.mf_sql = [
            mf.explain_sql(self.dbt_root, exe, self.names, "metric_time__day"),
            mf.explain_sql(self.dbt_root, exe, ["orders"], "metric_time__day,order__country"),
        ]

    def measure(self, repeat: int) -> Result:
        r = self.result
        plan = compile_plan(self.project, self.names, dialect=self.engine.name, window_for=WINDOW)
        first = plan.queries[0]
        r.sample_sql = first.sql
        if first.variant is not None:
            verdict = self._open().execute(first.variant.probe_sql)
            taken = "took" if probe_takes(verdict) else "did not take"
            if taken == "took":
                r.sample_sql = first.variant.sql  # the SQL the run sends
            r.checks["distinct form"] = (
                f"`{first.id}` also has the {first.variant.shape.upper()} form; the runner's "
                f"probe {taken} it"
            )
        r.queries = {"bare": 1, "per-metric": len(self.naive), "tripl SQL": len(plan.queries)}
        if self.threads > 1:
            r.queries["per-metric threads"] = len(self.naive)
        if self.mf_sql:
            r.queries["mf SQL"] = len(self.mf_sql)
        steps = self.steps()
        for i in range(repeat):
            for step, fn in steps.items():
                began = time.perf_counter()
                self.outputs[step] = fn()
                r.timings.setdefault(step, []).append(time.perf_counter() - began)
                print(
                    f"[{self.engine.name}] round {i + 1}/{repeat} {step}: "
                    f"{r.timings[step][-1]:.2f}s",
                    file=sys.stderr,
                )
        return r

    def measure_shapes(self, repeat: int) -> None:
        """tripl's SQL in each shape: the measurements behind the dialect's choices."""
        answers: dict[str, dict[Any, float]] = {}
        for _ in range(repeat):
            for label, shapes in SHAPES.items():
                began = time.perf_counter()
                values = self.tripl_sql(shapes)
                took = time.perf_counter() - began
                self.result.shapes.setdefault(label, []).append(took)
                answers[label] = {
                    (v.metric, v.bucket, v.breakdown): v.value
                    for v in values
                    if v.value is not None
                }
        first, *others = answers.values()
        bad = sum(
            1
            for other in others
            for key in first.keys() | other.keys()
            if key not in first
            or key not in other
            or not math.isclose(first[key], other[key], rel_tol=1e-9, abs_tol=1e-9)
        )
        self.result.checks["shapes"] = (
            f"all {len(answers)} strategies give the same {len(first)} values"
            if not bad
            else f"strategies DISAGREE on {bad} values"
        )
