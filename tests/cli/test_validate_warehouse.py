"""`tripl validate --warehouse` checks referenced columns against what the warehouse returns."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml
from typer.testing import CliRunner

from tests.support.engines import Engine
from tripl_cli.cli.main import app

FACT = """\
fact_tables:
  - name: ev
    timestamp_column: ts
    sql: SELECT * FROM (SELECT TIMESTAMP '2026-01-01' AS ts, 1.5 AS "Amount") AS t
"""


def _project(root: Path, column: str, output: dict[str, object] | None = None) -> Path:
    """A project summing `column` of fact table `ev`, on `output` (an in-memory DuckDB)."""
    (root / "fact_tables").mkdir(parents=True)
    (root / "metrics").mkdir()
    (root / "tripl_project.yml").write_text("name: wv\n")
    outputs = {"dev": output or {"type": "duckdb", "path": ":memory:"}}
    (root / "profiles.yml").write_text(
        yaml.safe_dump({"wv": {"target": "dev", "outputs": outputs}})
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


TYPED = """\
fact_tables:
  - name: ev
    timestamp_column: ts
    sql: SELECT CAST('2026-01-01' AS VARCHAR) AS ts, 'x' AS label, 2 AS n
    columns:
      - {name: ts, type: timestamp}
      - {name: n, type: number}
      - {name: region, type: string}
      - {name: label, type: number}
