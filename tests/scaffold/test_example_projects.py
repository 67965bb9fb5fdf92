"""The demo project and the repository-root example: valid, complete, and their SQL runs.

The demo's compiled SQL runs on its warehouse and gives the values a direct query gives;
the root example's fact tables synthesize the same kind of data in SQL, relative to the
current time, deterministically.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from tests.scaffold.conftest import AS_OF
from tripl_cli.adapters import connect
from tripl_cli.compiler.assemble import assemble
from tripl_cli.compiler.dialects import DIALECTS
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.loader import load_project_or_raise
from tripl_cli.project.model import Project
from tripl_cli.project.schema import CompositionMetric, FactMetric, SqlMetric
from tripl_cli.scaffold import init_project
from tripl_cli.timegrid import Interval, Window, floor_to_bucket
from tripl_cli.types import MetricValue

REPO = Path(__file__).resolve().parents[2]
#: 104 whole days before the demo's as_of day: six weeks of history before the scored weeks.
DEMO_WINDOW = Window(datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC))
DEMO_DAYS = 104


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo_project") / "demo"
    init_project(root, demo=True, as_of=AS_OF)
    return root


@pytest.fixture(scope="module")
def demo_project(demo_root: Path) -> Project:
    return load_project_or_raise(demo_root)


@pytest.fixture(scope="module")
def root_project() -> Project:
    return load_project_or_raise(REPO)


def shapes(project: Project) -> set[str]:
    """Which of the metric shapes the demo promises the project declares."""
    found: set[str] = set()
    for metric in project.metrics.values():
        if isinstance(metric, FactMetric) and metric.is_ratio:
            num, den = metric.numerator, metric.denominator
            assert num is not None and den is not None
            found.add("ratio_one_table" if num.fact_table == den.fact_table else "ratio_cross")
        elif isinstance(metric, FactMetric):
            agg = metric.aggregation.value if metric.aggregation else "?"
            found.add(f"fact_{agg}")
            if metric.filters:
                found.add(f"fact_{agg}_filtered")
            if metric.breakdowns:
                found.add(f"fact_{agg}_breakdowns")
        elif isinstance(metric, SqlMetric):
            if "{{ start }}" in metric.sql and "{{ end }}" in metric.sql:
                found.add("sql_windowed")
        elif isinstance(metric, CompositionMetric):
            found.add("composition_ratio" if metric.denominator else "composition_per_distinct")
    return found


PROMISED = {
    "fact_count",
    "fact_sum_filtered",
    "fact_avg",
    "fact_count_distinct_breakdowns",
    "ratio_one_table",
    "sql_windowed",
    "composition_ratio",
    "composition_per_distinct",
}


def test_demo_declares_one_metric_of_every_kind(demo_project: Project) -> None:
    assert shapes(demo_project) >= PROMISED
    for table in demo_project.fact_tables.values():
        kinds = {"sql" if f.sql else "conditions" for f in table.row_filters}
        assert table.owner and table.tags
        if table.name == "orders":
            assert kinds == {"sql", "conditions"}
    assert all(m.owner and m.tags for m in demo_project.metrics.values())


def test_root_example_mirrors_the_demo(root_project: Project, demo_project: Project) -> None:
    assert root_project.config.fact_paths == ["fact_tables"]
    assert root_project.config.metric_paths == ["metrics"]
    assert root_project.config.alert_paths == ["alerts"]
    assert shapes(root_project) >= PROMISED
    assert list(root_project.metrics) == list(demo_project.metrics)
    for name, metric in demo_project.metrics.items():
        if not isinstance(metric, SqlMetric):  # the sql metric reads synthesized rows instead
            assert root_project.metrics[name] == metric, name
    for name, table in demo_project.fact_tables.items():
        mirrored = root_project.fact_tables[name]
        assert mirrored.model_copy(update={"sql": table.sql}) == table
    assert dict(root_project.destinations) == dict(demo_project.destinations)
    assert dict(root_project.alert_rules) == dict(demo_project.alert_rules)
    # Nothing under tests/ is part of the root project.
    paths = {source.path for source in root_project.sources.values()}
    assert paths and not any(p.startswith("tests") for p in paths)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_demo_compiles_for_every_dialect(demo_project: Project, dialect: str) -> None:
    plan = compile_plan(
        demo_project, list(demo_project.metrics), dialect=dialect, window_for=DEMO_WINDOW
    )
    assert plan.queries
    assert all("{{" not in q.sql for q in plan.queries)


# --------------------------------------------------------------------------- demo values
@pytest.fixture(scope="module")
def demo_values(demo_project: Project, demo_root: Path) -> list[MetricValue]:
    """Every metric value the demo's compiled duckdb SQL yields on the demo warehouse."""
    plan = compile_plan(
        demo_project, list(demo_project.metrics), dialect="duckdb", window_for=DEMO_WINDOW
    )
    adapter = connect("dev", {"type": "duckdb", "path": "warehouse.duckdb"}, project_root=demo_root)
    try:
        results = {q.id: adapter.execute(q.sql) for q in plan.queries}
    finally:
        adapter.close()
    return assemble(plan, results)


