"""Run a child process and measure its own peak memory.

Neither wait4's ru_maxrss nor RUSAGE_CHILDREN can be used: Linux carries the parent's RSS
high-water mark into a child at exec (`setmax_mm_hiwater_rss`), so a child of this
benchmark, which holds a DuckDB/chdb process's memory, would report at least that. The
child's own `VmHWM` (its address space's high-water mark, fresh after exec) is read from
/proc/<pid>/status while it runs instead; being a high-water mark, the last read is its peak
up to the last few milliseconds.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_POLL_S = 0.01


@dataclass(frozen=True)
class ChildRun:
    code: int
    seconds: float
    peak_mb: float
    stdout: str
    stderr: str


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None  # a zombie has no memory lines


def installed_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's) as an installed CLI runs: Python's bytecode cache on.

    A sandbox may set PYTHONDONTWRITEBYTECODE; then every start compiles each imported
    module from source again (measured: tripl's start 0.70 s instead of 0.64 s), which no
    installed tool pays after its first run. Both CLIs timed here get the same rule.
    """
    out = dict(os.environ if env is None else env)
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


def run_child(
    args: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> ChildRun:
    """Run to completion; output goes to temp files (no pipe can fill up and block it)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        proc = subprocess.Popen(list(args), cwd=cwd, env=installed_env(env), stdout=out, stderr=err)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _vm_hwm_mb(proc.pid) or 0.0)
            time.sleep(_POLL_S)
        seconds = time.perf_counter() - began
        out.seek(0)
        err.seek(0)
        return ChildRun(
            proc.returncode,
            seconds,
            peak,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )
