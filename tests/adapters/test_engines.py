"""Every adapter against its real engine: typed rows, introspection, timeouts, query errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.engines import Engine, load_table
from tripl_cli.adapters import Adapter, QueryTimeout
from tripl_cli.errors import WarehouseError

COLUMNS = [("k", "int"), ("ts", "timestamp"), ("amount", "number"), ("qty", "int"),
           ("country", "string"), ("paid", "bool")]  # fmt: skip
T1 = datetime(2024, 3, 1, 12, 30, 45, 123456, tzinfo=UTC)
T2 = datetime(2024, 3, 2, 0, 0, 0, 1)  # naive: the harness and the engines take it as UTC
ROWS = [
    (1, T1, 12.5, 3, "FR", True),
    (2, T2, -0.25, 0, "", False),
    (3, None, None, None, None, None),
]

# An instant written in another zone (or as epoch seconds) must read back as the same UTC instant.
ZONED_INSTANT = {
    "duckdb": "SELECT TIMESTAMPTZ '2024-01-01 02:00:00.5+02:00' AS t",
    "postgres": "SELECT TIMESTAMPTZ '2024-01-01 02:00:00.5+02:00' AS t",
    "mysql": "SELECT FROM_UNIXTIME(1704067200.5) AS t",  # rendered in the session time zone
    "clickhouse": "SELECT toDateTime64('2024-01-01 02:00:00.5', 1, 'Etc/GMT-2') AS t",
    "snowflake": "SELECT '2024-01-01 02:00:00.5 +02:00'::TIMESTAMP_TZ AS t",
}
# Cheap queries that would run for many seconds; each engine must stop them at the timeout.
SLOW_QUERY = {
    "duckdb": "SELECT sum(hash(i)) FROM range(100000000000) AS t(i)",
    "postgres": "SELECT pg_sleep(30)",
    "mysql": "SELECT SLEEP(30)",  # MariaDB's max_statement_time interrupts SLEEP with an error
    "clickhouse": "SELECT count() FROM numbers(1000000000000)",
}
# Queries that fail while running (on chdb after its first rows are out, one per block).
FAILS_MIDWAY = {
    "duckdb": "SELECT CAST(v AS INTEGER) AS x FROM (VALUES ('1'), ('2'), ('x')) AS t(v)",
    "postgres": "SELECT CAST(v AS INTEGER) AS x FROM (VALUES ('1'), ('2'), ('x')) AS t(v)",
    "clickhouse": (
        "SELECT throwIf(number = 3, 'boom') AS x FROM numbers(10) SETTINGS max_block_size = 1"
    ),
}
# Not snowflake: fakesnow runs on DuckDB and ignores both STATEMENT_TIMEOUT_IN_SECONDS and the
# connector's execute(timeout=), so no slow query can be stopped there; test_offline.py checks
# that the adapter sends both to the real connector.


@pytest.fixture
def facts(engine: Engine) -> str:
    return load_table(engine, "adapter_facts", COLUMNS, ROWS)


def _select_all(adapter: Adapter, table: str) -> list[tuple[object, ...]]:
    names = ", ".join(name for name, _ in COLUMNS)
    return list(adapter.execute(f"SELECT {names} FROM {table} ORDER BY k").rows)


def test_rows_are_typed(engine: Engine, facts: str) -> None:
    rows = _select_all(engine.adapter, facts)

    assert rows == [
        (1, T1, 12.5, 3, "FR", True),
        (2, T2.replace(tzinfo=UTC), -0.25, 0, "", False),
        (3, None, None, None, None, None),
    ]
    ts = rows[0][1]
    assert isinstance(ts, datetime) and ts.utcoffset() == timedelta(0)
    assert ts.microsecond == 123456
    assert type(rows[0][2]) is float
    assert type(rows[0][3]) is int
    assert rows[0][5] is True and rows[1][5] is False


def test_aggregates_are_typed(engine: Engine, facts: str) -> None:
    result = engine.adapter.execute(
        f"SELECT count(*) AS n, min(ts) AS first_ts, sum(amount) AS total, "
        f"CAST(sum(qty) AS DECIMAL(18, 2)) AS qty_dec FROM {facts}"
    )

    assert result.columns == ("n", "first_ts", "total", "qty_dec")
    (n, first_ts, total, qty_dec), *rest = result.rows
    assert rest == []
    assert n == 3 and isinstance(n, int)
    assert first_ts == T1
    assert total == pytest.approx(12.25)
    assert qty_dec == 3.0 and type(qty_dec) is float  # a DECIMAL arrives as a float


def test_decimal_and_null_literals(engine: Engine) -> None:
    null_int = "Nullable(Int32)" if engine.name == "clickhouse" else "INTEGER"
    if engine.name == "mysql":
        null_int = "SIGNED"
    result = engine.adapter.execute(
        f"SELECT CAST(1.25 AS DECIMAL(10, 2)) AS d, CAST(NULL AS {null_int}) AS n"
    )

    assert result.rows == ((1.25, None),)
    assert type(result.rows[0][0]) is float


def test_zoned_instant_reads_back_in_utc(engine: Engine) -> None:
    (value,) = engine.adapter.execute(ZONED_INSTANT[engine.name]).rows[0]

    assert value == datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)
    assert value.utcoffset() == timedelta(0)


@pytest.mark.engine("postgres")
def test_postgres_buckets_in_utc_whatever_pgtz_says(
    engine_factory: Callable[[str], Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    # libpq reads PGTZ at connect: cron and containers set it; it must not move buckets.
    monkeypatch.setenv("PGTZ", "America/New_York")
    adapter = engine_factory("postgres").connect()
    try:
        (day,) = adapter.execute(
            "SELECT date_trunc('day', TIMESTAMPTZ '2024-01-01 02:00:00+00') AS d"
        ).rows[0]
    finally:
        adapter.close()
    assert day == datetime(2024, 1, 1, tzinfo=UTC)


def test_columns_introspects_without_rows(engine: Engine, facts: str) -> None:
    columns = engine.adapter.columns(
        f"SELECT k, ts, amount, country, paid, qty * 2 AS double_qty FROM {facts}\n-- trailing"
    )

    assert [c.name for c in columns] == ["k", "ts", "amount", "country", "paid", "double_qty"]
    assert [c.type for c in columns] == [
        "number", "timestamp", "number", "string", "bool", "number"
    ]  # fmt: skip
    assert all(c.raw_type for c in columns)


@pytest.mark.parametrize("name", list(SLOW_QUERY))
def test_timeout_stops_a_slow_query(name: str, engine_factory: Callable[[str], Engine]) -> None:
    engine = engine_factory(name)
    adapter = engine.connect("slow")
    try:
        with pytest.raises(QueryTimeout) as info:
            adapter.execute(SLOW_QUERY[engine.name], timeout_s=0.5)
        assert "target 'slow'" in info.value.message
        assert "0.5 s" in info.value.message
        # The connection survives, and a later query without a timeout is not limited.
        assert adapter.execute("SELECT 1 AS one").rows == ((1,),)
    finally:
        adapter.close()


def test_query_error_names_target_and_connection_survives(engine: Engine) -> None:
    adapter = engine.connect("broken")
    try:
        with pytest.raises(WarehouseError) as info:
            adapter.execute("SELECT no_such_column FROM no_such_table_for_tripl")
        assert not isinstance(info.value, QueryTimeout)
        assert info.value.message.startswith(f"query failed on target 'broken' ({engine.name})")
        assert "\n" not in info.value.message
        assert adapter.execute("SELECT 2 AS two").rows == ((2,),)
    finally:
        adapter.close()


@pytest.mark.parametrize("name", list(FAILS_MIDWAY))
def test_a_query_failing_midway_leaves_nothing_for_the_next(
    name: str, engine_factory: Callable[[str], Engine]
) -> None:
    adapter = engine_factory(name).connect("midway")
    try:
        with pytest.raises(WarehouseError):
            adapter.execute(FAILS_MIDWAY[name])
        result = adapter.execute("SELECT 2 AS two")
        assert result.columns == ("two",)
        assert result.rows == ((2,),)
    finally:
        adapter.close()


def test_profile_output_reaches_the_same_data(engine: Engine, facts: str) -> None:
    adapter = engine.connect()
    try:
        assert adapter.execute(f"SELECT count(*) AS n FROM {facts}").rows == ((3,),)
        assert adapter.dialect == engine.dialect
    finally:
        adapter.close()


def test_executed_sql_is_logged_at_debug(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="tripl_cli.adapters"):
        engine.adapter.execute("SELECT 42 AS answer")

    assert any("SELECT 42 AS answer" in r.getMessage() for r in caplog.records)


def test_load_table_replaces_the_table(engine: Engine) -> None:
    columns = [("k", "int"), ("label", "string")]
    first = load_table(engine, "adapter_replaced", columns, [(1, "old"), (2, "old")])
    second = load_table(engine, "adapter_replaced", columns, [(3, "it's new")])

    assert first == second
    rows = engine.adapter.execute(f"SELECT k, label FROM {second} ORDER BY k").rows
    assert rows == ((3, "it's new"),)


def test_closed_adapter_raises_a_warehouse_error(engine: Engine) -> None:
    adapter = engine.connect("closed")
    adapter.close()

    with pytest.raises(WarehouseError, match=r"^query failed on target 'closed'"):
        adapter.execute("SELECT 1 AS one")
