"""A `conditions:` timestamp written with a UTC offset means that instant on every engine.

Against a column without a zone, engines read an offset differently (DuckDB and PostgreSQL
dropped it, MySQL converts it), so tripl renders such a value as UTC text: every session
runs in UTC. A column declared `string` keeps the text as written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tests.support.engines import Engine, assembled_on, load_table
from tripl_cli.compiler.filters import measure_condition
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.schema import ColumnDef, ColumnType, Condition, FactTable
from tripl_cli.project.semantics import definition_hash
from tripl_cli.timegrid import Window

from .projects import counts_where, project_of

DAY = datetime(2026, 1, 5, tzinfo=UTC)
PLUS_5 = timezone(timedelta(hours=5))
MINUS_3 = timezone(timedelta(hours=-3))
#: name → (condition on `ts`, Python's reading of an aware row timestamp)
CONDITIONS: dict[str, tuple[dict[str, Any], Any]] = {
    "lt_plus5": (
        {"operator": "lt", "value": "2026-01-05T10:00:00+05:00"},
        lambda t: t < datetime(2026, 1, 5, 10, tzinfo=PLUS_5),
    ),
    "gte_z": (
        {"operator": "gte", "value": "2026-01-05T20:00:00Z"},
        lambda t: t >= datetime(2026, 1, 5, 20, tzinfo=UTC),
    ),
    "eq_minus3": (
        {"operator": "eq", "value": "2026-01-05T04:00:00-03:00"},
        lambda t: t == datetime(2026, 1, 5, 4, tzinfo=MINUS_3),
    ),
    "in_mixed": (
        {"operator": "in", "value": ["2026-01-05T08:00:00+05:00", "2026-01-05 09:00:00"]},
        lambda t: (
            t in (datetime(2026, 1, 5, 8, tzinfo=PLUS_5), datetime(2026, 1, 5, 9, tzinfo=UTC))
        ),
    ),
    "naive_is_utc": (
        {"operator": "lt", "value": "2026-01-05T05:00:00"},
        lambda t: t < datetime(2026, 1, 5, 5, tzinfo=UTC),
    ),
}


def test_offset_timestamps_mean_the_same_instant_on_every_engine(engine: Engine) -> None:
    rows = [(DAY + timedelta(hours=h),) for h in range(24)]
    table = load_table(engine, "condition_ts", [("ts", "timestamp")], rows)
    window = Window(DAY, DAY + timedelta(days=1))
    want = {
        name: float(n)
        for name, (_, reads) in CONDITIONS.items()
        if (n := sum(1 for (t,) in rows if reads(t)))
    }
    assert want == {"lt_plus5": 5.0, "gte_z": 4.0, "eq_minus3": 1.0, "in_mixed": 2.0,
                    "naive_is_utc": 5.0}  # fmt: skip
    for declared in (None, [ColumnDef(name="ts", type=ColumnType.TIMESTAMP)]):
        fact = FactTable(
            name="t", sql=f"SELECT * FROM {table}", timestamp_column="ts", columns=declared
        )
        metrics = [
            {"name": name, "kind": "fact", "fact_table": "t", "aggregation": "count",
             "conditions": [{"column": "ts", **condition}]}
            for name, (condition, _) in CONDITIONS.items()
        ]  # fmt: skip
        plan = compile_plan(
            project_of([fact], *metrics), list(CONDITIONS), dialect=engine.name, window_for=window
        )
        got = {v.metric: v.value for v in assembled_on(engine, plan)}
        assert got == want, f"columns declared: {declared is not None}"


def test_a_date_column_declared_a_timestamp_is_its_midnight_on_every_engine(
    engine: Engine,
) -> None:
    # Text against a DATE was cast to a date on DuckDB, PostgreSQL and Snowflake (the time
    # dropped), and compared as an instant on MySQL and ClickHouse: counts differed.
    rows = [(DAY + timedelta(hours=h),) for h in range(0, 72, 6)]  # Jan 5, 6, 7: 4 rows each
    table = load_table(engine, "condition_date", [("ts", "timestamp")], rows)
    fact = FactTable(
        name="t",
        sql=f"SELECT ts, CAST(ts AS DATE) AS d FROM {table}",
        timestamp_column="ts",
        columns=[ColumnDef(name="d", type=ColumnType.TIMESTAMP)],
    )
    conditions = {  # name → (operator, value, Python's reading of the row's date)
        "lt_noon": ("lt", "2026-01-06T12:00:00", lambda d: d < datetime(2026, 1, 6, 12)),
        "gte_noon": ("gte", "2026-01-06T12:00:00Z", lambda d: d >= datetime(2026, 1, 6, 12)),
        "gt_midnight": ("gt", "2026-01-06", lambda d: d > datetime(2026, 1, 6)),
        "eq_midnight": ("eq", "2026-01-06 00:00:00", lambda d: d == datetime(2026, 1, 6)),
    }
    on_d = {n: {"column": "d", "operator": op, "value": v} for n, (op, v, _) in conditions.items()}
    window = Window(DAY, DAY + timedelta(days=3))
    plan = compile_plan(
        counts_where(fact, on_d), list(on_d), dialect=engine.name, window_for=window
    )
    got: dict[str, float] = {}
    for v in assembled_on(engine, plan):
        got[v.metric] = got.get(v.metric, 0.0) + (v.value or 0.0)
    midnights = [datetime(t.year, t.month, t.day) for (t,) in rows]
    want = {name: float(sum(map(reads, midnights))) for name, (_, _, reads) in conditions.items()}
    assert want == {"lt_noon": 8.0, "gte_noon": 4.0, "gt_midnight": 4.0, "eq_midnight": 4.0}
    assert got == want


def _rendered(value: str, column_type: ColumnType | None) -> str:
    columns = [ColumnDef(name="ts", type=ColumnType.TIMESTAMP)]
    if column_type is not None:
        columns.append(ColumnDef(name="c", type=column_type))
    fact = FactTable(name="t", sql="SELECT * FROM x", timestamp_column="ts", columns=columns)
    condition = Condition.model_validate({"column": "c", "operator": "eq", "value": value})
    found = measure_condition(
        fact, filters=[], where=None, conditions=[condition], dialect="duckdb"
    )
    assert found is not None
    return found.expression.sql(dialect="duckdb")


def test_which_values_are_converted() -> None:
    offset = "2026-01-05T10:00:00+05:00"
    # A column declared a timestamp gets a typed literal (a DATE is then its midnight).
    typed = "c = CAST('2026-01-05 05:00:00.000000' AS TIMESTAMP)"
    assert _rendered(offset, ColumnType.TIMESTAMP) == typed
    assert _rendered(offset, None) == "c = '2026-01-05 05:00:00'"
    assert _rendered(offset, ColumnType.STRING) == f"c = '{offset}'"  # text, as written
    # Compact and week forms only where the column is declared a timestamp: in a column of
    # unknown type, `20260105T120000Z` is more likely an identifier.
    noon = "c = CAST('2026-01-05 12:00:00.000000' AS TIMESTAMP)"
    assert _rendered("20260105T120000Z", ColumnType.TIMESTAMP) == noon
    assert _rendered("20260105T120000Z", None) == "c = '20260105T120000Z'"
    # Moved past the calendar's ends by its offset: left as written, never a crash.
    for edge in ("9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+01:00"):
        assert _rendered(edge, ColumnType.TIMESTAMP) == f"c = '{edge}'"
        assert _rendered(edge, None) == f"c = '{edge}'"


def test_the_definition_hash_is_taken_over_the_instant() -> None:
    """Two spellings of one instant are one definition; a text column keeps them apart."""

    def hash_of(value: str, column_type: ColumnType) -> str:
        fact = FactTable(
            name="t",
            sql="SELECT * FROM x",
            timestamp_column="ts",
            columns=[ColumnDef(name="c", type=column_type)],
        )
        metric = {"name": "m", "kind": "fact", "fact_table": "t", "aggregation": "count",
                  "conditions": [{"column": "c", "operator": "lt", "value": value}]}  # fmt: skip
        project = project_of([fact], metric)
        return definition_hash(project, project.metrics["m"])

    plus5, utc = "2026-01-05T10:00:00+05:00", "2026-01-05T05:00:00Z"
    assert hash_of(plus5, ColumnType.TIMESTAMP) == hash_of(utc, ColumnType.TIMESTAMP)
    assert hash_of(plus5, ColumnType.STRING) != hash_of(utc, ColumnType.STRING)


def test_clickhouse_reads_condition_timestamps_as_utc_in_a_zoned_or_date_column(
    engine_factory: Callable[[str], Engine],
) -> None:
    # ClickHouse reads a text literal in the column's own zone, whatever the session's, and
    # refuses one with a time against a Date32: tripl writes a typed UTC timestamp there.
    engine = engine_factory("clickhouse")
    rows = [(DAY + timedelta(hours=h),) for h in range(48)]
    table = load_table(engine, "condition_ts_zoned", [("ts", "timestamp")], rows)
    fact = FactTable(
        name="t",
        sql="SELECT toDateTime64(u, 6, 'Asia/Kolkata') AS ts, toDate32(u) AS d,"
        " formatDateTime(u, '%Y-%m-%d %H:%i:%S') AS label"
        f" FROM (SELECT ts AS u FROM {table})",
        timestamp_column="ts",
        columns=[ColumnDef(name="d", type=ColumnType.TIMESTAMP)],
    )
    conditions = {
        "from_noon_utc": ("ts", "gte", "2026-01-05T12:00:00Z"),
        "before_5_naive": ("ts", "lt", "2026-01-05 05:00:00"),  # the timestamp column
        "in_kolkata": ("ts", "in", ["2026-01-05T12:00:00+05:30", "2026-01-06T00:00:00Z"]),
        "date_after": ("d", "gte", "2026-01-05T23:30:00Z"),
        # A column of unknown type may be text: its values stay text literals (a DateTime64
        # against a String fails, or matches nothing in an IN list).
        "text_label": ("label", "eq", "2026-01-05T10:00:00Z"),
    }
    metrics = [
        {"name": name, "kind": "fact", "fact_table": "t", "aggregation": "count",
         "conditions": [{"column": column, "operator": op, "value": value}]}
        for name, (column, op, value) in conditions.items()
    ]  # fmt: skip
    window = Window(DAY, DAY + timedelta(days=2))
    plan = compile_plan(
        project_of([fact], *metrics), list(conditions), dialect="clickhouse", window_for=window
    )
    got = {v.metric: v.value for v in assembled_on(engine, plan) if v.bucket == DAY}
    got_next = {v.metric: v.value for v in assembled_on(engine, plan) if v.bucket > DAY}
    # Python's reading, per UTC day: Jan 5 12:00..23:00 (12 rows), 00:00..04:00 (5), 06:30
    # UTC is no row and Jan 6 00:00 is one (the next day), a date is its midnight in UTC.
    assert got == {"from_noon_utc": 12.0, "before_5_naive": 5.0, "text_label": 1.0}
    assert got_next == {"from_noon_utc": 24.0, "in_kolkata": 1.0, "date_after": 24.0}
