"""The run lock: one row in `tripl_run_lock`, so two runs never interleave their writes.

Acquiring is an atomic insert of the single row (primary key lock_id = 1). The holder
refreshes `heartbeat_at` from a background thread. A waiter takes over a lock whose holder
process is gone (same host) or whose heartbeat is older than `stale_after_s`; the takeover
deletes the row only if it still carries the heartbeat the waiter judged stale, so a live
holder that just beat keeps its lock. Writes made under a lock re-check it inside their own
transaction (`check_held`), so a run that lost its lock cannot write.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from tripl_cli.errors import StateError
from tripl_cli.state.engine import read_connection, write_transaction
from tripl_cli.state.records import LockHolder
from tripl_cli.state.schema import run_lock

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    try:
        # A killed child not yet reaped by its parent still answers kill(0).
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def read_holder(conn: sa.Connection) -> LockHolder | None:
    row = conn.execute(sa.select(run_lock).where(run_lock.c.lock_id == 1)).first()
    if row is None:
        return None
    return LockHolder(row.run_id, row.pid, row.hostname, row.acquired_at, row.heartbeat_at)


class RunLock:
    """One acquisition of the run lock by `run_id` (use through `StateStore.run_lock`)."""

    def __init__(
        self,
        engine: sa.Engine,
        run_id: str,
        *,
        display_url: str,
        clock: Clock,
        stale_after_s: float,
        heartbeat_s: float | None = None,
    ) -> None:
        self.engine = engine
        self.run_id = run_id
        self.display_url = display_url
        self.clock = clock
        self.stale_after_s = stale_after_s
        self.heartbeat_s = heartbeat_s or max(0.05, min(30.0, stale_after_s / 5))
        self.pid = os.getpid()
        self.hostname = socket.gethostname()
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Heartbeats seen while waiting: (run_id, heartbeat) -> monotonic time first seen.
        self._seen: dict[tuple[str, datetime], float] = {}

    # -- acquiring -----------------------------------------------------------------------

    def acquire(self, *, timeout_s: float, poll_s: float = 0.25) -> None:
        deadline = time.monotonic() + timeout_s
        waited = False
        while True:
            holder = self._try_insert()
            if holder is None:
                self._start_heartbeat()
                logger.debug("run %s acquired the state lock", self.run_id)
                return
            reason = self._stale_reason(holder)
            if reason is not None:
                if self._take_over(holder):
                    logger.warning("took over the state lock of %s: %s", holder.describe(), reason)
                continue  # taken over or changed under us: try to insert again at once
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._busy_error(holder, timeout_s)
            if not waited:  # said once: a silent wait of a minute looks like a hang
                logger.warning(
                    "waiting up to %.0f s for the state lock of %s", remaining, holder.describe()
                )
                waited = True
            time.sleep(min(poll_s, remaining))

    def _try_insert(self) -> LockHolder | None:
        """None when the lock is now ours, else who holds it."""
        now = self.clock()
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(
                    sa.insert(run_lock).values(
                        lock_id=1,
                        run_id=self.run_id,
                        pid=self.pid,
                        hostname=self.hostname,
                        acquired_at=now,
                        heartbeat_at=now,
                    )
                )
            return None
        except sa.exc.IntegrityError:
            pass  # the row exists: somebody holds the lock
        with read_connection(self.engine) as conn:
            holder = read_holder(conn)
        if holder is None:  # released between our insert and our read
            return self._try_insert()
        return holder

    def _stale_reason(self, holder: LockHolder) -> str | None:
        if holder.hostname == self.hostname and not pid_alive(holder.pid):
            return f"its process (pid {holder.pid}) is gone"
        age = (self.clock() - holder.heartbeat_at).total_seconds()
        if age > self.stale_after_s:
            return f"no heartbeat for {age:.0f}s"
        # Clock-skew proof fallback: the heartbeat has not moved for stale_after_s of OUR time.
        first_seen = self._seen.setdefault((holder.run_id, holder.heartbeat_at), time.monotonic())
        if time.monotonic() - first_seen > self.stale_after_s:
            return f"its heartbeat did not change for {self.stale_after_s:.0f}s"
        return None

    def _take_over(self, stale: LockHolder) -> bool:
        with write_transaction(self.engine) as conn:
            deleted = conn.execute(
                sa.delete(run_lock).where(
                    run_lock.c.lock_id == 1,
                    run_lock.c.run_id == stale.run_id,
                    run_lock.c.heartbeat_at == stale.heartbeat_at,
                )
            ).rowcount
        return bool(deleted)

    def _busy_error(self, holder: LockHolder, timeout_s: float) -> StateError:
        return StateError(
            f"the state database {self.display_url} is locked by another tripl run: "
            f"{holder.describe()}; gave up after waiting {timeout_s:g}s",
            hint="wait for that run to finish, or wait longer with --lock-timeout; a lock "
            "whose process is gone (same host) or whose heartbeat is older than "
            f"{self.stale_after_s:g}s is taken over automatically",
        )

    # -- holding -------------------------------------------------------------------------

    def _start_heartbeat(self) -> None:
        self._thread = threading.Thread(
            target=self._beat_forever, name=f"tripl-lock-{self.run_id}", daemon=True
        )
        self._thread.start()

    def _beat_forever(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            try:
                with write_transaction(self.engine) as conn:
                    updated = conn.execute(
                        sa.update(run_lock)
                        .where(run_lock.c.lock_id == 1, run_lock.c.run_id == self.run_id)
                        .values(heartbeat_at=self.clock())
                    ).rowcount
            except sa.exc.SQLAlchemyError as exc:
                # A busy or briefly unreachable database: try again at the next beat.
                logger.warning("state lock heartbeat failed: %s", type(exc).__name__)
                continue
            if not updated:
                self.lost = True
                logger.error("run %s lost the state lock (taken over as stale)", self.run_id)
                return

    def check_held(self, conn: sa.Connection) -> None:
        """Inside a write transaction: fail unless this run still holds the lock.

        FOR UPDATE (PostgreSQL) makes a takeover wait for this transaction to finish;
        SQLite's BEGIN IMMEDIATE already excludes every other writer.
        """
        query = sa.select(run_lock.c.run_id).where(run_lock.c.lock_id == 1).with_for_update()
        holder = conn.execute(query).scalar_one_or_none()
        if holder != self.run_id:
            self.lost = True
            raise StateError(
                f"run {self.run_id} lost the lock of the state database {self.display_url} "
                f"(now held by {holder or 'nobody'}); nothing more was written",
                hint="another tripl run judged this one stale; raise the stale timeout if "
                "runs pause that long, then run again",
            )

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(
                    sa.delete(run_lock).where(
                        run_lock.c.lock_id == 1, run_lock.c.run_id == self.run_id
                    )
                )
        except sa.exc.SQLAlchemyError as exc:
            # The lock stays behind, but its dead pid / old heartbeat lets the next run take it.
            logger.warning("could not release the state lock: %s", type(exc).__name__)
        logger.debug("run %s released the state lock", self.run_id)
