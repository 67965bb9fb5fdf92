"""The benchmark's generated `orders` fact table, made inside each engine (no Python rows).

90 days from 2026-01-01, deterministic: DuckDB derives every value from `hash(row, k)`;
PostgreSQL from `random()` after `setseed()` in one statement.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)  # 90 days
#: The benchmarks' PostgreSQL (the machine's local server, trust auth).
POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}

_DUCKDB = """
CREATE OR REPLACE TABLE orders AS
SELECT
  TIMESTAMP '2026-01-01' + to_microseconds((hash(i, 1) % 7776000000000)::BIGINT) AS ts,
  (hash(i, 2) % 200000)::BIGINT AS user_id,
  CASE WHEN hash(i, 3) % 20 = 0 THEN NULL ELSE (hash(i, 4) % 40000) / 100.0 END AS amount,
  ['completed', 'completed', 'completed', 'refunded', 'pending'][1 + (hash(i, 5) % 5)::BIGINT]
    AS status,
  ['us', 'us', 'us', 'de', 'de', 'fr', 'gb', 'br', 'in', 'jp', 'es', 'it']
    [1 + (hash(i, 6) % 12)::BIGINT] AS country,
  ['ios', 'android', 'web'][1 + (hash(i, 7) % 3)::BIGINT] AS platform,
  hash(i, 8) % 10 = 0 AS flagged
FROM range({rows}) AS t (i)
"""

_POSTGRES = """
CREATE TABLE {table} AS
SELECT
  TIMESTAMP '2026-01-01' + floor(random() * 7776000000000) * INTERVAL '1 microsecond' AS ts,
  floor(random() * 200000)::BIGINT AS user_id,
  CASE WHEN random() < 0.05 THEN NULL ELSE floor(random() * 40000) / 100.0 END::DOUBLE PRECISION
    AS amount,
  (ARRAY['completed', 'completed', 'completed', 'refunded', 'pending'])
    [1 + floor(random() * 5)::INT] AS status,
  (ARRAY['us', 'us', 'us', 'de', 'de', 'fr', 'gb', 'br', 'in', 'jp', 'es', 'it'])
    [1 + floor(random() * 12)::INT] AS country,
  (ARRAY['ios', 'android', 'web'])[1 + floor(random() * 3)::INT] AS platform,
  random() < 0.1 AS flagged
FROM generate_series(1, {rows})
"""


def make_duckdb(path: Path, rows: int) -> None:
    import duckdb

    with duckdb.connect(str(path)) as conn:
        conn.execute(_DUCKDB.format(rows=rows))
        conn.execute("CHECKPOINT")


def make_postgres(conninfo: dict[str, object], schema: str, rows: int) -> str:
    """Create `schema.orders`; returns its qualified name (drop the schema when done)."""
    import psycopg

    table = f"{schema}.orders"
    with psycopg.connect(autocommit=True, **conninfo) as conn:  # type: ignore[arg-type]
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute("SELECT setseed(0.42)")
        conn.execute(_POSTGRES.format(table=table, rows=rows))
        conn.execute(f"ANALYZE {table}")
    return table


def drop_postgres(conninfo: dict[str, object], schema: str) -> None:
    import psycopg

    with psycopg.connect(autocommit=True, **conninfo) as conn:  # type: ignore[arg-type]
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
