"""Every executable dialect's bucket SQL equals Python's `floor_to_bucket`, on the real engine.

Hypothesis draws batches of microsecond timestamps (uniform ones, exact bucket boundaries and
boundary ± 1 µs, 1970–2100, and 1900–1970 where the engine's type reaches); each batch is
loaded into a real table and bucketed for every interval in one query per engine. The same
batch checks the typed UTC literals: they read back as the same instant and select exactly
the rows Python puts in a half-open window. The conditional-aggregate and breakdown rules are
checked on every engine too ("NULL means gap" needs them).

Engines: the shared harness (tests/support/engines.py: DuckDB, PostgreSQL, MariaDB, chdb,
fakesnow — naive UTC columns, sessions pinned to UTC by the adapters), plus our own DuckDB and
PostgreSQL connections with zone-aware and naive columns under a non-UTC session time zone,
which proves the bucket forms do not depend on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from tests.support.engines import POSTGRES, Engine, load_table, unavailable
from tripl_cli.compiler.dialects import TimestampType, rules_for
from tripl_cli.project.schema import Aggregation, ColumnType
from tripl_cli.timegrid import EPOCH, Interval, floor_to_bucket

LOW_1970 = datetime(1970, 1, 1, tzinfo=UTC)
LOW_1900 = datetime(1900, 1, 1, tzinfo=UTC)
HIGH = datetime(2100, 1, 1, tzinfo=UTC)
NON_UTC_SESSION = "America/New_York"  # DST and a negative offset: a wrong zone shows


def utc(value: Any) -> datetime:
    """A returned bucket/literal as an aware UTC datetime; anything else fails the test."""
    if isinstance(value, date) and not isinstance(value, datetime):
        pytest.fail(f"engine returned a DATE {value!r} where a timestamp was expected")
    assert isinstance(value, datetime), f"not a timestamp: {value!r}"
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --------------------------------------------------------------------------- targets
@dataclass
class Target:
    """A table whose `ts` column has one engine's timestamp type, and how to query it."""

    name: str
    dialect: str
    low: datetime  # earliest timestamp this column type (and bucket rule) supports
    hint: TimestampType | None  # what the builder would pass as column_type
    load: Callable[[Sequence[tuple[int, datetime]]], str]  # rows (id, ts) -> table name
    query: Callable[[str], list[tuple[Any, ...]]]


def _harness_target(engine: Engine, low: datetime) -> Target:
    def load(rows: Sequence[tuple[int, datetime]]) -> str:
        return load_table(engine, "bucket_prop", [("id", "int"), ("ts", "timestamp")], rows)

    def query(sql: str) -> list[tuple[Any, ...]]:
        return list(engine.adapter.execute(sql).rows)

    return Target(engine.name, engine.dialect, low, None, load, query)


def _duckdb_target(column_type: str) -> Iterator[Target]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{NON_UTC_SESSION}'")
    con.execute(f"CREATE TABLE t (id BIGINT, ts {column_type})")

    def load(rows: Sequence[tuple[int, datetime]]) -> str:
        con.execute("DELETE FROM t")
        # Aware datetimes are instants for TIMESTAMPTZ; naive UTC wall clocks for TIMESTAMP.
        zoned = column_type == "TIMESTAMPTZ"
        con.executemany(
            "INSERT INTO t VALUES (?, ?)",
            [(i, ts if zoned else ts.replace(tzinfo=None)) for i, ts in rows],
        )
        return "t"

    def query(sql: str) -> list[tuple[Any, ...]]:
        return con.execute(sql).fetchall()

    zoned = TimestampType.ZONED if column_type == "TIMESTAMPTZ" else TimestampType.NAIVE
    yield Target(f"duckdb-{column_type.lower()}-ny", "duckdb", LOW_1900, zoned, load, query)
    con.close()


def _postgres_target(column_type: str) -> Iterator[Target]:
    import psycopg

    try:
        con = psycopg.connect(autocommit=True, connect_timeout=5, **POSTGRES)  # type: ignore[arg-type]
    except psycopg.OperationalError as exc:
        unavailable(f"postgres unreachable: {' '.join(str(exc).split())}")
        raise
    con.execute(f"SET TimeZone = '{NON_UTC_SESSION}'")
    con.execute(f"CREATE TEMPORARY TABLE t (id BIGINT, ts {column_type}(6))")

    def load(rows: Sequence[tuple[int, datetime]]) -> str:
        con.execute("TRUNCATE t")
        zoned = column_type == "timestamptz"
        with con.cursor() as cur:
            cur.executemany(
                "INSERT INTO t VALUES (%s, %s)",
                [(i, ts if zoned else ts.replace(tzinfo=None)) for i, ts in rows],
            )
        return "t"

    def query(sql: str) -> list[tuple[Any, ...]]:
        return list(con.execute(sql).fetchall())

    zoned = TimestampType.ZONED if column_type == "timestamptz" else TimestampType.NAIVE
    yield Target(f"postgres-{column_type}-ny", "postgres", LOW_1900, zoned, load, query)
    con.close()


