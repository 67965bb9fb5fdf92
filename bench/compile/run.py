"""Compile benchmark: how long loading, validating and compiling a big project take.

    python -m bench.compile            # or: python bench/compile/run.py
    python -m bench.compile --metrics 1000 --fact-tables 20 --keep /tmp/bench_project

Generates a project of 1,000 metrics on 20 fact tables into a temporary directory, then
times (a) loading + validation, (b) compiling every metric for every dialect (in process,
through the Python API), (c) `tripl compile` end to end as a subprocess, and (d) the CLI's
start-up: `tripl --help` and a bare `import tripl_cli.cli.main` (median of several runs).
Targets: compile of 1,000 metrics < 3 s; `tripl --help` < 0.3 s. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import importlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.compile.generate import generate_project

COMPILE_TARGET_S = 3.0
HELP_TARGET_S = 0.3
AS_OF = datetime(2026, 1, 15, 12, tzinfo=UTC)  # fixed: windows do not depend on the clock


@dataclass(frozen=True)
class Row:
    step: str
    detail: str
    seconds: float | None  # wall clock: what the targets are about
    note: str = ""
    target: float | None = None
    cpu: float | None = None  # user+sys CPU: steadier than wall time on a busy machine

    def verdict(self) -> str:
        if self.seconds is None or self.target is None:
            return ""
        return "ok" if self.seconds < self.target else "OVER TARGET"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tripl_bench_"))
    if args.keep and workdir.exists():
        shutil.rmtree(workdir)
    try:
        generated = generate_project(workdir, metrics=args.metrics, fact_tables=args.fact_tables)
        kinds = ", ".join(f"{k}={v}" for k, v in sorted(generated.kinds.items()))
        print(f"project: {generated.metrics} metrics on {generated.fact_tables} fact tables")
        print(f"  kinds: {kinds}\n  at: {workdir}")
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"  machine: {os.cpu_count()} CPUs, load average {load}")
        print("  (wall times inflate on a busy machine; cpu times much less)\n")
        rows = _in_process(workdir)
        if not args.skip_cli:
            rows += _cli(workdir, args.repeat)
        _print_table(rows)
        return 1 if any(r.verdict() == "OVER TARGET" for r in rows) else 0
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.compile", description=__doc__)
    parser.add_argument("--metrics", type=int, default=1000)
    parser.add_argument("--fact-tables", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5, help="runs per start-up timing")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    parser.add_argument("--skip-cli", action="store_true", help="only in-process timings")
    return parser.parse_args(argv)


# --------------------------------------------------------------------------- in process
def _in_process(root: Path) -> list[Row]:
    # Import first, and time it apart, so the load step measures loading, not importing.
    clock = _Clock()
    from tripl_cli.compiler.dialects import DIALECTS
    from tripl_cli.errors import Severity
    from tripl_cli.project.loader import load_project

    wall, cpu = clock.lap()
    rows = [Row("import", "loader + compiler modules", wall, cpu=cpu)]
    result = load_project(root)
    wall, cpu = clock.lap()
    errors = [i for i in result.issues if i.severity is Severity.ERROR]
    note = f"{len(result.issues)} issues"
    rows.append(Row("load + validate", "load_project", wall, note, cpu=cpu))
    if errors or result.project is None:
        for issue in errors[:10]:
            print("  generated project is invalid:", issue.render(), file=sys.stderr)
        return rows
    compilers = _compilers()
    for dialect in DIALECTS:
        rows.append(_compile_row(compilers, result.project, dialect))
    return rows


Compiler = Callable[[Any, str], int]


def _compile_row(compilers: list[tuple[Compiler, str]], project: Any, dialect: str) -> Row:
    """Time one dialect with the first compiler that can run (the API may not be wired yet)."""
    failure = ""
    for compile_fn, how in compilers:
        try:
            clock = _Clock()
            queries = compile_fn(project, dialect)
            seconds, cpu = clock.lap()
        except ImportError as exc:  # a layer not landed yet: try the next way in
            failure = f"{how}: {exc}"
            continue
        except Exception as exc:  # report and go on: one broken dialect must not hide the rest
            return Row("compile", dialect, None, f"FAILED via {how}: {type(exc).__name__}: {exc}")
        note = f"{queries} queries via {how}"
        return Row("compile", dialect, seconds, note, COMPILE_TARGET_S, cpu)
    return Row("compile", dialect, None, f"FAILED: {failure}")


def _compilers() -> list[tuple[Compiler, str]]:
    """`tripl_cli.api.compile_project` when present, then the compiler's `compile_plan`."""
    found: list[tuple[Compiler, str]] = []
    for module in ("tripl_cli.api", "tripl_cli.api.project_api"):
        try:
            api = importlib.import_module(module)
        except ImportError:
            continue
        if hasattr(api, "compile_project"):
            found.append((_via_api(api), f"{module}.compile_project"))
            break
    found.append((_via_plan, "compiler.plan.compile_plan"))
    return found


