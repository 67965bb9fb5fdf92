"""`tripl debug`: a checklist that passes on a good target and names what is wrong on a bad
one, without ever printing a secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.cli.conftest import Invoke
from tests.cli.projects import write_project
from tests.support.engines import Engine, load_table
from tripl_cli.errors import TriplError

FACT_YML = """\
fact_tables:
  - name: events
    sql: SELECT ts, user_id, amount FROM events
    timestamp_column: ts
"""
SECRET = "Sup3r-S3cret-Passw0rd"
BROKEN = {
    "type": "postgres",
    "host": "127.0.0.1",
    "port": 1,  # nothing listens on port 1
    "user": "tripl",
    "password": "{{ env_var('TRIPL_DEBUG_TEST_PASSWORD') }}",
    "dbname": "analytics",
}


def checks(invoke: Invoke, root: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    result = invoke(root, *args, "debug", "--format", "json", env=env)
    return result.exit_code, json.loads(result.stdout)


def test_good_duckdb_target(invoke: Invoke, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", fact_tables=FACT_YML)
    code, doc = checks(invoke, root)
    assert code == 0 and doc["ok"] is True
    by_name = {c["name"]: c for c in doc["checks"]}
    assert list(by_name) == [
        "project",
        "profile",
        "driver",
        "warehouse",
        "state",
        "fact_table:events",
    ]
    assert all(c["ok"] is True for c in doc["checks"])
    assert str(root / "profiles.yml") in by_name["profile"]["detail"]
    assert "target 'dev', type duckdb" in by_name["profile"]["detail"]
    assert str(root / ".tripl" / "dev.db") in by_name["state"]["detail"]
    assert "schema v" in by_name["state"]["detail"]
    assert by_name["fact_table:events"]["detail"] == "3 columns: ts, user_id, amount"

    text = invoke(root, "debug")
    assert text.exit_code == 0
    assert "✓ warehouse" in text.stdout and "all checks passed" in text.stderr


def test_broken_postgres_target_names_it_and_hides_the_password(
    invoke: Invoke, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "p", fact_tables=FACT_YML, outputs={"broken": BROKEN})
    env = {"TRIPL_DEBUG_TEST_PASSWORD": SECRET}
    code, doc = checks(invoke, root, "--target", "broken", env=env)
    assert code == 1 and doc["ok"] is False
    by_name = {c["name"]: c for c in doc["checks"]}
    assert by_name["driver"]["ok"] is True
    assert by_name["warehouse"]["ok"] is False
    assert "target 'broken'" in by_name["warehouse"]["detail"]
    assert "127.0.0.1:1" in by_name["warehouse"]["detail"]
    assert by_name["state"]["ok"] is True  # its state is the default SQLite file
    assert by_name["fact_table:events"]["ok"] is None  # skipped, not failed twice
    text = invoke(root, "--target", "broken", "debug", env=env)
    assert text.exit_code == 1
    assert "✗ warehouse" in text.stdout and "1 check(s) failed" in text.stderr
    for output in (json.dumps(doc), text.stdout, text.stderr):
        assert SECRET not in output


def test_password_in_the_state_url_is_hidden(invoke: Invoke, tmp_path: Path) -> None:
    dev = {
        "type": "duckdb",
        "path": "warehouse.duckdb",
        "state": "postgresql://tripl:{{ env_var('TRIPL_DEBUG_TEST_PASSWORD') }}@127.0.0.1:1/st",
    }
    root = write_project(tmp_path / "p", fact_tables=FACT_YML, outputs={"dev": dev})
    result = invoke(root, "debug", env={"TRIPL_DEBUG_TEST_PASSWORD": SECRET})
    assert result.exit_code == 1
    assert "✗ state" in result.stdout and "127.0.0.1:1" in result.stdout
    assert SECRET not in result.stdout + result.stderr


def test_unknown_target_and_invalid_project(invoke: Invoke, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", fact_tables=FACT_YML)
    code, doc = checks(invoke, root, "--target", "prod")
    assert code == 1
    assert [(c["name"], c["ok"]) for c in doc["checks"]] == [
        ("project", True), ("profile", False),
        ("driver", None), ("warehouse", None), ("state", None),
    ]  # fmt: skip
    assert "prod" in doc["checks"][1]["detail"]
    assert doc["checks"][2]["detail"] == "skipped: no target"

    (root / "metrics" / "metrics.yml").write_text("metrics:\n  - name: x\n    kind: nope\n")
    code, doc = checks(invoke, root)
    assert code == 1 and doc["checks"][0]["name"] == "project" and not doc["checks"][0]["ok"]
    assert "metrics/metrics.yml" in doc["checks"][0]["detail"]
    # The project loaded despite its errors: the later checks still run (none skipped).
    assert [(c["name"], c["ok"]) for c in doc["checks"]][1:5] == [
        ("profile", True), ("driver", True), ("warehouse", True), ("state", True)
    ]  # fmt: skip


def test_good_postgres_target(
    invoke: Invoke, tmp_path: Path, engine_factory: Callable[[str], Engine]
) -> None:
    engine = engine_factory("postgres")
    table = load_table(engine, "cli_debug", [("ts", "timestamp"), ("n", "int")], [])
    fact = f"fact_tables:\n  - name: t\n    sql: SELECT ts, n FROM {table}\n"
    fact += "    timestamp_column: ts\n"
    root = write_project(
        tmp_path / "p", fact_tables=fact, outputs={"pg": engine.profile_output}, target="pg"
    )
    code, doc = checks(invoke, root)
    assert code == 0, doc
    by_name = {c["name"]: c for c in doc["checks"]}
    assert "type postgres" in by_name["profile"]["detail"]
    assert by_name["fact_table:t"]["detail"] == "2 columns: ts, n"


def test_no_project_shows_every_later_check_as_skipped(tmp_path: Path) -> None:
    from tripl_cli.api.debug_api import run_checks

    report = run_checks(tmp_path)  # no tripl_project.yml here or above
    assert [(c.name, c.ok) for c in report.checks] == [
        ("project", False), ("profile", None), ("driver", None), ("warehouse", None),
        ("state", None),
    ]  # fmt: skip
    assert not report.ok


def test_a_profiles_yaml_error_is_located_in_debug_and_compile(
    invoke: Invoke, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "p", fact_tables=FACT_YML)
    (root / "profiles.yml").write_text("p:\n  target: dev\n   outputs: [\n")
    where = f"{root / 'profiles.yml'}:3:"
    code, doc = checks(invoke, root)
    profile = next(c for c in doc["checks"] if c["name"] == "profile")
    assert code == 1 and profile["ok"] is False
    assert profile["detail"].startswith(where) and "invalid YAML" in profile["detail"]
    compiled = invoke(root, "compile")
    assert compiled.exit_code == 1
    assert isinstance(compiled.exception, TriplError)
    assert str(compiled.exception.location).startswith(where)
    assert compiled.exception.message.count("profiles.yml") == 0  # the path is said once
    assert "--dialect" in (compiled.exception.hint or "")


def test_a_compile_only_target_is_said_so_and_gets_no_state(invoke: Invoke, tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p", fact_tables=FACT_YML, outputs={"tr": {"type": "trino", "host": "x"}}
    )
    code, doc = checks(invoke, root, "--target", "tr")
    assert code == 1
    by_name = {c["name"]: c for c in doc["checks"]}
    assert by_name["driver"]["ok"] is False
    assert by_name["driver"]["detail"] == "tripl cannot run a trino target"
    assert by_name["state"]["detail"] == "skipped: compile-only"
    assert not (root / ".tripl" / "tr.db").exists()
