"""Crash safety: SIGKILL a writer at random points; the window is always one complete set.

A child process replaces one window over and over with two alternating, complete value sets
(A and B differ in every value, in which buckets exist and in which breakdown values exist).
The parent kills it at a seeded random moment, 25 times per backend; after every kill the
store must open and the window must hold exactly A or exactly B, totals and breakdowns alike.
As `tripl run` stores its metrics — several windows in one `replace_windows` — the child
writes two metrics at once, and both must then hold the same set: all stored, or none.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.state.state_testlib import hours, value_set
from tripl_cli.state import StateStore, WindowWrite, open_store
from tripl_cli.types import MetricValue

KILLS = 25
WINDOW = hours(0, 240)
# A: 240 hourly buckets x (total + 3 countries); B: every 7th bucket missing, 4 countries.
SET_A = value_set("m", range(240), base=1_000.0, keys=["US", "FR", "DE"])
SET_B = value_set(
    "m", [b for b in range(240) if b % 7], base=5_000.0, keys=["US", "FR", "JP", "BR"]
)
CTX = multiprocessing.get_context("fork")
METRICS = ("m", "m2")  # written together, in one transaction


def _snapshot(values: list[MetricValue]) -> set[tuple[Any, ...]]:
    return {(v.breakdown, v.bucket, v.value, v.numerator, v.denominator) for v in values}


def _stored(store: StateStore, metric: str) -> set[tuple[Any, ...]]:
    out = {
        (("", ""), p.bucket, p.value, p.numerator, p.denominator) for p in store.read_series(metric)
    }
    for key, points in store.read_breakdowns(metric, "country").items():
        out |= {(("country", key), p.bucket, p.value, p.numerator, p.denominator) for p in points}
    return out


def _settled(store: StateStore) -> dict[str, set[tuple[Any, ...]]]:
    """Both metrics' windows once the killed writer's session is over. Each read is its own
    transaction, and PostgreSQL may still commit what a killed client sent just before dying
    (between two reads); a mix that is really stored stays, so it is still caught."""
    deadline = time.monotonic() + 10
    stored = {metric: _stored(store, metric) for metric in METRICS}
    while time.monotonic() < deadline:
        time.sleep(0.05)
        again = {metric: _stored(store, metric) for metric in METRICS}
        if again == stored:
            break
        stored = again
    return stored


def _as(metric: str, values: list[MetricValue]) -> list[MetricValue]:
    return [v._replace(metric=metric) for v in values]


def _write_forever(url: str, root: str, commits: Any) -> None:
    with open_store(url, project_root=Path(root), target="t") as store:
        n = 0
        while True:
            values = SET_B if n % 2 else SET_A
            store.replace_windows(
                [
                    WindowWrite(
                        metric,
                        WINDOW,
                        _as(metric, values),
                        definition_hash="h",
                        run_id=f"r{n}",
                        breakdown_columns=["country"],
                    )
                    for metric in METRICS
                ]
            )
            n += 1
            commits.value = n


def test_sigkill_during_writes_leaves_old_or_new_window(state_url: str, tmp_path: Path) -> None:
    expected = {"A": _snapshot(SET_A), "B": _snapshot(SET_B)}
    assert expected["A"] != expected["B"]
    rng = random.Random(20260101)
    seen: Counter[str] = Counter()
    for kill in range(KILLS):
        commits = CTX.Value("i", 0)
        proc = CTX.Process(target=_write_forever, args=(state_url, str(tmp_path), commits))
        proc.start()
        deadline = time.monotonic() + 60
        while commits.value < 1:  # at least one complete write exists before the kill
            assert time.monotonic() < deadline and proc.is_alive(), "writer never committed"
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.08))
        os.kill(proc.pid or 0, signal.SIGKILL)
        proc.join(30)
        assert proc.exitcode == -signal.SIGKILL

        with open_store(state_url, project_root=tmp_path, target="t") as store:
            stored = _settled(store)
        matches = [name for name, snap in expected.items() if stored["m"] == snap]
        assert matches, f"kill {kill}: window is a mix ({len(stored['m'])} rows)"
        assert stored["m2"] == stored["m"], f"kill {kill}: one metric's window was stored alone"
        seen[matches[0]] += 1
    # Not asserted (timing decides), but shown with -rA to judge the test's reach.
    print(f"window after {KILLS} kills: {dict(seen)}")
