"""One test harness for every real engine: the same rows loaded into each, reachable through a
tripl adapter and through a `profiles.yml` output.

    engine = engine_factory("postgres")          # or the parametrized `engine` fixture
    table = load_table(engine, "orders", [("created_at", "timestamp"), ("amount", "number")],
                       rows)                     # -> a qualified name to use in SQL
    engine.adapter.execute(f"SELECT count(*) FROM {table}")
    profiles = {"shop": {"target": "t", "outputs": {"t": engine.profile_output}}}

Engines (one of each per pytest session, created on first use, torn down at the end):
- duckdb: a file in a temp dir.
- postgres: 127.0.0.1:5432, user postgres, db `test`, a schema of its own per session.
- mysql: MariaDB/MySQL at 127.0.0.1:3306, user root, empty password, database `test`;
  tables get a per-session suffix (returned by `load_table`) and are dropped at the end.
- clickhouse: embedded chdb in a temp dir. chdb allows ONE data directory per process, and
  another process cannot open it while this one holds it: run tripl in-process (not as a
  subprocess) against it, and never open a different chdb path in the same test session.
- snowflake: fakesnow's `fakesnow.patch()` is active from first use to the end of the session
  (in-process only: `snowflake.connector.connect` is patched in this interpreter).

Column types of `load_table`: timestamp (microsecond precision, naive UTC: TIMESTAMP(6) /
DATETIME(6) / DateTime64(6, 'UTC') / TIMESTAMP_NTZ(6)), number (double precision), int
(64-bit), string, bool, decimal (DECIMAL(12, 2): money). Every column is nullable. Aware
datetimes are converted to UTC.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn, Protocol

import pytest

from tripl_cli.adapters import Adapter, connect
from tripl_cli.compiler.assemble import assemble
from tripl_cli.compiler.records import CompiledPlan
from tripl_cli.errors import TriplError
from tripl_cli.types import MetricValue

ENGINES = ("duckdb", "postgres", "mysql", "clickhouse", "snowflake")
COLUMN_TYPES = ("timestamp", "number", "int", "string", "bool", "decimal")

POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": "", "database": "test"}
FAKESNOW = {"account": "fakesnow", "user": "fake", "password": "snow", "database": "tripl_test"}

Row = tuple[Any, ...]
Columns = Sequence[tuple[str, str]]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_DDL_TYPES: dict[str, dict[str, str]] = {
    "duckdb": {"timestamp": "TIMESTAMP", "number": "DOUBLE", "int": "BIGINT",
               "string": "VARCHAR", "bool": "BOOLEAN", "decimal": "DECIMAL(12, 2)"},
    "postgres": {"timestamp": "TIMESTAMP(6)", "number": "DOUBLE PRECISION", "int": "BIGINT",
                 "string": "TEXT", "bool": "BOOLEAN", "decimal": "NUMERIC(12, 2)"},
    "mysql": {"timestamp": "DATETIME(6)", "number": "DOUBLE", "int": "BIGINT",
              "string": "VARCHAR(255)", "bool": "BOOLEAN", "decimal": "DECIMAL(12, 2)"},
    "clickhouse": {"timestamp": "Nullable(DateTime64(6, 'UTC'))", "number": "Nullable(Float64)",
                   "int": "Nullable(Int64)", "string": "Nullable(String)",
                   "bool": "Nullable(Bool)", "decimal": "Nullable(Decimal(12, 2))"},
    "snowflake": {"timestamp": "TIMESTAMP_NTZ(6)", "number": "FLOAT", "int": "NUMBER(38,0)",
                  "string": "VARCHAR", "bool": "BOOLEAN", "decimal": "NUMBER(12, 2)"},
}  # fmt: skip


def unavailable(reason: str) -> NoReturn:
    """An engine we cannot reach fails the test in CI (`CI=true`) and skips it elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


class EngineUnavailable(Exception):
    """The engine cannot be reached (server down, driver missing); the message says why."""


class _Loader(Protocol):
    def load(self, table: str, columns: Columns, rows: Sequence[Row]) -> str: ...

    def close(self) -> None: ...


@dataclass
class Engine:
    """A live engine: an open tripl adapter plus the profile output that reaches the same data."""

    name: str
    dialect: str
    adapter: Adapter
    profile_output: dict[str, Any]
    loader: _Loader = field(repr=False)
    project_root: Path = field(default_factory=Path.cwd)

    def connect(self, target_name: str = "test") -> Adapter:
        """A new adapter on the same data (close it yourself); `self.adapter` is shared."""
        return connect(target_name, self.profile_output, project_root=self.project_root)


def assembled_on(engine: Engine, plan: CompiledPlan) -> list[MetricValue]:
    """Run every query of `plan` on `engine` (a fresh connection) and assemble the values."""
    adapter = engine.connect()
    try:
        results = {q.id: adapter.execute(q.sql) for q in plan.queries}
    finally:
        adapter.close()
    return assemble(plan, results)


