"""The demo warehouse: deterministic, ≥ 90 days up to `as_of`, seasonal, one clear incident."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.scaffold.conftest import AS_OF
from tripl_cli.errors import TriplError
from tripl_cli.scaffold import DemoWarehouse, demo_as_of, demo_incident, generate_demo_warehouse

AS_OF_HOUR = datetime(2026, 3, 15, 13, tzinfo=UTC)
INCIDENT_DAYS = {date(2026, 3, 5), date(2026, 3, 6)}  # ten days before 2026-03-15, two days


@pytest.fixture
def con(demo_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(demo_path), read_only=True)
    yield connection
    connection.close()


def checksum(path: Path) -> dict[str, tuple[Any, ...]]:
    """Row count and an order-independent sum of row hashes, per table."""
    with duckdb.connect(str(path), read_only=True) as c:
        return {
            "orders": c.execute(
                "SELECT count(*), sum(hash(created_at, order_id, user_id, amount, status,"
                " country, platform, app_version)::HUGEINT) FROM raw.orders"
            ).fetchone()
            or (),
            "sessions": c.execute(
                "SELECT count(*), sum(hash(started_at, session_id, user_id, platform, country,"
                " converted)::HUGEINT) FROM raw.sessions"
            ).fetchone()
            or (),
        }


def daily_counts(
    con: duckdb.DuckDBPyConnection, table: str, ts: str, where: str = "TRUE"
) -> dict[tuple[str, date], int]:
    """{(platform or 'total', day): rows} over whole days (the partial last day excluded)."""
    rows = con.execute(
        f"SELECT coalesce(platform, 'total'), CAST(date_trunc('day', {ts}) AS DATE), count(*) "
        f"FROM {table} WHERE {where} AND {ts} < ? "
        "GROUP BY GROUPING SETS ((platform, 2), (2))",
        [datetime(2026, 3, 15)],
    ).fetchall()
    return {(series, day): n for series, day, n in rows}


def robust_flags(
    counts: dict[tuple[str, date], int], series: str, score_days: int = 56
) -> set[date]:
    """Days whose count is > 5 sigma from the median of the same weekday over 6 prior weeks.

    A deliberately plain detector (median baseline, Poisson/MAD spread): what any reasonable
    robust detector would flag.
    """
    last = date(2026, 3, 14)
    flagged: set[date] = set()
    for back in range(score_days):
        day = last - timedelta(days=back)
        history = [counts[(series, day - timedelta(weeks=w))] for w in range(1, 7)]
        baseline = statistics.median(history)
        mad = statistics.median(abs(h - baseline) for h in history)
        spread = max(baseline**0.5, 1.4826 * mad)
        if abs(counts[(series, day)] - baseline) > 5 * spread:
            flagged.add(day)
    return flagged


def test_same_as_of_and_seed_give_identical_tables(
    demo_warehouse: DemoWarehouse, tmp_path: Path
) -> None:
    again = generate_demo_warehouse(tmp_path / "again.duckdb", as_of=AS_OF)
    assert checksum(again.path) == checksum(demo_warehouse.path)
    other_seed = generate_demo_warehouse(tmp_path / "seed8.duckdb", as_of=AS_OF, seed=8)
    assert checksum(other_seed.path)["orders"] != checksum(demo_warehouse.path)["orders"]


def test_regenerating_into_the_same_file_replaces_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    first = generate_demo_warehouse(path, as_of=AS_OF, days=30)
    before = checksum(path)
    second = generate_demo_warehouse(path, as_of=AS_OF, days=30)
    assert checksum(path) == before
    assert second.rows == first.rows
    assert first.rows["orders"] == before["orders"][0]


def test_covers_at_least_90_whole_days_up_to_as_of(con: duckdb.DuckDBPyConnection) -> None:
    for table, ts in (("raw.orders", "created_at"), ("raw.sessions", "started_at")):
        lo, hi, days = con.execute(
            f"SELECT min({ts}), max({ts}), count(DISTINCT CAST({ts} AS DATE)) FROM {table}"
        ).fetchone() or (None, None, 0)
        # Naive timestamps in UTC: the first row in the first hour of the first day,
        # the last one in the hour before as_of (floored to the hour), none after.
        assert datetime(2025, 11, 15) <= lo < datetime(2025, 11, 15, 1)
        assert datetime(2026, 3, 15, 12) <= hi < datetime(2026, 3, 15, 13)
        assert days == 121 >= 90
        # Every hour has rows: 120 whole days and the 13 hours of as_of's day.
        hours = con.execute(f"SELECT count(DISTINCT date_trunc('hour', {ts})) FROM {table}")
        assert hours.fetchone() == (120 * 24 + 13,)


def test_result_describes_what_was_written(demo_warehouse: DemoWarehouse) -> None:
    assert demo_warehouse.as_of == AS_OF_HOUR
    assert demo_warehouse.start == datetime(2025, 11, 15, tzinfo=UTC)
    assert demo_warehouse.incident.start == datetime(2026, 3, 5, tzinfo=UTC)
    assert demo_warehouse.incident.end == datetime(2026, 3, 7, tzinfo=UTC)
    assert demo_warehouse.incident.platform == "android"
    assert checksum(demo_warehouse.path)["orders"][0] == demo_warehouse.rows["orders"]
    assert checksum(demo_warehouse.path)["sessions"][0] == demo_warehouse.rows["sessions"]


def test_columns_and_categories(con: duckdb.DuckDBPyConnection) -> None:
    columns = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'raw' AND table_name = 'orders'"
        ).fetchall()
    )
    assert columns == {
        "created_at": "TIMESTAMP", "order_id": "BIGINT", "user_id": "BIGINT",
        "amount": "DECIMAL(10,2)", "status": "VARCHAR", "country": "VARCHAR",
        "platform": "VARCHAR", "app_version": "VARCHAR",
    }  # fmt: skip
    statuses = dict(con.execute("SELECT status, count(*) FROM raw.orders GROUP BY 1").fetchall())
    assert set(statuses) == {"completed", "cancelled", "refunded"}
    assert statuses["completed"] > 10 * statuses["cancelled"] > 10 * 0
    countries = con.execute(
        "SELECT country, count(*) FROM raw.orders GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    assert countries[0][0] == "US"
    assert len([c for c, _ in countries if c]) >= 8
    assert any(c is None for c, _ in countries)  # some unknown countries, as in real data
    assert set(dict(countries)) >= {"US", "DE", "GB", "FR", "BR", "IN", "JP"}
    platforms = con.execute(
        "SELECT platform, count(*) FILTER (WHERE app_version IS NULL), count(*) "
        "FROM raw.orders GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert [p for p, *_ in platforms] == ["android", "ios", "web"]
    for platform, without_version, total in platforms:
        assert without_version == (total if platform == "web" else 0)
    unique = con.execute("SELECT count(*) = count(DISTINCT order_id) FROM raw.orders").fetchone()
    assert unique == (True,)
    assert con.execute("SELECT min(amount) > 0 FROM raw.orders").fetchone() == (True,)


def test_weekly_and_daily_seasonality(con: duckdb.DuckDBPyConnection) -> None:
    counts = daily_counts(con, "raw.orders", "created_at")
    normal_days = [
        (day, n) for (series, day), n in counts.items()
        if series == "total" and day not in INCIDENT_DAYS
    ]  # fmt: skip
    weekend = statistics.mean(n for day, n in normal_days if day.isoweekday() >= 6)
    weekdays = statistics.mean(n for day, n in normal_days if day.isoweekday() < 6)
    assert 0.7 < weekend / weekdays < 0.9
    by_hour = dict(
        con.execute("SELECT hour(created_at), count(*) FROM raw.orders GROUP BY 1").fetchall()
    )
    assert len(by_hour) == 24
    assert max(by_hour.values()) > 3 * min(by_hour.values())
    assert max(by_hour, key=lambda h: by_hour[h]) in range(14, 20)  # US afternoon, in UTC
    first = statistics.mean(n for day, n in normal_days if day < date(2025, 12, 13))
    last = statistics.mean(n for day, n in normal_days if day >= date(2026, 2, 14))
    assert 1.02 < last / first < 1.15  # mild growth


def test_incident_is_the_only_anomaly_a_robust_detector_sees(
    con: duckdb.DuckDBPyConnection,
) -> None:
    orders = daily_counts(con, "raw.orders", "created_at")
    assert robust_flags(orders, "android") == INCIDENT_DAYS
    assert robust_flags(orders, "total") == INCIDENT_DAYS
    assert robust_flags(orders, "ios") == set()
    assert robust_flags(orders, "web") == set()
    sessions = daily_counts(con, "raw.sessions", "started_at")
    for series in ("total", "ios", "android", "web"):
        assert robust_flags(sessions, series) == set()


def test_incident_depth(con: duckdb.DuckDBPyConnection) -> None:
    orders = daily_counts(con, "raw.orders", "created_at")
    for day in INCIDENT_DAYS:
        same_weekday = [orders[("android", day - timedelta(weeks=w))] for w in (1, 2, 3, 4)]
        assert orders[("android", day)] < 0.55 * statistics.median(same_weekday)
        ios = [orders[("ios", day - timedelta(weeks=w))] for w in (1, 2, 3, 4)]
        assert orders[("ios", day)] > 0.85 * statistics.median(ios)
    conversion = dict(
        con.execute(
            "SELECT started_at >= TIMESTAMP '2026-03-05' AND started_at < TIMESTAMP '2026-03-07',"
            " avg(CAST(converted AS DOUBLE)) FROM raw.sessions WHERE platform = 'android'"
            " GROUP BY 1"
        ).fetchall()
    )
    assert conversion[True] < 0.5 * conversion[False]


def test_incident_is_placed_relative_to_as_of() -> None:
    incident = demo_incident(datetime(2026, 7, 1, 0, 30, tzinfo=UTC))
    assert incident.start == datetime(2026, 6, 21, tzinfo=UTC)
    assert incident.end - incident.start == timedelta(days=2)
    assert "android" in incident.description


def test_as_of_is_floored_to_the_hour_in_utc() -> None:
    assert demo_as_of(datetime(2026, 3, 15, 13, 59, 59)) == AS_OF_HOUR
    eastern = datetime(2026, 3, 15, 9, 5, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("America/New_York")
    )
    assert demo_as_of(eastern) == datetime(2026, 3, 15, 9, tzinfo=UTC)
    now = demo_as_of()
    assert now.tzinfo is not None and now.minute == now.second == now.microsecond == 0


@pytest.mark.parametrize(
    ("kwargs", "text"), [({"days": 7}, "at least 21 days"), ({"seed": -1}, "seed")]
)
def test_bad_parameters_are_user_errors(kwargs: dict[str, int], text: str, tmp_path: Path) -> None:
    with pytest.raises(TriplError, match=text):
        generate_demo_warehouse(tmp_path / "w.duckdb", as_of=AS_OF, **kwargs)
    assert not (tmp_path / "w.duckdb").exists()


def test_daily_counts_helper_sees_every_platform(con: duckdb.DuckDBPyConnection) -> None:
    counts = daily_counts(con, "raw.orders", "created_at")
    per_day: dict[date, int] = defaultdict(int)
    for (series, day), n in counts.items():
        if series != "total":
            per_day[day] += n
    assert all(per_day[day] == counts[("total", day)] for day in per_day)
    assert len(per_day) == 120


def test_a_file_that_is_not_a_database_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    path.write_text("not a database")
    with pytest.raises(TriplError, match="cannot write the demo warehouse") as info:
        generate_demo_warehouse(path, as_of=AS_OF, days=30)
    assert info.value.hint
    assert path.read_text() == "not a database"
