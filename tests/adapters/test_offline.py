"""Adapters whose server we cannot run here, through their constructor seams.

BigQuery and a ClickHouse server are cloud/server-only, and fakesnow ignores timeouts, so
these tests hand a fake client to the real adapter class and check what the adapter sends
(job config, settings, timeouts) and how it types what comes back. The fakes return the
drivers' own types (bigquery `Row`/`SchemaField`, ClickHouse's JSON wire format).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from google.api_core import exceptions as google_errors
from google.cloud import bigquery
from google.cloud.bigquery.table import Row

from tripl_cli.adapters import QueryTimeout
from tripl_cli.adapters.bigquery import BigQueryAdapter
from tripl_cli.adapters.clickhouse import ClickHouseHttpAdapter
from tripl_cli.adapters.common import ProfileOutput
from tripl_cli.adapters.snowflake import SnowflakeAdapter, _session_parameters
from tripl_cli.errors import WarehouseError


# --- BigQuery ---------------------------------------------------------------------------------
class FakeRows(list[Row]):
    def __init__(self, schema: list[bigquery.SchemaField], values: list[tuple[Any, ...]]) -> None:
        index = {field.name: i for i, field in enumerate(schema)}
        super().__init__(Row(v, index) for v in values)
        self.schema = schema


class FakeJob:
    def __init__(self, rows: FakeRows | None = None, error: Exception | None = None) -> None:
        self.rows, self.error = rows, error
        self.schema = rows.schema if rows is not None else None
        self.result_timeout: object = "unset"
        self.cancelled = False

    def result(self, timeout: float | None = None) -> FakeRows:
        self.result_timeout = timeout
        if self.error is not None:
            raise self.error
        assert self.rows is not None
        return self.rows

    def cancel(self) -> bool:
        self.cancelled = True
        return True


class FakeBigQueryClient:
    def __init__(self, job: FakeJob) -> None:
        self.job = job
        self.calls: list[tuple[str, bigquery.QueryJobConfig, str | None]] = []

    def query(
        self, sql: str, *, job_config: bigquery.QueryJobConfig, location: str | None
    ) -> FakeJob:
        self.calls.append((sql, job_config, location))
        return self.job


BQ_CONFIG = {"type": "bigquery", "project": "acme", "dataset": "shop", "location": "EU",
             "maximum_bytes_billed": "1000000000", "job_timeout_seconds": 120}  # fmt: skip
SCHEMA = [
    bigquery.SchemaField("bucket", "TIMESTAMP"),
    bigquery.SchemaField("local", "DATETIME"),
    bigquery.SchemaField("day", "DATE"),
    bigquery.SchemaField("revenue", "NUMERIC"),
    bigquery.SchemaField("orders", "INTEGER"),
    bigquery.SchemaField("ratio", "FLOAT"),
    bigquery.SchemaField("paid", "BOOLEAN"),
    bigquery.SchemaField("country", "STRING"),
    bigquery.SchemaField("tags", "STRING", mode="REPEATED"),
]


def _bigquery(job: FakeJob, **overrides: Any) -> tuple[BigQueryAdapter, FakeBigQueryClient]:
    client = FakeBigQueryClient(job)
    profile = ProfileOutput("bq", "bigquery", {**BQ_CONFIG, **overrides})
    return BigQueryAdapter(profile, client, bigquery), client


def test_bigquery_rows_are_typed() -> None:
    plus_two = timezone(timedelta(hours=2))
    values = [
        (datetime(2024, 5, 1, 2, tzinfo=plus_two), datetime(2024, 5, 1, 3, 4, 5, 6),
         date(2024, 5, 1), Decimal("1234.50"), 42, 0.5, True, "FR", ["a"]),
        (None, None, None, None, None, None, None, None, []),
    ]  # fmt: skip
    adapter, _ = _bigquery(FakeJob(FakeRows(SCHEMA, values)))

    result = adapter.execute("SELECT 1")

    assert result.columns == tuple(f.name for f in SCHEMA)
    first, second = result.rows
    assert first == (
        datetime(2024, 5, 1, 0, tzinfo=UTC), datetime(2024, 5, 1, 3, 4, 5, 6, tzinfo=UTC),
        date(2024, 5, 1), 1234.5, 42, 0.5, True, "FR", ["a"],
    )  # fmt: skip
    assert first[0].tzinfo is UTC and type(first[3]) is float and type(first[4]) is int
    assert second[:8] == (None,) * 8


def test_bigquery_job_config_carries_limits_and_timeout() -> None:
    adapter, client = _bigquery(FakeJob(FakeRows(SCHEMA[:1], [])))

    adapter.execute("SELECT bucket FROM orders", timeout_s=2.5)

    sql, config, location = client.calls[0]
    assert (sql, location) == ("SELECT bucket FROM orders", "EU")
    sent = config.to_api_repr()  # what goes over the wire to jobs.insert
    assert sent["query"]["maximumBytesBilled"] == "1000000000"
    assert sent["jobTimeoutMs"] == "2500"
    assert sent["query"]["useLegacySql"] is False
    assert sent["query"]["defaultDataset"] == {"projectId": "acme", "datasetId": "shop"}
    assert client.job.result_timeout == 2.5


def test_bigquery_default_timeout_comes_from_profile() -> None:
    adapter, client = _bigquery(FakeJob(FakeRows(SCHEMA[:1], [])))
    adapter.execute("SELECT 1")
    assert client.calls[0][1].to_api_repr()["jobTimeoutMs"] == "120000"
    assert client.job.result_timeout == 120

    unlimited, client = _bigquery(FakeJob(FakeRows(SCHEMA[:1], [])), job_timeout_seconds=None)
    unlimited.execute("SELECT 1")
    assert "jobTimeoutMs" not in client.calls[0][1].to_api_repr()
    assert client.job.result_timeout is None


def test_bigquery_client_timeout_cancels_the_job() -> None:
    job = FakeJob(error=TimeoutError("deadline"))
    adapter, _ = _bigquery(job)

    with pytest.raises(QueryTimeout) as info:
        adapter.execute("SELECT 1", timeout_s=3)

    assert job.cancelled
    assert info.value.message == (
        "query on target 'bq' (bigquery) was stopped after the 3 s statement timeout"
    )


def test_bigquery_bytes_billed_limit_is_explained() -> None:
    error = google_errors.BadRequest(  # type: ignore[no-untyped-call]
        "Query exceeded limit for bytes billed: 1000000000. 2000000000 or higher required.",
        errors=[{"reason": "bytesBilledLimitExceeded", "message": "limit"}],
    )
    adapter, _ = _bigquery(FakeJob(error=error))

    with pytest.raises(WarehouseError) as info:
        adapter.execute("SELECT 1")

    assert not isinstance(info.value, QueryTimeout)
    assert "would bill more than maximum_bytes_billed (1000000000 bytes)" in info.value.message
    assert info.value.hint is not None and "maximum_bytes_billed" in info.value.hint


def test_bigquery_columns_use_a_free_dry_run() -> None:
    adapter, client = _bigquery(FakeJob(FakeRows(SCHEMA, [])))

    columns = adapter.columns("SELECT * FROM orders")

    config = client.calls[0][1]
    assert config.dry_run is True and config.use_query_cache is False
    assert [(c.name, c.type, c.raw_type) for c in columns] == [
        ("bucket", "timestamp", "TIMESTAMP"), ("local", "timestamp", "DATETIME"),
        ("day", "timestamp", "DATE"), ("revenue", "number", "NUMERIC"),
        ("orders", "number", "INTEGER"), ("ratio", "number", "FLOAT"),
        ("paid", "bool", "BOOLEAN"), ("country", "string", "STRING"),
        ("tags", "string", "ARRAY<STRING>"),
    ]  # fmt: skip


# --- ClickHouse server (HTTP) ------------------------------------------------------------------
class FakeClickHouseClient:
    """Answers like a ClickHouse server's HTTP interface in JSONCompactEachRowWithNamesAndTypes."""

    def __init__(self, body: bytes = b"", error: Exception | None = None) -> None:
        self.body, self.error = body, error
        self.calls: list[tuple[str, dict[str, Any], str | None]] = []

    def raw_query(self, sql: str, *, settings: dict[str, Any], fmt: str | None) -> bytes:
        self.calls.append((sql, settings, fmt))
        if self.error is not None:
            raise self.error
        return self.body

    def close(self) -> None:
        pass


