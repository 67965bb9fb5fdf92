"""`state:new` / `state:modified` with `--state DIR`: what changed since an older manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import AS_OF, Invoke
from tripl_cli.api.project_api import compile_project, open_project
from tripl_cli.errors import TriplError
from tripl_cli.project.selection import read_state_manifest, select_metrics
from tripl_cli.project.semantics import definition_hash

NEW_METRIC = """
  - name: web_sessions
    kind: fact
    fact_table: sessions
    aggregation: count
    where: platform = 'web'
"""


def snapshot(root: Path) -> Path:
    """`tripl compile` now, and keep its target/ aside as the "older" state (a CI artifact)."""
    project = open_project(root)
    compile_project(project, dialect="duckdb", as_of=AS_OF)
    old = root.parent / "main_target"
    shutil.copytree(root / "target", old)
    return old


def edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / "metrics" / file
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def change_project(root: Path) -> None:
    """revenue: a new `where` (values change); orders: only its description; + a new metric."""
    edit(root, "commerce.yml", "    where: amount > 0\n", "    where: amount > 50\n")
    edit(root, "commerce.yml", "Orders placed, whatever their final status.", "Orders placed.")
    with (root / "metrics" / "engagement.yml").open("a") as f:
        f.write(NEW_METRIC)


def ls_names(invoke: Invoke, root: Path, *args: str) -> list[str]:
    result = invoke(root, "ls", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return [row["metric"] for row in doc["metrics"]]


def test_new_and_modified(invoke: Invoke, demo_copy: Path) -> None:
    old = snapshot(demo_copy)
    change_project(demo_copy)
    state = ("--state", str(old))
    assert ls_names(invoke, demo_copy, "-s", "state:new", *state) == ["web_sessions"]
    # As in dbt, a new metric is modified too (it has no old definition to equal).
    assert ls_names(invoke, demo_copy, "-s", "state:modified", *state) == [
        "revenue",
        "web_sessions",
    ]
    assert ls_names(
        invoke, demo_copy, "-s", "state:modified", "--exclude", "state:new", *state
    ) == ["revenue"]
    # comma = intersection, with other methods
    assert ls_names(invoke, demo_copy, "-s", "state:modified,tag:kpi", *state) == ["revenue"]
    # the manifest file itself works as --state too
    assert ls_names(
        invoke, demo_copy, "-s", "state:new", "--state", str(old / "manifest.json")
    ) == ["web_sessions"]


def test_nothing_changed_selects_nothing(invoke: Invoke, demo_copy: Path) -> None:
    old = snapshot(demo_copy)
    edit(demo_copy, "commerce.yml", "Orders placed, whatever their final status.", "Orders.")
    assert ls_names(invoke, demo_copy, "-s", "state:modified", "--state", str(old)) == []


def test_a_changed_part_modifies_its_compositions(invoke: Invoke, demo_copy: Path) -> None:
    """A composition's hash covers its parts', so it is modified with them; `+` then adds
    what reads it, and `+state:…` what it reads."""
    old = snapshot(demo_copy)
    edit(
        demo_copy,
        "engagement.yml",
        "    aggregation: count\n    breakdowns: [platform]\n",
        "    aggregation: count\n    where: platform <> 'web'\n    breakdowns: [platform]\n",
    )
    state = ("--state", str(old))
    assert ls_names(invoke, demo_copy, "-s", "state:modified", *state) == [
        "sessions",
        "conversion_rate",
    ]
    assert ls_names(invoke, demo_copy, "-s", "+state:modified", *state) == [
        "orders",
        "sessions",
        "conversion_rate",
    ]


def test_descendants_operator(demo_copy: Path) -> None:
    """`state:modified+` = modified plus everything downstream, even downstream metrics whose
    own hash is unchanged (here: an older manifest that already had the composition's)."""
    old = snapshot(demo_copy)
    edit(
        demo_copy,
        "commerce.yml",
        "    aggregation: count\n    breakdowns: [platform, country]",
        "    aggregation: count\n    where: amount >= 0\n    breakdowns: [platform, country]",
    )
    project = open_project(demo_copy)
    manifest = read_state_manifest(old)
    for name in ("conversion_rate", "orders_per_buyer"):
        manifest["metrics"][name]["definition_hash"] = definition_hash(
            project, project.metrics[name]
        )
    assert select_metrics(project, ["state:modified"], state_manifest=manifest) == ["orders"]
    assert select_metrics(project, ["state:modified+"], state_manifest=manifest) == [
        "orders",
        "orders_per_buyer",
        "conversion_rate",
    ]
    # backward compatible: positional select/exclude, no manifest
    assert select_metrics(project, ["tag:kpi"], ["orders"]) == [
        "revenue",
        "sessions",
        "conversion_rate",
    ]


def test_state_on_compile_run_detect_backtest(invoke: Invoke, demo_copy: Path) -> None:
    old = snapshot(demo_copy)
    change_project(demo_copy)
    state = ("--state", str(old))
    compiled = invoke(demo_copy, "compile", "-s", "state:modified", *state, "--print")
    assert compiled.exit_code == 0, compiled.output
    assert "compiled 2 metrics" in compiled.stderr
    assert "amount > 50" in compiled.stdout
    manifest = json.loads((demo_copy / "target" / "manifest.json").read_text())
    assert "web_sessions" in manifest["metrics"]  # the new manifest replaced the old one
    dry = invoke(demo_copy, "run", "--dry-run", "--format", "json", "-s", "state:new", *state)
    assert dry.exit_code == 0, dry.output
    assert {m for q in json.loads(dry.stdout)["queries"] for m in q["metrics"]} == {"web_sessions"}
    back = invoke(demo_copy, "backtest", "--format", "json", "-s", "state:modified", *state)
    assert back.exit_code == 0, back.output
    assert {r["metric"] for r in json.loads(back.stdout)["metrics"]} == {"revenue", "web_sessions"}
    det = invoke(demo_copy, "detect", "--no-alerts", "--format", "json", "-s", "state:new", *state)
    assert det.exit_code == 0, det.output
    assert [s["metric"] for s in json.loads(det.stdout)["series"]] == ["web_sessions"]


def error_of(invoke: Invoke, root: Path, *args: str) -> TriplError:
    result = invoke(root, *args)
    assert isinstance(result.exception, TriplError), result.output
    return result.exception


def test_errors(invoke: Invoke, demo_copy: Path, tmp_path: Path) -> None:
    # Without --state: a usage error (exit 2), as a malformed selector is.
    missing = invoke(demo_copy, "ls", "-s", "state:modified", env={"COLUMNS": "300"})
    assert missing.exit_code == 2
    assert (
        "selector 'state:modified' needs an older manifest to compare with: "
        "`--state DIR` on the command line"
    ) in " ".join(missing.output.split())
    assert "target/ folder of an older `tripl compile`" in missing.output
    # A command without --state says so, rather than to pass it.
    report = invoke(demo_copy, "report", "-s", "state:new", env={"COLUMNS": "300"})
    assert report.exit_code == 2
    assert "which this command does not take" in " ".join(report.output.split())
    empty = tmp_path / "empty"
    empty.mkdir()
    error = error_of(invoke, demo_copy, "ls", "-s", "state:new", "--state", str(empty))
    assert error.message == f"--state: no manifest.json in {empty}"
    old = snapshot(demo_copy)
    # A misspelt selector is a usage error (exit 2), with the suggestion.
    typo = invoke(
        demo_copy, "ls", "-s", "state:modifed", "--state", str(old), env={"COLUMNS": "200"}
    )
    assert typo.exit_code == 2
    assert "unknown state selector 'modifed' in 'state:modifed'" in typo.output
    assert "did you mean 'modified'?" in typo.output
    (empty / "manifest.json").write_text("{not json")
    with pytest.raises(TriplError, match="cannot read"):
        read_state_manifest(empty)
    (empty / "manifest.json").write_text('{"queries": {}}')
    with pytest.raises(TriplError, match="not a tripl manifest"):
        read_state_manifest(empty)
    (empty / "manifest.json").write_text('{"metadata": {"manifest_version": 99}, "metrics": {}}')
    with pytest.raises(TriplError, match="written by a newer tripl \\(manifest v99"):
        read_state_manifest(empty)
    # The sections of a manifest, but of the wrong shape: clear errors, not a crash.
    for broken, problem in [
        ('{"metrics": {}, "fact_tables": [1]}', "'fact_tables' is not an object of names"),
        ('{"metrics": 5}', "'metrics' is not an object of names"),
        ("[1]", "not a JSON object"),
    ]:
        (empty / "manifest.json").write_text(broken)
        with pytest.raises(TriplError, match=problem):
            read_state_manifest(empty)
    result = invoke(demo_copy, "diff", "--state", str(empty))
    assert result.exit_code == 1 and isinstance(result.exception, TriplError)


def test_alert_rule_with_state_selector_is_a_validation_error(
    invoke: Invoke, demo_copy: Path
) -> None:
    """Alert rules have no older manifest: `state:` there is reported, not a crash."""
    alerts = demo_copy / "alerts" / "alerts.yml"
    alerts.write_text(alerts.read_text().replace("select: orders", "select: state:modified"))
    result = invoke(demo_copy, "validate")
    assert result.exit_code == 1
    assert "bad-selector" in result.output and "older manifest" in result.output
