"""`tripl validate --warehouse` checks referenced columns against what the warehouse returns."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tripl_cli.cli.main import app

FACT = """\
fact_tables:
  - name: ev
    timestamp_column: ts
    sql: SELECT * FROM (SELECT TIMESTAMP '2026-01-01' AS ts, 1.5 AS "Amount") AS t
"""


def _project(root: Path, column: str) -> Path:
    (root / "fact_tables").mkdir(parents=True)
    (root / "metrics").mkdir()
    (root / "tripl_project.yml").write_text("name: wv\n")
    (root / "profiles.yml").write_text(
        "wv:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: ':memory:'}\n"
    )
    (root / "fact_tables" / "ev.yml").write_text(FACT)
    metric = f"{{name: s, kind: fact, fact_table: ev, aggregation: sum, column: {column}}}"
    (root / "metrics" / "m.yml").write_text(f"metrics:\n  - {metric}\n")
    return root


def _validate(root: Path) -> tuple[int, dict[str, list[dict[str, object]]]]:
    result = CliRunner().invoke(
        app, ["--project-dir", str(root), "validate", "--warehouse", "--format", "json"]
    )
    return result.exit_code, json.loads(result.stdout)


def test_columns_match_case_insensitively(tmp_path: Path) -> None:
    code, doc = _validate(_project(tmp_path / "ok", "amount"))
    assert code == 0 and doc["errors"] == []


def test_a_column_the_warehouse_does_not_return_is_an_error(tmp_path: Path) -> None:
    code, doc = _validate(_project(tmp_path / "bad", "price"))
    assert code == 1
    assert [e["rule"] for e in doc["errors"]] == ["warehouse-column"]
    assert "price" in str(doc["errors"][0]["message"])
