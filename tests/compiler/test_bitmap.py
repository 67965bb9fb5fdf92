"""BITMAP distinct counts: where the form exists, what its probe decides, who runs it.

That the BITMAP SQL returns the reference values is proven by test_execution.py (every
engine, and the variants of DuckDB's own plan); here: its limits and the probe's choice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest

from tests.compiler.projects import project_of
from tripl_cli.compiler.bitmap import PROBED_MIN_BUCKETS, bucket_slots
from tripl_cli.compiler.dialects import DistinctStrategy, Shapes, rules_for
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.model import Project
from tripl_cli.project.schema import FactTable
from tripl_cli.timegrid import Interval, Window

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
DUCKDB = rules_for("duckdb")


def _days(n: int) -> Window:
    return Window(START, START + timedelta(days=n))


@pytest.mark.parametrize(("days", "fits"), [(0, False), (1, False), (2, True), (128, True),
                                            (129, False)])  # fmt: skip
def test_a_window_gets_a_bitmap_only_if_its_buckets_fit_one(days: int, fits: bool) -> None:
    slots = bucket_slots("ts", _days(days), Interval.D1, DUCKDB)
    assert (slots is not None) is fits
    if slots is not None:
        assert (slots.origin, slots.count) == (START, days)


def test_bitmap_slots_start_at_the_first_bucket_and_need_a_bitmap_type() -> None:
    window = Window(START + timedelta(days=2), START + timedelta(days=16))  # a Wednesday
    slots = bucket_slots("ts", window, Interval.W1, DUCKDB)
    assert slots is not None and (slots.origin, slots.count) == (START, 3)
    assert bucket_slots("ts", _days(7), Interval.D1, rules_for("postgres")) is None
    assert bucket_slots("ts", _days(7), Interval.D1, rules_for("clickhouse")) is None


def _project(rows_sql: str, *metrics: dict[str, Any]) -> Project:
    return project_of([FactTable(name="t", sql=rows_sql, timestamp_column="ts")], *metrics)


def _metric(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "kind": "fact", "fact_table": "t", "aggregation": "count", **kw}


USERS = _metric("users", aggregation="count_distinct", column="v")
PAID_USERS = _metric("paid_users", aggregation="count_distinct", column="v", where="paid")


def _plan(project: Project, window: Window, dialect: str = "duckdb", **kw: Any) -> Any:
    return compile_plan(project, list(project.metrics), dialect=dialect, window_for=window, **kw)


def test_only_aggregate_queries_with_distinct_counts_get_the_variant() -> None:
    project = _project(
        "SELECT * FROM t",
        USERS,
        _metric("n", breakdowns=["c"]),
        _metric("users_by_c", aggregation="count_distinct", column="v", breakdowns=["c"]),
    )
    by_id = {q.id: q for q in _plan(project, _days(30)).queries}
    assert by_id["t__1d"].variant is not None and by_id["t__1d"].variant.shape == "bitmap"
    assert by_id["t__1d__c"].variant is None  # breakdown queries keep PREAGGREGATE
    assert all(q.variant is None for q in _plan(_project("SELECT * FROM t", _metric("n")),
                                                _days(30)).queries)  # fmt: skip
    assert all(q.variant is None for q in _plan(project, _days(30), "postgres").queries)
    # A forced shape (benchmarks, tests) is compiled as asked, without a probe.
    forced = _plan(project, _days(30), shapes=Shapes(distinct=DistinctStrategy.PREAGGREGATE))
    assert all(q.variant is None for q in forced.queries)


@pytest.mark.parametrize(("days", "probed"), [(1, False), (15, False), (16, True), (128, True),
                                              (129, False)])  # fmt: skip
def test_only_windows_worth_a_probe_get_the_variant(days: int, probed: bool) -> None:
    """Below PROBED_MIN_BUCKETS the probe costs what the bitmap could gain (scheduled runs)."""
    assert PROBED_MIN_BUCKETS == 16
    (query,) = _plan(_project("SELECT * FROM t", USERS), _days(days)).queries
    assert (query.variant is not None) is probed


@pytest.fixture
def probe_short_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Variants on this module's 7-day data: its tests are about their values."""
    monkeypatch.setattr("tripl_cli.compiler.bitmap.PROBED_MIN_BUCKETS", 2)