"""


def test_a_declared_column_behind_select_star_is_checked_on_the_warehouse(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path / "star", "amount")
    fact = FACT + "    columns:\n      - {name: ts, type: timestamp}\n"
    fact += "      - {name: amount, type: number}\n      - {name: region, type: string}\n"
    (root / "fact_tables" / "ev.yml").write_text(fact)
    code, doc = _validate(root)
    assert code == 0 and doc["errors"] == []
    (warning,) = doc["warnings"]
    assert (warning["rule"], warning["line"]) == ("warehouse-column", 8)
    expected = "declared column 'region' is not returned by fact table 'ev' on target 'dev'"
    assert warning["message"] == expected


def test_types_the_run_would_fail_on_are_errors_and_declarations_are_checked(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path / "typed", "label")  # sum of a text column
    (root / "fact_tables" / "ev.yml").write_text(TYPED)
    code, doc = _validate(root)
    assert code == 1
    errors = sorted((e["rule"], str(e["message"])) for e in doc["errors"])
    assert [rule for rule, _ in errors] == ["warehouse-type", "warehouse-type"]
    assert "column 'label' (sum in metric 's')" in errors[0][1]
    assert "column 'ts' (timestamp_column)" in errors[1][1]
    assert "string (VARCHAR)" in errors[1][1] and "a timestamp is needed" in errors[1][1]
    warnings = {str(w["message"]): f"{w['path']}:{w['line']}" for w in doc["warnings"]}
    ts = "column 'ts' of 'ev' is declared timestamp but the warehouse returns string (VARCHAR)"
    # Not selected by its sql: the project's own warning, not a second one from the warehouse.
    region = (
        "fact table 'ev': column 'region' is declared in `columns:` but its sql does not select it"
    )
    label = "column 'label' of 'ev' is declared number but the warehouse returns string (VARCHAR)"
    assert set(warnings) == {ts, region, label}
    # Each warning points at its own entry of `columns:`, not the first.
    assert warnings[ts] == "fact_tables/ev.yml:6"
    assert warnings[region] == "fact_tables/ev.yml:8"
    assert warnings[label] == "fact_tables/ev.yml:9"


def test_on_mysql_a_type_it_converts_is_a_warning(
    tmp_path: Path, engine_factory: Callable[[str], Engine]
) -> None:
    """MySQL sums text ('12abc' as 12) and bools, and reads text as DATETIME: `tripl run`
    works there, so the mismatch is worth a warning, not a failed validation."""
    engine = engine_factory("mysql")
    root = _project(tmp_path / "my", "label", engine.profile_output)
    (root / "fact_tables" / "ev.yml").write_text(
        "fact_tables:\n  - name: ev\n    timestamp_column: ts\n"
        "    sql: SELECT CAST('2026-01-01' AS DATETIME) AS ts, 'x' AS label, 5 AS epoch\n"
    )
    code, doc = _validate(root)
    assert code == 0 and doc["errors"] == []
    (warning,) = doc["warnings"]
    assert warning["rule"] == "warehouse-type" and "sum in metric 's'" in str(warning["message"])
    assert "CAST(col AS DOUBLE)" in str(warning["hint"])  # MariaDB refuses DOUBLE PRECISION
    # What MySQL does not convert stays an error: a number as the timestamp column.
    fact = (root / "fact_tables" / "ev.yml").read_text()
    (root / "fact_tables" / "ev.yml").write_text(
        fact.replace("timestamp_column: ts", "timestamp_column: epoch")
    )
    code, doc = _validate(root)
    assert code == 1
    assert [e["rule"] for e in doc["errors"]] == ["warehouse-type"]
    assert "column 'epoch' (timestamp_column)" in str(doc["errors"][0]["message"])
    # Nor the max of a text: a text, which no run can store as a number.
    (root / "fact_tables" / "ev.yml").write_text(fact)
    metrics = (root / "metrics" / "m.yml").read_text()
    (root / "metrics" / "m.yml").write_text(metrics.replace("aggregation: sum", "aggregation: max"))
    code, doc = _validate(root)
    assert code == 1
    assert [e["rule"] for e in doc["errors"]] == ["warehouse-type"]
    assert "column 'label' (max in metric 's')" in str(doc["errors"][0]["message"])


def test_on_postgres_a_capitalised_column_needs_an_alias(
    tmp_path: Path, engine_factory: Callable[[str], Engine]
) -> None:
    """PostgreSQL folds the unquoted name tripl writes: `Amount` or `amount` finds no column
    `"Amount"` — a run would fail, so validate does, whatever case the YAML uses."""
    engine = engine_factory("postgres")
    for column in ("amount", "Amount"):
        root = _project(tmp_path / column, column, engine.profile_output)
        code, doc = _validate(root)
        assert code == 1, doc
        (error,) = doc["errors"]
        assert error["rule"] == "warehouse-column"
        assert 'is "Amount" in fact table' in str(error["message"])
        assert "reads as amount" in str(error["message"])
        assert error["hint"] == 'alias it in the fact table\'s SQL: "Amount" AS amount'
    # Aliased, it passes.
    fact = (root / "fact_tables" / "ev.yml").read_text()
    (root / "fact_tables" / "ev.yml").write_text(fact.replace('AS "Amount"', "AS amount"))
    code, doc = _validate(root)
    assert code == 0 and doc["errors"] == [], doc


def test_what_stops_the_check_is_still_one_json_document(tmp_path: Path) -> None:
    unreachable = {"type": "postgres", "host": "127.0.0.1", "port": 1, "user": "u",
                   "password": "hunter22xyz", "dbname": "t"}  # fmt: skip
    root = _project(tmp_path / "down", "amount", unreachable)
    code, doc = _validate(root)
    assert code == 1
    (error,) = doc["errors"]
    assert error["rule"] == "warehouse-unavailable"
    assert "could not connect to target 'dev'" in str(error["message"])
    assert "hunter22xyz" not in json.dumps(doc)

    (root / "profiles.yml").write_text("wv:\n  target: dev\n   outputs: [\n")
    code, doc = _validate(root)
    assert code == 1 and [e["rule"] for e in doc["errors"]] == ["bad-target"]
    assert (doc["errors"][0]["path"], doc["errors"][0]["line"]) == ("profiles.yml", 3)


def test_outside_a_project_validate_reports_no_project(tmp_path: Path) -> None:
    for fmt in ("json", "github"):
        result = CliRunner().invoke(
            app, ["--project-dir", str(tmp_path), "validate", "--format", fmt]
        )
        assert result.exit_code == 1
        if fmt == "json":
            doc = json.loads(result.stdout)
            assert [e["rule"] for e in doc["errors"]] == ["no-project"]
        else:
            assert result.stdout.startswith("::error file=tripl_project.yml")


def test_the_cast_a_type_hint_suggests_runs_on_its_engine(engine: Engine) -> None:
    """The hint's `CAST(col AS …)` is the engine's own spelling (the one hint for every
    engine, DOUBLE PRECISION / TIMESTAMP, was a syntax error on MariaDB)."""
    from datetime import datetime

    from tripl_cli.compiler.dialects import rules_for

    adapter = engine.connect()
    try:
        number = rules_for(engine.name).cast_hint("number").replace("col", "'1.5'")
        instant = (
            rules_for(engine.name).cast_hint("timestamp").replace("col", "'2026-01-02 03:04:05'")
        )
        ((one_and_a_half, when),) = adapter.execute(f"SELECT {number}, {instant}").rows
    finally:
        adapter.close()
    assert one_and_a_half == 1.5
    assert isinstance(when, datetime) and when.replace(tzinfo=None) == datetime(2026, 1, 2, 3, 4, 5)


SQL_METRIC = """\
metrics:
  - name: q
    kind: sql
    sql: SELECT {time} AS day, {value} AS v FROM (SELECT 1 AS one) AS t
    time_column: day
    value_column: v
