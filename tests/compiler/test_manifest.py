"""`build_manifest` over the `full` fixture: locations, hashes, kinds, queries, no secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from tripl_cli.compiler.manifest import build_manifest, fact_table_hash, fact_table_known_hashes
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project import semantics
from tripl_cli.project.loader import load_project_or_raise
from tripl_cli.project.schema import ColumnType
from tripl_cli.timegrid import Window

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "projects" / "full"
WINDOW = Window(datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC))
SECRET = "https://hooks.slack.example/SECRET"


def _manifest() -> dict[str, Any]:
    project = load_project_or_raise(FIXTURE, env={"TRIPL_TEST_SLACK_URL": SECRET})
    plan = compile_plan(project, list(project.metrics), dialect="postgres", window_for=WINDOW)
    return build_manifest(project, plan)


def test_every_object_with_location_hash_kind_and_queries() -> None:
    project = load_project_or_raise(FIXTURE)
    manifest = _manifest()
    assert manifest["metadata"]["project"] == "shop"
    assert manifest["metadata"]["dialect"] == "postgres"
    assert set(manifest["metrics"]) == set(project.metrics)
    assert set(manifest["fact_tables"]) == set(project.fact_tables)
    for name, entry in manifest["metrics"].items():
        metric = project.metrics[name]
        assert entry["path"].startswith("metrics/") and entry["line"] >= 1
        assert entry["definition_hash"] == semantics.definition_hash(project, metric)
        assert entry["value_kind"] == semantics.value_kind(project, metric).value
        assert entry["dependencies"] == semantics.dependencies(project, metric)
        for query_id in entry["compiled_queries"]:
            assert name in manifest["queries"][query_id]["metrics"]
    revenue = manifest["metrics"]["revenue"]
    assert (revenue["interval"], revenue["value_kind"]) == ("1h", "fractional")
    assert revenue["compiled_queries"] == ["orders__1h", "orders__1h__country"]
    assert manifest["metrics"]["purchase_conversion"]["compiled_queries"] == []  # Python-side
    assert manifest["metrics"]["orders_per_buyer"]["compiled_queries"] == [
        "orders__1d__distinct__user_id"
    ]
    orders = manifest["fact_tables"]["orders"]
    assert orders["path"] == "fact_tables/orders.yml" and orders["line"] >= 1
    assert orders["definition_hash"] == fact_table_hash(project.fact_tables["orders"])


def test_manifest_is_json_deterministic_and_secret_free() -> None:
    text = json.dumps(_manifest(), sort_keys=True)
    assert text == json.dumps(_manifest(), sort_keys=True)
    assert SECRET not in text and "hooks.slack" not in text
    assert json.loads(text)["destinations"]["team_slack"]["type"] == "slack"


def test_fact_table_hash_ignores_descriptions() -> None:
    fact = load_project_or_raise(FIXTURE).fact_tables["orders"]
    same = fact.model_copy(update={"description": "other", "owner": "x", "tags": []})
    changed = fact.model_copy(update={"timestamp_column": "updated_at"})
    assert fact_table_hash(same) == fact_table_hash(fact) != fact_table_hash(changed)
    # Nor those of its columns and row filters; their types and definitions count.
    assert fact.columns and fact.row_filters
    described = fact.model_copy(
        update={
            "columns": [c.model_copy(update={"description": "d"}) for c in fact.columns],
            "row_filters": [f.model_copy(update={"description": "d"}) for f in fact.row_filters],
        }
    )
    assert fact_table_hash(described) == fact_table_hash(fact)
    column = fact.columns[0]
    retyped = ColumnType.STRING if column.type is not ColumnType.STRING else ColumnType.NUMBER
    other_type = fact.model_copy(
        update={"columns": [column.model_copy(update={"type": retyped}), *fact.columns[1:]]}
    )
    assert fact_table_hash(other_type) != fact_table_hash(fact)


def test_fact_table_hash_reads_sql_as_tokens() -> None:
    fact = load_project_or_raise(FIXTURE).fact_tables["orders"]
    completed = fact.row_filters[0].model_copy(update={"sql": "STATUS='completed' /* paid */"})
    reformatted = fact.model_copy(
        update={
            "sql": "select   created_at, order_id, user_id, amount, status, country,"
            " platform, is_test -- all we read\n  from ORDERS",
            "row_filters": [completed, *fact.row_filters[1:]],
        }
    )
    assert fact_table_hash(reformatted) == fact_table_hash(fact)
    # As an older tripl hashed it (the raw text), it was a change; both hashes are known.
    assert fact_table_hash(reformatted, as_written=True) != fact_table_hash(fact, as_written=True)
    assert fact_table_known_hashes(fact) == {
        fact_table_hash(fact),
        fact_table_hash(fact, as_written=True),
    }
    # A string literal is data: changing its case changes the rows.
    shouted = fact.row_filters[0].model_copy(update={"sql": "status = 'COMPLETED'"})
    other = fact.model_copy(update={"row_filters": [shouted, *fact.row_filters[1:]]})
    assert fact_table_hash(other) != fact_table_hash(fact)


def test_compiled_paths() -> None:
    manifest = _manifest()
    paths = {q: PurePosixPath(v["path"]) for q, v in manifest["queries"].items()}
    assert paths["orders__1d"] == PurePosixPath("compiled/orders/1d.sql")
    assert paths["orders__1h__country"] == PurePosixPath("compiled/orders/1h__country.sql")
    assert paths["metric__active_sessions"] == PurePosixPath("compiled/metrics/active_sessions.sql")
    assert len(set(paths.values())) == len(paths)  # one file per query


def test_compiled_file_names_never_escape_the_compiled_folder() -> None:
    from tripl_cli.compiler.manifest import _safe

    for hostile in ("1d__a/../../../../escaped", "..", "1d__x\\..\\y", "1d__ü/€"):
        name = _safe(hostile)
        assert "/" not in name and "\\" not in name and ".." not in name and name
    assert _safe("1d__country") == "1d__country"


def test_a_duckdb_variant_and_its_probe_get_files_beside_the_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tripl_cli.api.project_api import _write_sql

    monkeypatch.setattr("tripl_cli.compiler.bitmap.PROBED_MIN_BUCKETS", 2)  # a 7-day window

    project = load_project_or_raise(FIXTURE)
    plan = compile_plan(project, list(project.metrics), dialect="duckdb", window_for=WINDOW)
    manifest = build_manifest(project, plan)
    varied = {q: v["variant"] for q, v in manifest["queries"].items() if "variant" in v}
    assert varied["orders__1d"] == {
        "shape": "bitmap",
        "path": "compiled/orders/1d.bitmap.sql",
        "probe_path": "compiled/orders/1d.bitmap_probe.sql",
    }
    written = {p.relative_to(tmp_path).as_posix() for p in _write_sql(tmp_path, plan.queries)}
    assert {"orders/1d.sql", "orders/1d.bitmap.sql", "orders/1d.bitmap_probe.sql"} <= written
    query = next(q for q in plan.queries if q.id == "orders__1d")
    assert query.variant is not None
    assert (tmp_path / "orders/1d.bitmap.sql").read_text() == query.variant.sql.rstrip() + "\n"
    assert "APPROX_COUNT_DISTINCT" in (tmp_path / "orders/1d.bitmap_probe.sql").read_text()