def _wire(names: list[str], types: list[str], rows: list[list[Any]]) -> bytes:
    return "\n".join(json.dumps(line) for line in [names, types, *rows]).encode() + b"\n"


def test_clickhouse_http_sends_timeout_and_utc_session() -> None:
    body = _wire(
        ["b", "n", "d", "t", "ny"],
        ["DateTime64(6, 'UTC')", "UInt64", "Decimal(18, 2)", "Nullable(Float64)",
         "DateTime('America/New_York')"],
        [["2024-01-01 00:00:00.000001", "18446744073709551615", 1.5, None, "2024-01-01 00:00:00"]],
    )  # fmt: skip
    client = FakeClickHouseClient(body)
    adapter = ClickHouseHttpAdapter(ProfileOutput("ch", "clickhouse", {}), client)

    result = adapter.execute("SELECT …", timeout_s=1.5)

    _, settings, fmt = client.calls[0]
    assert settings == {
        "session_timezone": "UTC",
        "max_execution_time": 1.5,
        "output_format_json_quote_denormals": 1,  # NaN as "nan", not null (a gap, not 0)
    }
    assert fmt == "JSONCompactEachRowWithNamesAndTypes"
    assert result.rows == (
        (datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC), 18446744073709551615, 1.5, None,
         datetime(2024, 1, 1, 5, tzinfo=UTC)),
    )  # fmt: skip