_HARNESS_LOW = {
    "duckdb": LOW_1900,
    "postgres": LOW_1900,
    "mysql": LOW_1900,  # DATETIME(6) reaches back to 1000
    "clickhouse": LOW_1900,  # DateTime64 reaches back to 1900
    "snowflake": LOW_1900,
}
_OWN = {
    "duckdb-timestamptz-ny": lambda: _duckdb_target("TIMESTAMPTZ"),
    "duckdb-timestamp-ny": lambda: _duckdb_target("TIMESTAMP"),
    "postgres-timestamptz-ny": lambda: _postgres_target("timestamptz"),
    "postgres-timestamp-ny": lambda: _postgres_target("timestamp"),
}
TARGETS = [*_HARNESS_LOW, *_OWN]


@pytest.fixture(scope="module", params=TARGETS)
def target(
    request: pytest.FixtureRequest, engine_factory: Callable[[str], Engine]
) -> Iterator[Target]:
    name: str = request.param
    if name in _HARNESS_LOW:
        yield _harness_target(engine_factory(name), _HARNESS_LOW[name])
        return
    yield from _OWN[name]()


# ------------------------------------------------------------------------ strategies
def _from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def _micros(ts: datetime) -> int:
    delta = ts - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def timestamps(low: datetime) -> st.SearchStrategy[datetime]:
    """Uniform instants, and bucket boundaries of every interval exactly and ± 1 µs."""
    micros = st.integers(_micros(low), _micros(HIGH) - 1)
    uniform = micros.map(_from_micros)
    boundary = st.builds(
        lambda m, iv, nudge: floor_to_bucket(_from_micros(m), iv) + timedelta(microseconds=nudge),
        micros,
        st.sampled_from(list(Interval)),
        st.sampled_from([0, -1, 1]),
    ).filter(lambda ts: low <= ts < HIGH)
    return st.one_of(uniform, boundary)


def batches(low: datetime) -> st.SearchStrategy[list[datetime]]:
    return st.lists(timestamps(low), min_size=2, max_size=40)


EDGES = [
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(1970, 1, 4, 23, 59, 59, 999999, tzinfo=UTC),  # last µs before the first Monday
    datetime(1970, 1, 5, tzinfo=UTC),  # the week origin
    datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=UTC),  # US DST switch (02:00 EST)
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 59, 59, 999999, tzinfo=UTC),  # US DST end (02:00 EDT)
    datetime(2026, 12, 27, 23, 59, 59, 999999, tzinfo=UTC),  # a Sunday: MySQL WEEK() trap
    datetime(2026, 12, 28, tzinfo=UTC),
    datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]
PRE_1970_EDGES = [
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1969, 12, 29, tzinfo=UTC),  # a Monday before the origin
    datetime(1969, 12, 28, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1900, 1, 1, 0, 14, 59, 999999, tzinfo=UTC),
]


# --------------------------------------------------------------------------- checks
def check_buckets(target: Target, batch: Sequence[datetime]) -> None:
    rules = rules_for(target.dialect)
    rows = list(enumerate(batch))
    table = target.load(rows)
    ts = exp.column("ts")
    select = exp.select(
        exp.column("id"),
        ts.copy(),
        *(
            exp.alias_(rules.bucket(ts, iv, column_type=target.hint), f"b_{iv.name}")
            for iv in Interval
        ),
    )
    sql = rules.render(select.from_(table).order_by("id"))
    result = target.query(sql)
    assert [r[0] for r in result] == [i for i, _ in rows], "every loaded row comes back once"
    for (row_id, stored, *buckets), (_, expected_ts) in zip(result, rows, strict=True):
        # The load must be exact, or a wrong bucket would be the loader's fault, not the rule's.
        assert utc(stored) == expected_ts, f"row {row_id} loaded wrong"
        got = {iv: utc(b) for iv, b in zip(Interval, buckets, strict=True)}
        want = {iv: floor_to_bucket(expected_ts, iv) for iv in Interval}
        assert got == want, f"{target.name}: bucket of {expected_ts.isoformat()}\n{sql}"


