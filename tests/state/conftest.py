"""State store fixtures: every test runs on SQLite AND PostgreSQL.

PostgreSQL: 127.0.0.1:5432, user postgres, database `test` (trust auth). Each test module
gets a fresh uniquely named database (dropped afterwards) and each test a fresh schema in it.
Unreachable PostgreSQL fails the test when CI=true, and skips it otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from tests.state.state_testlib import OpenStore
from tests.support.engines import unavailable
from tripl_cli.state import StateStore, open_store

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5"
BACKENDS = ["sqlite", "postgresql"]


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def pg_database() -> Iterator[URL]:
    """A fresh PostgreSQL database for this test module."""
    name = f"tripl_state_test_{uuid.uuid4().hex[:10]}"
    try:
        _admin(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        # Fails under CI=true, skips elsewhere.
        unavailable(f"PostgreSQL at 127.0.0.1:5432 is unreachable: {str(exc).splitlines()[0]}")
    yield make_url(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_schema(database: URL) -> str:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={database.database}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    # Every connection of the store then creates and finds its tables in this schema.
    url = database.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty state database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    database: URL = request.getfixturevalue("pg_database")
    return _fresh_schema(database)


@pytest.fixture
def make_store(state_url: str, tmp_path: Path) -> Iterator[OpenStore]:
    """Opens stores on `state_url`; all are closed after the test."""
    opened: list[StateStore] = []

    def _open() -> StateStore:
        store = open_store(state_url, project_root=tmp_path, target="test")
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: OpenStore) -> StateStore:
    return make_store()
