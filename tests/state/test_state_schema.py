"""Opening a store: URLs, SQLite settings, schema versions, upgrades and refusals."""

from __future__ import annotations

import logging
import math
import multiprocessing
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from tests.state.conftest import PG_ADMIN_DSN
from tests.state.state_testlib import OpenStore, hour, hours, value_set
from tripl_cli.errors import StateError
from tripl_cli.state import SCHEMA_VERSION, StateStore, migrations, open_store
from tripl_cli.state.bulk import timestamp_binder
from tripl_cli.state.engine import display_url, resolve_url
from tripl_cli.state.schema import metadata
from tripl_cli.types import SeriesPoint


def test_default_store_is_a_wal_sqlite_file_per_target(tmp_path: Path) -> None:
    with open_store(None, project_root=tmp_path, target="dev") as store:
        store.replace_window(
            "m", hours(0, 1), value_set("m", [0], base=1), definition_hash="h", run_id="r"
        )
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    path = tmp_path / ".tripl" / "dev.db"
    with sqlite3.connect(path) as raw:  # WAL is persistent: a fresh connection sees it
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with open_store(None, project_root=tmp_path, target="prod") as other:
        assert other.read_series("m") == []  # two targets never share values
    assert (tmp_path / ".tripl" / "prod.db").exists()


def test_relative_sqlite_url_is_relative_to_the_project(tmp_path: Path) -> None:
    with open_store("sqlite:///state/s.db", project_root=tmp_path, target="dev") as store:
        assert store.backend == "sqlite"
    assert (tmp_path / "state" / "s.db").exists()


def test_postgres_urls_use_psycopg3_and_never_show_the_password(tmp_path: Path) -> None:
    url = resolve_url("postgresql://u:s3cret@db.example/tripl", project_root=tmp_path, target="t")
    assert url.drivername == "postgresql+psycopg" and url.password == "s3cret"
    kept = resolve_url("postgresql+psycopg://u@h/d", project_root=tmp_path, target="t")
    assert kept.drivername == "postgresql+psycopg"
    with pytest.raises(StateError) as err:
        # Port 1 on localhost refuses at once.
        open_store("postgresql://u:s3cret@127.0.0.1:1/tripl", project_root=tmp_path, target="t")
    text = err.value.render()
    assert "s3cret" not in text and "***" in text
    assert "cannot open the state database postgresql+psycopg://u:***@127.0.0.1:1/tripl" in text


def test_credentials_in_query_parameters_are_masked_too(tmp_path: Path) -> None:
    url = (
        "postgresql://u@127.0.0.1:1/tripl?Password=s3cret1&sslpassword=s3cret2&sslkey=s3cret3"
        "&private_key_passphrase=s3cret4&token=s3cret5&secret=s3cret6&sslmode=disable"
    )
    shown = display_url(resolve_url(url, project_root=tmp_path, target="t"))
    assert "s3cret" not in shown
    for key in ("Password", "sslpassword", "sslkey", "private_key_passphrase", "token", "secret"):
        assert f"{key}=***" in shown
    assert "sslmode=disable" in shown  # not a credential: kept, it helps debugging
    with pytest.raises(StateError) as err:
        open_store(url, project_root=tmp_path, target="t")  # port 1 refuses at once
    assert "s3cret" not in err.value.render()
    assert "cannot open the state database postgresql+psycopg://u@127.0.0.1:1/tripl?" in (
        err.value.render()
    )


def test_garbage_urls_and_target_names_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="not a valid SQLAlchemy URL") as err:
        open_store("not a url :pw", project_root=tmp_path, target="dev")
    assert ":pw" not in err.value.render()
    with pytest.raises(StateError, match="cannot name a state file"):
        open_store(None, project_root=tmp_path, target="../escape")