def check_literals(target: Target, batch: Sequence[datetime]) -> None:
    """Literals read back as the same instant and bound a half-open window exactly."""
    rules = rules_for(target.dialect)
    literals = [rules.timestamp_literal(ts, column_type=target.hint) for ts in batch]
    sql = rules.render(exp.select(*(exp.alias_(lit, f"l{i}") for i, lit in enumerate(literals))))
    (row,) = target.query(sql)
    assert [utc(v) for v in row] == list(batch), sql

    table = target.load(list(enumerate(batch)))
    start, end = sorted(batch[:2])
    ts = exp.column("ts")
    where = exp.and_(
        exp.GTE(this=ts.copy(), expression=rules.timestamp_literal(start, column_type=target.hint)),
        exp.LT(this=ts.copy(), expression=rules.timestamp_literal(end, column_type=target.hint)),
    )
    count = exp.select(exp.alias_(exp.Count(this=exp.Star()), "n")).from_(table).where(where)
    ((n,),) = target.query(rules.render(count))
    assert n == sum(start <= t < end for t in batch), rules.render(count)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_bucket_sql_equals_floor_to_bucket(target: Target, data: st.DataObject) -> None:
    batch = data.draw(batches(target.low), label="timestamps")
    check_buckets(target, batch)
    check_literals(target, batch)


def test_bucket_sql_on_edge_timestamps(target: Target) -> None:
    edges = EDGES + (PRE_1970_EDGES if target.low < LOW_1970 else [])
    check_buckets(target, edges)
    check_literals(target, edges)


# ----------------------------------------------------- conditional aggregates, breakdowns
def test_conditional_aggregates_tell_gap_from_zero(engine: Engine) -> None:
    """Bucket A has matching rows (with a 0 and a NULL measure); bucket B has none.

    A filtered count(*) is the match count (0 in B → gap, 2 in A), every other filtered
    aggregate is NULL in B, count_distinct is exact, and the breakdown value of NULL is ''.
    """
    target = _harness_target(engine, LOW_1900)
    rules = rules_for(target.dialect)
    day_a, day_b = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC)
    # ids double as the measure: 0 and 1 (in A) match `id < 2`, 5 and 7 (in B) do not;
    # the measure is NULL for id 1, so A's filtered sum/avg/min see just the 0.
    table = target.load([(0, day_a), (1, day_a + timedelta(hours=1)), (5, day_b), (7, day_b)])
    ts, ident = exp.column("ts"), exp.column("id")
    matches = exp.LT(this=ident.copy(), expression=exp.Literal.number(2))
    measure = exp.Case(
        ifs=[
            exp.If(
                this=exp.EQ(this=ident.copy(), expression=exp.Literal.number(1)), true=exp.Null()
            )
        ],
        default=ident.copy(),
    )
    bucket = rules.bucket(ts, Interval.D1)
    aggregates = [
        exp.alias_(rules.conditional(Aggregation.COUNT, None, matches), "n"),
        exp.alias_(rules.conditional(Aggregation.COUNT, measure, matches), "n_measure"),
        exp.alias_(rules.conditional(Aggregation.SUM, measure, matches), "s"),
        exp.alias_(rules.conditional(Aggregation.AVG, measure, matches), "a"),
        exp.alias_(rules.conditional(Aggregation.MIN, ident, matches), "lo"),
        exp.alias_(rules.conditional(Aggregation.MAX, ident, matches), "hi"),
        exp.alias_(rules.conditional(Aggregation.COUNT_DISTINCT, ident, matches), "d"),
        exp.alias_(rules.conditional(Aggregation.COUNT_DISTINCT, ident, None), "d_all"),
        exp.alias_(rules.conditional(Aggregation.SUM, ident, None), "s_all"),
    ]
    select = exp.select(exp.alias_(bucket, "bucket"), *aggregates).from_(table)
    sql = rules.render(select.group_by(exp.Literal.number(1)).order_by(exp.Literal.number(1)))
    rows = [tuple(_plain(v) for v in r) for r in target.query(sql)]
    assert rows == [
        (day_a, 2, 1, 0.0, 0.0, 0, 1, 2, 2, 1.0),
        (day_b, 0, 0, None, None, None, None, 0, 2, 12.0),
    ], sql


