"""Ctrl-C stops `tripl run`: exit 130, nothing recorded as a failed metric — with one thread
(DuckDB would turn SIGINT into a "Query interrupted" error of the query it was running) and
with two (the pool's running queries are interrupted, not waited for)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENTRY = "from tripl_cli.cli.main import run; run()"
_SLOW_SQL = (
    "SELECT TIMESTAMP '2026-01-01' + to_seconds(i % 86400) AS ts, i AS v"
    " FROM range(100000000000) t(i)"
)
# Two fact tables, so `--threads 2` runs both queries in pool workers at once.
SLOW = f"""\
fact_tables:
  - {{name: slow, timestamp_column: ts, sql: "{_SLOW_SQL}"}}
  - {{name: slow_again, timestamp_column: ts, sql: "{_SLOW_SQL}"}}
metrics:
  - {{name: slow_count, kind: fact, fact_table: slow, aggregation: count}}
  - {{name: slow_too, kind: fact, fact_table: slow_again, aggregation: count}}
"""


def tripl(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", ENTRY, *args],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell may start background jobs with SIGINT ignored; Python then never raises
        # KeyboardInterrupt. The default disposition makes it install its own handler.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


@pytest.mark.parametrize("threads", ["1", "2"])
def test_ctrl_c_stops_the_run_and_records_no_failure(fresh_demo: Path, threads: str) -> None:
    # Two slow queries (a second fact table): with 2 threads both run in pool workers.
    (fresh_demo / "metrics" / "slow.yml").write_text(SLOW)
    run = tripl("run", "-s", "slow_count", "slow_too", "--threads", threads,
                "--start", "2026-01-01", "--end", "2026-01-02", cwd=fresh_demo)  # fmt: skip
    _wait_for_the_run_record(fresh_demo / ".tripl" / "dev.db", run)
    time.sleep(1)  # past compiling: inside the queries (a full scan takes minutes)
    assert run.poll() is None, run.communicate()
    run.send_signal(signal.SIGINT)
    signalled = time.monotonic()
    try:
        _, err = run.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        run.kill()
        raise AssertionError("Ctrl-C did not stop `tripl run` within 60 s") from None
    # Stopped, not waited out: the queries it interrupted run for minutes.
    assert time.monotonic() - signalled < 15
    assert run.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    listed = subprocess.run(
        [sys.executable, "-c", ENTRY, "ls", "--format", "json"],
        cwd=fresh_demo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    slow = [m for m in json.loads(listed.stdout)["metrics"] if m["metric"].startswith("slow")]
    assert len(slow) == 2
    assert all(m["collection"] == {"status": None, "error": None} for m in slow), slow
    results = json.loads((fresh_demo / "target" / "run_results.json").read_text())
    assert results["status"] == "error" and "interrupted" in results["error"], results


def test_sigterm_stops_the_run_as_ctrl_c_does(fresh_demo: Path) -> None:
    """A cron `timeout`, a cancelled CI job or Kubernetes send SIGTERM: the run releases its
    lock and records its end (it was left `running`, the lock held until it went stale)."""
    (fresh_demo / "metrics" / "slow.yml").write_text(SLOW)
    run = tripl("run", "-s", "slow_count", "--start", "2026-01-01", "--end", "2026-01-02",
                "--format", "json", cwd=fresh_demo)  # fmt: skip
    state = fresh_demo / ".tripl" / "dev.db"
    _wait_for_the_run_record(state, run)
    time.sleep(1)
    assert run.poll() is None, run.communicate()
    run.send_signal(signal.SIGTERM)
    try:
        out, err = run.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        run.kill()
        raise AssertionError("SIGTERM did not stop `tripl run` within 60 s") from None
    assert run.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err
    # --format json: stdout still holds its one document.
    assert json.loads(out) == {"status": "error", "error": "terminated", "hint": None}
    with contextlib.closing(sqlite3.connect(state)) as conn:
        assert conn.execute("SELECT count(*) FROM tripl_run_lock").fetchone()[0] == 0
        statuses = [row[0] for row in conn.execute("SELECT status FROM tripl_runs")]
    assert statuses and "running" not in statuses, statuses
    # CI reads target/run_results.json: it says this run stopped (not the last one's result).
    results = json.loads((fresh_demo / "target" / "run_results.json").read_text())
    assert results["status"] == "error" and "terminated" in results["error"], results


def _wait_for_the_run_record(state: Path, run: subprocess.Popen[str]) -> None:
    """Until the run has recorded its start (it then holds the lock and sends its queries)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and run.poll() is None:
        if state.exists():
            # No tables yet (sqlite3.Error) is "not yet" too.
            with (
                contextlib.closing(sqlite3.connect(state)) as conn,
                contextlib.suppress(sqlite3.Error),
            ):
                if conn.execute("SELECT count(*) FROM tripl_runs").fetchone()[0]:
                    return
        time.sleep(0.1)
    raise AssertionError(f"the run never started: {run.communicate()}")


class _Stopped:
    """A command during which SIGTERM arrived: its exception broke something else on the way
    (SQLAlchemy's pool reset failing on the interrupted connection), or was swallowed (raised
    inside a destructor) and the command went on."""

    def __init__(self, then: Exception | None) -> None:
        self.then = then

    def main(self, **_: object) -> int:
        from tripl_cli.cli import main

        main._Terminated.received = True
        if self.then is not None:
            raise self.then
        return 0


@pytest.mark.parametrize("then", [RuntimeError("can't change 'autocommit' now"), None])
def test_a_sigterm_ends_the_command_as_terminated_whatever_it_broke(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], then: Exception | None
) -> None:
    import typer

    from tripl_cli.cli import main

    monkeypatch.setattr(typer.main, "get_command", lambda _app: _Stopped(then))
    monkeypatch.setattr(main._Terminated, "received", False)
    monkeypatch.setattr(sys, "argv", ["tripl", "ls"])
    monkeypatch.setattr(main.signal, "signal", lambda *_: None)  # keep pytest's handlers
    with pytest.raises(SystemExit) as stopped:
        main.run()
    assert stopped.value.code == 143
    err = capsys.readouterr().err
    assert "terminated" in err and "internal error" not in err
