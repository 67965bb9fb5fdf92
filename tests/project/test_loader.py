"""Loading the full fixture project: every object kind, templating, and exact locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project.helpers import FULL, ORDERS, write_project
from tripl_cli.errors import ProjectInvalid, SourceLocation, TriplError
from tripl_cli.project.loader import find_project_root, load_project, load_project_or_raise
from tripl_cli.project.schema import CompositionMetric, FactMetric, SqlMetric
from tripl_cli.timegrid import Interval

METRIC_A = "metrics:\n  - {name: a, kind: fact, fact_table: orders, aggregation: count}\n"


@pytest.fixture(scope="module")
def full():  # type: ignore[no-untyped-def]
    result = load_project(FULL, env={})
    assert result.issues == ()
    assert result.project is not None
    return result.project


def test_full_fixture_has_every_object_kind(full) -> None:  # type: ignore[no-untyped-def]
    assert list(full.fact_tables) == ["orders", "sessions"]
    assert set(full.destinations) == {"team_slack", "audit_log"}
    assert set(full.alert_rules) == {"commerce_drops", "everything"}
    kinds = {type(m) for m in full.metrics.values()}
    assert kinds == {FactMetric, SqlMetric, CompositionMetric}
    ratios = [m for m in full.metrics.values() if isinstance(m, FactMetric) and m.is_ratio]
    tables = {(m.numerator.fact_table, m.denominator.fact_table) for m in ratios}  # type: ignore[union-attr]
    assert ("orders", "orders") in tables and ("orders", "sessions") in tables
    compositions = [m for m in full.metrics.values() if isinstance(m, CompositionMetric)]
    assert {m.per_distinct is not None for m in compositions} == {True, False}
    assert {full.interval_of(m) for m in full.metrics.values()} == set(Interval)
    aggregations = {
        measure.aggregation
        for m in full.metrics.values()
        if isinstance(m, FactMetric)
        for measure in m.measures()
    }
    assert len(aggregations) == 6


def test_files_are_read_in_sorted_order_including_yaml_and_subfolders(full) -> None:  # type: ignore[no-untyped-def]
    paths = [full.source_of("metric", n).path for n in full.metrics]
    assert paths == sorted(paths)
    assert full.source_of("fact_table", "sessions").path == "fact_tables/sessions.yaml"
    assert full.source_of("metric", "sessions").path == "metrics/traffic/traffic.yml"


def test_locations_point_at_keys_and_values(full) -> None:  # type: ignore[no-untyped-def]
    assert full.location_of("metric", "revenue") == SourceLocation("metrics/commerce.yml", 13, 5)
    assert full.location_of("metric", "revenue", "column") == SourceLocation(
        "metrics/commerce.yml", 17, 13
    )
    node = full.source_of("metric", "revenue").node
    assert node.key("column") == SourceLocation("metrics/commerce.yml", 17, 5)
    # Flow mappings keep columns too.
    assert full.location_of(
        "metric", "average_order_value", "denominator", "aggregation"
    ) == SourceLocation("metrics/commerce.yml", 83, 52)
    # A missing key falls back to the nearest existing ancestor.
    assert full.location_of("metric", "revenue", "numerator", "x") == SourceLocation(
        "metrics/commerce.yml", 13, 5
    )


def test_templates_are_rendered_with_project_vars(full) -> None:  # type: ignore[no-untyped-def]
    revenue = full.metrics["revenue"]
    assert isinstance(revenue, FactMetric) and revenue.where == "amount > 0"
    big = full.fact_tables["orders"].row_filter("big_us_orders")
    assert big.conditions[1].value == 100  # a whole-value template keeps var()'s type


def test_start_end_are_left_for_the_compiler_with_normalised_spacing(full) -> None:  # type: ignore[no-untyped-def]
    sql = full.metrics["active_sessions"].sql
    assert "started_at >= {{ start }} AND started_at < {{ end }}" in sql
    assert "{{start}}" not in sql


def test_cli_vars_override_project_vars() -> None:
    result = load_project(FULL, env={}, cli_vars={"min_amount": 5})
    assert result.project is not None
    revenue = result.project.metrics["revenue"]
    assert isinstance(revenue, FactMetric) and revenue.where == "amount > 5"


def test_env_values_render_and_defaults_apply() -> None:
    env = {"TRIPL_TEST_SLACK_URL": "https://hooks.slack.invalid/real"}
    project = load_project(FULL, env=env).project
    assert project is not None
    assert project.destinations["team_slack"].url == "https://hooks.slack.invalid/real"  # type: ignore[union-attr]


def test_find_project_root_walks_up(tmp_path: Path) -> None:
    write_project(tmp_path, {"tripl_project.yml": "name: shop\n"})
    deep = tmp_path / "metrics" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_project_root(deep) == tmp_path.resolve()


def test_find_project_root_without_project_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TriplError) as info:
        find_project_root(tmp_path)
    assert "tripl_project.yml" in info.value.message and info.value.hint


def test_a_project_dir_that_does_not_exist_says_so(tmp_path: Path) -> None:
    with pytest.raises(TriplError) as info:
        find_project_root(tmp_path / "nowhere")
    assert info.value.message == f"{tmp_path / 'nowhere'} does not exist"


def test_load_project_or_raise_carries_every_issue(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "tripl_project.yml": "name: shop\n",
            "fact_tables/o.yml": ORDERS,
            "metrics/m.yml": """\
                metrics:
                  - {name: a, kind: fact, fact_table: nope, aggregation: count}
                  - {name: b, kind: fact, fact_table: orders, aggregation: sum}
                """,
        },
    )
    with pytest.raises(ProjectInvalid) as info:
        load_project_or_raise(tmp_path, env={})
    assert [i.rule for i in info.value.issues] == ["unknown-fact-table", "missing-column"]
    assert info.value.message == "project has 2 errors"


def test_bad_project_file_keeps_checking_the_other_files(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "tripl_project.yml": "name: shop\nmetric-paths: [kpis]\ndefaults: {intervl: 1d}\n",
            "kpis/m.yml": METRIC_A.replace("orders", "nope"),
        },
    )
    result = load_project(tmp_path, env={})
    assert result.project is None
    rules = [(i.location.path, i.rule) for i in result.issues]
    assert rules == [("kpis/m.yml", "unknown-fact-table"), ("tripl_project.yml", "unknown-key")]


def test_target_dir_hidden_dirs_and_root_files_are_skipped(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "tripl_project.yml": "name: shop\nmetric-paths: ['.']\n",
            "profiles.yml": "shop: {target: dev, outputs: {dev: {type: duckdb}}}\n",
            "target/junk.yml": "nonsense: 1\n",
            ".hidden/junk.yml": "nonsense: 1\n",
            "fact_tables/o.yml": ORDERS,
            "m.yml": METRIC_A,
        },
    )
    result = load_project(tmp_path, env={})
    assert result.issues == ()
    assert result.project is not None and list(result.project.metrics) == ["a"]


def test_objects_failing_the_schema_do_not_cascade_into_unknown_references(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "tripl_project.yml": "name: shop\n",
            "fact_tables/o.yml": ORDERS.replace(
                "timestamp_column: created_at", "timestamp_column: 1"
            ),
            "metrics/m.yml": METRIC_A,
        },
    )
    result = load_project(tmp_path, env={})
    assert [i.rule for i in result.issues] == ["wrong-type"]


def test_dialect_makes_sql_checks_exact(tmp_path: Path) -> None:
    # ClickHouse-only syntax: fine permissively and for ClickHouse, an error for Postgres.
    sql = "SELECT ts, x FROM t SETTINGS max_threads = 1"
    write_project(
        tmp_path,
        {
            "tripl_project.yml": "name: shop\n",
            "fact_tables/o.yml": f"fact_tables:\n- {{name: t, sql: '{sql}', timestamp_column: ts}}",
        },
    )
    assert load_project(tmp_path, env={}).issues == ()
    assert load_project(tmp_path, env={}, dialect="clickhouse").issues == ()
    rules = [i.rule for i in load_project(tmp_path, env={}, dialect="postgres").issues]
    assert rules == ["sql-syntax"]


def test_a_fact_metrics_shape_is_checked_whatever_mapping_it_comes_from() -> None:
    from types import MappingProxyType

    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="needs `fact_table` and `aggregation`"):
        FactMetric.model_validate(MappingProxyType({"name": "m", "kind": "fact"}))
    # An unknown key inside the numerator is not the missing denominator misspelled.
    with pytest.raises(ValidationError) as err:
        FactMetric.model_validate(
            {"name": "m", "kind": "fact", "numerator": {"fact_table": "o", "aggregation": "count",
                                                          "filter": ["x"]}}
        )  # fmt: skip
    said = [(e["type"], e["loc"]) for e in err.value.errors()]
    assert said == [("extra_forbidden", ("numerator", "filter")), ("value_error", ())]
    assert "needs both `numerator` and `denominator`" in str(err.value)
