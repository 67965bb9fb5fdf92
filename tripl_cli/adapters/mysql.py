"""MySQL and MariaDB through PyMySQL (`type: mysql`).

Profile keys: `host` (default localhost), `port` (3306), `user`, `password`, `database`
(or `dbname`/`schema`), `connect_timeout` (seconds, default 10), `query_timeout_seconds`.
The session runs in autocommit with `time_zone = '+00:00'`, so TIMESTAMP columns read back in
UTC. Timeouts use MariaDB's `max_statement_time` (seconds, any statement) or MySQL's
`max_execution_time` (milliseconds, SELECT only — which is all tripl sends).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tripl_cli.adapters.base import Capabilities, SimpleType
from tripl_cli.adapters.common import ProfileOutput, connect_error, import_driver
from tripl_cli.adapters.dbapi import DbApiAdapter
from tripl_cli.adapters.values import simplify_type

#: The profile keys this type reads (others are reported as unknown at connect).
PROFILE_KEYS = frozenset(
    {"host", "port", "user", "password", "dbname", "database", "schema", "connect_timeout"}
)

# pymysql.constants.FIELD_TYPE codes → SQL type names (the driver only exposes the codes).
_TYPE_NAMES = {
    0: "DECIMAL", 1: "TINYINT", 2: "SMALLINT", 3: "INT", 4: "FLOAT", 5: "DOUBLE", 6: "NULL",
    7: "TIMESTAMP", 8: "BIGINT", 9: "MEDIUMINT", 10: "DATE", 11: "TIME", 12: "DATETIME",
    13: "YEAR", 14: "DATE", 15: "VARCHAR", 16: "BIT", 245: "JSON", 246: "DECIMAL", 247: "ENUM",
    248: "SET", 249: "TINYBLOB", 250: "MEDIUMBLOB", 251: "LONGBLOB", 252: "BLOB",
    253: "VARCHAR", 254: "CHAR", 255: "GEOMETRY",
}  # fmt: skip
_TINY = 1
# ER_STATEMENT_TIMEOUT (MariaDB), ER_QUERY_TIMEOUT (MySQL), ER_QUERY_INTERRUPTED.
_TIMEOUT_CODES = frozenset({1969, 3024, 1317})


def _is_boolean(column: Sequence[Any]) -> bool:
    # BOOLEAN is TINYINT(1) in MySQL/MariaDB; comparisons come back as INT(1), not TINY.
    return bool(column[1] == _TINY and column[3] == 1)


class MySQLAdapter(DbApiAdapter):
    type_name: ClassVar[str] = "mysql"
    dialect: ClassVar[str] = "mysql"
    capabilities: ClassVar[Capabilities] = Capabilities(statement_timeout=True)

    def __init__(self, profile: ProfileOutput, conn: Any, driver: Any, *, mariadb: bool) -> None:
        super().__init__(profile, conn)
        self._driver = driver
        self._mariadb = mariadb
        self._timeout: float | None = None  # the session's current statement timeout

    @property
    def is_mariadb(self) -> bool:
        return self._mariadb

    def _apply_timeout(self, cursor: Any, timeout_s: float | None) -> None:
        if timeout_s == self._timeout:
            return
        if self._mariadb:
            cursor.execute(f"SET SESSION max_statement_time = {float(timeout_s or 0):.3f}")
        else:
            millis = max(1, round(timeout_s * 1000)) if timeout_s else 0
            cursor.execute(f"SET SESSION max_execution_time = {int(millis)}")
        self._timeout = timeout_s

    def _is_timeout(self, exc: BaseException) -> bool:
        args = getattr(exc, "args", ())
        return isinstance(exc, self._driver.err.OperationalError) and bool(
            args and args[0] in _TIMEOUT_CODES
        )

    def _raw_type(self, column: Sequence[Any]) -> str:
        if _is_boolean(column):
            return "TINYINT(1)"
        return _TYPE_NAMES.get(int(column[1]), f"TYPE_{column[1]}")

    def _simplify(self, column: Sequence[Any], raw_type: str) -> SimpleType:
        return "bool" if _is_boolean(column) else simplify_type(raw_type)

    def _convert(self, description: Sequence[Sequence[Any]], rows: list[Any]) -> list[Any]:
        flags = [i for i, column in enumerate(description) if _is_boolean(column)]
        if not flags:
            return rows
        converted = []
        for row in rows:
            values = list(row)
            for i in flags:
                if values[i] is not None:
                    values[i] = bool(values[i])
            converted.append(values)
        return converted


def connect(target_name: str, config: Mapping[str, Any], *, project_root: Path) -> MySQLAdapter:
    profile = ProfileOutput(target_name, "mysql", config)
    pymysql = import_driver("mysql", "mysql", "pymysql")
    host = profile.get_str("host", "localhost") or "localhost"
    port = profile.get_int("port", 3306) or 3306
    database = profile.get_str("database") or profile.get_str("dbname") or profile.get_str("schema")
    try:
        conn = pymysql.connect(
            host=host,
            port=port,
            user=profile.get_str("user"),
            password=profile.get_str("password") or "",
            database=database,
            connect_timeout=profile.get_int("connect_timeout", 10),
            autocommit=True,
            charset="utf8mb4",
            # sqlglot escapes a backslash in a literal as \\ (MySQL's default): a server
            # running NO_BACKSLASH_ESCAPES would read that as two backslashes.
            init_command=(
                "SET time_zone = '+00:00', "
                "sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')"
            ),
        )
        mariadb = "mariadb" in conn.get_server_info().lower()
    except pymysql.Error as exc:
        raise connect_error(profile, f"at {host}:{port}", exc) from exc
    return MySQLAdapter(profile, conn, pymysql, mariadb=mariadb)
