"""SIGKILL `tripl run` at random moments, many times: the store stays readable and every
metric's window holds one complete generation of values, never a mix (SPEC §6).

Data generations alternate: before each run the warehouse table is rewritten with every
value equal to the generation N (the definitions stay the same), so each stored value tells
which run wrote it. Each kill lands while the run's values transaction is open (a probe
finds the state's write lock held after the run recorded its start) or a random moment
later; afterwards every series must hold exactly the old or the new generation over its
whole window — all series the same one, as a run stores its metrics in one transaction
(a runner committing metric by metric fails here) — and the test insists that kills landed
on both sides of that commit (otherwise it would prove nothing). Atomicity inside one
write, of one window or of several metrics', is proven by tests/state/test_state_crash.py,
which catches a deliberately non-atomic store.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import duckdb

from tripl_cli.state.store import open_store
from tripl_cli.types import TOTAL

TRIPL = [sys.executable, "-c", "from tripl_cli.cli.main import run; run()"]
WINDOW = ["--start", "2026-01-01", "--end", "2026-03-01"]  # 59 daily, 1,416 hourly buckets
KILLS = 16

FACTS = """\
fact_tables:
  - name: events
    timestamp_column: ts
    sql: SELECT ts, v, k FROM events
"""
LOAD = """
CREATE OR REPLACE TABLE events AS
SELECT TIMESTAMP '2026-01-01' + INTERVAL (i) MINUTE AS ts, {gen} AS v,
       CASE WHEN i % 3 = 0 THEN 'a' WHEN i % 3 = 1 THEN 'b' ELSE 'c' END AS k
FROM range(0, 60 * 24 * 60) AS r (i)
"""
# Every row carries v = gen, so each stored value divided by its rows per bucket is the
# generation that wrote it.
METRICS = """\
metrics:
  - {name: daily_sum, kind: fact, fact_table: events, aggregation: sum, column: v}
  - {name: hourly_sum, kind: fact, fact_table: events, aggregation: sum, column: v, interval: 1h}
  - {name: hourly_max, kind: fact, fact_table: events, aggregation: max, column: v, interval: 1h}
  - {name: by_k, kind: fact, fact_table: events, aggregation: max, column: v, breakdowns: [k]}
"""
ROWS_PER_BUCKET = {"daily_sum": 1440, "hourly_sum": 60, "hourly_max": 1}


def _project(root: Path) -> Path:
    (root / "fact_tables").mkdir(parents=True)
    (root / "metrics").mkdir()
    (root / "tripl_project.yml").write_text("name: crash\n")
    (root / "profiles.yml").write_text(
        "crash:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: wh.duckdb}\n"
    )
    (root / "fact_tables" / "events.yml").write_text(FACTS)
    (root / "metrics" / "m.yml").write_text(METRICS)
    return root


def _run(root: Path, gen: int) -> subprocess.Popen[bytes]:
    """Load generation `gen` into the warehouse, then start `tripl run`."""
    with duckdb.connect(str(root / "wh.duckdb")) as con:
        con.execute(LOAD.format(gen=gen))
    command = [*TRIPL, "--project-dir", str(root), "run"]
    return subprocess.Popen(
        [*command, *WINDOW, "--lock-timeout", "30"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _runs_started(root: Path) -> int:
    """How many runs have recorded their start (read straight from the SQLite state file)."""
    path = root / ".tripl" / "dev.db"
    try:
        with closing(sqlite3.connect(path, timeout=5)) as conn:
            return int(conn.execute("SELECT count(*) FROM tripl_runs").fetchone()[0])
    except sqlite3.OperationalError:  # being created or locked for a moment
        return 0


def _writing(root: Path) -> bool:
    """Whether another connection holds the state's write lock (a write transaction is open)."""
    with closing(sqlite3.connect(root / ".tripl" / "dev.db", timeout=0)) as conn:
        conn.isolation_level = None
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # database is locked
            return True
        conn.execute("ROLLBACK")
        return False


def _generations(root: Path) -> dict[str, set[float]]:
    """Per series, the set of generations its stored values were written by."""
    store = open_store(None, project_root=root, target="dev")
    try:
        found: dict[str, set[float]] = {}
        for metric, rows in ROWS_PER_BUCKET.items():
            points = store.read_series(metric, breakdown=TOTAL)
            assert len(points) == (59 if metric == "daily_sum" else 59 * 24), metric
            found[metric] = {round((p.value or 0.0) / rows, 9) for p in points}
        for value, points in store.read_breakdowns("by_k", "k").items():
            assert len(points) == 59
            found[f"by_k/{value}"] = {p.value or 0.0 for p in points}
        assert len(found) == 6
        return found
    finally:
        store.close()


def test_sigkill_during_runs_never_leaves_a_mixed_window(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    assert _run(root, 1).wait(timeout=300) == 0
    assert all(gens == {1.0} for gens in _generations(root).values())
    rng = random.Random(20261128)
    generation = 1
    outcomes: set[str] = set()  # "old" / "new": which side of the run's commit kills landed
    kept = 0
    for _ in range(KILLS):
        previous, generation = generation, 3 if generation == 2 else 2
        runs_before = _runs_started(root)
        proc = _run(root, generation)
        while proc.poll() is None and _runs_started(root) == runs_before:
            time.sleep(0.002)
        # The next write transaction is the one that stores the values: kill while it is
        # open (its deletes and inserts not yet committed) or just after its commit. Waiting
        # for the commit, not a fixed delay, lands kills there however loaded the machine is.
        while proc.poll() is None and not _writing(root):
            time.sleep(0.001)
        if rng.random() < 0.5:
            time.sleep(rng.choice([0.0, rng.uniform(0, 0.02)]))
        else:
            while proc.poll() is None and _writing(root):
                time.sleep(0.001)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        found = _generations(root)
        for series, gens in found.items():
            assert len(gens) == 1, f"{series} holds a mix of generations: {sorted(gens)}"
        stored = {g for gens in found.values() for g in gens}
        assert stored in ({float(previous)}, {float(generation)}), f"series disagree: {found}"
        if stored == {float(previous)}:
            generation = previous  # nothing new stored: the next run replaces this one
            outcomes.add("old")
            kept += 1
        else:
            outcomes.add("new")
    # Without kills on both sides of the commit this test would prove nothing.
    assert outcomes == {"old", "new"}, f"every kill left the {outcomes} values"
    print(f"after {KILLS} kills: {kept} kept the old values")
    # The store still works: a last run completes and holds one generation everywhere.
    assert _run(root, 5).wait(timeout=300) == 0
    assert all(gens == {5.0} for gens in _generations(root).values())