def series(
    values: list[MetricValue], metric: str, breakdown: tuple[str, str] = ("", "")
) -> dict[date, float]:
    return {
        v.bucket.date(): v.value
        for v in values
        if v.metric == metric and v.breakdown == breakdown and v.value is not None
    }


def direct(demo_root: Path, sql: str) -> dict[date, float]:
    with duckdb.connect(str(demo_root / "warehouse.duckdb"), read_only=True) as con:
        window = [DEMO_WINDOW.start.replace(tzinfo=None), DEMO_WINDOW.end.replace(tzinfo=None)]
        rows = con.execute(sql, window).fetchall()
    return {day: float(value) for day, value in rows}


def test_demo_sql_runs_on_the_warehouse_and_matches_direct_queries(
    demo_values: list[MetricValue], demo_root: Path
) -> None:
    per_day = (
        "SELECT CAST(created_at AS DATE), {agg} FROM raw.orders"
        " WHERE created_at >= ? AND created_at < ? {where} GROUP BY 1"
    )
    orders = series(demo_values, "orders")
    assert len(orders) == DEMO_DAYS
    assert orders == direct(demo_root, per_day.format(agg="count(*)", where=""))
    revenue = series(demo_values, "revenue")
    expected = direct(
        demo_root,
        per_day.format(agg="sum(amount)", where="AND status = 'completed' AND amount > 0"),
    )
    assert revenue.keys() == expected.keys()
    assert all(abs(revenue[d] - expected[d]) < 1e-6 * expected[d] for d in expected)
    android = series(demo_values, "orders", ("platform", "android"))
    assert android == direct(
        demo_root, per_day.format(agg="count(*)", where="AND platform = 'android'")
    )
    medians = series(demo_values, "median_order_value")
    assert len(medians) == DEMO_DAYS and all(20 < v < 60 for v in medians.values())


def test_demo_incident_shows_in_the_metric_the_alert_rule_watches(
    demo_values: list[MetricValue], demo_project: Project
) -> None:
    rule = demo_project.alert_rules["order_drops"]
    assert (rule.select, rule.direction) == ("orders", "down")
    android = series(demo_values, "orders", ("platform", "android"))
    total = series(demo_values, "orders")
    for day in (date(2026, 3, 5), date(2026, 3, 6)):
        usual = [android[day - timedelta(weeks=w)] for w in (1, 2, 3)]
        drop = 100 * (1 - android[day] / sorted(usual)[1])
        assert drop > rule.min_percent_delta  # the Android series alerts ...
        usual_total = [total[day - timedelta(weeks=w)] for w in (1, 2, 3)]
        assert 100 * (1 - total[day] / sorted(usual_total)[1]) < rule.min_percent_delta  # ... once
        sessions = series(demo_values, "sessions", ("platform", "android"))
        usual_sessions = [sessions[day - timedelta(weeks=w)] for w in (1, 2, 3)]
        assert sessions[day] > 0.9 * sorted(usual_sessions)[1]  # the app works, checkout not


# --------------------------------------------------------------------------- root example
def fact_sql(project: Project, table: str, start: datetime, end: datetime) -> str:
    def literal(ts: datetime) -> str:
        return f"CAST('{ts.replace(tzinfo=None).isoformat(sep=' ')}' AS TIMESTAMP)"

    sql = project.fact_tables[table].sql
    return sql.replace("{{ start }}", literal(start)).replace("{{ end }}", literal(end))


@pytest.fixture
def memory() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    yield con
    con.close()


def checksum(con: duckdb.DuckDBPyConnection, sql: str, ts: str, lo: datetime, hi: datetime) -> Any:
    return con.execute(
        f"SELECT count(*), sum(hash(COLUMNS(*))::HUGEINT) FROM ({sql}) AS f"
        f" WHERE {ts} >= ? AND {ts} < ?",
        [lo.replace(tzinfo=None), hi.replace(tzinfo=None)],
    ).fetchone()


@pytest.mark.parametrize(("table", "ts"), [("orders", "created_at"), ("sessions", "started_at")])
def test_root_rows_do_not_depend_on_the_window_asked(
    root_project: Project, memory: duckdb.DuckDBPyConnection, table: str, ts: str
) -> None:
    """A row exists or not, with the same values, whatever window the query prunes to."""
    today = floor_to_bucket(datetime.now(UTC), Interval.D1)
    lo, hi = today - timedelta(days=12), today - timedelta(days=5)
    narrow = fact_sql(root_project, table, lo, hi)
    wide = fact_sql(root_project, table, today - timedelta(days=40), today)
    first = checksum(memory, narrow, ts, lo, hi)
    assert first[0] > 7 * 1000
    assert checksum(memory, narrow, ts, lo, hi) == first
    assert checksum(memory, wide, ts, lo, hi) == first


