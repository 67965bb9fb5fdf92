"""`tripl diff --state DIR`: definition changes vs an older manifest, and their recent values."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.cli.conftest import AS_OF, Demo, Invoke
from tests.cli.reference import WINDOW_END, daily, iso
from tripl_cli.api import diff_api
from tripl_cli.api.project_api import compile_project, open_project
from tripl_cli.api.run_api import open_state
from tripl_cli.compiler.manifest import fact_table_hash
from tripl_cli.project.selection import read_state_manifest, select_metrics
from tripl_cli.project.semantics import earlier_hashes

LAST = 5
NEWEST = WINDOW_END - timedelta(days=1)  # the demo run's watermark (daily metrics)
NEW_METRIC = """
  - name: web_sessions
    kind: fact
    fact_table: sessions
    aggregation: count
    where: platform = 'web'
"""


def snapshot(root: Path) -> Path:
    """Compile now and keep target/ aside as the older state (e.g. main's CI artifact)."""
    compile_project(open_project(root), dialect="duckdb", as_of=AS_OF)
    old = root.parent / "main_target"
    shutil.copytree(root / "target", old)
    return old


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def change_project(root: Path) -> None:
    commerce, engagement = "metrics/commerce.yml", "metrics/engagement.yml"
    edit(root, commerce, "    where: amount > 0\n", "    where: amount > 50\n")  # revenue
    edit(root, commerce, "Orders placed, whatever their final status.", "Orders placed.")
    sessions_before = "    aggregation: count\n    breakdowns: [platform]\n"
    sessions_after = (
        "    aggregation: count\n    where: platform <> 'web'\n    breakdowns: [platform]\n"
    )
    edit(root, engagement, sessions_before, sessions_after)  # sessions (→ conversion_rate)
    edit(
        root,
        engagement,
        "    tags: [engagement]\n    detection",
        "    status: draft\n    tags: [engagement]\n    detection",
    )  # sessions_hourly
    # median_order_value removed: cut its block out of the file
    path = root / commerce
    text = path.read_text()
    start = text.index("  # kind: sql")
    end = text.index("  # kind: composition, per_distinct")
    path.write_text(text[:start] + text[end:])
    with (root / engagement).open("a") as f:
        f.write(NEW_METRIC)


def warehouse_daily(root: Path, sql: str) -> dict[datetime, float]:
    """A direct query of the demo warehouse: {day: value} over the compared buckets."""
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    start = NEWEST - timedelta(days=LAST - 1)
    out = {}
    for day, value in rows:
        bucket = day.replace(tzinfo=AS_OF.tzinfo)
        if start <= bucket <= NEWEST:
            out[bucket] = float(value)
    return out


def diff_json(invoke: Invoke, root: Path, *args: str) -> dict[str, Any]:
    result = invoke(root, "diff", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def points(doc: dict[str, Any], metric: str) -> dict[str, dict[str, Any]]:
    return {p["bucket"]: p for p in doc["values"][metric]["points"]}


def test_definition_changes(invoke: Invoke, demo_copy: Path) -> None:
    old = snapshot(demo_copy)
    change_project(demo_copy)
    doc = diff_json(invoke, demo_copy, "--state", str(old), "--no-values")
    assert doc["state"] == str(old / "manifest.json")
    assert doc["summary"] == {"new": 1, "modified": 3, "metadata": 1, "removed": 1}
    changes = {(c["type"], c["name"]): c for c in doc["changes"]}
    assert set(changes) == {
        ("metric", "revenue"),
        ("metric", "sessions"),
        ("metric", "conversion_rate"),
        ("metric", "sessions_hourly"),
        ("metric", "web_sessions"),
        ("metric", "median_order_value"),
    }  # orders: only its description changed — not a definition change
    assert changes[("metric", "revenue")]["change"] == "modified"
    assert changes[("metric", "revenue")]["location"].startswith("metrics/commerce.yml:")
    assert changes[("metric", "conversion_rate")]["causes"] == ["metric:sessions"]
    assert changes[("metric", "sessions_hourly")]["change"] == "metadata"
    assert changes[("metric", "sessions_hourly")]["fields"] == [
        {"field": "status", "old": "active", "new": "draft"}
    ]
    assert changes[("metric", "web_sessions")]["change"] == "new"
    assert changes[("metric", "median_order_value")]["change"] == "removed"
    assert doc["values"] == {}


def test_fact_table_change_names_the_cause(invoke: Invoke, demo_copy: Path) -> None:
    old = snapshot(demo_copy)
    edit(demo_copy, "fact_tables/orders.yml", "sql: status = 'completed'", "sql: status = 'done'")
    doc = diff_json(invoke, demo_copy, "--state", str(old), "--no-values")
    changes = {(c["type"], c["name"]): c for c in doc["changes"]}
    assert changes[("fact_table", "orders")]["change"] == "modified"
    # every metric reading the `completed` filter changes, and says why
    for name in ("revenue", "average_order_value", "buyers"):
        assert changes[("metric", name)]["causes"] == ["fact_table:orders"]
    assert ("metric", "orders") not in changes  # counts every order: no filter, same hash
    assert ("metric", "sessions") not in changes
    assert doc["summary"]["modified"] == 1 + 3  # the fact table and its three metrics


def test_recent_values_stored_vs_new(invoke: Invoke, demo: Demo, demo_copy: Path) -> None:
    old = snapshot(demo_copy)
    change_project(demo_copy)
    with open_state(open_project(demo_copy), profiles_dir=None, target=None) as store:
        before = store.read_series("revenue")
    doc = diff_json(invoke, demo_copy, "--state", str(old), "--last", str(LAST))
    assert doc["target"] == "dev" and doc["notes"] == []
    assert set(doc["values"]) == {"revenue", "sessions", "conversion_rate"}
    days = [NEWEST - timedelta(days=LAST - 1 - i) for i in range(LAST)]

    revenue = points(doc, "revenue")
    assert list(revenue) == [iso(d) for d in days]
    stored = daily(
        demo.orders,
        lambda rows: sum(r["amount"] for r in rows),
        where=lambda r: r["status"] == "completed" and r["amount"] > 0,
    )
    new = warehouse_daily(
        demo_copy,
        "SELECT date_trunc('day', created_at), sum(amount) FROM raw.orders "
        "WHERE status = 'completed' AND amount > 50 GROUP BY 1",
    )
    for day in days:
        row = revenue[iso(day)]
        assert row["old"] == pytest.approx(stored[day])
        assert row["new"] == pytest.approx(new[day])
        expected_pct = (new[day] - stored[day]) / stored[day] * 100
        assert row["change_pct"] == pytest.approx(expected_pct, abs=1e-4)  # rounded to 4
        assert row["new"] < row["old"]

    # a composition: stored orders over the sessions of the new definition
    sessions_new = warehouse_daily(
        demo_copy,
        "SELECT date_trunc('day', started_at), count(*) FROM raw.sessions "
        "WHERE platform <> 'web' GROUP BY 1",
    )
    orders = daily(demo.orders)
    for day in days:
        assert points(doc, "sessions")[iso(day)]["new"] == sessions_new[day]
        ratio = points(doc, "conversion_rate")[iso(day)]
        assert ratio["new"] == pytest.approx(orders[day] / sessions_new[day])

    # nothing was stored: the state still holds the old definition's values
    with open_state(open_project(demo_copy), profiles_dir=None, target=None) as store:
        assert store.read_series("revenue") == before


def test_text_output(invoke: Invoke, demo_copy: Path) -> None:
    old = snapshot(demo_copy)
    change_project(demo_copy)
    result = invoke(demo_copy, "diff", "--state", str(old), "--last", "3")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"comparing with {old / 'manifest.json'}" in out
    assert "modified  metric revenue" in out
    assert "removed   metric median_order_value" in out
    assert "status: active → draft" in out
    assert "reads changed metric:sessions" in out
    assert "revenue: stored vs new definition" in out and "%" in out
    assert "1 new, 3 modified, 1 metadata, 1 removed" in result.stderr


def test_a_rename_says_where_the_history_stays(invoke: Invoke, demo_copy: Path) -> None:
    # The hash leaves the name out: a new metric with a removed one's hash is a rename,
    # whose values stay stored under the old name (it was shown as new + removed only).
    old = snapshot(demo_copy)
    renamed = "  - name: large_mobile_orders\n"
    edit(demo_copy, "metrics/commerce.yml", "  - name: big_mobile_orders\n", renamed)
    doc = diff_json(invoke, demo_copy, "--state", str(old))
    changes = {c["name"]: c for c in doc["changes"]}
    assert changes["large_mobile_orders"]["change"] == "new"
    assert changes["large_mobile_orders"]["same_definition_as"] == ["big_mobile_orders"]
    assert changes["big_mobile_orders"]["change"] == "removed"
    (note,) = doc["notes"]
    assert "has the definition of removed 'big_mobile_orders'" in note
    assert "`tripl run -s large_mobile_orders --start DATE` backfills it" in note
    text = invoke(demo_copy, "diff", "--state", str(old))
    assert "same definition as removed metric big_mobile_orders" in text.stdout
    assert "the stored history stays under the old name" in text.stderr
    # Another definition under the new name is no rename.
    edit(demo_copy, "metrics/commerce.yml", renamed, renamed + "    where: amount > 1\n")
    doc = diff_json(invoke, demo_copy, "--state", str(old))
    assert {c["name"]: c for c in doc["changes"]}["large_mobile_orders"]["same_definition_as"] == []
    assert doc["notes"] == []


def test_a_rename_is_found_by_an_earlier_tripl_s_hash_too(invoke: Invoke, demo_copy: Path) -> None:
    # The older manifest may hash the removed metric the way an earlier tripl did (a
    # composition's hash then covered its parts' breakdowns): still the same definition.
    old = snapshot(demo_copy)
    metric = open_project(demo_copy).metrics["conversion_rate"]
    earlier = earlier_hashes(open_project(demo_copy), metric)[0]
    manifest = json.loads((old / "manifest.json").read_text())
    assert manifest["metrics"]["conversion_rate"]["definition_hash"] != earlier
    manifest["metrics"]["conversion_rate"]["definition_hash"] = earlier
    (old / "manifest.json").write_text(json.dumps(manifest))
    edit(demo_copy, "metrics/engagement.yml", "  - name: conversion_rate\n", "  - name: cr\n")
    doc = diff_json(invoke, demo_copy, "--state", str(old), "--no-values")
    changes = {c["name"]: c for c in doc["changes"]}
    assert changes["cr"]["same_definition_as"] == ["conversion_rate"]


def test_no_changes_and_nothing_stored(invoke: Invoke, fresh_demo: Path) -> None:
    old = snapshot(fresh_demo)
    doc = diff_json(invoke, fresh_demo, "--state", str(old))
    assert doc["changes"] == [] and doc["values"] == {}
    edit(fresh_demo, "metrics/commerce.yml", "    where: amount > 0\n", "    where: amount > 5\n")
    doc = diff_json(invoke, fresh_demo, "--state", str(old))
    assert doc["values"] == {
        "revenue": {"note": "nothing stored yet on target 'dev'", "points": []}
    }
    assert not (fresh_demo / ".tripl").exists()  # a diff never creates the state database


def test_api_compare_manifests_is_pure(demo_copy: Path) -> None:
    old = read_state_manifest(snapshot(demo_copy))
    current = diff_api.current_manifest(open_project(demo_copy))
    assert diff_api.compare_manifests(old, current) == []
    old["metrics"]["orders"]["interval"] = "1h"
    old["metrics"]["orders"]["definition_hash"] = "x"
    (change,) = diff_api.compare_manifests(old, current)
    assert (change.name, change.change) == ("orders", "modified")
    assert [(f.field, f.old, f.new) for f in change.fields] == [("interval", "1h", "1d")]


def test_reformatting_a_fact_tables_sql_is_no_change(invoke: Invoke, demo_copy: Path) -> None:
    old = snapshot(demo_copy)
    edit(
        demo_copy,
        "fact_tables/orders.yml",
        "sql: status = 'completed'",
        "sql: \"STATUS   =  'completed' /* paid */\"",
    )
    assert diff_json(invoke, demo_copy, "--state", str(old), "--no-values")["changes"] == []


def test_a_manifest_from_an_older_tripl_shows_no_modification(
    invoke: Invoke, fresh_demo: Path
) -> None:
    # Its hashes are the raw-SQL ones tripl computed before it normalized SQL.
    old = snapshot(fresh_demo)
    project = open_project(fresh_demo)
    manifest = json.loads((old / "manifest.json").read_text())
    for name, entry in manifest["metrics"].items():
        metric = project.metrics[name]
        legacy = earlier_hashes(project, metric)[-1]  # SQL as written
        assert entry["definition_hash"] != legacy  # every demo metric has SQL to normalize
        entry["definition_hash"] = legacy
    for name, entry in manifest["fact_tables"].items():
        raw = fact_table_hash(project.fact_tables[name], as_written=True)
        assert entry["definition_hash"] != raw  # the demo's SQL has whitespace to normalize
        entry["definition_hash"] = raw
    (old / "manifest.json").write_text(json.dumps(manifest))
    assert diff_json(invoke, fresh_demo, "--state", str(old))["changes"] == []
    assert select_metrics(project, ["state:modified"], state_manifest=manifest) == []


def test_an_interval_change_is_not_compared_with_another_intervals_values(
    invoke: Invoke, demo_copy: Path
) -> None:
    old = snapshot(demo_copy)
    commerce = "metrics/commerce.yml"
    edit(
        demo_copy, commerce, "    where: amount > 0\n", "    where: amount > 0\n    interval: 1w\n"
    )
    doc = diff_json(invoke, demo_copy, "--state", str(old), "--last", "3")
    revenue = doc["values"]["revenue"]
    assert revenue["points"] == []  # weekly values against stored daily ones: no baseline
    assert revenue["note"].startswith("interval changed (1d → 1w)"), revenue
