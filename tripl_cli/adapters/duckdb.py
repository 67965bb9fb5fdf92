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
        if timeout_s is None:
            cursor.execute(sql)
            return
        timer = threading.Timer(timeout_s, cursor.interrupt)
        timer.daemon = True
        timer.start()
        try:
            cursor.execute(sql)
        finally:
            timer.cancel()

    def _is_timeout(self, exc: BaseException) -> bool:
        return isinstance(exc, self._driver.InterruptException)


def connect(target_name: str, config: Mapping[str, Any], *, project_root: Path) -> DuckDBAdapter:
    profile = ProfileOutput(target_name, "duckdb", config)
    duckdb = import_driver("duckdb", "duckdb", "duckdb")
    path = resolve_path(profile.get_str("path", MEMORY) or MEMORY, project_root)
    read_only = profile.get_bool("read_only")
    try:
        conn = duckdb.connect(path, read_only=read_only)
    except duckdb.Error as exc:
        raise connect_error(profile, f"at {path}", exc) from exc
    return DuckDBAdapter(profile, conn, duckdb)
