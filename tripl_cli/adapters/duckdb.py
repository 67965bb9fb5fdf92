"""DuckDB, the default embedded warehouse (`type: duckdb`).

Profile keys: `path` (relative to the project root, or `:memory:`; default `:memory:`),
`read_only` (default false), `query_timeout_seconds`.
DuckDB has no server-side statement timeout, so a timer thread calls `interrupt()` on the
query's own cursor when the timeout expires.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from tripl_cli.adapters.base import Capabilities
from tripl_cli.adapters.common import ProfileOutput, connect_error, import_driver
from tripl_cli.adapters.dbapi import DbApiAdapter

log = logging.getLogger(__name__)

#: The profile keys this type reads (others are reported as unknown at connect).
PROFILE_KEYS = frozenset({"path", "read_only"})

MEMORY = ":memory:"


def resolve_path(raw: str, project_root: Path) -> str:
    if raw == MEMORY or raw.startswith("md:"):  # md: = MotherDuck, resolved by DuckDB itself
        return raw
    path = Path(raw).expanduser()
    return str(path if path.is_absolute() else project_root / path)


class DuckDBAdapter(DbApiAdapter):
    type_name: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    capabilities: ClassVar[Capabilities] = Capabilities(
        statement_timeout=True, concurrent_connections=True
    )

    def __init__(self, profile: ProfileOutput, conn: Any, driver: Any) -> None:
        super().__init__(profile, conn)
        self._driver = driver
        self._running: set[Any] = set()  # cursors executing now, for `interrupt`
        self._guard = threading.Lock()

    def interrupt(self) -> None:
        """Stop the queries running on this connection (Ctrl-C while a pool thread waits)."""
        with self._guard:
            running = list(self._running)
        for cursor in running:
            cursor.interrupt()

    def _cursor(self) -> Any:
        # Settings are per cursor in DuckDB: each query gets its own cursor in UTC so that
        # date_trunc over TIMESTAMPTZ buckets by UTC days, as on every other engine.
        cursor = self._conn.cursor()
        try:
            cursor.execute("SET TimeZone = 'UTC'")
        except self._driver.Error:  # no ICU extension: TIMESTAMPTZ is unsupported anyway
            log.debug("DuckDB has no ICU extension; TimeZone left at its default")
        return cursor

    def _run(self, cursor: Any, sql: str, timeout_s: float | None) -> None:
        timer = threading.Timer(timeout_s, cursor.interrupt) if timeout_s is not None else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        with self._guard:
            self._running.add(cursor)
        try:
            if threading.current_thread() is threading.main_thread():
                _interruptible(cursor, sql)
            else:  # a pool worker: Ctrl-C reaches the main thread, which calls `interrupt`
                cursor.execute(sql)
        finally:
            if timer is not None:
                timer.cancel()
            with self._guard:
                self._running.discard(cursor)

    def _is_timeout(self, exc: BaseException) -> bool:
        return isinstance(exc, self._driver.InterruptException)


def _interruptible(cursor: Any, sql: str) -> None:
    """Run the query in a worker thread while the main thread waits, so Ctrl-C ends it.

    DuckDB polls for Ctrl-C itself only now and then (it missed it on most tries here, and
    then reported the query as failed, not interrupted); a wait in Python is interrupted at
    once: the query is interrupted too and KeyboardInterrupt goes on up.
    """
    failed: list[BaseException] = []

    def execute() -> None:
        try:
            cursor.execute(sql)
        except BaseException as exc:  # handed to the main thread
            failed.append(exc)

    worker = threading.Thread(target=execute, name="tripl-duckdb-query", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        cursor.interrupt()
        worker.join()
        raise
    if failed:
        raise failed[0]


def connect(target_name: str, config: Mapping[str, Any], *, project_root: Path) -> DuckDBAdapter:
    profile = ProfileOutput(target_name, "duckdb", config)
    duckdb = import_driver("duckdb", "duckdb", "duckdb")
    path = resolve_path(profile.get_str("path", MEMORY) or MEMORY, project_root)
    read_only = profile.get_bool("read_only")
    created = path != MEMORY and not path.startswith("md:") and not Path(path).exists()
    try:
        conn = duckdb.connect(path, read_only=read_only)
    except duckdb.Error as exc:
        raise connect_error(profile, f"at {path}", exc) from exc
    if created:  # e.g. a fresh clone, where *.duckdb is git-ignored: tables "do not exist"
        log.warning(
            "target '%s' (duckdb): %s did not exist, so DuckDB created it empty;"
            " check the profile's `path` if tables are missing",
            target_name,
            path,
        )
    return DuckDBAdapter(profile, conn, duckdb)