"""


def test_a_sql_metric_s_columns_are_checked_against_the_warehouse(
    tmp_path: Path, engine_factory: Callable[[str], Engine]
) -> None:
    """Its time column must be a timestamp and its value column a number: MySQL summed a
    text value as 0 and stored it; other engines failed only at run time."""
    root = _project(tmp_path / "sq", "amount")
    good = {"time": "TIMESTAMP '2026-01-01'", "value": "2.5"}
    (root / "metrics" / "q.yml").write_text(SQL_METRIC.format(**good))
    code, doc = _validate(root)
    assert code == 0 and doc["errors"] == [] and doc["warnings"] == [], doc
    (root / "metrics" / "q.yml").write_text(SQL_METRIC.format(time="'x'", value="'completed'"))
    code, doc = _validate(root)
    assert code == 1
    errors = {str(e["message"]): e for e in doc["errors"]}
    assert set(errors) == {
        "column 'day' (time_column) of metric 'q' is string (VARCHAR) on target 'dev', where a "
        "timestamp is needed",
        "column 'v' (value_column) of metric 'q' is string (VARCHAR) on target 'dev', where a "
        "number is needed",
    }
    assert all(e["path"] == "metrics/q.yml" and e["line"] == 4 for e in errors.values())
    # Behind `*` only the warehouse knows the names (else validate's own check says it).
    starred = SQL_METRIC.format(**good).replace(
        "SELECT TIMESTAMP", "SELECT * FROM (SELECT TIMESTAMP"
    )
    bad_name = starred.replace("AS t", "AS t) AS s").replace("value_column: v", "value_column: w")
    (root / "metrics" / "q.yml").write_text(bad_name)
    code, doc = _validate(root)
    assert code == 1
    (missing,) = doc["errors"]
    assert missing["rule"] == "warehouse-column" and "it returns: day, v" in str(missing["hint"])
    # MySQL converts a text (it sums '12' as 12): a warning there, with MySQL's own cast.
    mysql = _project(tmp_path / "my", "amount", engine_factory("mysql").profile_output)
    (mysql / "fact_tables" / "ev.yml").write_text(
        "fact_tables:\n  - name: ev\n    timestamp_column: ts\n"
        "    sql: SELECT CAST('2026-01-01' AS DATETIME) AS ts, 1.5 AS amount\n"
    )
    text_value = {"time": "CAST('2026-01-01' AS DATETIME)", "value": "'completed'"}
    (mysql / "metrics" / "q.yml").write_text(SQL_METRIC.format(**text_value))
    code, doc = _validate(mysql)
    assert code == 0 and doc["errors"] == []
    (warning,) = doc["warnings"]
    assert "column 'v' (value_column) of metric 'q' is string" in str(warning["message"])
    assert "CAST(col AS DOUBLE)" in str(warning["hint"])