@pytest.mark.parametrize("scheme", ["mysql+pymysql", "mariadb+pymysql", "mysql"])
def test_a_mysql_state_is_refused_before_connecting(tmp_path: Path, scheme: str) -> None:
    """MySQL/MariaDB cannot index tripl's text keys: the first CREATE TABLE failed with a raw
    driver error after others had been made (their DDL is not transactional)."""
    url = f"{scheme}://root:pw-Q7-s3cret@127.0.0.1:3306/test"
    with pytest.raises(StateError, match="which tripl's state cannot use") as err:
        open_store(url, project_root=tmp_path, target="dev")
    assert "pw-Q7-s3cret" not in err.value.render()
    assert "PostgreSQL `state:` URL" in (err.value.hint or "")


def _reflect(store: StateStore) -> dict[str, Any]:
    with store.engine.connect() as conn:
        inspector = sa.inspect(conn)
        out: dict[str, Any] = {}
        for name in sorted(n for n in inspector.get_table_names() if n.startswith("tripl_")):
            cols = inspector.get_columns(name)
            pk = inspector.get_pk_constraint(name)["constrained_columns"]
            uniques = sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)
            )
            out[name] = ([(c["name"], c["nullable"]) for c in cols], pk, uniques)
        return out


def _expected_schema() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, table in sorted(metadata.tables.items()):
        cols = [(c.name, c.nullable) for c in table.columns]
        pk = [c.name for c in table.primary_key.columns]
        uniques = sorted((c.name,) for c in table.columns if c.unique)
        out[name] = (cols, pk, uniques)
    return out


def test_migrations_from_empty_build_exactly_the_current_schema(store: StateStore) -> None:
    assert store.schema_version() == SCHEMA_VERSION == len(migrations.MIGRATIONS)
    assert _reflect(store) == _expected_schema()


def _fabricate(url: str, version: int, tmp_path: Path) -> sa.Engine:
    """A state database as an older tripl left it."""
    store = open_store(url, project_root=tmp_path, target="t")
    engine = store.engine
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            table.drop(conn)
    with engine.begin() as conn:
        migrations.upgrade(conn, display_url="x", tripl_version="0.0.1", target=version)
    return engine


def test_upgrade_from_v1_keeps_values(
    state_url: str, make_store: OpenStore, tmp_path: Path
) -> None:
    engine = _fabricate(state_url, 1, tmp_path)
    with engine.begin() as conn:
        conn.execute(
            sa.table(
                "tripl_metric_values",
                *(sa.column(c) for c in ("metric", "bucket", "value", "definition_hash", "run_id")),
            ).insert(),
            # Stored as the v1 code stored it (through the same column type).
            [
                {
                    "metric": "m",
                    "bucket": _bind(conn, hour(3)),
                    "value": 2.5,
                    "definition_hash": "h",
                    "run_id": "r",
                }
            ],
        )
        inspector = sa.inspect(conn)
        assert not inspector.has_table("tripl_anomalies")
    engine.dispose()

    store = make_store()
    assert store.schema_version() == SCHEMA_VERSION
    assert store.read_series("m") == [SeriesPoint(hour(3), 2.5)]
    assert _reflect(store) == _expected_schema()
    with store.engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version FROM tripl_schema_version ORDER BY 1"))
        assert [v for (v,) in versions] == list(range(1, SCHEMA_VERSION + 1))


def _bind(conn: sa.Connection, ts: datetime) -> Any:
    return timestamp_binder(conn.dialect)(ts)


def test_empty_database_with_foreign_tables_is_initialised(state_url: str, tmp_path: Path) -> None:
    engine = _fabricate(state_url, 0, tmp_path)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE someone_elses (x INTEGER)"))
    engine.dispose()
    with open_store(state_url, project_root=tmp_path, target="t") as store:
        assert store.schema_version() == SCHEMA_VERSION
        with store.engine.connect() as conn:
            assert sa.inspect(conn).has_table("someone_elses")


