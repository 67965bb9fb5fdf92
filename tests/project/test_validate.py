"""Output formats of `tripl validate`: text, JSON, GitHub annotations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.project.helpers import FULL, INVALID, ORDERS, write_project
from tripl_cli.project.loader import load_project
from tripl_cli.project.validate import (
    format_github,
    format_json,
    format_text,
    render,
    validate_project,
)


def test_valid_project_text_summary() -> None:
    result = validate_project(FULL, env={})
    assert format_text(result) == "project 'shop' is valid (14 metrics, 2 fact tables)\n"
    assert json.loads(format_json(result)) == {"valid": True, "errors": [], "warnings": []}
    assert format_github(result) == ""


def test_text_lists_every_issue_then_the_counts() -> None:
    result = validate_project(INVALID / "unknown-filter", env={})
    assert format_text(result) == (
        "metrics/m.yml:6:15: error[unknown-filter]: metric 'orders_count': fact table 'orders' "
        "has no row filter 'complete' (did you mean 'completed'?)\n"
        "1 error, 0 warnings\n"
    )


def test_json_document() -> None:
    result = validate_project(INVALID / "env-var-missing", env={})
    document = json.loads(render(result, "json"))
    assert document == {
        "valid": False,
        "errors": [
            {
                "path": "metrics/m.yml",
                "line": 6,
                "col": 12,
                "rule": "env-var-missing",
                "severity": "error",
                "message": "environment variable 'TRIPL_FIXTURE_OWNER' is not set "
                "and has no default",
                "hint": "export TRIPL_FIXTURE_OWNER=... or give a default: "
                "env_var('TRIPL_FIXTURE_OWNER', 'default')",
            }
        ],
        "warnings": [],
    }


def test_warnings_alone_keep_the_project_valid() -> None:
    result = validate_project(INVALID / "count-distinct-column", env={})
    document = json.loads(format_json(result))
    assert document["valid"] is True and document["errors"] == []
    assert [w["rule"] for w in document["warnings"]] == ["count-distinct-column"]
    assert format_text(result).endswith(
        "project 'shop' is valid (1 metric, 1 fact table), 1 warning\n"
    )


def test_github_annotations_escape_properties_and_data() -> None:
    result = validate_project(INVALID / "unknown-key", env={})
    lines = format_github(result, path_prefix="projects/shop/").splitlines()
    assert lines[0] == (
        "::error file=projects/shop/metrics/m.yml,line=5,col=5,title=tripl unknown-key::"
        "unknown key 'agregation' in metric 'revenue' (did you mean 'aggregation'?)"
    )
    warning = validate_project(INVALID / "empty-selection", env={})
    assert format_github(warning) == (
        "::warning file=alerts/a.yml,line=6,col=13,title=tripl empty-selection::"
        "alert rule 'nothing' selects no metric ('tag:nope')\n"
    )
    no_project = validate_project(INVALID / "no-project", env={})
    assert format_github(no_project).startswith(
        "::error file=tripl_project.yml,title=tripl no-project::"
    )


def test_non_finite_condition_values_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "tripl_project.yml").write_text("name: nf\n")
    (tmp_path / "fact_tables").mkdir()
    (tmp_path / "fact_tables" / "f.yml").write_text(
        "fact_tables:\n  - name: f\n    sql: SELECT 1 AS ts, 2 AS amt\n    timestamp_column: ts\n"
    )
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "m.yml").write_text(
        "metrics:\n  - name: m\n    kind: fact\n    fact_table: f\n    aggregation: count\n"
        "    conditions: [{column: amt, operator: lt, value: .inf}]\n"
    )
    messages = [i.message for i in load_project(tmp_path).errors]
    assert any("finite number" in m for m in messages), messages


@pytest.mark.parametrize(
    ("target_path", "problem"),
    [
        (".", "is the project root itself"),
        ("./", "is the project root itself"),
        ("target/..", "is the project root itself"),
        ("..", "points outside the project root"),
        ("../elsewhere", "points outside the project root"),
        ("/tmp/out", "must be a path relative to the project root"),
        ("", "is empty"),
        (".tripl", "overlaps the state folder '.tripl'"),
        (".tripl/build", "overlaps the state folder '.tripl'"),
        ("metrics", "overlaps the metric-paths entry 'metrics'"),
        ("metrics/out", "overlaps the metric-paths entry 'metrics'"),
        ("fact_tables", "overlaps the fact-paths entry 'fact_tables'"),
        ("link_out", "points outside the project root"),
        ("target", None),
        ("build/artifacts", None),
    ],
)
def test_target_path_must_be_a_folder_of_its_own_inside_the_project(
    tmp_path: Path, target_path: str, problem: str | None
) -> None:
    root = tmp_path / "p"
    write_project(root, {"fact_tables/orders.yml": ORDERS})
    (root / "link_out").symlink_to(tmp_path)  # a symlink leading out of the project
    (root / "tripl_project.yml").write_text(f"name: shop\ntarget-path: {json.dumps(target_path)}\n")
    found = [i for i in load_project(root, env={}).issues if i.rule == "bad-target-path"]
    if problem is None:
        assert found == []
    else:
        (issue,) = found
        assert problem in issue.message
        assert (issue.location.path, issue.location.line) == ("tripl_project.yml", 2)


def test_object_paths_at_the_root_leave_any_target_folder_inside_valid(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"orders.yml": ORDERS})
    (root / "tripl_project.yml").write_text("name: shop\nfact-paths: [.]\nmetric-paths: [.]\n")
    assert [i for i in load_project(root, env={}).issues if i.rule == "bad-target-path"] == []
    (root / "tripl_project.yml").write_text("name: shop\nfact-paths: [.]\ntarget-path: .\n")
    (issue,) = [i for i in load_project(root, env={}).issues if i.rule == "bad-target-path"]
    assert issue.message == "target-path '.' is the project root itself"


def test_a_yaml_file_symlinked_from_outside_the_project_is_read(tmp_path: Path) -> None:
    shared = write_project(tmp_path / "shared", {"orders.yml": ORDERS})
    root = write_project(tmp_path / "p", {"tripl_project.yml": "name: shop\n"})
    (root / "fact_tables").mkdir()
    (root / "fact_tables" / "orders.yml").symlink_to(shared / "orders.yml")
    loaded = load_project(root, env={})
    assert [i for i in loaded.issues if i.severity.value == "error"] == []
    assert loaded.project is not None and "orders" in loaded.project.fact_tables


def test_a_folder_symlinked_into_the_project_is_read_and_a_link_cycle_ends(
    tmp_path: Path,
) -> None:
    shared = write_project(tmp_path / "shared", {"orders.yml": ORDERS})
    root = write_project(tmp_path / "p", {"tripl_project.yml": "name: shop\n"})
    (root / "fact_tables").mkdir()
    (root / "fact_tables" / "shared").symlink_to(shared)
    (shared / "back").symlink_to(root / "fact_tables")  # a cycle through both folders
    loaded = load_project(root, env={})
    assert [i for i in loaded.issues if i.severity.value == "error"] == []
    assert loaded.project is not None and list(loaded.project.fact_tables) == ["orders"]


def test_a_folder_also_linked_inside_the_project_keeps_its_own_path(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"tripl_project.yml": "name: shop\n"})
    (root / "fact_tables" / "v2").mkdir(parents=True)
    (root / "fact_tables" / "v2" / "orders.yml").write_text(ORDERS)
    (root / "fact_tables" / "current").symlink_to(root / "fact_tables" / "v2")  # sorts first
    loaded = load_project(root, env={})
    assert [i for i in loaded.issues if i.severity.value == "error"] == []
    assert loaded.project is not None
    assert loaded.project.sources[("fact_table", "orders")].path == "fact_tables/v2/orders.yml"


def test_a_name_too_long_for_a_file_name_is_reported(tmp_path: Path) -> None:
    name = "m" + "x" * 200
    metric = f"metrics:\n  - {{name: {name}, kind: sql, interval: 1d, sql: 'SELECT 1'}}\n"
    root = write_project(tmp_path / "p", {"tripl_project.yml": "name: shop\n", "m.yml": metric})
    (root / "tripl_project.yml").write_text("name: shop\nmetric-paths: [.]\n")
    (issue,) = [i for i in load_project(root, env={}).issues if i.severity.value == "error"]
    assert issue.rule == "bad-value" and issue.message.endswith("is longer than 128 characters")


def test_an_unset_destination_secret_warns_and_its_empty_value_is_still_checked(
    tmp_path: Path,
) -> None:
    alerts = (
        "destinations:\n"
        "  - {name: hook, type: webhook, url: \"https://h.example/{{ env_var('TOKEN') }}\"}\n"
        "  - {name: mail, type: email, host: h, port: \"{{ env_var('PORT') }}\", from: a@b.c,"
        " to: [x@y.z]}\n"
    )
    root = write_project(
        tmp_path / "p", {"tripl_project.yml": "name: shop\n", "alerts/a.yml": alerts}
    )
    loaded = load_project(root, env={})
    found = {(i.rule, i.severity.value, i.location.line) for i in loaded.issues}
    assert ("env-var-missing", "warning", 2) in found  # the URL: deliverable once set
    assert ("wrong-type", "error", 3) in found  # an empty port is no port
    assert all(i.severity.value == "warning" for i in loaded.issues if i.location.line == 2)


_SPEC_ORDERS = """\
    fact_tables:
      - name: orders
        sql: |
          SELECT created_at, user_id, amount, status, country, platform, app_version
          FROM raw.orders
        timestamp_column: created_at
        columns:
          - {name: amount, type: number}
          - {name: country, type: string}
        identifier_columns: [user_id]
        row_filters:
          - name: completed
            sql: status = 'completed'
    """
_SPEC_REVENUE = """\
    metrics:
      - name: revenue
        kind: fact
        fact_table: orders
        aggregation: sum
        column: amount
        filters: [completed]
        conditions: [{column: platform, operator: in, value: [ios, android]}]
        breakdowns: [country]
    """


def test_columns_may_declare_some_of_the_selected_columns(tmp_path: Path) -> None:
    # SPEC §2's own example: `columns:` types two of the seven columns its SELECT names.
    files = {"tripl_project.yml": "name: p\n", "fact_tables/orders.yml": _SPEC_ORDERS}
    files["metrics/m.yml"] = _SPEC_REVENUE
    result = validate_project(write_project(tmp_path, files), env={})
    assert format_text(result) == "project 'p' is valid (1 metric, 1 fact table)\n"


def test_a_declared_column_its_sql_does_not_select_is_reported(tmp_path: Path) -> None:
    orders = _SPEC_ORDERS.replace("{name: country, type: string}", "{name: countyr, type: string}")
    files = {"tripl_project.yml": "name: p\n", "fact_tables/orders.yml": orders}
    files["metrics/m.yml"] = _SPEC_REVENUE
    result = validate_project(write_project(tmp_path, files), env={})
    assert format_text(result) == (
        "fact_tables/orders.yml:9:16: warning[unselected-column]: fact table 'orders': "
        "column 'countyr' is declared in `columns:` but its sql does not select it "
        "(did you mean 'country'?)\n"
        "project 'p' is valid (1 metric, 1 fact table), 1 warning\n"
    )


def test_an_unaliased_expression_makes_the_declared_columns_the_known_ones(
    tmp_path: Path,
) -> None:
    # DuckDB names `CAST(amount AS DOUBLE)` after the whole expression, so `sum(amount)`
    # would fail at run time: the SELECT list no longer says which names exist.
    orders = _SPEC_ORDERS.replace(" amount, status", " CAST(amount AS DOUBLE), status")
    orders = orders.replace("{name: amount, type: number}", "{name: app_version, type: string}")
    files = {"tripl_project.yml": "name: p\n", "fact_tables/orders.yml": orders}
    files["metrics/m.yml"] = _SPEC_REVENUE
    result = validate_project(write_project(tmp_path, files), env={})
    messages = [i.message for i in result.errors if i.rule == "unknown-column"]
    assert [m.split(" (did you mean")[0] for m in messages] == [
        "metric 'revenue': unknown column 'amount' in fact table 'orders'"
    ], messages  # the other columns are selected by name: still known


def test_a_file_that_is_not_yaml_hides_its_objects_instead_of_making_them_unknown(
    tmp_path: Path,
) -> None:
    broken = "metrics:\n  - name: orders\n    kind: fact\n      fact_table: orders\n"
    reader = (
        "metrics:\n  - {name: orders_per_day, kind: composition, numerator: orders,"
        " denominator: orders}\n"
    )
    files = {"tripl_project.yml": "name: p\n", "fact_tables/orders.yml": ORDERS}
    files |= {"metrics/a.yml": broken, "metrics/b.yml": reader}
    result = validate_project(write_project(tmp_path, files), env={})
    assert [(i.rule, i.location.path) for i in result.issues] == [("yaml-syntax", "metrics/a.yml")]


def test_a_readable_file_with_a_bad_value_hides_no_unknown_reference(tmp_path: Path) -> None:
    # `!!int abc` is a yaml-syntax issue in a file that parses: its objects are known.
    tagged = "metrics:\n  - {name: odd, kind: fact, fact_table: orders, aggregation: count,"
    tagged += " description: !!int abc}\n"
    typo = "metrics:\n  - {name: n, kind: fact, fact_table: orderz, aggregation: count}\n"
    files = {"tripl_project.yml": "name: p\n", "fact_tables/orders.yml": ORDERS}
    files |= {"metrics/a.yml": tagged, "metrics/b.yml": typo}
    result = validate_project(write_project(tmp_path, files), env={})
    assert "unknown-fact-table" in {i.rule for i in result.issues}