def load_table(engine: Engine, table: str, columns: Columns, rows: Sequence[Row]) -> str:
    """(Re)create `table` with these columns, bulk insert `rows`, return its qualified name."""
    if not _NAME.match(table) or not all(_NAME.match(name) for name, _ in columns):
        raise ValueError(f"table and column names must match {_NAME.pattern}")
    unknown = {kind for _, kind in columns} - set(COLUMN_TYPES)
    if unknown:
        raise ValueError(f"unknown column types {sorted(unknown)}; use {COLUMN_TYPES}")
    width = len(columns)
    if any(len(row) != width for row in rows):
        raise ValueError(f"every row must have {width} values")
    return engine.loader.load(table, columns, [_plain_row(row, columns) for row in rows])


def _plain_row(row: Sequence[Any], columns: Columns) -> tuple[Any, ...]:
    out = []
    for value, (_, kind) in zip(row, columns, strict=True):
        if kind == "timestamp" and isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        out.append(value)
    return tuple(out)


def _column_ddl(engine: str, columns: Columns) -> str:
    return ", ".join(f"{name} {_DDL_TYPES[engine][kind]}" for name, kind in columns)


def _arrow_table(columns: Columns, rows: Sequence[Row]) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped]

    types = {"timestamp": pa.timestamp("us"), "number": pa.float64(), "int": pa.int64(),
             "string": pa.string(), "bool": pa.bool_(),
             "decimal": pa.decimal128(12, 2)}  # fmt: skip
    arrays = [
        pa.array([r[i] for r in rows], type=types[kind]) for i, (_, kind) in enumerate(columns)
    ]
    return pa.Table.from_arrays(arrays, names=[name for name, _ in columns])


# --- loaders: each engine's native, bulk way in -----------------------------------------------
class _DuckDBLoader:
    def __init__(self, path: Path) -> None:
        import duckdb

        self._conn = duckdb.connect(str(path))

    def load(self, table: str, columns: Columns, rows: Sequence[Row]) -> str:
        self._conn.execute(f"CREATE OR REPLACE TABLE {table} ({_column_ddl('duckdb', columns)})")
        _insert_arrow(self._conn, table, columns, rows)
        return table

    def close(self) -> None:
        self._conn.close()


def _insert_arrow(duck: Any, table: str, columns: Columns, rows: Sequence[Row]) -> None:
    # DuckDB reads a registered Arrow table in one scan: thousands of rows in milliseconds.
    view = f"_load_{uuid.uuid4().hex[:8]}"
    duck.register(view, _arrow_table(columns, rows))
    try:
        names = ", ".join(name for name, _ in columns)
        duck.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {view}")
    finally:
        duck.unregister(view)


class _PostgresLoader:
    def __init__(self, schema: str) -> None:
        import psycopg

        self._schema = schema
        self._conn = psycopg.connect(autocommit=True, connect_timeout=5, **POSTGRES)  # type: ignore[arg-type]
        self._conn.execute(f"CREATE SCHEMA {schema}")

    def load(self, table: str, columns: Columns, rows: Sequence[Row]) -> str:
        qualified = f"{self._schema}.{table}"
        self._conn.execute(f"DROP TABLE IF EXISTS {qualified}")
        self._conn.execute(f"CREATE TABLE {qualified} ({_column_ddl('postgres', columns)})")
        names = ", ".join(name for name, _ in columns)
        with self._conn.cursor() as cur, cur.copy(f"COPY {qualified} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return qualified

    def close(self) -> None:
        self._conn.execute(f"DROP SCHEMA IF EXISTS {self._schema} CASCADE")
        self._conn.close()


class _MySQLLoader:
    def __init__(self, suffix: str) -> None:
        import pymysql

        self._suffix = suffix
        self._tables: set[str] = set()
        self._conn = pymysql.connect(autocommit=True, connect_timeout=5, **MYSQL)

    def load(self, table: str, columns: Columns, rows: Sequence[Row]) -> str:
        qualified = f"{MYSQL['database']}.{table}_{self._suffix}"
        self._tables.add(qualified)
        with self._conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {qualified}")
            cur.execute(f"CREATE TABLE {qualified} ({_column_ddl('mysql', columns)})")
            names = ", ".join(name for name, _ in columns)
            marks = ", ".join(["%s"] * len(columns))
            # PyMySQL turns executemany of one INSERT … VALUES into multi-row statements.
            for start in range(0, len(rows), 5000):
                cur.executemany(
                    f"INSERT INTO {qualified} ({names}) VALUES ({marks})",
                    rows[start : start + 5000],
                )
        return qualified

    def close(self) -> None:
        with self._conn.cursor() as cur:
            for qualified in sorted(self._tables):
                cur.execute(f"DROP TABLE IF EXISTS {qualified}")
        self._conn.close()


class _ChdbLoader:
    DATABASE = "tripl_test"

    def __init__(self, path: Path) -> None:
        import chdb

        self._conn = chdb.connect(str(path))  # type: ignore[no-untyped-call]
        self._conn.query(f"CREATE DATABASE IF NOT EXISTS {self.DATABASE}")

    def load(self, table: str, columns: Columns, rows: Sequence[Row]) -> str:
        qualified = f"{self.DATABASE}.{table}"
        self._conn.query(
            f"CREATE OR REPLACE TABLE {qualified} ({_column_ddl('clickhouse', columns)}) "
            "ENGINE = MergeTree ORDER BY tuple()"
        )
        names = ", ".join(name for name, _ in columns)
        for start in range(0, len(rows), 20000):
            chunk = rows[start : start + 20000]
            body = "\n".join(json.dumps([_chdb_cell(v) for v in row]) for row in chunk)
            self._conn.query(f"INSERT INTO {qualified} ({names}) FORMAT JSONCompactEachRow\n{body}")
        return qualified

    def close(self) -> None:
        self._conn.close()


def _chdb_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, Decimal):
        return str(value)  # exact: JSON has no decimals
    return value