def test_clickhouse_http_timeout_error_is_a_query_timeout() -> None:
    error = Exception(
        "HTTPDriver received ClickHouse error code 159 Code: 159. DB::Exception: Timeout "
        "exceeded: elapsed 1.0 seconds, maximum: 1. (TIMEOUT_EXCEEDED)"
    )
    adapter = ClickHouseHttpAdapter(
        ProfileOutput("ch", "clickhouse", {}), FakeClickHouseClient(error=error)
    )

    with pytest.raises(QueryTimeout):
        adapter.execute("SELECT …", timeout_s=1)


# --- Snowflake: what the real connector is asked for ----------------------------------------------
class FakeSnowflakeCursor:
    def __init__(self, log: list[dict[str, Any]], error: Exception | None) -> None:
        self.log, self.error = log, error
        self.description: list[tuple[Any, ...]] | None = None

    def execute(self, sql: str, **kwargs: Any) -> None:
        self.log.append({"sql": sql, **kwargs})
        if self.error is not None:
            raise self.error
        self.description = [
            ("ORDERS_COUNT", 0, None, None, 38, 0, True),
            ("MixedCase", 2, None, None, None, None, True),
        ]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [(Decimal("3"), "x")]

    def close(self) -> None:
        pass


class FakeSnowflakeConnection:
    def __init__(self, error: Exception | None = None) -> None:
        self.log: list[dict[str, Any]] = []
        self.error = error

    def cursor(self) -> FakeSnowflakeCursor:
        return FakeSnowflakeCursor(self.log, self.error)

    def close(self) -> None:
        pass


def test_snowflake_per_query_timeout_and_name_folding() -> None:
    import snowflake.connector

    conn = FakeSnowflakeConnection()
    adapter = SnowflakeAdapter(ProfileOutput("sf", "snowflake", {}), conn, snowflake.connector)

    result = adapter.execute("SELECT …", timeout_s=2.2)

    assert conn.log == [{"sql": "SELECT …", "timeout": 3}]  # whole seconds, rounded up
    assert result.columns == ("orders_count", "MixedCase")
    assert result.rows == ((3.0, "x"),)


def test_snowflake_session_parameters() -> None:
    profile = ProfileOutput("sf", "snowflake", {"query_timeout_seconds": "90.5"})
    assert _session_parameters(profile) == {
        "TIMEZONE": "UTC", "QUERY_TAG": "tripl", "STATEMENT_TIMEOUT_IN_SECONDS": 91
    }  # fmt: skip
    assert "STATEMENT_TIMEOUT_IN_SECONDS" not in _session_parameters(
        ProfileOutput("sf", "snowflake", {})
    )


def test_snowflake_cancelled_statement_is_a_query_timeout() -> None:
    import snowflake.connector
    from snowflake.connector.errors import ProgrammingError

    error = ProgrammingError("SQL execution canceled", errno=604)
    adapter = SnowflakeAdapter(
        ProfileOutput("sf", "snowflake", {}), FakeSnowflakeConnection(error), snowflake.connector
    )

    with pytest.raises(QueryTimeout):
        adapter.execute("SELECT …", timeout_s=1)
