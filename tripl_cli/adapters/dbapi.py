"""A base for adapters over a PEP 249 (DB-API) driver: DuckDB, PostgreSQL, MySQL, Snowflake.

Subclasses open the connection and say how their engine applies a statement timeout, how to
recognise a timeout error, and how to name a result column's type; the fetching, typing,
logging and error wording live here once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from tripl_cli.adapters.base import Capabilities, ColumnInfo, QueryResult, SimpleType
from tripl_cli.adapters.common import ProfileOutput, query_error, timeout_error
from tripl_cli.adapters.values import normalize_rows, simplify_type
from tripl_cli.errors import TriplError

log = logging.getLogger(__name__)


def limit_zero(sql: str) -> str:
    """Wrap a SELECT so the engine plans it and returns no rows.

    The newline before `)` keeps a trailing `-- comment` from swallowing the parenthesis.
    """
    body = sql.strip().rstrip(";").rstrip()
    return f"SELECT * FROM (\n{body}\n) AS t LIMIT 0"


class DbApiAdapter:
    """Shared `execute`/`columns`/`close` over a DB-API connection held in `self._conn`."""

    type_name: ClassVar[str]
    dialect: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, profile: ProfileOutput, conn: Any) -> None:
        self._profile = profile
        self._conn = conn

    @property
    def target_name(self) -> str:
        return self._profile.target_name

    # --- hooks -----------------------------------------------------------------------------
    def _cursor(self) -> Any:
        return self._conn.cursor()

    def _apply_timeout(self, cursor: Any, timeout_s: float | None) -> None:
        """Arrange for the next statement on `cursor` to stop after `timeout_s` (None: never)."""

    def _run(self, cursor: Any, sql: str, timeout_s: float | None) -> None:
        cursor.execute(sql)

    def _is_timeout(self, exc: BaseException) -> bool:
        return False

    def _raw_type(self, column: Sequence[Any]) -> str:
        return str(column[1])

    def _convert(self, description: Sequence[Sequence[Any]], rows: list[Any]) -> list[Any]:
        """Engine-specific fix-ups before the common normalisation (default: none)."""
        return rows

    # --- the contract ----------------------------------------------------------------------
    def execute(self, sql: str, *, timeout_s: float | None = None) -> QueryResult:
        timeout = self._profile.default_timeout(timeout_s)
        log.debug("target %s: executing (timeout %s s):\n%s", self.target_name, timeout, sql)
        cursor = self._open_cursor()
        try:
            self._apply_timeout(cursor, timeout)
            self._run(cursor, sql, timeout)
            description = cursor.description
            if description is None:  # a statement without a result set
                return QueryResult(columns=(), rows=())
            rows = self._convert(description, list(cursor.fetchall()))
        except TriplError:
            raise
        except Exception as exc:
            if timeout is not None and self._is_timeout(exc):
                raise timeout_error(self._profile, timeout) from exc
            raise query_error(self._profile, exc) from exc
        finally:
            _close_quietly(cursor)
        names = tuple(self._column_name(c) for c in description)
        return QueryResult(columns=names, rows=normalize_rows(rows))

    def columns(self, sql: str) -> list[ColumnInfo]:
        wrapped = limit_zero(sql)
        log.debug("target %s: introspecting:\n%s", self.target_name, wrapped)
        cursor = self._open_cursor()
        try:
            cursor.execute(wrapped)
            description = cursor.description or []
        except Exception as exc:
            raise query_error(self._profile, exc) from exc
        finally:
            _close_quietly(cursor)
        result = []
        for column in description:
            raw = self._raw_type(column)
            result.append(ColumnInfo(self._column_name(column), self._simplify(column, raw), raw))
        return result

    def _open_cursor(self) -> Any:
        try:
            return self._cursor()
        except Exception as exc:  # e.g. the server closed the connection
            raise query_error(self._profile, exc) from exc

    def _column_name(self, column: Sequence[Any]) -> str:
        return str(column[0])

    def _simplify(self, column: Sequence[Any], raw_type: str) -> SimpleType:
        return simplify_type(raw_type)

    def close(self) -> None:
        _close_quietly(self._conn)


def _close_quietly(obj: Any) -> None:
    # Closing a broken connection must not hide the error that broke it.
    try:
        obj.close()
    except Exception:
        log.debug("ignoring error while closing %r", obj, exc_info=True)
