"""`tripl ls`: the catalog, before and after a run, with open anomalies and sparklines."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Demo, Invoke
from tests.cli.reference import WINDOW_END, daily, iso
from tripl_cli.api.project_api import open_project
from tripl_cli.api.run_api import open_state
from tripl_cli.timegrid import Window
from tripl_cli.types import Anomaly, DetectorName, Direction

DEMO_METRICS = [
    "orders",
    "revenue",
    "average_order_value",
    "buyers",
    "big_mobile_orders",
    "cancellation_rate",
    "median_order_value",
    "orders_per_buyer",
    "sessions",
    "sessions_hourly",
    "conversion_rate",
]


def ls_json(invoke: Invoke, root: Path, *args: str) -> dict[str, Any]:
    result = invoke(root, "ls", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_catalog_after_a_run(invoke: Invoke, demo: Demo) -> None:
    doc = ls_json(invoke, demo.root)
    assert doc["target"] == "dev"
    rows = {r["metric"]: r for r in doc["metrics"]}
    assert list(rows) == DEMO_METRICS
    orders = rows["orders"]
    counts = list(daily(demo.orders).values())
    assert orders["kind"] == "fact" and orders["interval"] == "1d"
    assert orders["value_kind"] == "count" and orders["status"] == "active"
    assert orders["last_bucket"] == iso(WINDOW_END - timedelta(days=1))
    assert orders["latest_value"] == counts[-1]
    assert orders["recent"] == counts[-20:]
    assert orders["collection"] == {"status": "success", "error": None}
    assert orders["open_anomaly"] is False  # the incident is ten days old
    assert rows["cancellation_rate"]["value_kind"] == "fractional"
    assert rows["orders_per_buyer"]["kind"] == "composition"
    assert rows["sessions_hourly"]["interval"] == "1h"
    assert rows["sessions_hourly"]["last_bucket"] == "2026-03-15T12:00:00Z"


def test_selection(invoke: Invoke, demo: Demo) -> None:
    doc = ls_json(invoke, demo.root, "-s", "tag:engagement", "--exclude", "sessions_hourly")
    assert [r["metric"] for r in doc["metrics"]] == ["sessions", "conversion_rate"]


def test_before_any_run(invoke: Invoke, fresh_demo: Path) -> None:
    doc = ls_json(invoke, fresh_demo)
    assert [r["metric"] for r in doc["metrics"]] == DEMO_METRICS
    for row in doc["metrics"]:
        assert row["last_bucket"] is None and row["latest_value"] is None
        assert row["collection"] == {"status": None, "error": None}
        assert row["recent"] == []
    assert not (fresh_demo / ".tripl").exists()
    result = invoke(fresh_demo, "ls")
    assert result.exit_code == 0
    assert "never" in result.stdout and "run `tripl run`" in result.stderr


def test_open_anomaly_is_the_newest_bucket_flagged(invoke: Invoke, demo_copy: Path) -> None:
    newest = WINDOW_END - timedelta(days=1)
    anomaly = Anomaly(
        metric="revenue",
        bucket=newest,
        actual=1.0,
        expected=100.0,
        lower=80.0,
        upper=120.0,
        score=-9.0,
        direction=Direction.DROP,
        detector=DetectorName.ROLLING,
        breakdown=("country", "US"),
    )
    project = open_project(demo_copy)
    with open_state(project, profiles_dir=None, target=None) as store:
        store.replace_anomalies(
            "revenue", Window(newest, WINDOW_END), [anomaly], breakdown=("country", "US")
        )
    rows = {r["metric"]: r for r in ls_json(invoke, demo_copy)["metrics"]}
    assert rows["revenue"]["open_anomaly"] is True
    assert rows["revenue"]["last_anomaly"] == iso(newest)
    assert [m for m, r in rows.items() if r["open_anomaly"]] == ["revenue"]
    table = invoke(demo_copy, "ls", "-s", "revenue").stdout
    assert "yes" in table


def test_collection_errors_are_listed(invoke: Invoke, demo_copy: Path) -> None:
    project = open_project(demo_copy)
    with open_state(project, profiles_dir=None, target=None) as store:
        store.record_status("buyers", status="error", run_id="r1", error="boom: column missing")
    rows = {r["metric"]: r for r in ls_json(invoke, demo_copy)["metrics"]}
    assert rows["buyers"]["collection"] == {"status": "error", "error": "boom: column missing"}
    table = invoke(demo_copy, "ls").stdout
    assert "buyers: boom: column missing" in table


def test_a_selection_matching_nothing_says_so(invoke: Invoke, demo: Demo) -> None:
    result = invoke(demo.root, "ls", "-s", "ordrs")
    assert result.exit_code == 0
    assert "selector 'metric:ordrs' matches no metric (did you mean 'orders'?)" in result.stderr
    assert "the selection matched no metrics" in result.stderr
    assert "no values stored yet" not in result.stderr  # values are stored: that is not it


def test_detect_warns_about_a_selector_matching_nothing(invoke: Invoke, demo_copy: Path) -> None:
    result = invoke(demo_copy, "detect", "--no-alerts", "-s", "ordrs")
    assert result.exit_code == 0, result.output
    assert "selector 'metric:ordrs' matches no metric (did you mean 'orders'?)" in result.stderr
    assert "scored 0 series" in result.stderr


@pytest.mark.parametrize("command", [["compile"], ["backtest"], ["report"]])
def test_every_selecting_command_warns_about_a_selector_matching_nothing(
    invoke: Invoke, demo_copy: Path, command: list[str]
) -> None:
    result = invoke(demo_copy, *command, "-s", "ordrs")
    assert "selector 'metric:ordrs' matches no metric (did you mean 'orders'?)" in result.stderr


def test_ls_of_collected_metrics_without_values_does_not_say_run(
    fresh_demo: Path, invoke: Invoke
) -> None:
    # Collected far from the demo's data: the run succeeds, every bucket is a gap.
    done = invoke(
        fresh_demo, "run", "-s", "revenue", "--start", "2020-01-01", "--end", "2020-01-05"
    )
    assert done.exit_code == 0, done.output
    listed = invoke(fresh_demo, "ls", "-s", "revenue")
    assert "no values stored for the selected metrics" in listed.stderr
    assert "run `tripl run`" not in listed.stderr
    never = invoke(fresh_demo, "ls", "-s", "orders")
    assert "no values stored yet on target 'dev': run `tripl run`" in never.stderr