class _FakesnowLoader:
    def __init__(self, profile: dict[str, Any]) -> None:
        import snowflake.connector

        self._schema = profile["schema"]
        options = {k: v for k, v in profile.items() if k != "type"}
        self._conn: Any = snowflake.connector.connect(**options)

    def load(self, table: str, columns: Columns, rows: Sequence[Row]) -> str:
        qualified = f"{FAKESNOW['database']}.{self._schema}.{table}"
        self._conn.cursor().execute(
            f"CREATE OR REPLACE TABLE {qualified} ({_column_ddl('snowflake', columns)})"
        )
        # fakesnow runs every statement through sqlglot (~2 ms a row for executemany); its own
        # write_pandas loads through the DuckDB connection underneath, and so do we.
        _insert_arrow(self._conn._duck_conn, qualified, columns, rows)
        return qualified

    def close(self) -> None:
        self._conn.close()


# --- the session ------------------------------------------------------------------------------
class EngineSession:
    """Creates each engine on first use and tears all of them down at the end of the session."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.token = uuid.uuid4().hex[:8]
        self._engines: dict[str, Engine] = {}
        self._failures: dict[str, str] = {}
        self._stack = contextlib.ExitStack()

    def get(self, name: str) -> Engine:
        if name not in ENGINES:
            raise ValueError(f"unknown engine {name!r}; one of {ENGINES}")
        if name in self._failures:
            raise EngineUnavailable(self._failures[name])
        if name not in self._engines:
            try:
                self._engines[name] = self._start(name)
            except (TriplError, ImportError, OSError, RuntimeError) as exc:
                text = (
                    exc.render() if isinstance(exc, TriplError) else f"{type(exc).__name__}: {exc}"
                )
                self._failures[name] = f"{name} engine unavailable: {text}"
                raise EngineUnavailable(self._failures[name]) from exc
        return self._engines[name]

    def _start(self, name: str) -> Engine:
        profile, loader = self._prepare(name)
        self._stack.callback(_quietly, loader.close)
        adapter = connect(f"{name}_test", profile, project_root=self.workdir)
        self._stack.callback(_quietly, adapter.close)
        return Engine(name, adapter.dialect, adapter, profile, loader, self.workdir)

    def _prepare(self, name: str) -> tuple[dict[str, Any], _Loader]:
        if name == "duckdb":
            path = self.workdir / "warehouse.duckdb"
            return {"type": "duckdb", "path": str(path)}, _DuckDBLoader(path)
        if name == "postgres":
            schema = f"tripl_test_{self.token}"
            try:
                loader: _Loader = _PostgresLoader(schema)
            except Exception as exc:  # psycopg.OperationalError: server down
                raise OSError(" ".join(str(exc).split())) from exc
            return {"type": "postgres", **POSTGRES, "schema": schema}, loader
        if name == "mysql":
            try:
                loader = _MySQLLoader(self.token)
            except Exception as exc:  # pymysql.OperationalError: server down
                raise OSError(" ".join(str(exc).split())) from exc
            return {"type": "mysql", **MYSQL}, loader
        if name == "clickhouse":
            path = self.workdir / "chdb"
            return {"type": "clickhouse", "path": str(path)}, _ChdbLoader(path)
        import fakesnow

        self._stack.enter_context(fakesnow.patch())
        profile = {"type": "snowflake", **FAKESNOW, "schema": f"s_{self.token}"}
        return profile, _FakesnowLoader(profile)

    def close(self) -> None:
        self._stack.close()
        self._engines.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _quietly(fn: Any) -> None:
    with contextlib.suppress(Exception):
        fn()


@contextlib.contextmanager
def engine_session(workdir: Path) -> Iterator[EngineSession]:
    session = EngineSession(workdir)
    try:
        yield session
    finally:
        session.close()
