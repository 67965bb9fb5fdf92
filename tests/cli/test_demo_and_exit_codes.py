"""`tripl demo` end to end, and exit codes through the real console-script wrapper."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import Demo, Invoke

ENTRY = "from tripl_cli.cli.main import run; run()"


def tripl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`tripl ARGS` in a fresh interpreter: the wrapper maps errors to exit codes."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_end_to_end(tmp_path: Path, invoke: Invoke) -> None:
    where = tmp_path / "tour"
    done = tripl("demo", "--dir", str(where), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"creating a demo shop in {where}" in done.stderr
    assert "tripl run: 11 metrics collected" in done.stderr
    assert "android checkout outage" in done.stderr
    assert f"tripl show orders --breakdown platform --project-dir {where}" in done.stderr
    for name in ("orders", "conversion_rate", "sessions_hourly"):
        assert name in done.stdout  # the catalog
    assert "by platform" in done.stdout  # the chart of the incident's metric

    # What it left behind is a working project: every metric collected.
    listed = json.loads(invoke(where, "ls", "--format", "json").stdout)
    assert {r["collection"]["status"] for r in listed["metrics"]} == {"success"}
    doc = json.loads(invoke(where, "show", "orders", "--format", "json").stdout)
    android = [p["value"] for p in doc["breakdowns"]["platform"]["android"]]
    # The planted outage: two days at ~40% of a normal android day, visible in the data.
    assert sum(v < 0.6 * statistics.median(android) for v in android) == 2


def test_user_errors_exit_1_with_one_clear_message(demo: Demo, tmp_path: Path) -> None:
    done = tripl("show", "ordrs", "--project-dir", str(demo.root), cwd=tmp_path)
    assert done.returncode == 1
    assert "unknown metric 'ordrs' (did you mean 'orders'?)" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""

    done = tripl("introspect", "nope", "--project-dir", str(demo.root), cwd=tmp_path)
    assert done.returncode == 1 and "unknown fact table 'nope'" in done.stderr


def test_never_collected_exits_1(fresh_demo: Path, tmp_path: Path) -> None:
    done = tripl("show", "revenue", "--project-dir", str(fresh_demo), cwd=tmp_path)
    assert done.returncode == 1
    assert "no values stored yet for 'revenue' on target 'dev'" in done.stderr
    assert "tripl run -s revenue" in done.stderr


def test_show_json_is_the_only_thing_on_stdout(demo: Demo, tmp_path: Path) -> None:
    done = tripl(
        "show", "orders", "--format", "json", "--project-dir", str(demo.root), cwd=tmp_path
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["metric"] == "orders"
