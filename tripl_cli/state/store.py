"""`StateStore`: the only writer of tripl's state database (SQLAlchemy Core, no ORM)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import sqlalchemy as sa

from tripl_cli.errors import StateError, StateValueError
from tripl_cli.state import alert_rows, anomaly_rows, migrations, owner, runs, values
from tripl_cli.state.engine import (
    create_state_engine,
    damaged_error,
    describe_db_error,
    display_url,
    is_damaged,
    read_connection,
    resolve_url,
    write_transaction,
)
from tripl_cli.state.lock import Clock, RunLock
from tripl_cli.state.records import (
    AnomalyWrite,
    MetricMute,
    MetricStatus,
    NewOutboxEntry,
    RunRecord,
    StoredAnomaly,
    StoredIncident,
    StoredOutboxEntry,
    WindowWrite,
)
from tripl_cli.state.schema import SCHEMA_VERSION
from tripl_cli.timegrid import Window
from tripl_cli.types import TOTAL, Anomaly, MetricValue, SeriesPoint
from tripl_cli.version import installed_version

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def open_store(
    url: str | None, *, project_root: Path, target: str, clock: Clock = utc_now
) -> StateStore:
    """Open (creating or upgrading as needed) the state database of one target.

    `url=None` is the default embedded SQLite file `<project_root>/.tripl/<target>.db`.
    """
    resolved = resolve_url(url, project_root=project_root, target=target)
    shown = display_url(resolved)
    engine = create_state_engine(resolved)
    try:
        _migrate(engine, shown)
    except StateError:
        engine.dispose()
        raise
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        if is_damaged(exc):
            raise damaged_error(shown, exc) from None
        raise StateError(
            f"cannot open the state database {shown}: {describe_db_error(exc)}",
            hint="check the target's `state:` URL, that the database server is up and "
            "reachable, and the credentials (`tripl debug` checks all of these)",
        ) from None
    logger.debug("opened state database %s (schema v%d)", shown, SCHEMA_VERSION)
    return StateStore(engine, display_url=shown, clock=clock)


def _migrate(engine: sa.Engine, shown: str) -> None:
    # Read first without the write lock: the usual open changes nothing.
    with read_connection(engine) as conn:
        found = migrations.current_version(conn)
    migrations.refuse_newer(found, shown)
    if found < SCHEMA_VERSION:
        with write_transaction(engine) as conn:
            migrations.upgrade(conn, display_url=shown, tripl_version=installed_version())


class StateStore:
    """Reads and atomic writes of one state database. Close it (or use `with`)."""

    def __init__(self, engine: sa.Engine, *, display_url: str, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.display_url = display_url
        self.clock = clock
        self._lock: RunLock | None = None

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql` (the SQLAlchemy dialect name)."""
        return self.engine.dialect.name

    def schema_version(self) -> int:
        with self._read() as conn:
            return migrations.current_version(conn)

    def close(self) -> None:
        self.engine.dispose()

    def claim(self, *, project: str, target: str) -> None:
        """Make this state one project's target's: the first to open it claims it, any other
        is refused. Values and status are keyed by metric name alone, so two targets (or two
        projects) on one `state:` would silently overwrite each other's values."""
        wanted = (project, target)
        with self._read() as conn:
            found = owner.owner_of(conn)
        if found is None:
            try:
                with self._write() as conn:
                    owner.claim(conn, project, target, now=self.clock())
                return
            except sa.exc.IntegrityError:  # another process claimed it first
                with self._read() as conn:
                    found = owner.owner_of(conn)
        if found is not None and found != wanted:
            raise StateError(
                f"the state database {self.display_url} holds target '{found[1]}' of project "
                f"'{found[0]}', not target '{target}' of project '{project}': values are stored "
                "by metric name, so sharing it would overwrite theirs",
                hint="give this target a `state:` of its own (another database or schema), or "
                "drop `state:` for the default .tripl/<target>.db; if the project or target "
                "was renamed, hand the state over with DELETE FROM tripl_state_owner",
            )

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _failures_as_state_errors(self) -> Iterator[None]:
        # A server gone or a lock held past the busy timeout is the user's to fix, not a bug;
        # constraint and SQL errors stay internal (they would be ours).
        try:
            yield
        except sa.exc.DBAPIError as exc:
            if is_damaged(exc):  # a disk fault, a partial copy: no write can help
                raise damaged_error(self.display_url, exc) from exc
            if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)):
                raise StateError(
                    f"the state database {self.display_url} failed: {describe_db_error(exc)}",
                    hint="check that the state database is reachable and not locked by another "
                    "program (a failed write is rolled back: it changed nothing)",
                ) from exc
            if isinstance(exc, sa.exc.DataError):  # a value this database cannot hold
                raise StateValueError(
                    f"the state database {self.display_url} refused a value: "
                    f"{describe_db_error(exc)}",
                    hint="PostgreSQL text cannot hold a NUL character, for instance; the write "
                    "was rolled back: it changed nothing",
                ) from exc
            raise

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self._failures_as_state_errors(), read_connection(self.engine) as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One atomic write transaction, guarded by the run lock when this store holds it."""
        with self._failures_as_state_errors(), write_transaction(self.engine) as conn:
            if self._lock is not None:
                self._lock.check_held(conn)
            yield conn

    # -- run lock ------------------------------------------------------------------------

    @contextmanager
    def run_lock(
        self,
        run_id: str,
        *,
        timeout_s: float = 60.0,
        stale_after_s: float = 300.0,
        poll_s: float = 0.25,
        heartbeat_s: float | None = None,
    ) -> Iterator[RunLock]:
        """Hold the state's run lock; waits up to `timeout_s`, then raises `StateError`."""
        if self._lock is not None:
            raise RuntimeError(f"this store already holds the run lock ({self._lock.run_id})")
        lock = RunLock(
            self.engine,
            run_id,
            display_url=self.display_url,
            clock=self.clock,
            stale_after_s=stale_after_s,
            heartbeat_s=heartbeat_s,
        )
        with self._failures_as_state_errors():
            lock.acquire(timeout_s=timeout_s, poll_s=poll_s)
        self._lock = lock
        try:
            yield lock
        finally:
            self._lock = None
            lock.release()

    # -- values --------------------------------------------------------------------------

    def replace_window(
        self,
        metric: str,
        window: Window,
        values_: Sequence[MetricValue],
        *,
        definition_hash: str,
        run_id: str,
        breakdown_columns: Sequence[str] = (),
        include_total: bool = True,
        status: str | None = None,
        reset: bool = False,
    ) -> int:
        """Atomically make `values_` the metric's stored values in `[window.start, window.end)`.

        Deletes the window's total rows (unless `include_total=False`) and its breakdown
        rows of `breakdown_columns` plus every column present in `values_`, then bulk-inserts
        `values_`, moves the watermark and, given a `status`, records the metric's collection
        status (as `record_status`), all in ONE transaction. Returns rows written.

        `reset` (the definition changed) first drops the metric's whole history, in the same
        transaction: history is only lost together with its replacement being stored.
        """
        write = WindowWrite(
            metric,
            window,
            values_,
            definition_hash=definition_hash,
            run_id=run_id,
            breakdown_columns=breakdown_columns,
            include_total=include_total,
            status=status,
            reset=reset,
        )
        (written,) = self.replace_windows([write])
        return written

    def replace_windows(self, writes: Sequence[WindowWrite]) -> list[int]:
        """Several `replace_window`s in ONE transaction (all stored, or none): a run stores
        every metric of its scans at once, rather than paying a commit per metric."""
        dropped: dict[str, str] = {}
        with self._write() as conn:
            for w in writes:
                if w.reset:
                    n = values.reset_metric(conn, w.metric, w.definition_hash, now=self.clock())
                    dropped[w.metric] = f"definition changed; dropped {n} stored values"
                elif w.reset_breakdowns:
                    n = values.reset_breakdowns(conn, w.metric, w.definition_hash)
                    dropped[w.metric] = f"breakdowns changed; dropped {n} breakdown values"
            written = values.replace_windows(conn, writes, now=self.clock())
        for metric, what in dropped.items():  # said once it is so: committed
            logger.warning("%s: %s", metric, what)
        for w, n in zip(writes, written, strict=True):
            logger.debug(
                "%s: stored %d values in %s..%s", w.metric, n, w.window.start, w.window.end
            )
        return written

    def relabel_hash(self, metric: str, old: str, new: str) -> None:
        """Store `new` as the hash of a definition stored under `old` (the same definition,
        hashed the way an older tripl did): nothing else changes."""
        with self._write() as conn:
            values.relabel_hash(conn, metric, old, new)

    def reset_metric(self, metric: str, new_hash: str) -> int:
        """The definition changed: drop the metric's history; returns the rows dropped."""
        with self._write() as conn:
            dropped = values.reset_metric(conn, metric, new_hash, now=self.clock())
        logger.info(
            "%s: definition changed (%s), dropped %d stored rows", metric, new_hash, dropped
        )
        return dropped

    def read_series(
        self,
        metric: str,
        *,
        breakdown: tuple[str, str] | None = TOTAL,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[SeriesPoint]:
        """One series, oldest bucket first (`breakdown` None or TOTAL: the total series)."""
        with self._read() as conn:
            return values.read_series(
                conn, metric, breakdown=breakdown or TOTAL, start=start, end=end
            )

    def read_breakdowns(
        self,
        metric: str,
        column: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[str, list[SeriesPoint]]:
        with self._read() as conn:
            return values.read_breakdowns(conn, metric, column, start=start, end=end)

    def breakdown_columns(self, metric: str) -> list[str]:
        with self._read() as conn:
            return values.breakdown_columns(conn, metric)

    # -- status and runs -----------------------------------------------------------------

    def record_status(
        self,
        metric: str,
        *,
        status: str,
        run_id: str,
        error: str | None = None,
        definition_hash: str | None = None,
    ) -> None:
        with self._write() as conn:
            runs.record_status(
                conn,
                metric,
                status=status,
                run_id=run_id,
                error=error,
                definition_hash=definition_hash,
                now=self.clock(),
            )

    def metric_statuses(self) -> dict[str, MetricStatus]:
        with self._read() as conn:
            return runs.metric_statuses(conn)

    def metric_status(self, metric: str) -> MetricStatus | None:
        with self._read() as conn:
            return runs.metric_statuses(conn, metric).get(metric)

    def start_run(self, run_id: str, *, command: str, tripl_version: str | None = None) -> None:
        with self._write() as conn:
            runs.start_run(
                conn,
                run_id,
                command=command,
                tripl_version=tripl_version or installed_version(),
                started_at=self.clock(),
            )

    def finish_run(
        self, run_id: str, *, status: str, summary: Mapping[str, object] | None = None
    ) -> None:
        with self._write() as conn:
            runs.finish_run(conn, run_id, status=status, summary=summary, finished_at=self.clock())

    def list_runs(self, *, limit: int = 20) -> list[RunRecord]:
        with self._read() as conn:
            return runs.list_runs(conn, limit=limit)

    # -- anomalies -----------------------------------------------------------------------

    def replace_anomalies(
        self,
        metric: str,
        window: Window,
        anomalies: Sequence[Anomaly],
        *,
        breakdown: tuple[str, str] | None = None,
        run_id: str | None = None,
    ) -> int:
        """Make the window's recorded anomalies exactly `anomalies` (idempotent re-detect);
        returns how many were not recorded before."""
        write = AnomalyWrite(metric, window, anomalies, breakdown=breakdown, run_id=run_id)
        return self.replace_anomalies_of([write])[0]

    def replace_anomalies_of(self, writes: Sequence[AnomalyWrite]) -> list[int]:
        """Several `replace_anomalies` in ONE transaction (all recorded, or none); returns
        each write's count of new anomalies. `detect` over 1,000 series paid a commit (and
        a run-lock check) per series."""
        if not writes:  # nothing scored: no write transaction to take
            return []
        now = self.clock()
        with self._write() as conn:
            return [
                anomaly_rows.replace_anomalies(
                    conn,
                    w.metric,
                    w.window,
                    w.anomalies,
                    breakdown=w.breakdown,
                    run_id=w.run_id,
                    now=now,
                )
                for w in writes
            ]

    def read_anomalies(
        self,
        metric: str,
        *,
        breakdown: tuple[str, str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[StoredAnomaly]:
        with self._read() as conn:
            return anomaly_rows.read_anomalies(
                conn, metric, breakdown=breakdown, start=start, end=end
            )

    # -- alerts: incidents, outbox, mutes (see alert_rows.py) -----------------------------

    def load_rule_incidents(self, rule: str) -> list[StoredIncident]:
        """The rule's open incidents plus the most recent incident of each of its series."""
        with self._read() as conn:
            return alert_rows.load_rule_incidents(conn, rule)

    def open_incidents(self) -> list[StoredIncident]:
        with self._read() as conn:
            return alert_rows.open_incidents(conn)

    def incident(self, incident_id: int) -> StoredIncident | None:
        with self._read() as conn:
            return alert_rows.incident_by_id(conn, incident_id)

    def save_alert_changes(
        self, changed: Sequence[StoredIncident], outbox: Sequence[NewOutboxEntry]
    ) -> int:
        """ONE transaction: upsert incidents by key, enqueue new outbox keys as pending."""
        with self._write() as conn:
            return alert_rows.save_alert_changes(conn, changed, outbox, now=self.clock())

    def due_outbox(self, now: datetime) -> list[StoredOutboxEntry]:
        with self._read() as conn:
            return alert_rows.due_outbox(conn, now=now)

    def outbox_entries(self, *, status: str | None = None) -> list[StoredOutboxEntry]:
        with self._read() as conn:
            return alert_rows.outbox_entries(conn, status=status)

    def record_delivery(
        self,
        key: str,
        *,
        previous_attempts: int,
        status: str,
        attempts: int,
        next_attempt_at: datetime | None,
        last_error: str | None,
        sent_at: datetime | None,
    ) -> bool:
        """One delivery attempt's outcome (one row, its own transaction)."""
        with self._write() as conn:
            return alert_rows.record_delivery(
                conn,
                key,
                previous_attempts=previous_attempts,
                status=status,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                last_error=last_error,
                sent_at=sent_at,
            )

    def ack_incident(self, incident_id: int) -> StoredIncident | None:
        with self._write() as conn:
            return alert_rows.ack_incident(conn, incident_id, now=self.clock())

    def set_metric_mute(self, metric: str, until: datetime, *, reason: str | None = None) -> None:
        with self._write() as conn:
            alert_rows.set_metric_mute(conn, metric, until=until, reason=reason, now=self.clock())

    def clear_metric_mute(self, metric: str) -> bool:
        with self._write() as conn:
            return alert_rows.clear_metric_mute(conn, metric)

    def metric_mutes(self) -> list[MetricMute]:
        with self._read() as conn:
            return alert_rows.read_metric_mutes(conn)