def test_a_newer_schema_is_refused_and_left_untouched(
    state_url: str, make_store: OpenStore, tmp_path: Path
) -> None:
    store = make_store()
    store.replace_window(
        "m", hours(0, 1), value_set("m", [0], base=1), definition_hash="h", run_id="r"
    )
    with store.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO tripl_schema_version VALUES (:v, :at, '9.9.9')"),
            {"v": SCHEMA_VERSION + 7, "at": _bind(conn, datetime(2030, 1, 1, tzinfo=UTC))},
        )
    store.close()
    with pytest.raises(StateError) as err:
        open_store(state_url, project_root=tmp_path, target="t")
    newer = SCHEMA_VERSION + 7
    assert err.value.message.endswith(
        f"was written by a newer tripl (schema v{newer}, this tripl supports "
        f"v{SCHEMA_VERSION}); upgrade tripl"
    )
    assert err.value.message.startswith("state database ")
    assert err.value.hint is not None and "pip install -U tripl" in err.value.hint
    engine = sa.create_engine(state_url)
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT max(version), count(*) FROM tripl_schema_version"))
        assert tuple(versions.one()) == (newer, SCHEMA_VERSION + 1)
        assert conn.execute(sa.text("SELECT count(*) FROM tripl_metric_values")).scalar() == 1
    engine.dispose()


def _open_and_report(url: str, root: str, queue: Any) -> None:
    try:
        with open_store(url, project_root=Path(root), target="t") as store:
            queue.put(store.schema_version())
    except Exception as exc:  # reported to the parent, which fails the test
        queue.put(repr(exc))


def test_concurrent_first_opens_both_succeed(state_url: str, tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_open_and_report, args=(state_url, str(tmp_path), queue))
        for _ in range(3)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results == [SCHEMA_VERSION] * 3


def test_in_memory_sqlite_state_is_refused(tmp_path: Path) -> None:
    for url in ("sqlite://", "sqlite:///:memory:"):
        with pytest.raises(StateError, match="in-memory SQLite database"):
            open_store(url, project_root=tmp_path, target="dev")


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)


