"""Insert-or-update of one row, in each backend's native form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa


def native_insert(conn: sa.Connection, table: sa.Table) -> Any | None:
    """`INSERT … ON CONFLICT`-capable insert of SQLite or PostgreSQL; None on other backends.

    The dialect module is imported here, not at module load: SQLAlchemy's PostgreSQL dialect
    costs a CLI start ~20 ms that the default SQLite state never needs.
    """
    dialect = conn.dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    return None


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    row: Mapping[str, Any],
    *,
    keys: Sequence[str],
) -> None:
    """Insert `row`, or update its non-key columns when a row with the same `keys` exists."""
    updates = {name: value for name, value in row.items() if name not in keys}
    native = native_insert(conn, table)
    if native is not None:
        stmt = native.values(**row)
        if updates:
            stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        conn.execute(stmt)
        return
    # Portable fallback; the run lock keeps two writers from racing on one key.
    where = sa.and_(*(table.c[k] == row[k] for k in keys))
    if not updates or conn.execute(sa.update(table).where(where).values(**updates)).rowcount == 0:
        exists = conn.execute(sa.select(sa.literal(1)).select_from(table).where(where)).first()
        if exists is None:
            conn.execute(sa.insert(table).values(**row))


def upsert_many(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
) -> None:
    """`upsert` of many rows: one executemany per set of columns where the backend has
    `INSERT … ON CONFLICT`, a row at a time elsewhere."""
    native = native_insert(conn, table)
    if native is None:
        for row in rows:
            upsert(conn, table, row, keys=keys)
        return
    by_columns: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(row), []).append(row)
    for columns, same in by_columns.items():
        updates = {name: native.excluded[name] for name in columns if name not in keys}
        stmt = (
            native.on_conflict_do_update(index_elements=list(keys), set_=updates)
            if updates
            else native.on_conflict_do_nothing(index_elements=list(keys))
        )
        conn.execute(stmt, [dict(row) for row in same])
