"""The run lock between real processes: waiting, clear refusal, stale takeover, lost lock."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.state.state_testlib import OpenStore, hours, raw_rows, value_set
from tripl_cli.errors import StateError
from tripl_cli.state import StateStore, open_store
from tripl_cli.state.lock import pid_alive, read_holder
from tripl_cli.state.schema import run_lock

CTX = multiprocessing.get_context("fork")


def _holder(store: StateStore) -> Any:
    with store.engine.connect() as conn:
        return read_holder(conn)


def _hold_lock(url: str, root: str, run_id: str, held: Any, release: Any, released: Any) -> None:
    """Child: take the lock, say so, hold it until told, release, say so."""
    with (
        open_store(url, project_root=Path(root), target="t") as store,
        store.run_lock(run_id, timeout_s=30, heartbeat_s=0.05),
    ):
        held.set()
        release.wait(60)
    released.set()


def _start_holder(url: str, tmp_path: Path, run_id: str) -> tuple[Any, Any, Any, Any]:
    held, release, released = CTX.Event(), CTX.Event(), CTX.Event()
    proc = CTX.Process(
        target=_hold_lock, args=(url, str(tmp_path), run_id, held, release, released)
    )
    proc.start()
    assert held.wait(60), "child never acquired the lock"
    return proc, held, release, released


def test_lock_row_exists_only_while_held_even_on_error(store: StateStore) -> None:
    assert _holder(store) is None
    with pytest.raises(RuntimeError, match="inside"), store.run_lock("run-a"):
        holder = _holder(store)
        assert holder.run_id == "run-a" and holder.pid == os.getpid()
        assert holder.hostname == socket.gethostname()
        raise RuntimeError("inside")
    assert _holder(store) is None
    with store.run_lock("run-b"):  # re-acquirable at once
        assert _holder(store).run_id == "run-b"


def test_second_process_waits_then_fails_clearly(
    state_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    proc, _held, release, _released = _start_holder(state_url, tmp_path, "run-holder")
    try:
        with open_store(state_url, project_root=tmp_path, target="t") as store:
            with pytest.raises(StateError) as err, store.run_lock("run-late", timeout_s=0.3):
                pytest.fail("acquired a lock another process holds")
            # The wait is said once, as it starts (a silent minute looks like a hang).
            waiting = [r.getMessage() for r in caplog.records if "waiting up to" in r.getMessage()]
            assert len(waiting) == 1 and "the state lock of run run-holder" in waiting[0]
            text = err.value.render()
            assert "is locked by another tripl run: run run-holder" in text
            assert f"pid {proc.pid} on {socket.gethostname()}" in text
            assert "gave up after waiting 0.3s" in text
            assert "--lock-timeout" in text
            assert _holder(store).run_id == "run-holder"  # the loser changed nothing
    finally:
        release.set()
        proc.join(30)


def test_second_process_gets_the_lock_once_the_first_releases(
    state_url: str, tmp_path: Path
) -> None:
    proc, _held, release, released = _start_holder(state_url, tmp_path, "run-first")
    with open_store(state_url, project_root=tmp_path, target="t") as store:
        real_clock = store.clock
        calls = 0

        def clock() -> datetime:
            # Call 1 stamps our first insert attempt, which fails: the child holds the lock.
            # At call 2 (judging the holder) we ask the child to finish.
            nonlocal calls
            calls += 1
            if calls == 2:
                release.set()
            return real_clock()

        store.clock = clock
        with store.run_lock("run-second", timeout_s=60, poll_s=0.05):
            assert released.is_set()  # never both at once
            assert _holder(store).run_id == "run-second"
        assert calls > 2  # it did wait: more than one attempt
    proc.join(30)
    assert proc.exitcode == 0


def test_lock_of_a_killed_process_is_taken_over(
    state_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    proc, _held, _release, released = _start_holder(state_url, tmp_path, "run-killed")
    os.kill(proc.pid or 0, signal.SIGKILL)
    proc.join(30)
    assert not released.is_set()
    with open_store(state_url, project_root=tmp_path, target="t") as store:
        assert _holder(store).run_id == "run-killed"  # left behind by the kill
        assert not pid_alive(proc.pid or 0)
        caplog.set_level(logging.WARNING, logger="tripl_cli.state.lock")
        # A long stale_after: only the dead pid can explain the takeover.
        with store.run_lock("run-next", timeout_s=10, stale_after_s=3600):
            assert _holder(store).run_id == "run-next"
    assert f"its process (pid {proc.pid}) is gone" in caplog.text
    assert "took over the state lock of run run-killed" in caplog.text


def _plant_lock(store: StateStore, *, host: str, heartbeat_age: timedelta) -> None:
    now = store.clock()
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(run_lock).values(
                lock_id=1,
                run_id="run-remote",
                pid=1,
                hostname=host,
                acquired_at=now - heartbeat_age,
                heartbeat_at=now - heartbeat_age,
            )
        )


def test_lock_with_an_old_heartbeat_on_another_host_is_taken_over(
    store: StateStore, caplog: pytest.LogCaptureFixture
) -> None:
    _plant_lock(store, host="elsewhere.example", heartbeat_age=timedelta(minutes=10))
    caplog.set_level(logging.WARNING, logger="tripl_cli.state.lock")
    with store.run_lock("run-local", timeout_s=5, stale_after_s=60):
        assert _holder(store).run_id == "run-local"
    assert "no heartbeat for 600s" in caplog.text


def test_lock_with_a_fresh_heartbeat_on_another_host_is_respected(store: StateStore) -> None:
    _plant_lock(store, host="elsewhere.example", heartbeat_age=timedelta(seconds=1))
    with (
        pytest.raises(StateError, match=r"pid 1 on elsewhere\.example"),
        store.run_lock("run-local", timeout_s=0.2, stale_after_s=60),
    ):
        pytest.fail("took a live lock")
    assert _holder(store).run_id == "run-remote"


def test_heartbeat_moves_while_held(store: StateStore) -> None:
    with store.run_lock("run-a", heartbeat_s=0.02):
        first = _holder(store).heartbeat_at
        deadline = time.monotonic() + 30
        while _holder(store).heartbeat_at == first:
            assert time.monotonic() < deadline, "heartbeat never moved"
            time.sleep(0.02)
        assert _holder(store).acquired_at == first


def test_a_run_that_lost_its_lock_cannot_write(store: StateStore, make_store: OpenStore) -> None:
    values = value_set("m", range(3), base=1)
    with store.run_lock("run-a", heartbeat_s=3600) as lock:
        store.replace_window("m", hours(0, 3), values, definition_hash="h", run_id="run-a")
        before = raw_rows(store, "tripl_metric_values")
        # Another run judged us stale and took over.
        thief = make_store()
        with thief.engine.begin() as conn:
            conn.execute(sa.update(run_lock).values(run_id="run-thief"))
        with pytest.raises(StateError, match="lost the lock") as err:
            store.replace_window(
                "m",
                hours(0, 3),
                value_set("m", range(3), base=9),
                definition_hash="h",
                run_id="run-a",
            )
        assert "now held by run-thief" in err.value.message
        assert lock.lost
        assert raw_rows(store, "tripl_metric_values") == before
    assert _holder(store).run_id == "run-thief"  # releasing never deletes another's lock
