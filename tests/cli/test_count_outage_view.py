"""`show` and `ls` show an outage that `detect` reports: the data stopped, so the run stored
no row after it (no value is a gap, SPEC §5), yet detection scored its first bucket as a
count of 0 (SPEC §7) and reported it. That bucket must not vanish from the views."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import duckdb

from tests.cli.conftest import AS_OF, Invoke
from tripl_cli.api import detect_api, read_api, run_api
from tripl_cli.api.project_api import open_project
from tripl_cli.types import DetectorName

OUTAGE_FROM = (AS_OF - timedelta(days=3)).replace(hour=0, minute=0)


def test_show_and_ls_show_the_outage_that_detect_reports(fresh_demo: Path, invoke: Invoke) -> None:
    with duckdb.connect(str(fresh_demo / "warehouse.duckdb")) as con:
        con.execute("DELETE FROM raw.orders WHERE created_at >= ?", [OUTAGE_FROM])
    project = open_project(fresh_demo)
    assert not run_api.run(project, run_api.RunOptions(as_of=AS_OF)).failed
    detected = detect_api.detect(project, select=["orders"], as_of=AS_OF)
    (outage,) = [
        a for a in detected.anomalies if a.breakdown[0] == "" and a.detector is DetectorName.OUTAGE
    ]
    assert outage.bucket == OUTAGE_FROM

    view = read_api.read_metric(project, "orders", last=3)
    days = [OUTAGE_FROM + timedelta(days=d) for d in range(-2, 1)]  # ending at the outage
    assert [p.bucket for p in view.points] == days
    assert [p.value is None for p in view.points] == [False, False, True]  # a gap, not a 0
    assert view.points[-1].anomaly == outage

    shown = json.loads(
        invoke(fresh_demo, "show", "orders", "--last", "2", "--format", "json").stdout
    )
    assert shown["points"][-1]["value"] is None
    assert shown["points"][-1]["anomaly"]["detector"] == "outage"

    # A breakdown series whose only point in the window is its outage is shown too.
    args = ("show", "orders", "--last", "1", "--breakdown", "platform", "--format", "json")
    by_platform = json.loads(invoke(fresh_demo, *args).stdout)["breakdowns"]["platform"]
    assert by_platform, "the platform series vanished"
    for series in by_platform.values():
        assert [(p["value"], p["anomaly"]["detector"]) for p in series] == [(None, "outage")]

    listed = json.loads(invoke(fresh_demo, "ls", "-s", "orders", "--format", "json").stdout)
    (row,) = listed["metrics"]
    assert row["last_bucket"] == OUTAGE_FROM.isoformat().replace("+00:00", "Z")
    assert row["latest_value"] is None and row["open_anomaly"] is True