def _via_api(api: Any) -> Compiler:
    def run(project: Any, dialect: str) -> int:
        result = api.compile_project(project, dialect=dialect, as_of=AS_OF, write=False)
        return len(result.queries)

    return run


def _via_plan(project: Any, dialect: str) -> int:
    from tripl_cli.compiler.plan import compile_plan
    from tripl_cli.timegrid import Window

    window = Window(AS_OF - timedelta(days=30), AS_OF)
    plan = compile_plan(project, list(project.metrics), dialect=dialect, window_for=window)
    return len(plan.queries)


# --------------------------------------------------------------------------- subprocesses
def _tripl_command() -> list[str]:
    exe = shutil.which("tripl")
    if exe:
        return [exe]
    return [sys.executable, "-c", "from tripl_cli.cli.main import run; run()"]


def _cli(root: Path, repeat: int) -> list[Row]:
    tripl = _tripl_command()
    rows = [
        _timed_median("start-up", "tripl --help", [*tripl, "--help"], repeat, HELP_TARGET_S),
        _timed_median(
            "start-up",
            "python -c 'import tripl_cli.cli.main'",
            [sys.executable, "-c", "import tripl_cli.cli.main"],
            repeat,
        ),
        _timed_median(
            "start-up", "python -c pass (interpreter)", [sys.executable, "-c", "pass"], repeat
        ),
    ]
    compile_cmd = [*tripl, "--project-dir", str(root), "compile"]
    rows.append(
        _timed_median("tripl compile", "duckdb, end to end", compile_cmd, 1, COMPILE_TARGET_S)
    )
    return rows


def _timed_median(
    step: str, detail: str, cmd: list[str], repeat: int, target: float | None = None
) -> Row:
    times: list[float] = []
    cpus: list[float] = []
    for _ in range(max(1, repeat)):
        clock = _Clock(children=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall, cpu = clock.lap()
        times.append(wall)
        cpus.append(cpu)
        if proc.returncode != 0:
            reason = (proc.stderr or proc.stdout).strip().splitlines()
            last = reason[-1] if reason else f"exit {proc.returncode}"
            return Row(step, detail, None, f"FAILED (exit {proc.returncode}): {last}"[:90])
    note = f"median of {len(times)}" if len(times) > 1 else "1 run"
    return Row(step, detail, statistics.median(times), note, target, statistics.median(cpus))


class _Clock:
    """Wall and CPU time since the last lap (CPU of this process, or of its children)."""

    def __init__(self, *, children: bool = False) -> None:
        self._children = children
        self._wall, self._cpu = time.perf_counter(), self._cpu_now()

    def _cpu_now(self) -> float:
        if not self._children:
            return time.process_time()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def lap(self) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), self._cpu_now()
        lap = (wall - self._wall, cpu - self._cpu)
        self._wall, self._cpu = wall, cpu
        return lap


# --------------------------------------------------------------------------- output
def _print_table(rows: list[Row]) -> None:
    header = ("step", "detail", "wall s", "cpu s", "target", "", "note")
    body = [
        (
            r.step,
            r.detail,
            "-" if r.seconds is None else f"{r.seconds:.3f}",
            "-" if r.cpu is None else f"{r.cpu:.3f}",
            "" if r.target is None else f"< {r.target:g}",
            r.verdict(),
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]
    for line in [header, tuple("-" * w for w in widths), *body]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


if __name__ == "__main__":
    raise SystemExit(main())
