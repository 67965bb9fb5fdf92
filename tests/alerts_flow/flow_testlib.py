"""A small project on disk, its stored series, and scripted detect reports.

The flow tests drive `alert_flow.process` with `DetectReport`s built here the way
`detect_api.detect` builds them (anomalies, scored buckets, one band per scored bucket),
so each run of a scripted sequence says exactly which buckets are anomalous. Everything
after the report is real: project loading, the SQLite state store, the destinations.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tripl_cli.api.detect_api import DetectReport, SeriesDetection
from tripl_cli.api.project_api import open_project
from tripl_cli.api.run_api import open_state
from tripl_cli.detect import Band, SeriesResult
from tripl_cli.project.model import Project
from tripl_cli.project.semantics import definition_hash
from tripl_cli.timegrid import Window
from tripl_cli.types import TOTAL, Anomaly, DetectorName, Direction, MetricValue

T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
NORMAL, LOW = 100.0, 40.0
EXPECTED, LOWER, UPPER = 100.0, 80.0, 120.0
#: Detection re-scores the trailing SCORED buckets before `now` (as `detect` does).
SCORED = 10

BASE_FILES = {
    "tripl_project.yml": """\
        name: shop
        defaults:
          interval: 1h
        """,
    "profiles.yml": """\
        shop:
          target: dev
          outputs:
            dev:
              type: duckdb
              path: ":memory:"
        """,
    "fact_tables/orders.yml": """\
        fact_tables:
          - name: orders
            sql: SELECT created_at, platform FROM raw.orders
            timestamp_column: created_at
        """,
    "metrics/orders.yml": """\
        metrics:
          - name: orders
            display_name: Orders placed
            kind: fact
            fact_table: orders
            aggregation: count
            breakdowns: [platform]
            owner: commerce-team
            unit: orders
          - name: sessions
            kind: fact
            fact_table: orders
            aggregation: count
        """,
}


#: A `file` destination and one rule on `orders` drops, with a 6h cooldown.
DROPS_RULE = """\
    destinations:
      - name: sink
        type: file
        path: target/alerts.jsonl
    alert_rules:
      - name: drops
        destination: sink
        select: orders
        direction: down
        cooldown: 6h
        notify_resolved: true
    """


def write_files(root: Path, alerts_yml: str) -> Path:
    files = {**BASE_FILES, "alerts/alerts.yml": alerts_yml}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def write_project(root: Path, alerts_yml: str) -> Project:
    return open_project(write_files(root, alerts_yml))


def store_series(
    project: Project,
    low_hours: Iterable[int],
    *,
    metric: str = "orders",
    hours: int = 48,
    breakdown: tuple[str, str] = TOTAL,
) -> None:
    """Hourly values from T0: NORMAL, except LOW at `low_hours`."""
    low = set(low_hours)
    values = [
        MetricValue(metric, T0 + H * h, LOW if h in low else NORMAL, breakdown)
        for h in range(hours)
    ]
    with open_state(project, profiles_dir=None, target=None) as store:
        store.replace_window(
            metric,
            Window(T0, T0 + H * hours),
            values,
            definition_hash=definition_hash(project, project.metrics[metric]),
            run_id="seed",
            include_total=breakdown == TOTAL,
        )


def drop(hour: int, *, metric: str = "orders", breakdown: tuple[str, str] = TOTAL) -> Anomaly:
    return Anomaly(
        metric=metric,
        bucket=T0 + H * hour,
        actual=LOW,
        expected=EXPECTED,
        lower=LOWER,
        upper=UPPER,
        score=-7.5,
        direction=Direction.DROP,
        detector=DetectorName.SEASONAL,
        breakdown=breakdown,
    )


def series(
    now_hour: int,
    low_hours: Iterable[int],
    *,
    metric: str = "orders",
    breakdown: tuple[str, str] = TOTAL,
) -> SeriesDetection:
    """What detect reports for one series at T0 + now_hour: the trailing SCORED buckets,
    anomalous exactly at the `low_hours` among them."""
    scored = tuple(T0 + H * h for h in range(now_hour - SCORED, now_hour))
    first = now_hour - SCORED
    anomalies = tuple(
        drop(h, metric=metric, breakdown=breakdown)
        for h in sorted(low_hours)
        if first <= h < now_hour
    )
    bands = tuple(Band(b, EXPECTED, LOWER, UPPER) for b in scored)
    result = SeriesResult("ok", anomalies, scored, (), bands)
    return SeriesDetection(metric, breakdown, result)


def report(now_hour: int, *detections: SeriesDetection) -> DetectReport:
    return DetectReport(f"run-{now_hour}", at(now_hour), tuple(detections))


def at(hour: float) -> datetime:
    return T0 + timedelta(hours=hour)


def read_lines(path: Path) -> list[Mapping[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