def test_breakdown_value_is_text_and_null_is_empty(engine: Engine) -> None:
    target = _harness_target(engine, LOW_1900)
    rules = rules_for(target.dialect)
    table = target.load([(7, datetime(2026, 1, 5, tzinfo=UTC))])
    null_int = exp.Case(
        ifs=[
            exp.If(
                this=exp.EQ(this=exp.column("id"), expression=exp.Literal.number(7)),
                true=exp.Null(),
            )
        ],
        default=exp.column("id"),
    )
    select = exp.select(
        exp.alias_(rules.coalesce_breakdown(exp.column("id")), "v"),
        exp.alias_(rules.coalesce_breakdown(null_int), "empty"),
    ).from_(table)
    assert target.query(rules.render(select)) == [("7", "")]


def test_breakdown_values_group_byte_for_byte(engine: Engine) -> None:
    """'a', 'a ' and 'A' are three series on every engine (MySQL's binary collation pads,
    so 'a' and 'a ' were one there, named after whichever came first); NULL is ''."""
    target = _harness_target(engine, LOW_1900)
    rules = rules_for(target.dialect)
    texts = ["a", "a ", "A", "a ", "é", "", None, "a"]
    table = load_table(engine, "padded_breakdown", [("id", "int"), ("s", "string")],
                       list(enumerate(texts)))  # fmt: skip
    value = rules.coalesce_breakdown(exp.column("s"))
    select = (
        exp.select(exp.alias_(value, "v"), exp.alias_(exp.Count(this=exp.Star()), "n"))
        .from_(table)
        .group_by(exp.Literal.number(1))
    )
    got = sorted((str(v), int(n)) for v, n in target.query(rules.render(select)))
    assert got == [("", 2), ("A", 1), ("a", 2), ("a ", 2), ("é", 1)]


def test_typed_breakdown_values_are_spelled_alike_on_every_engine(engine: Engine) -> None:
    """A declared bool, number or timestamp column's values read the same everywhere: no
    '1' for true (MySQL), no '20.0' (DuckDB), no '.000000' (MySQL, ClickHouse)."""
    target = _harness_target(engine, LOW_1900)
    rules = rules_for(target.dialect)
    at = datetime(2026, 1, 5, 6, 7, 8, tzinfo=UTC)
    rows = [
        (1, 20.0, True, at, 3),
        (2, 0.1, False, at.replace(microsecond=123456), -4),
        (3, 1 / 3, None, at.replace(microsecond=120000), 2**40),
        (4, -7.0, True, datetime(1999, 12, 31, tzinfo=UTC), 0),
        (5, 2.5, False, datetime(1950, 6, 1, 23, 59, 59, 999999, tzinfo=UTC), None),
        (6, None, True, None, 1),
        (7, 1e15, None, None, -(2**63)),  # ±10¹⁵ still whole; ABS(-2⁶³) would overflow
        (8, -1e15, None, None, 2**63 - 1),
    ]
    columns = [("id", "int"), ("f", "number"), ("b", "bool"), ("ts", "timestamp"), ("i", "int")]
    table = load_table(engine, "typed_breakdown", columns, rows)
    declared = {
        "f": ColumnType.NUMBER, "b": ColumnType.BOOL, "ts": ColumnType.TIMESTAMP,
        "i": ColumnType.NUMBER,
    }  # fmt: skip
    values = [
        exp.alias_(rules.coalesce_breakdown(exp.column(c), t), c) for c, t in declared.items()
    ]
    sql = rules.render(exp.select(exp.column("id"), *values).from_(table).order_by("id"))
    got = [tuple(r[1:]) for r in target.query(sql)]
    # Beyond ±10¹⁵ a number keeps its engine's DOUBLE text ('-9.223372036854776e+18' on
    # PostgreSQL, …e18 elsewhere): the same value, spelled the engine's way.
    assert [float(r[3]) for r in got[6:]] == [-(2.0**63), 2.0**63], sql
    assert [tuple(r[:3]) for r in got[6:]] == [
        ("1000000000000000", "", ""),
        ("-1000000000000000", "", ""),
    ], sql
    assert got[:6] == [
        ("20", "true", "2026-01-05 06:07:08", "3"),
        ("0.1", "false", "2026-01-05 06:07:08.123456", "-4"),
        ("0.3333333333333333", "", "2026-01-05 06:07:08.12", "1099511627776"),
        ("-7", "true", "1999-12-31 00:00:00", "0"),
        ("2.5", "false", "1950-06-01 23:59:59.999999", ""),
        ("", "true", "", "1"),
    ], sql


def _plain(value: Any) -> Any:
    """Numbers as float (engines differ in int/decimal types), NaN is a failure, dates UTC."""
    if isinstance(value, datetime):
        return utc(value)
    if value is None or isinstance(value, str):
        return value
    number = float(value)
    assert not math.isnan(number), "NaN where NULL was expected"
    return number