def test_password_is_never_logged_and_a_lost_server_is_a_state_error(
    pg_database: URL, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A database of its own: this test cuts every connection to it.
    name = f"{pg_database.database}_cut"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        caplog.set_level(logging.DEBUG, logger="tripl_cli")
        # Trust auth ignores the password, so the open succeeds and logs the URL.
        url = f"postgresql://postgres:topsecret@127.0.0.1:5432/{name}"
        with open_store(url, project_root=tmp_path, target="t") as store:
            assert store.display_url == f"postgresql+psycopg://postgres:***@127.0.0.1:5432/{name}"
            store.replace_window(
                "m", hours(0, 1), value_set("m", [0], base=1), definition_hash="h", run_id="r"
            )
            _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            _pg_admin(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            )
            with pytest.raises(StateError, match=r"the state database .* failed: ") as err:
                store.read_series("m")
            assert "topsecret" not in err.value.render()
        assert "opened state database postgresql+psycopg://postgres:***@" in caplog.text
        assert "topsecret" not in caplog.text
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_from_v2_keeps_incidents_and_outbox(
    state_url: str, make_store: OpenStore, tmp_path: Path
) -> None:
    engine = _fabricate(state_url, 2, tmp_path)
    at = datetime(2026, 3, 2, 1, tzinfo=UTC)
    with engine.begin() as conn:
        b = timestamp_binder(conn.dialect)
        conn.execute(
            sa.text(
                "INSERT INTO tripl_incidents (id, fingerprint, metric, breakdown_column, "
                "breakdown_value, status, direction, first_bucket, last_bucket, peak_score, "
                "opened_at, updated_at) VALUES (7, 'fp', 'orders', 'platform', 'android', "
                "'open', 'drop', :first, :last, -9.5, :at, :at)"
            ),
            {"first": b(hour(0)), "last": b(hour(1)), "at": b(at)},
        )
        conn.execute(
            sa.text(
                "INSERT INTO tripl_alert_outbox (idempotency_key, incident_id, destination, "
                "payload, status, attempts, created_at) "
                "VALUES ('k1', 7, 'team', '{\"key\": \"k1\"}', 'pending', 0, :at)"
            ),
            {"at": b(at)},
        )
        assert not sa.inspect(conn).has_table("tripl_metric_mutes")
    engine.dispose()

    store = make_store()
    assert store.schema_version() == SCHEMA_VERSION
    assert _reflect(store) == _expected_schema()
    (inc,) = store.open_incidents()
    # The v2 row is intact; the new columns read as their defaults.
    assert (inc.id, inc.key, inc.metric, inc.breakdown, inc.peak_score) == (
        7,
        "fp",
        "orders",
        ("platform", "android"),
        -9.5,
    )
    assert (inc.first_bucket, inc.last_anomaly_bucket, inc.opened_at) == (hour(0), hour(1), at)
    assert (inc.rule, inc.acked, inc.muted_until, inc.last_notified_bucket) == (
        "",
        False,
        None,
        None,
    )
    (entry,) = store.due_outbox(at)
    assert (entry.key, entry.incident_id, entry.payload, entry.attempts) == (
        "k1",
        7,
        {"key": "k1"},
        0,
    )
    assert store.metric_mutes() == []


def test_upgrade_from_v3_keeps_status_and_collected_until_reads_unknown(
    state_url: str, make_store: OpenStore, tmp_path: Path
) -> None:
    engine = _fabricate(state_url, 3, tmp_path)
    at = datetime(2026, 3, 2, 1, tzinfo=UTC)
    with engine.begin() as conn:
        b = timestamp_binder(conn.dialect)
        conn.execute(
            sa.text(
                "INSERT INTO tripl_metric_status (metric, definition_hash, watermark, "
                "last_status, last_run_id, updated_at) VALUES ('m', 'h', :wm, 'success', 'r', :at)"
            ),
            {"wm": b(hour(3)), "at": b(at)},
        )
    engine.dispose()

    store = make_store()
    assert store.schema_version() == SCHEMA_VERSION
    assert _reflect(store) == _expected_schema()
    status = store.metric_status("m")
    assert status is not None
    assert (status.watermark, status.last_status, status.updated_at) == (hour(3), "success", at)
    # Not known for a v3 row: the clock time of its last write is not what was collected.
    assert status.collected_until is None
    store.replace_window(
        "m", hours(0, 5), value_set("m", [4], base=1), definition_hash="h", run_id="r2"
    )
    assert store.metric_status("m").collected_until == hour(5)  # type: ignore[union-attr]


def test_upgrade_from_v4_makes_stored_infinities_gaps(
    state_url: str, make_store: OpenStore, tmp_path: Path
) -> None:
    """tripl before v5 stored ±inf (a SQL metric dividing by zero), which JSON cannot spell."""
    engine = _fabricate(state_url, 4, tmp_path)
    with engine.begin() as conn:
        b = timestamp_binder(conn.dialect)
        insert = sa.text(
            "INSERT INTO tripl_metric_values (metric, bucket, value, numerator, denominator,"
            " definition_hash, run_id) VALUES ('m', :b, :v, :n, :d, 'h', 'r')"
        )
        conn.execute(insert, {"b": b(hour(0)), "v": math.inf, "n": 1.0, "d": 0.0})
        conn.execute(insert, {"b": b(hour(1)), "v": 2.0, "n": -math.inf, "d": 3.0})
        conn.execute(
            sa.text(
                "INSERT INTO tripl_breakdown_values (metric, breakdown_column, bucket,"
                " breakdown_value, value, run_id) VALUES ('m', 'c', :b, 'x', :v, 'r')"
            ),
            {"b": b(hour(0)), "v": -math.inf},
        )
    engine.dispose()

    store = make_store()
    assert store.schema_version() == SCHEMA_VERSION
    assert store.read_series("m") == [
        SeriesPoint(hour(0), None, 1.0, 0.0),
        SeriesPoint(hour(1), 2.0, None, 3.0),
    ]
    assert store.read_breakdowns("m", "c") == {"x": [SeriesPoint(hour(0), None)]}