def test_root_rows_cover_the_last_120_days_up_to_the_last_hour(
    root_project: Project, memory: duckdb.DuckDBPyConnection
) -> None:
    now = datetime.now(UTC)
    sql = fact_sql(root_project, "orders", now - timedelta(days=400), now + timedelta(days=1))
    lo, hi, newest_age_min = memory.execute(
        "SELECT min(created_at), max(created_at),"
        f" date_diff('minute', max(created_at), now() AT TIME ZONE 'UTC') FROM ({sql})"
    ).fetchone() or (None, None, None)
    first_day = floor_to_bucket(now, Interval.D1) - timedelta(days=120)
    assert (
        first_day.replace(tzinfo=None) <= lo < (first_day + timedelta(hours=1)).replace(tzinfo=None)
    )
    assert newest_age_min is not None and 0 <= newest_age_min < 120
    assert hi < now.replace(tzinfo=None)


def test_root_example_has_the_periodic_android_incident(
    root_project: Project, memory: duckdb.DuckDBPyConnection
) -> None:
    today = floor_to_bucket(datetime.now(UTC), Interval.D1)
    sql = fact_sql(root_project, "orders", today - timedelta(days=100), today)
    rows = memory.execute(
        "SELECT CAST(created_at AS DATE), platform, count(*) FROM (" + sql + ")"
        " WHERE created_at < ? GROUP BY ALL",
        [today.replace(tzinfo=None)],
    ).fetchall()
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for day, platform, n in rows:
        counts[platform][day] = n
    for platform, by_day in counts.items():
        for day, n in by_day.items():
            if day - timedelta(weeks=4) not in by_day:
                continue
            usual = sorted(
                by_day[day - timedelta(weeks=w)]
                for w in (1, 2, 3, 4)
                if day - timedelta(weeks=w) in by_day
            )
            incident = platform == "android" and (day - date(1970, 1, 1)).days % 30 in (0, 1)
            ratio = n / usual[len(usual) // 2]
            assert (ratio < 0.6) if incident else (0.75 < ratio < 1.35), (platform, day, ratio)


def test_root_compiled_sql_runs_in_memory(root_project: Project) -> None:
    end = floor_to_bucket(datetime.now(UTC), Interval.D1)
    window = Window(end - timedelta(days=14), end)
    plan = compile_plan(
        root_project, list(root_project.metrics), dialect="duckdb", window_for=window
    )
    adapter = connect("dev", {"type": "duckdb", "path": ":memory:"}, project_root=REPO)
    try:
        results = {q.id: adapter.execute(q.sql) for q in plan.queries}
    finally:
        adapter.close()
    values = assemble(plan, results)
    orders = series(values, "orders")
    assert len(orders) == 14 and all(v > 1000 for v in orders.values())
    assert {v.metric for v in values} >= {"revenue", "buyers", "median_order_value", "sessions"}


def test_root_profile_stores_nothing_but_state() -> None:
    profiles: dict[str, Any] = yaml.safe_load((REPO / "profiles.yml").read_text())
    assert profiles["tripl"]["outputs"]["dev"] == {"type": "duckdb", "path": ":memory:"}


def test_only_the_incident_passes_the_demo_alert_rule(
    demo_values: list[MetricValue], demo_project: Project
) -> None:
    """Over every series of `orders` (total, platforms, countries, Other) and the last eight
    weeks, the only buckets a plain robust detector scores as drops beyond the rule's floor
    are the Android series on the two incident days: one incident, as the demo promises."""
    rule = demo_project.alert_rules["order_drops"]
    by_series: dict[tuple[str, str], dict[date, float]] = defaultdict(dict)
    for v in demo_values:
        if v.metric == "orders" and v.value is not None:
            by_series[v.breakdown][v.bucket.date()] = v.value
    assert len(by_series) >= 1 + 3 + 9
    alerting: set[tuple[tuple[str, str], date]] = set()
    last = date(2026, 3, 14)
    for key, values in by_series.items():
        for back in range(56):
            day = last - timedelta(days=back)
            history = [values.get(day - timedelta(weeks=w), 0.0) for w in range(1, 7)]
            expected = sorted(history)[3]  # upper median: robust to one bad week
            if expected < 50:  # the detector's default min_expected for counts
                continue
            actual = values.get(day, 0.0)
            z = (actual - expected) / expected**0.5
            if z < -4 and 100 * (expected - actual) / expected >= rule.min_percent_delta:
                alerting.add((key, day))
    assert alerting == {
        (("platform", "android"), date(2026, 3, 5)),
        (("platform", "android"), date(2026, 3, 6)),
    }
