"""Opening adapters: the registry, profile keys, connection errors, missing drivers."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.engines import MYSQL, POSTGRES, unavailable
from tripl_cli.adapters import adapter_types, canonical_type, connect
from tripl_cli.errors import ConfigError, DriverMissing, WarehouseError

SECRET = "s3cr3t-pw"


def _connect_error(config: dict[str, Any], tmp_path: Path) -> WarehouseError:
    with pytest.raises(WarehouseError) as info:
        connect("prod", config, project_root=tmp_path).close()
    return info.value


def _assert_clean(error: WarehouseError, prefix: str) -> None:
    assert error.message.startswith(prefix), error.message
    assert SECRET not in error.render()
    assert "\n" not in error.message
    assert error.hint and "'prod'" in error.hint


def test_postgres_refused_names_target_hides_password(tmp_path: Path) -> None:
    config = {"type": "postgres", **POSTGRES, "port": 1, "password": SECRET}
    error = _connect_error(config, tmp_path)
    _assert_clean(error, "could not connect to target 'prod' (postgres at 127.0.0.1:1): ")
    assert "refused" in error.message.lower()


def test_mysql_bad_credentials_names_target_hides_password(tmp_path: Path) -> None:
    # A real server rejecting a real login: the driver message is about the password.
    config = {"type": "mysql", **MYSQL, "user": "tripl_no_such_user", "password": SECRET}
    error = _connect_error(config, tmp_path)
    if "Access denied" not in error.message:
        unavailable(f"mysql engine unavailable for the login test: {error.message}")
    _assert_clean(error, "could not connect to target 'prod' (mysql at 127.0.0.1:3306): ")
    assert "tripl_no_such_user" in error.message


def test_mysql_refused(tmp_path: Path) -> None:
    error = _connect_error({"type": "mysql", **MYSQL, "port": 1, "password": SECRET}, tmp_path)
    _assert_clean(error, "could not connect to target 'prod' (mysql at 127.0.0.1:1): ")


def test_clickhouse_server_refused(tmp_path: Path) -> None:
    config = {"type": "clickhouse", "host": "127.0.0.1", "port": 1, "password": SECRET}
    error = _connect_error(config, tmp_path)
    _assert_clean(error, "could not connect to target 'prod' (clickhouse at 127.0.0.1:1): ")


def test_snowflake_unreachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import snowflake.connector
    from snowflake.connector.connection import SnowflakeConnection

    # fakesnow may be patched in for the session's engines: talk to the real connector here.
    monkeypatch.setattr(snowflake.connector, "connect", SnowflakeConnection)
    config = {"type": "snowflake", "account": "acme", "user": "u", "password": SECRET,
              "host": "127.0.0.1", "port": 1, "protocol": "http", "login_timeout": 2}  # fmt: skip
    error = _connect_error(config, tmp_path)
    _assert_clean(error, "could not connect to target 'prod' (snowflake at 127.0.0.1): ")


def test_snowflake_non_dbapi_error_is_a_connect_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import snowflake.connector

    def refuse(**kwargs: Any) -> None:  # e.g. fakesnow's "database already attached"
        raise RuntimeError(f"resource in use (password {kwargs['password']})")

    monkeypatch.setattr(snowflake.connector, "connect", refuse)
    config = {"type": "snowflake", "account": "acme", "user": "u", "password": SECRET}
    error = _connect_error(config, tmp_path)
    _assert_clean(error, "could not connect to target 'prod' (snowflake account acme): ")
    assert "resource in use" in error.message


def test_duckdb_missing_directory(tmp_path: Path) -> None:
    error = _connect_error({"type": "duckdb", "path": "no/such/dir/wh.duckdb"}, tmp_path)
    where = tmp_path / "no/such/dir/wh.duckdb"
    _assert_clean(error, f"could not connect to target 'prod' (duckdb at {where}): ")


def test_bigquery_missing_keyfile(tmp_path: Path) -> None:
    config = {"type": "bigquery", "project": "acme", "keyfile": "keys/none.json"}
    error = _connect_error(config, tmp_path)
    _assert_clean(error, "could not connect to target 'prod' (bigquery project acme): ")
    assert str(tmp_path / "keys/none.json") in error.message


def test_secret_from_driver_message_is_scrubbed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import psycopg

    def echoing_connect(**kwargs: Any) -> None:  # a driver that leaks its conninfo
        raise psycopg.OperationalError(f"bad conninfo: password={kwargs['password']} host=x")

    monkeypatch.setattr(psycopg, "connect", echoing_connect)
    with caplog.at_level(logging.DEBUG):
        error = _connect_error({"type": "postgres", "password": SECRET}, tmp_path)
    assert "password=***" in error.message
    assert SECRET not in error.render()
    assert SECRET not in caplog.text


def test_duckdb_path_is_relative_to_project_root(tmp_path: Path) -> None:
    adapter = connect("dev", {"type": "duckdb", "path": "wh.duckdb"}, project_root=tmp_path)
    adapter.execute("CREATE TABLE t AS SELECT 1 AS x")
    adapter.close()
    assert (tmp_path / "wh.duckdb").is_file()

    reader = connect(
        "dev", {"type": "duckdb", "path": "wh.duckdb", "read_only": True}, project_root=tmp_path
    )
    try:
        assert reader.execute("SELECT x FROM t").rows == ((1,),)
        with pytest.raises(WarehouseError, match="read-only"):
            reader.execute("CREATE TABLE u AS SELECT 2 AS y")
    finally:
        reader.close()


def test_duckdb_is_the_default_type(tmp_path: Path) -> None:
    adapter = connect("dev", {}, project_root=tmp_path)  # no type, no path: in memory
    try:
        assert adapter.type_name == "duckdb"
        assert adapter.execute("SELECT 1 AS one").rows == ((1,),)
    finally:
        adapter.close()


def test_registry_types_and_aliases() -> None:
    assert adapter_types() == ("duckdb", "postgres", "mysql", "clickhouse", "snowflake", "bigquery")
    assert canonical_type("postgresql") == "postgres"
    assert canonical_type("MariaDB") == "mysql"
    assert canonical_type(None) == "duckdb"


def test_unknown_type_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        connect("prod", {"type": "trino"}, project_root=tmp_path)
    assert info.value.message == "target 'prod' has type 'trino', which tripl cannot run"
    assert info.value.hint is not None and "compile-only" in info.value.hint


def test_a_list_where_one_value_belongs_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        connect("prod", {"type": "duckdb", "path": ["wh.duckdb"]}, project_root=tmp_path)
    assert info.value.message == (
        "target 'prod' (duckdb): 'path' must be a single value, got ['wh.duckdb']"
    )
    assert not list(tmp_path.iterdir()), "no file named after the list"


def test_unknown_profile_keys_are_warned_about_by_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = {"type": "duckdb", "path": "wh.duckdb", "threads": 1, "thread": 2, "pth": "x"}
    connect("dev", {"type": "duckdb", "path": "wh.duckdb"}, project_root=tmp_path).close()
    caplog.clear()  # the file exists now: no word about creating it
    with caplog.at_level(logging.WARNING, logger="tripl_cli.adapters"):
        connect("dev", config, project_root=tmp_path).close()
    assert [r.getMessage() for r in caplog.records] == [
        "target 'dev' (duckdb): unknown key 'pth' is ignored (did you mean 'path'?)",
        "target 'dev' (duckdb): unknown key 'thread' is ignored (did you mean 'threads'?)",
    ]
    caplog.clear()  # a second connection (--threads) does not say it again
    with caplog.at_level(logging.WARNING, logger="tripl_cli.adapters"):
        connect("dev", config, project_root=tmp_path).close()
    assert caplog.records == []


@pytest.mark.parametrize("module", ["duckdb", "postgres", "mysql", "clickhouse", "snowflake",
                                    "bigquery"])  # fmt: skip
def test_every_key_an_adapter_reads_is_a_known_key(module: str) -> None:
    import importlib
    import re

    from tripl_cli.adapters.registry import COMMON_KEYS

    source = (Path(__file__).parents[2] / "tripl_cli" / "adapters" / f"{module}.py").read_text()
    read = set(
        re.findall(r"(?:get_str|get_int|get_bool|get_float|required_str)\(\s*\"(\w+)\"", source)
    )
    known = importlib.import_module(f"tripl_cli.adapters.{module}").PROFILE_KEYS | COMMON_KEYS
    assert read, f"no profile key read found in {module}.py: the pattern needs updating"
    assert read <= known


def test_bad_integer_key_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        connect("prod", {"type": "postgres", "port": "fivefour"}, project_root=tmp_path)
    assert (
        info.value.message == "target 'prod' (postgres): 'port' must be an integer, got 'fivefour'"
    )


DRIVERS = [
    ({"type": "duckdb"}, "duckdb", "duckdb"),
    ({"type": "postgres"}, "psycopg", "postgres"),
    ({"type": "mysql"}, "pymysql", "mysql"),
    ({"type": "clickhouse", "host": "localhost"}, "clickhouse_connect", "clickhouse"),
    ({"type": "clickhouse", "embedded": True}, "chdb", "clickhouse"),
    ({"type": "snowflake", "account": "a"}, "snowflake.connector", "snowflake"),
    ({"type": "bigquery", "project": "p"}, "google.cloud.bigquery", "bigquery"),
]


@pytest.mark.parametrize(("config", "module", "extra"), DRIVERS, ids=[d[1] for d in DRIVERS])
def test_missing_driver_names_the_extra(
    config: dict[str, Any], module: str, extra: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError

    with pytest.raises(DriverMissing) as info:
        connect("prod", config, project_root=tmp_path)

    assert info.value.message == f"the {config['type']} driver ({module}) is not installed"
    assert info.value.hint == f"pip install 'tripl[{extra}]'"


def test_a_missing_duckdb_file_is_created_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A fresh clone has no warehouse (*.duckdb is git-ignored): say so, not only later that
    # its tables do not exist.
    connect("dev", {"type": "duckdb", "path": "wh.duckdb"}, project_root=tmp_path).close()
    assert (
        "(duckdb): " in caplog.text
        and "wh.duckdb did not exist, so DuckDB created it empty" in caplog.text
    )
    caplog.clear()
    connect("dev", {"type": "duckdb", "path": "wh.duckdb"}, project_root=tmp_path).close()
    connect("dev", {"type": "duckdb"}, project_root=tmp_path).close()  # in memory
    assert "did not exist" not in caplog.text
