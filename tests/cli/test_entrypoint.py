"""The console-script wrapper: exit codes, error rendering, global options after the command."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from tripl_cli.cli.main import (
    _takes_arguments,
    app,
    hoist_global_options,
    spread_selector_values,
)

ROOT = Path(__file__).resolve().parents[2]


def _tripl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", "from tripl_cli.cli.main import run; run()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["validate", "--project-dir", "x"], ["--project-dir", "x", "validate"]),
        (
            ["validate", "--project-dir=x", "--format", "json"],
            ["--project-dir=x", "validate", "--format", "json"],
        ),
        (
            ["--project-dir", "x", "run", "-t", "prod", "--debug"],
            ["-t", "prod", "--debug", "--project-dir", "x", "run"],
        ),
        (["init", "demo", "--demo"], ["init", "demo", "--demo"]),
        (["show", "revenue", "--", "--debug"], ["show", "revenue", "--", "--debug"]),
        (["--help"], ["--help"]),
    ],
)
def test_global_options_after_the_command_are_hoisted(argv: list[str], expected: list[str]) -> None:
    assert hoist_global_options(argv) == expected


def test_help_lists_commands_and_exits_zero(tmp_path: Path) -> None:
    result = _tripl("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("init", "validate", "compile", "run", "detect", "backtest"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "-s", "a", "b", "--threads", "2"],
         ["run", "-s", "a", "-s", "b", "--threads", "2"]),
        (["ls", "--select", "tag:x", "a", "--exclude", "b", "c"],
         ["ls", "--select", "tag:x", "--select", "a", "--exclude", "b", "--exclude", "c"]),
        (["-t", "prod", "compile", "-s", "a", "b"],
         ["-t", "prod", "compile", "-s", "a", "-s", "b"]),
        (["run", "--select=a", "b"], ["run", "--select=a", "--select", "b"]),
        (["show", "orders", "-s", "a", "b"], ["show", "orders", "-s", "a", "b"]),  # has arguments
        (["run", "-s", "a", "--", "b"], ["run", "-s", "a", "--", "b"]),
    ],
)  # fmt: skip
def test_space_separated_selectors_after_one_flag_are_a_union(
    argv: list[str], expected: list[str]
) -> None:
    group = typer.main.get_command(app)
    assert spread_selector_values(argv, functools.partial(_takes_arguments, group)) == expected


def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    import tomllib

    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    version = tomllib.loads(pyproject.read_text())["project"]["version"]
    result = _tripl("--version", cwd=tmp_path)  # no project needed
    assert result.returncode == 0
    assert result.stdout.strip() == f"tripl {version}"  # pyproject's, not a guess


def test_init_suggests_a_cd_only_into_another_folder(tmp_path: Path) -> None:
    here = _tripl("init", ".", cwd=tmp_path)
    assert here.returncode == 0, here.stderr
    assert "next: tripl validate && tripl compile" in here.stderr
    elsewhere = _tripl("init", "my shop", cwd=tmp_path)
    assert "next: cd 'my shop' && tripl validate" in elsewhere.stderr


def test_usage_error_exits_2(tmp_path: Path) -> None:
    result = _tripl("run", "--no-such-flag", cwd=tmp_path)
    assert result.returncode == 2
    assert "no-such-flag" in result.stderr


def test_a_bad_project_name_is_a_usage_error(tmp_path: Path) -> None:
    result = _tripl("init", "newp", "--name", "Bad-Name", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "'--name'" in result.stderr and "lowercase letters" in result.stderr
    assert not (tmp_path / "newp").exists()
    too_long = _tripl("init", "newp", "--name", "a" * 129, cwd=tmp_path)
    assert too_long.returncode == 2 and "longer than 128 characters" in too_long.stderr


def test_no_project_is_a_clear_error_without_traceback(tmp_path: Path) -> None:
    result = _tripl("compile", cwd=tmp_path)
    assert result.returncode == 1
    assert "tripl_project.yml" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def _metrics_project(root: Path, metrics_yml: str) -> None:
    (root / "tripl_project.yml").write_text("name: shop\n")
    (root / "metrics").mkdir()
    (root / "metrics" / "m.yml").write_text(metrics_yml)


BAD_FACT_TABLE = (
    "metrics:\n  - name: a\n    kind: fact\n    fact_table: nope\n    aggregation: count\n"
)


def test_invalid_project_exits_1_and_lists_every_error(tmp_path: Path) -> None:
    _metrics_project(
        tmp_path,
        BAD_FACT_TABLE
        + "  - name: b\n    kind: fact\n    fact_table: nope2\n    aggregation: summ\n",
    )
    result = _tripl("validate", cwd=tmp_path)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if "error[" in line]
    assert any(
        line.startswith("metrics/m.yml:4:") and "unknown-fact-table" in line for line in lines
    )
    assert any("metrics/m.yml:9:" in line and "summ" in line for line in lines)
    assert "Traceback" not in result.stderr


def test_driver_loggers_do_not_print_bare_lines(tmp_path: Path) -> None:
    (tmp_path / "tripl_project.yml").write_text("name: shop\n")
    (tmp_path / "profiles.yml").write_text(
        "shop:\n  target: dev\n  outputs:\n    dev: {type: clickhouse, host: 127.0.0.1, port: 1}\n"
    )
    result = _tripl("debug", cwd=tmp_path)
    assert result.returncode == 1
    assert "could not connect to target 'dev' (clickhouse at 127.0.0.1:1)" in result.stdout
    # clickhouse-connect logs this on its own logger before raising what tripl reports.
    assert "Unexpected Http Driver Exception" not in result.stdout + result.stderr


def test_json_logs_carry_the_final_error_too(tmp_path: Path) -> None:
    import json

    _metrics_project(tmp_path, BAD_FACT_TABLE)
    result = _tripl("--log-format", "json", "compile", cwd=tmp_path)
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    assert [d["level"] for d in lines] == ["error", "error"]
    assert "unknown fact table 'nope'" in lines[0]["message"]
    assert lines[1]["message"] == "project has 1 error; see `tripl validate`"

    (tmp_path / "metrics" / "m.yml").write_text("metrics: []\n")
    shown = _tripl("--log-format", "json", "show", "nope", cwd=tmp_path)
    assert shown.returncode == 1
    (line,) = [json.loads(text) for text in shown.stderr.splitlines()]
    assert line["message"] == "unknown metric 'nope'"
    assert line["hint"] == "`tripl ls` lists every metric"  # a field, not part of the message

    # What a command says on stderr besides logs is a record too (it was plain text).
    valid = _tripl("--log-format", "json", "validate", cwd=tmp_path)
    assert valid.returncode == 0, valid.stderr
    (said,) = [json.loads(text) for text in valid.stderr.splitlines()]
    assert said["level"] == "info" and "is valid" in said["message"]
    # A usage error is one error record too, its usage line the hint (click printed text).
    usage = _tripl("--log-format", "json", "run", "--bogus", cwd=tmp_path)
    assert usage.returncode == 2
    (record,) = [json.loads(text) for text in usage.stderr.splitlines()]
    assert record["level"] == "error" and record["message"] == "No such option: --bogus"
    assert record["hint"].startswith("Usage: ")
    # A failed verdict is an error to a log collector, not an info.
    (tmp_path / "metrics" / "m.yml").write_text("metrics: [{name: m, kind: fact}]\n")
    invalid = _tripl("--log-format", "json", "validate", cwd=tmp_path)
    assert invalid.returncode == 1
    verdict = json.loads(invalid.stderr.splitlines()[-1])
    assert verdict["level"] == "error" and "error" in verdict["message"]


def test_run_and_detect_on_the_repository_example(tmp_path: Path) -> None:
    """The root example project works from a clean copy: validate, compile, run, detect."""
    import shutil

    for name in ("tripl_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("fact_tables", "metrics", "alerts"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    assert _tripl("validate", cwd=tmp_path).returncode == 0
    assert _tripl("compile", cwd=tmp_path).returncode == 0
    assert (tmp_path / "target" / "manifest.json").exists()
    run = _tripl("run", "--format", "json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    import json

    report = json.loads(run.stdout)
    assert report["status"] == "success"
    assert all(r["buckets_written"] > 0 for r in report["results"] if r["status"] == "success")
    detect = _tripl("detect", "--no-alerts", "--format", "json", cwd=tmp_path)
    assert detect.returncode == 0, detect.stderr
    assert "anomalies" in json.loads(detect.stdout)
    assert (tmp_path / "target" / "anomalies.json").exists()


@pytest.mark.parametrize("option", ["-t", "--target", "--project-dir", "--vars"])
def test_a_global_option_without_its_value_is_named(option: str, tmp_path: Path) -> None:
    result = _tripl("ls", option, cwd=tmp_path)
    assert result.returncode == 2
    assert f"'{option}': this option needs a value" in result.stderr
    assert "No such option" not in result.stderr


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{region: eu, region: us}", "--vars, line 1, column 14: duplicate key 'region'"),
        ("{region: [eu, }", "--vars, line 1, column 15: invalid YAML"),
        ("eu", "--vars must be a YAML mapping"),
    ],
)
def test_bad_vars_are_a_usage_error_that_points_at_the_problem(
    text: str, said: str, tmp_path: Path
) -> None:
    result = _tripl("--vars", text, "ls", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert said in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.stderr
