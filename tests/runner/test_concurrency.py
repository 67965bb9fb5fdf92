"""Two `tripl run` processes on one state database never interleave (SPEC §6).

The first run is held inside its warehouse query deterministically: its fact table reads a
named pipe (DuckDB blocks on it) that the test writes only when it wants the run to go on.
While it holds the run lock, a second run either gives up after `--lock-timeout` with a
message naming the holder, or waits and runs after it; a run killed while holding the lock
leaves a lock the next run takes over.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from tripl_cli.state.store import open_store

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")

TRIPL = [sys.executable, "-c", "from tripl_cli.cli.main import run; run()"]
WINDOW = ["--start", "2026-01-05", "--end", "2026-01-12"]
DEADLINE_S = 120  # only a guard against a hung test, never an assertion on speed

FACT_SQL = """\
SELECT ts, v
FROM (
  SELECT TIMESTAMP '2026-01-01' + INTERVAL (i) HOUR AS ts, i % 7 AS v
  FROM range(0, 24 * 12) AS r (i)
) AS events
WHERE (SELECT count(*) FROM read_csv('{gate}', header = true, columns = {{'go': 'INTEGER'}})) > 0
"""


@dataclass
class Project:
    root: Path
    gate: Path

    @property
    def state(self) -> Path:
        return self.root / ".tripl" / "dev.db"

    def start(self, *args: str, window: list[str] = WINDOW) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*TRIPL, "--project-dir", str(self.root), "run", *window, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def open_gate(self) -> None:
        """Let one blocked warehouse query read the pipe and go on (blocks until it reads)."""
        with self.gate.open("w") as pipe:
            pipe.write("go\n1\n")

    def lock_holder(self) -> tuple[str, int] | None:
        if not self.state.exists():
            return None
        try:
            with closing(sqlite3.connect(self.state, timeout=5)) as conn:
                row = conn.execute("SELECT run_id, pid FROM tripl_run_lock").fetchone()
        except sqlite3.OperationalError:  # the schema is being created
            return None
        return None if row is None else (str(row[0]), int(row[1]))

    def wait_for_lock(self, proc: subprocess.Popen[str]) -> tuple[str, int]:
        """Until `proc` holds the run lock and has started its run; (run_id, pid)."""
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            holder = self.lock_holder()
            if holder is not None and holder[1] == proc.pid and self._recorded(holder[0]):
                return holder
            assert proc.poll() is None, f"the first run ended early: {proc.communicate()}"
            time.sleep(0.05)
        raise AssertionError("the first run never took the lock")

    def _recorded(self, run_id: str) -> bool:
        """The run has started (recorded itself) under the lock: it is at its query now."""
        with closing(sqlite3.connect(self.state, timeout=5)) as conn:
            row = conn.execute("SELECT 1 FROM tripl_runs WHERE run_id = ?", (run_id,)).fetchone()
        return row is not None

    def runs(self) -> list[tuple[str, str, datetime, datetime | None]]:
        """(run_id, status, started_at, finished_at) of every recorded run, oldest first."""
        with open_store(None, project_root=self.root, target="dev") as store:
            records = store.list_runs(limit=100)
        ordered = sorted(records, key=lambda r: r.started_at)
        return [(r.run_id, r.status, r.started_at, r.finished_at) for r in ordered]

    def value_run_ids(self) -> set[str]:
        with closing(sqlite3.connect(self.state)) as conn:
            return {r[0] for r in conn.execute("SELECT DISTINCT run_id FROM tripl_metric_values")}


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=DEADLINE_S)
    return proc.returncode, out, err


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    root = tmp_path / "slow"
    (root / "fact_tables").mkdir(parents=True)
    (root / "metrics").mkdir()
    gate = tmp_path / "gate.fifo"
    os.mkfifo(gate)
    (root / "tripl_project.yml").write_text("name: slow\nprofile: slow\n")
    profiles = {"slow": {"target": "dev", "outputs": {"dev": {"type": "duckdb"}}}}
    (root / "profiles.yml").write_text(yaml.safe_dump(profiles))
    facts = {"fact_tables": [{"name": "events", "sql": FACT_SQL.format(gate=gate),
                              "timestamp_column": "ts"}]}  # fmt: skip
    (root / "fact_tables" / "events.yml").write_text(yaml.safe_dump(facts, sort_keys=False))
    metrics = {"metrics": [
        {"name": "events", "kind": "fact", "fact_table": "events", "aggregation": "count"},
        {"name": "v_total", "kind": "fact", "fact_table": "events", "aggregation": "sum",
         "column": "v"},
    ]}  # fmt: skip
    (root / "metrics" / "events.yml").write_text(yaml.safe_dump(metrics, sort_keys=False))
    yield Project(root, gate)


def test_the_second_run_gives_up_naming_the_holder(project: Project) -> None:
    first = project.start()
    try:
        run_id, pid = project.wait_for_lock(first)
        code, _, err = finish(project.start("--lock-timeout", "0.5"))
        assert code == 1
        message = " ".join(err.split())
        assert "locked by another tripl run" in message
        assert run_id in message and str(pid) in message
        assert "--lock-timeout" in message  # the hint says what to do
        assert "Traceback" not in err
        loser = json.loads((project.root / "target" / "run_results.json").read_text())
        assert loser["status"] == "error" and "locked by another tripl run" in loser["error"]
        project.open_gate()
        code, _, err = finish(first)
        assert code == 0, err
    finally:
        first.kill()
        first.wait()
    runs = project.runs()
    assert [r[0] for r in runs] == [run_id]  # the loser never started a run
    assert runs[0][1] == "success"
    assert project.value_run_ids() == {run_id}
    assert project.lock_holder() is None  # released
    winner = json.loads((project.root / "target" / "run_results.json").read_text())
    assert winner["run_id"] == run_id and winner["status"] == "success"


def test_the_second_run_waits_and_runs_after_the_first(project: Project) -> None:
    first = project.start()
    second: subprocess.Popen[str] | None = None
    try:
        first_id, _ = project.wait_for_lock(first)
        second = project.start("--lock-timeout", "100")
        _wait_until_open(second, project.state)
        time.sleep(1.0)  # give it time to reach the lock (not an assertion: only realism)
        assert second.poll() is None  # still waiting
        assert project.lock_holder() == (first_id, first.pid)
        project.open_gate()  # the first run goes on and releases the lock…
        assert finish(first)[0] == 0
        project.open_gate()  # …then the second run's query reads the pipe too
        code, _, err = finish(second)
        assert code == 0, err
    finally:
        for proc in (first, second):
            if proc is not None:
                proc.kill()
                proc.wait()
    (a, a_status, a_start, a_end), (b, b_status, b_start, b_end) = project.runs()
    assert a == first_id and a_status == b_status == "success"
    assert a_end is not None and b_end is not None
    assert a_start <= a_end <= b_start <= b_end  # never interleaved
    assert project.value_run_ids() == {b}  # the later run replaced every value of the window


def test_a_waiting_scheduled_run_plans_its_window_after_the_lock(project: Project) -> None:
    """A run that waited plans from what the run before it stored: its window resumes at that
    run's watermark (minus lookback), not at `initial_buckets` back from today, as it would
    had it planned before taking the lock, on the then-empty state."""
    first = project.start()
    second: subprocess.Popen[str] | None = None
    try:
        project.wait_for_lock(first)
        second = project.start("--lock-timeout", "100", "--format", "json", window=[])
        _wait_until_open(second, project.state)
        time.sleep(1.0)  # give it time to reach the lock (not an assertion: only realism)
        project.open_gate()
        assert finish(first)[0] == 0
        project.open_gate()
        code, out, err = finish(second)
        assert code == 0, err
    finally:
        for proc in (first, second):
            if proc is not None:
                proc.kill()
                proc.wait()
    results = {r["metric"]: r for r in json.loads(out)["results"]}
    # The first run stored 2026-01-05..11 (watermark 01-11); lookback 2 → from 01-09.
    assert results["events"]["window"]["start"] == "2026-01-09T00:00:00Z"


def test_a_killed_runs_lock_is_taken_over(project: Project) -> None:
    first = project.start()
    try:
        run_id, _ = project.wait_for_lock(first)
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        first.kill()
        first.wait()
    assert project.lock_holder() is not None  # left behind by the killed process
    second = project.start("--lock-timeout", "30")
    try:
        _wait_until_open(second, project.state)
        project.open_gate()
        code, _, err = finish(second)
    finally:
        second.kill()
        second.wait()
    assert code == 0, err
    assert "took over the state lock" in err and run_id in err
    statuses = {r[0]: r[1] for r in project.runs()}
    assert statuses[run_id] == "running"  # the killed run never finished: its record says so
    assert len(project.value_run_ids()) == 1 and run_id not in project.value_run_ids()


def _wait_until_open(proc: subprocess.Popen[str], state: Path) -> None:
    """Until the process has the state database open (it is past start-up and loading)."""
    deadline = time.monotonic() + DEADLINE_S
    fds = Path(f"/proc/{proc.pid}/fd")
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            if any(fd.readlink() == state for fd in fds.iterdir()):
                return
        except OSError:  # an fd closed while we looked
            pass
        time.sleep(0.05)
    raise AssertionError("the second run never opened the state database")
