"""The demo warehouse: seeded synthetic `raw.orders` and `raw.sessions` in a DuckDB file.

Everything is generated inside DuckDB (one row per (hour, platform) "cell", expanded with
`range(n)`), and every pseudo-random value is a hash of the row's key and the seed, so the
same `as_of` and seed always give byte-identical tables, whatever the thread count.

The data has an hour-of-day curve, a weekend dip, a mild growth trend, Poisson-like noise
and ONE injected incident: Android checkout breaks for two whole UTC days ten days before
`as_of` (orders and conversions drop by 60%, sessions do not).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from tripl_cli.errors import TriplError
from tripl_cli.timegrid import Interval, as_utc, floor_to_bucket

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 120
DEFAULT_SEED = 7
DAILY_ORDERS = 1800.0
DAILY_SESSIONS = 12000.0
CUSTOMERS = 60000
GROWTH = 0.08  # +8% from the first to the last day: visible, yet gentle on baselines

# UTC hour-of-day weights (a global shop with a large US audience), normalised to mean 1.
_HOD_RAW = (
    0.55, 0.45, 0.38, 0.33, 0.32, 0.36, 0.48, 0.66, 0.86, 1.02, 1.14, 1.22,
    1.28, 1.34, 1.42, 1.50, 1.56, 1.58, 1.54, 1.46, 1.34, 1.12, 0.88, 0.69,
)  # fmt: skip
HOUR_OF_DAY_CURVE = tuple(w * 24 / sum(_HOD_RAW) for w in _HOD_RAW)
# ISO day of week, Monday first: weekdays steady, a weekend dip of about 20%.
DAY_OF_WEEK_CURVE = (1.06, 1.05, 1.04, 1.05, 1.08, 0.86, 0.86)

INCIDENT_DAYS_BEFORE = 10
INCIDENT_LENGTH_DAYS = 2
INCIDENT_PLATFORM = "android"
INCIDENT_FACTOR = 0.4  # 60% of Android orders and conversions lost

_MAX_SEED = 1 << 20  # the seed's share of the 63-bit hash key (see sql/demo_macros.sql)
_SQL_FILES = ("demo_macros.sql", "demo_cells.sql", "demo_orders.sql", "demo_sessions.sql")


@dataclass(frozen=True)
class DemoIncident:
    """The one anomaly the demo hides: where and when, so a tour can point at it."""

    start: datetime
    end: datetime
    platform: str
    factor: float
    description: str


@dataclass(frozen=True)
class DemoWarehouse:
    """What `generate_demo_warehouse` wrote."""

    path: Path
    as_of: datetime
    start: datetime
    incident: DemoIncident
    rows: Mapping[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def demo_as_of(as_of: datetime | None = None) -> datetime:
    """The end of the demo data: `as_of` (default: now) in UTC, floored to the hour."""
    return floor_to_bucket(as_of if as_of is not None else datetime.now(UTC), Interval.H1)


def demo_incident(as_of: datetime) -> DemoIncident:
    """Android checkout outage: two whole UTC days, starting ten days before `as_of`'s day."""
    start = floor_to_bucket(as_utc(as_of), Interval.D1) - timedelta(days=INCIDENT_DAYS_BEFORE)
    end = start + timedelta(days=INCIDENT_LENGTH_DAYS)
    return DemoIncident(
        start=start,
        end=end,
        platform=INCIDENT_PLATFORM,
        factor=INCIDENT_FACTOR,
        description=(
            f"{INCIDENT_PLATFORM} checkout outage from {start:%Y-%m-%d %H:%M} to "
            f"{end:%Y-%m-%d %H:%M} UTC: {INCIDENT_PLATFORM} orders and conversions drop by "
            f"{round((1 - INCIDENT_FACTOR) * 100)}%, sessions do not"
        ),
    )


def generate_demo_warehouse(
    path: Path,
    *,
    as_of: datetime | None = None,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
) -> DemoWarehouse:
    """Write `raw.orders` and `raw.sessions` covering `days` whole days up to `as_of`.

    Replaces the two tables if the file already holds them; other objects are left alone.
    """
    if days < 21:
        raise TriplError(
            f"the demo needs at least 21 days of data, not {days}",
            hint="seasonal baselines need a few weekly cycles",
        )
    if not 0 <= seed < _MAX_SEED:
        raise TriplError(f"the demo seed must be in [0, {_MAX_SEED}), not {seed}")
    end = demo_as_of(as_of)
    start = floor_to_bucket(end, Interval.D1) - timedelta(days=days)
    incident = demo_incident(end)
    began = time.perf_counter()
    import duckdb  # lazily: the CLI must start fast

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with duckdb.connect(str(path)) as con:
            _run_scripts(con, _parameters(start, end, incident, seed))
            rows = {table: _count(con, f"raw.{table}") for table in ("orders", "sessions")}
    except duckdb.Error as exc:  # e.g. the file is open in another process
        raise TriplError(
            f"cannot write the demo warehouse {path}: {exc}",
            hint="close other programs using the file, or choose another directory",
        ) from exc
    seconds = time.perf_counter() - began
    logger.debug("demo warehouse %s: %s rows in %.2fs", path, rows, seconds)
    return DemoWarehouse(path, end, start, incident, rows, seconds)


def _parameters(
    start: datetime, end: datetime, incident: DemoIncident, seed: int
) -> dict[str, Any]:
    naive = {"start": start, "end": end, "incident_start": incident.start}
    return {
        # DuckDB's TIMESTAMP is naive; our instants are UTC.
        **{k: v.replace(tzinfo=None) for k, v in naive.items()},
        "incident_end": incident.end.replace(tzinfo=None),
        "incident_platform": incident.platform,
        "incident_factor": incident.factor,
        "growth": GROWTH,
        "hod_curve": list(HOUR_OF_DAY_CURVE),
        "dow_curve": list(DAY_OF_WEEK_CURVE),
        "daily_orders": DAILY_ORDERS,
        "daily_sessions": DAILY_SESSIONS,
        "seed": seed,
        "users": CUSTOMERS,
    }


def _count(con: Any, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _run_scripts(con: Any, params: Mapping[str, Any]) -> None:
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for name in _SQL_FILES:
        script = (resources.files(__package__) / "sql" / name).read_text("utf-8")
        if name == "demo_macros.sql":
            con.execute(script)  # several statements, no parameters
            continue
        # Bind only the parameters this script names (DuckDB rejects unused ones).
        used = {k: v for k, v in params.items() if f"${k}" in script}
        con.execute(script, used)
