"""`debug` and `introspect` run even on invalid projects; SQL that validation rejects must
still never reach the warehouse (a smuggled statement would run on DuckDB)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from typer.testing import CliRunner

from tripl_cli.cli.main import app

SMUGGLED = "SELECT * FROM ev) AS t; DROP TABLE victim; SELECT * FROM (SELECT * FROM ev"


def test_debug_and_introspect_refuse_rejected_sql(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        con.execute("CREATE TABLE ev(ts TIMESTAMP, a INT); CREATE TABLE victim(x INT)")
        con.execute("INSERT INTO victim VALUES (1)")
    (tmp_path / "tripl_project.yml").write_text("name: w\n")
    (tmp_path / "profiles.yml").write_text(
        "w:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: wh.duckdb}\n"
    )
    (tmp_path / "fact_tables").mkdir()
    (tmp_path / "fact_tables" / "ev.yml").write_text(
        f'fact_tables:\n  - name: ev\n    sql: "{SMUGGLED}"\n    timestamp_column: ts\n'
    )
    runner = CliRunner()
    for args in (["introspect", "ev"], ["debug"]):
        result = runner.invoke(app, ["--project-dir", str(tmp_path), *args])
        assert result.exit_code == 1, result.output
        # introspect raises the TriplError (the console wrapper renders it); debug prints it.
        assert "not a single read-only SELECT" in result.output + str(result.exception)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        assert con.execute("SELECT count(*) FROM victim").fetchone() == (1,)
