"""State URLs, engines and transactions: SQLite (the default) and PostgreSQL (for teams)."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url

from tripl_cli.errors import StateError
from tripl_cli.files import make_dir

logger = logging.getLogger(__name__)

#: How long a SQLite statement waits for another process's write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "tripl_write"
_TESTED_BACKENDS = frozenset({"sqlite", "postgresql"})


def default_sqlite_path(project_root: Path, target: str) -> Path:
    """`<project>/.tripl/<target>.db`: one file per target so targets never mix values."""
    if not target or target.startswith(".") or any(sep in target for sep in "/\\:"):
        raise StateError(
            f"target name {target!r} cannot name a state file",
            hint="use a target name made of letters, digits, '-' and '_'",
        )
    return project_root / ".tripl" / f"{target}.db"


def resolve_url(url: str | None, *, project_root: Path, target: str) -> URL:
    """The SQLAlchemy URL to open; relative SQLite paths are relative to the project."""
    if url is None:
        path = default_sqlite_path(project_root, target)
        return URL.create("sqlite", database=str(path))
    scheme, _, rest = url.partition("://")
    if not scheme.startswith("sqlite") and rest.split("?", 1)[0].count("@") > 1:
        # An unencoded '@' in a password: parsers cut the URL there and show the rest of the
        # password as the host. Never echo the text. (A SQLite path has no host: an '@' in a
        # folder name, as in a Jenkins `job@2` workspace, is just a character.)
        raise StateError(
            f"the `state:` URL of target {target!r} has more than one '@'",
            hint="URL-encode an '@' in the user name or password as %40 "
            "(and ':' as %3A, '/' as %2F)",
        )
    try:
        parsed = make_url(url)
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        # The raw text may hold a password: never echo it.
        raise StateError(
            f"the `state:` URL of target {target!r} is not a valid SQLAlchemy URL",
            hint="write it like postgresql://user@host:5432/dbname or sqlite:///path/to/state.db"
            "; URL-encode special characters in the password (%40 for '@')",
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        # psycopg 3 is the driver tripl ships (the `postgres` extra); psycopg2 is not.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory":
            raise StateError(
                f"the `state:` of target {target!r} is an in-memory SQLite database, which "
                "would lose every stored value when tripl exits",
                hint="leave `state:` unset for the default .tripl/<target>.db file",
            )
        path = Path(parsed.database or "")
        if not path.is_absolute():
            parsed = parsed.set(database=str(project_root / path))
    return parsed


#: Query parameters that carry credentials (libpq `password`/`sslpassword`, key material,
#: tokens): masked like the user-info password. Matched case-insensitively.
_SECRET_QUERY = re.compile(r"password|secret|token|^sslkey$|^private_key", re.IGNORECASE)
_QUERY_MASK = "***"


def display_url(url: URL) -> str:
    """The URL for messages and logs: the password, also as a query parameter, is masked."""
    hidden = {key: _QUERY_MASK for key in url.query if _SECRET_QUERY.search(key)}
    if not hidden:
        return url.render_as_string(hide_password=True)
    rendered = url.update_query_dict(hidden).render_as_string(hide_password=True)
    return rendered.replace(quote(_QUERY_MASK, safe=""), _QUERY_MASK)  # `***`, not `%2A%2A%2A`


#: Backends whose DDL is known to fail on tripl's schema (TEXT in primary keys): refused
#: before any table is made, as their DDL is not transactional (a half-made state was left).
_REFUSED_BACKENDS = frozenset({"mysql", "mariadb"})


def create_state_engine(url: URL) -> sa.Engine:
    backend = url.get_backend_name()
    if backend in _REFUSED_BACKENDS:
        raise StateError(
            f"the state database {display_url(url)} is {backend}, which tripl's state cannot"
            " use (its keys hold text columns MySQL/MariaDB cannot index whole)",
            hint="give the target a PostgreSQL `state:` URL, or drop `state:` for the default"
            " SQLite file .tripl/<target>.db; the warehouse itself may be MySQL/MariaDB",
        )
    if backend not in _TESTED_BACKENDS:
        logger.warning("state backend %r is not tested; use sqlite or postgresql", backend)
    try:
        if backend == "sqlite":
            return _sqlite_engine(url)
        return sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.NoSuchModuleError, ModuleNotFoundError) as exc:
        raise StateError(
            f"no driver for the state database {display_url(url)} ({exc})",
            hint="pip install 'tripl[postgres]'" if backend == "postgresql" else None,
        ) from None


def _sqlite_engine(url: URL) -> sa.Engine:
    make_dir(
        Path(url.database or "").parent,
        what="the state directory",
        hint="check the permissions of the project directory, or set the target's `state:`",
        error=StateError,
    )
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Take BEGIN away from sqlite3's legacy transaction handling (which would
        # autocommit DDL and never BEGIN for SELECTs); `_on_begin` emits it instead.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        # WAL: readers never block the writer; NORMAL sync stays atomic and consistent
        # through a process kill (only a power loss may drop the last commits).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A writer takes the write lock up front: a deferred transaction that reads first
        # could fail with SQLITE_BUSY when upgrading to a write, without waiting.
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One atomic write: committed on success, rolled back on any exception or kill."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            yield conn


@contextmanager
def read_connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A consistent snapshot for reads (one transaction, rolled back at the end)."""
    with engine.connect() as conn, conn.begin():
        yield conn


def describe_db_error(exc: sa.exc.DBAPIError | sa.exc.OperationalError) -> str:
    """The driver's own first line, without SQLAlchemy's SQL echo and links."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


#: SQLite's words for a file that is not (or no longer) a database: SQLITE_CORRUPT, NOTADB.
_DAMAGED = ("database disk image is malformed", "file is not a database")


def is_damaged(exc: sa.exc.DBAPIError) -> bool:
    """Whether an SQLite state file itself is damaged (a disk fault, a partial copy)."""
    return isinstance(exc.orig, sqlite3.DatabaseError) and any(
        words in str(exc.orig) for words in _DAMAGED
    )


def damaged_error(shown: str, exc: sa.exc.DBAPIError) -> StateError:
    return StateError(
        f"the state database {shown} is damaged: {describe_db_error(exc)}",
        hint="restore it from a backup; or move the file aside, and the next `tripl run` "
        "starts a new one (recollecting initial_buckets; older values are then lost)",
    )
