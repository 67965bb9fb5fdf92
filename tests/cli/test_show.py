"""`tripl show`: the JSON document of SPEC §9, CSV and the table, checked against values
computed in Python from the demo warehouse's rows."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Demo, Invoke
from tests.cli.reference import breakdown_counts, daily, iso
from tripl_cli.api.project_api import open_project
from tripl_cli.api.run_api import open_state
from tripl_cli.errors import TriplError
from tripl_cli.timegrid import Window
from tripl_cli.types import TOTAL, Anomaly, DetectorName, Direction, MetricValue

BUCKET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ANOMALY_KEYS = {"expected", "lower", "upper", "score", "direction", "detector"}


def show_json(invoke: Invoke, root: Path, *args: str) -> dict[str, Any]:
    result = invoke(root, "show", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)  # stdout holds the document only
    return document


def values(points: list[dict[str, Any]]) -> dict[str, float]:
    return {p["bucket"]: p["value"] for p in points}


def as_iso(series: dict[datetime, float]) -> dict[str, float]:
    return {iso(day): value for day, value in series.items()}


def test_json_shape(invoke: Invoke, demo: Demo) -> None:
    doc = show_json(invoke, demo.root, "orders")
    assert set(doc) == {"metric", "interval", "unit", "value_kind", "points", "breakdowns"}
    assert (doc["metric"], doc["interval"], doc["unit"], doc["value_kind"]) == (
        "orders",
        "1d",
        "orders",
        "count",
    )
    assert len(doc["points"]) == 90
    for point in doc["points"] + doc["breakdowns"]["platform"]["ios"]:
        assert set(point) == {"bucket", "value", "anomaly"}
        assert BUCKET.match(point["bucket"])
        assert point["anomaly"] is None or set(point["anomaly"]) == ANOMALY_KEYS
    buckets = [p["bucket"] for p in doc["points"]]
    assert buckets == sorted(buckets)
    assert set(doc["breakdowns"]) == {"platform", "country"}


def test_counts_equal_python(invoke: Invoke, demo: Demo) -> None:
    doc = show_json(invoke, demo.root, "orders")
    assert values(doc["points"]) == as_iso(daily(demo.orders))
    for column, limit in (("platform", 10), ("country", 10)):
        expected = breakdown_counts(demo.orders, column, limit)
        got = {key: values(points) for key, points in doc["breakdowns"][column].items()}
        assert got == {key: as_iso(series) for key, series in expected.items()}
    assert "Other" in doc["breakdowns"]["country"]  # 11 countries + NULL > 10 series


def test_filtered_sum_equals_python(invoke: Invoke, demo: Demo) -> None:
    doc = show_json(invoke, demo.root, "revenue", "--breakdown", "country")
    expected = daily(
        demo.orders,
        value=lambda rows: sum(r["amount"] for r in rows),
        where=lambda r: r["status"] == "completed" and r["amount"] > 0,
    )
    got = values(doc["points"])
    assert got.keys() == as_iso(expected).keys()
    for bucket, value in as_iso(expected).items():
        assert got[bucket] == pytest.approx(value, rel=1e-9)
    assert list(doc["breakdowns"]) == ["country"]  # --breakdown restricts the document


def test_last_n_keeps_the_newest_buckets(invoke: Invoke, demo: Demo) -> None:
    doc = show_json(invoke, demo.root, "orders", "--last", "5", "--breakdown", "platform")
    expected = as_iso(daily(demo.orders))
    newest = list(expected)[-5:]
    assert [p["bucket"] for p in doc["points"]] == newest
    assert values(doc["points"]) == {b: expected[b] for b in newest}
    for points in doc["breakdowns"]["platform"].values():
        assert [p["bucket"] for p in points] == newest


def test_anomalies_are_attached_to_their_buckets(invoke: Invoke, demo: Demo) -> None:
    doc = show_json(invoke, demo.root, "orders")
    reported = {iso(a.bucket): a for a in demo.anomalies if a.metric == "orders"}
    totals = {k: a for k, a in reported.items() if a.breakdown == TOTAL}
    assert totals, "the demo's incident should be detected on the orders total"
    flagged = {p["bucket"]: p for p in doc["points"] if p["anomaly"] is not None}
    assert flagged.keys() == totals.keys()
    for bucket, point in flagged.items():
        a, shown = totals[bucket], point["anomaly"]
        assert shown == {
            "expected": a.expected,
            "lower": a.lower,
            "upper": a.upper,
            "score": a.score,
            "direction": a.direction.value,
            "detector": a.detector.value,
        }
        assert shown["direction"] == "drop" and point["value"] < shown["lower"]


def test_csv_total_and_breakdown(invoke: Invoke, demo: Demo) -> None:
    result = invoke(demo.root, "show", "orders", "--format", "csv", "--last", "3")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    expected = list(as_iso(daily(demo.orders)).items())[-3:]
    assert rows == [["bucket", "value"], *[[b, repr(v)] for b, v in expected]]

    # A --last longer than history (or than the calendar) shows everything stored.
    for last in ("91", "100000000"):
        result = invoke(demo.root, "show", "orders", "--format", "csv", "--last", last)
        assert result.exit_code == 0, result.output
        assert len(result.stdout.splitlines()) == 91

    result = invoke(demo.root, "show", "orders", "--format", "csv", "-b", "platform")
    records = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(records[0]) == ["bucket", "value", "breakdown_column", "breakdown_value"]
    android = {r["bucket"]: float(r["value"]) for r in records if r["breakdown_value"] == "android"}
    assert android == as_iso(breakdown_counts(demo.orders, "platform", 10)["android"])
    totals = [r for r in records if r["breakdown_column"] == ""]
    assert len(totals) == 90


def test_table_has_chart_marks_and_latest_rows(invoke: Invoke, demo: Demo) -> None:
    result = invoke(demo.root, "show", "orders", "--breakdown", "platform")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "orders — Orders" in out
    assert re.search("[\u2801-\u28ff]", out), "a braille line chart"
    assert "▼" in out  # the incident's drop is marked under the chart
    newest = list(as_iso(daily(demo.orders)))[-1][:10]
    assert newest in out
    assert "by platform" in out and "android" in out


def test_unknown_metric_and_breakdown_suggest_names(invoke: Invoke, demo: Demo) -> None:
    result = invoke(demo.root, "show", "ordrs")
    assert isinstance(result.exception, TriplError)
    assert "did you mean 'orders'" in result.exception.message
    result = invoke(demo.root, "show", "orders", "-b", "platfrom")
    assert isinstance(result.exception, TriplError)
    assert "did you mean 'platform'" in result.exception.message


def test_never_collected_metric_is_a_clear_error(invoke: Invoke, fresh_demo: Path) -> None:
    result = invoke(fresh_demo, "show", "orders")
    assert isinstance(result.exception, TriplError)
    assert "no values stored yet for 'orders' on target 'dev'" in result.exception.message
    assert "`tripl run -s orders`" in (result.exception.hint or "")
    assert not (fresh_demo / ".tripl").exists()  # reading never creates the state database
    # With -t, the run to do is on that target (without it, it would go to the default).
    chosen = invoke(fresh_demo, "-t", "dev", "show", "orders")
    assert isinstance(chosen.exception, TriplError)
    assert "`tripl run -s orders -t dev`" in (chosen.exception.hint or "")


def test_breakdown_anomalies_stay_on_their_series(invoke: Invoke, demo_copy: Path) -> None:
    day = datetime(2026, 3, 10, tzinfo=UTC)
    spike = Anomaly(
        metric="orders",
        bucket=day,
        actual=900.0,
        expected=700.0,
        lower=650.0,
        upper=750.0,
        score=6.5,
        direction=Direction.SPIKE,
        detector=DetectorName.SEASONAL,
        breakdown=("platform", "ios"),
    )
    with open_state(open_project(demo_copy), profiles_dir=None, target=None) as store:
        store.replace_anomalies(
            "orders",
            Window(day, datetime(2026, 3, 11, tzinfo=UTC)),
            [spike],
            breakdown=spike.breakdown,
        )
    doc = show_json(invoke, demo_copy, "orders", "--breakdown", "platform")
    flagged = {
        (key, p["bucket"]): p["anomaly"]
        for key, points in doc["breakdowns"]["platform"].items()
        for p in points
        if p["anomaly"]
    }
    injected = {
        "expected": 700.0,
        "lower": 650.0,
        "upper": 750.0,
        "score": 6.5,
        "direction": "spike",
        "detector": "seasonal",
    }
    assert flagged[("ios", "2026-03-10T00:00:00Z")] == injected
    # The demo scores breakdowns, so detect's own anomalies (the android outage) may be
    # flagged too; the injected one must appear on its series only.
    assert injected not in [v for (key, _), v in flagged.items() if key != "ios"]
    total = {p["bucket"]: p["anomaly"] for p in doc["points"]}
    assert total["2026-03-10T00:00:00Z"] is None


def test_control_characters_in_values_never_reach_the_terminal(
    invoke: Invoke, demo_copy: Path
) -> None:
    # A warehouse value that would clear the screen and retitle the terminal if printed.
    hostile = "ios\x1b]0;PWNED\x07\x1b[2J\r"
    day = datetime(2026, 3, 10, tzinfo=UTC)
    with open_state(open_project(demo_copy), profiles_dir=None, target=None) as store:
        status = store.metric_status("orders")
        assert status is not None and status.definition_hash is not None
        store.replace_window(
            "orders",
            Window(day, datetime(2026, 3, 11, tzinfo=UTC)),
            [MetricValue("orders", day, 5.0, breakdown=("platform", hostile))],
            definition_hash=status.definition_hash,
            run_id="test",
            include_total=False,
        )
    table = invoke(demo_copy, "show", "orders", "--breakdown", "platform")
    assert table.exit_code == 0, table.output
    assert "ios\\x1b]0;PWNED\\x07\\x1b[2J\\x0d" in table.stdout
    assert not any(c in table.stdout for c in "\x1b\x07\r")
    # Data formats keep the value as it is (JSON escapes it).
    doc = show_json(invoke, demo_copy, "orders", "--breakdown", "platform")
    assert hostile in doc["breakdowns"]["platform"]