def _rows_sql(rows: list[tuple[int, int, bool]]) -> str:
    """`(day, value, paid)` rows as an inline VALUES table over the 7 days from START."""
    values = ", ".join(
        f"(TIMESTAMP '2026-01-{5 + day:02d} {(i % 24):02d}:00:00', {v}, {str(p).upper()})"
        for i, (day, v, p) in enumerate(rows)
    )
    return f"SELECT * FROM (VALUES {values}) AS r (ts, v, paid)"


def _expected(rows: list[tuple[int, int, bool]]) -> dict[int, tuple[int, int]]:
    """Per day: (distinct values, distinct paid values), in plain Python."""
    every: dict[int, set[int]] = defaultdict(set)
    paid: dict[int, set[int]] = defaultdict(set)
    for day, v, p in rows:
        every[day].add(v)
        if p:
            paid[day].add(v)
    return {day: (len(every[day]), len(paid[day])) for day in every}


RECURRING = [(day, user, (user + day) % 3 == 0) for day in range(7) for user in range(5)] * 2
ONE_OFF = [(day, day * 100 + i, i % 2 == 0) for day in range(7) for i in range(8)]


@pytest.mark.parametrize(("rows", "taken"), [(RECURRING, True), (ONE_OFF, False)],
                         ids=["recurring-values", "one-off-values"])  # fmt: skip
@pytest.mark.usefixtures("probe_short_windows")
def test_the_probe_takes_the_bitmap_only_where_values_recur(
    rows: list[tuple[int, int, bool]], taken: bool
) -> None:
    """5 users on each of 7 days: 5 × 7 expanded rows ≤ 2 × 35 (day, user) pairs; 56 one-off
    ids: 56 × 7 > 2 × 56 pairs."""
    plan = _plan(_project(_rows_sql(rows), USERS, PAID_USERS), _days(7))
    (query,) = plan.queries
    assert query.variant is not None
    conn = duckdb.connect()
    assert conn.execute(query.variant.probe_sql).fetchall() == [(taken,)]
    column = {o.metric: o.value.value for o in plan.outputs}
    want = _expected(rows)
    for sql in (query.sql, query.variant.sql):  # both forms are right, whichever is taken
        result = conn.execute(sql)
        names = [d[0] for d in result.description]
        got = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        assert {
            (r["bucket"] - START.replace(tzinfo=None)).days: (
                r[column["users"]],
                r[column["paid_users"]],
            )
            for r in got
        } == want


@pytest.mark.parametrize("interval", [Interval.M15, Interval.H6, Interval.D1, Interval.W1])
@pytest.mark.parametrize("column_type", ["TIMESTAMP", "TIMESTAMPTZ"])
def test_bitmap_buckets_equal_the_time_grid_across_the_epoch(
    interval: Interval, column_type: str
) -> None:
    """Forced BITMAP on DuckDB vs plain Python over `floor_to_bucket`: timestamps on both
    sides of 1970-01-01 (and of the weeks' Monday origin), a window starting mid-bucket."""
    import random

    from tripl_cli.timegrid import floor_to_bucket

    rng = random.Random(7)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    width = interval.delta
    start = (
        epoch
        - width * 20
        + timedelta(microseconds=rng.randrange(int(width / timedelta(microseconds=1))))
    )
    end = start + width * 40
    span = int((end - start) / timedelta(microseconds=1))
    rows = [
        (start + timedelta(microseconds=rng.randrange(span)), rng.randrange(6), rng.random() < 0.5)
        for _ in range(300)
    ]
    values = ", ".join(
        f"(CAST('{ts:%Y-%m-%d %H:%M:%S.%f}' AS {column_type}), {v}, {str(p).upper()})"
        for ts, v, p in rows
    )
    project = _project(f"SELECT * FROM (VALUES {values}) AS r (ts, v, paid)", USERS, PAID_USERS)
    metrics = project.metrics
    for name in metrics:  # the interval under test
        metrics[name] = metrics[name].model_copy(update={"interval": interval})
    window = Window(start, end)
    forced = Shapes(distinct=DistinctStrategy.BITMAP)
    plan = _plan(project, window, shapes=forced)
    (query,) = plan.queries
    assert "tripl_bitmaps" in query.sql
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    result = conn.execute(query.sql)
    names = [d[0] for d in result.description]
    column = {o.metric: o.value.value for o in plan.outputs}
    got = {}
    for row in result.fetchall():
        r = dict(zip(names, row, strict=True))
        got[r["bucket"].replace(tzinfo=UTC)] = (
            r[column["users"]] or 0,
            r[column["paid_users"]] or 0,
        )
    every: dict[datetime, set[int]] = defaultdict(set)
    paid: dict[datetime, set[int]] = defaultdict(set)
    for ts, v, p in rows:
        bucket = floor_to_bucket(ts, interval)
        every[bucket].add(v)
        if p:
            paid[bucket].add(v)
    assert got == {b: (len(every[b]), len(paid[b])) for b in every}


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ("tripl_bit", "tripl_bit = 1"),  # user columns named like tripl's own
        ("tripl_value", "tripl_value = 1"),
        ("s", "s.a = 1"),  # a struct field
    ],
)
@pytest.mark.usefixtures("probe_short_windows")
def test_the_bitmap_form_reads_filters_over_the_users_columns(extra: str, where: str) -> None:
    """Filters are evaluated over `src`: none of tripl's names shadows a user's column."""
    flag = "{'a': v % 2}" if extra == "s" else "v % 2"
    rows_sql = (
        f"SELECT TIMESTAMP '2026-01-05' + INTERVAL (i % 7) DAY AS ts, i % 5 AS v, {flag} AS {extra}"
        " FROM range(70) AS r (i)"
    )
    odd = _metric("odd_users", aggregation="count_distinct", column="v", where=where)
    plan = _plan(_project(rows_sql, USERS, odd), _days(7))
    (query,) = plan.queries
    assert query.variant is not None
    conn = duckdb.connect()
    column = {o.metric: o.value.value for o in plan.outputs}
    for sql in (query.sql, query.variant.sql):
        result = conn.execute(sql)
        names = [d[0] for d in result.description]
        got = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        assert len(got) == 7
        assert all((r[column["users"]], r[column["odd_users"]]) == (5, 2) for r in got), sql


