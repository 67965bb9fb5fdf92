"""PostgreSQL through psycopg 3 (`type: postgres`).

Profile keys: `host` (default localhost), `port` (5432), `user`, `password`, `dbname`
(or `database`), `schema` (put first on the search_path), `sslmode`, `connect_timeout`
(seconds, default 10), `query_timeout_seconds`.
The session runs in autocommit (tripl only reads; no transaction is left open between
queries) in UTC (`SET TIME ZONE` after connecting: libpq's PGTZ would override a startup
option); timeouts use the server's own `statement_timeout`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tripl_cli.adapters.base import Capabilities
from tripl_cli.adapters.common import ProfileOutput, connect_error, import_driver
from tripl_cli.adapters.dbapi import DbApiAdapter

#: The profile keys this type reads (others are reported as unknown at connect).
PROFILE_KEYS = frozenset(
    {
        "host",
        "port",
        "user",
        "password",
        "dbname",
        "database",
        "schema",
        "sslmode",
        "connect_timeout",
    }
)


class PostgresAdapter(DbApiAdapter):
    type_name: ClassVar[str] = "postgres"
    dialect: ClassVar[str] = "postgres"
    capabilities: ClassVar[Capabilities] = Capabilities(statement_timeout=True)

    def __init__(self, profile: ProfileOutput, conn: Any, driver: Any) -> None:
        super().__init__(profile, conn)
        self._driver = driver
        self._timeout_ms = 0  # the session's current statement_timeout (0 = none)

    def interrupt(self) -> None:
        """Cancel the running query (Ctrl-C while a pool thread waits on it)."""
        with contextlib.suppress(Exception):  # nothing running, or the server is gone
            getattr(self._conn, "cancel_safe", self._conn.cancel)()  # psycopg < 3.2: cancel

    def _apply_timeout(self, cursor: Any, timeout_s: float | None) -> None:
        wanted = max(1, round(timeout_s * 1000)) if timeout_s is not None else 0
        if wanted != self._timeout_ms:
            cursor.execute(f"SET statement_timeout = {int(wanted)}")
            self._timeout_ms = wanted

    def _is_timeout(self, exc: BaseException) -> bool:
        return isinstance(exc, self._driver.errors.QueryCanceled)

    def _raw_type(self, column: Sequence[Any]) -> str:
        return str(getattr(column, "type_display", column[1]))


def connect(target_name: str, config: Mapping[str, Any], *, project_root: Path) -> PostgresAdapter:
    profile = ProfileOutput(target_name, "postgres", config)
    psycopg = import_driver("postgres", "postgres", "psycopg")
    host = profile.get_str("host", "localhost")
    port = profile.get_int("port", 5432)
    params = {
        "host": host,
        "port": port,
        "user": profile.get_str("user"),
        "password": profile.get_str("password"),
        "dbname": profile.get_str("dbname") or profile.get_str("database"),
        "sslmode": profile.get_str("sslmode"),
        "connect_timeout": profile.get_int("connect_timeout", 10),
        "application_name": "tripl",
        # Standard strings: the literals tripl renders (condition values, a breakdown's
        # kept values) double their quotes and leave backslashes alone, as sqlglot writes.
        "options": "-c standard_conforming_strings=on",
    }
    try:
        conn = psycopg.connect(
            autocommit=True, **{k: v for k, v in params.items() if v is not None}
        )
        # libpq's PGTZ (cron, containers) overrides the startup option: a bucket would then
        # be cut at another zone's midnight. A session SET overrides both.
        conn.execute("SET TIME ZONE 'UTC'")
        schema = profile.get_str("schema")
        if schema:
            conn.execute(
                psycopg.sql.SQL("SET search_path TO {}, public").format(
                    psycopg.sql.Identifier(schema)
                )
            )
    except psycopg.Error as exc:
        raise connect_error(profile, f"at {host}:{port}", exc) from exc
    return PostgresAdapter(profile, conn, psycopg)
