"""Bulk inserts of pre-bound tuples: COPY on PostgreSQL, one executemany elsewhere.

A run may store a million values, so this path skips SQLAlchemy's per-row parameter
processing (measured: about half the write time through `conn.execute(insert, dicts)`, see
bench/state_write.py). Callers bind timestamps themselves with `timestamp_binder`, which
applies the same conversion as `UtcDateTime`; the statement runs inside the caller's
SQLAlchemy transaction on the same DBAPI connection, so atomicity is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tripl_cli.state.coltypes import to_epoch_micros


def timestamp_binder(dialect: sa.Dialect) -> Callable[[datetime], Any]:
    """How an aware UTC datetime is passed to this backend's driver (as `UtcDateTime` does)."""
    if dialect.name == "sqlite":
        return to_epoch_micros
    if dialect.name == "postgresql":
        return lambda ts: ts
    return lambda ts: ts.astimezone(UTC).replace(tzinfo=None)


def insert_rows(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """Insert tuples (in `columns` order, timestamps already bound) into `table`."""
    if not rows:
        return
    preparer = conn.dialect.identifier_preparer
    target = f"{preparer.format_table(table)} ({', '.join(preparer.quote(c) for c in columns)})"
    driver_conn: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql" and hasattr(driver_conn, "cursor"):
        with driver_conn.cursor() as cursor:
            if hasattr(cursor, "copy"):  # psycopg 3; other drivers take executemany below
                statement = f"COPY {target} FROM STDIN"
                try:
                    with cursor.copy(statement) as copy:
                        for row in rows:
                            copy.write_row(row)
                except conn.dialect.loaded_dbapi.Error as exc:
                    # As SQLAlchemy wraps what it runs itself (DataError, OperationalError…),
                    # so callers handle one family of errors whichever path wrote.
                    raise sa.exc.DBAPIError.instance(
                        statement, None, exc, conn.dialect.loaded_dbapi.Error
                    ) from exc
                return
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    if marker is None:  # named styles: go through SQLAlchemy's own binding
        conn.execute(sa.insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    placeholders = ", ".join([marker] * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {target} VALUES ({placeholders})", list(rows))