def _probe_verdict(rows_sql: str, *metrics: dict[str, Any]) -> bool:
    (query,) = _plan(_project(rows_sql, *metrics), _days(7)).queries
    assert query.variant is not None
    ((verdict,),) = duckdb.connect().execute(query.variant.probe_sql).fetchall()
    return bool(verdict)


@pytest.mark.usefixtures("probe_short_windows")
@pytest.mark.parametrize(("days_each", "taken"), [(4, True), (3, False)])
def test_the_probe_takes_the_bitmap_up_to_twice_the_pairs(days_each: int, taken: bool) -> None:
    """20 values, each on `days_each` of 7 days: 20 × 7 expanded rows vs 2 × 20 × days_each
    (bucket, value) pairs — 140 ≤ 160 takes the bitmap, 140 > 120 does not."""
    rows_sql = (
        "SELECT TIMESTAMP '2026-01-05' + INTERVAL (d) DAY AS ts, v FROM range(20) AS a (v), "
        f"range(7) AS b (d) WHERE (v + d) % 7 < {days_each}"
    )
    assert _probe_verdict(rows_sql, USERS) is taken


@pytest.mark.usefixtures("probe_short_windows")
def test_one_probe_needs_every_distinct_column_to_recur() -> None:
    """`v` recurs on every day, `w` never does: alone `v` takes the bitmap, with `w` it does not."""
    rows_sql = (
        "SELECT TIMESTAMP '2026-01-05' + INTERVAL (i % 7) DAY AS ts, i % 5 AS v, i AS w "
        "FROM range(700) AS r (i)"
    )
    one_off = _metric("ws", aggregation="count_distinct", column="w")
    assert _probe_verdict(rows_sql, USERS) is True
    assert _probe_verdict(rows_sql, USERS, one_off) is False


@pytest.mark.usefixtures("probe_short_windows")
def test_the_probe_does_not_count_null_values_as_pairs() -> None:
    """10 values on 3 of 7 days each, NULL on the other rows: 70 ≤ 2 × 30 pairs is false;
    counting the 7 (day, NULL) pairs too would make it 70 ≤ 2 × 37."""
    rows_sql = (
        "SELECT TIMESTAMP '2026-01-05' + INTERVAL (d) DAY AS ts, "
        "CASE WHEN (v + d) % 7 < 3 THEN v END AS v FROM range(10) AS a (v), range(7) AS b (d)"
    )
    assert _probe_verdict(rows_sql, USERS) is False
