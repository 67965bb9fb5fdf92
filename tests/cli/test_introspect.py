"""`tripl introspect`: live columns, identifier candidates, samples, and `--write` editing
the YAML file in place (comments and everything else kept)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.conftest import Invoke
from tests.cli.projects import write_project
from tests.support.engines import Engine, load_table
from tripl_cli.errors import Severity, TriplError
from tripl_cli.project.loader import load_project

EVENTS_YML = """\
# Events from the app.
fact_tables:
  - name: events   # the main table
    description: One row per event.
    sql: |
      SELECT * FROM events
    timestamp_column: ts   # when it happened

    # row filters below
    row_filters:
      - name: paid
        sql: amount > 0
    tags: [core]
  - name: other
    sql: SELECT ts, 1 AS x FROM events
    timestamp_column: ts
"""

EXPECTED_COLUMNS = [
    ("ts", "timestamp"),
    ("event_id", "number"),
    ("user_id", "number"),
    ("session_key", "string"),
    ("amount", "number"),
    ("country", "string"),
    ("ok", "bool"),
]
# Named *_id, then nearly unique in the sample (strings/integers; a unique float is not an id).
EXPECTED_IDS = ["event_id", "user_id", "session_key"]

INSERTED = """\
    columns:
      - {name: ts, type: timestamp}
      - {name: event_id, type: number}
      - {name: user_id, type: number}
      - {name: session_key, type: string}
      - {name: amount, type: number}
      - {name: country, type: string}
      - {name: ok, type: bool}
    identifier_columns: [event_id, user_id, session_key]
"""


def introspect_json(invoke: Invoke, root: Path, name: str) -> dict[str, Any]:
    result = invoke(root, "introspect", name, "--format", "json")
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_columns_types_ids_and_sample(invoke: Invoke, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", fact_tables=EVENTS_YML)
    doc = introspect_json(invoke, root, "events")
    assert [(c["name"], c["type"]) for c in doc["columns"]] == EXPECTED_COLUMNS
    assert doc["identifier_candidates"] == EXPECTED_IDS
    assert len(doc["sample"]) == 5
    assert set(doc["sample"][0]) == {name for name, _ in EXPECTED_COLUMNS}
    text = invoke(root, "introspect", "events").stdout
    assert "identifier candidates: event_id, user_id, session_key" in text


def test_write_adds_columns_and_keeps_the_rest(invoke: Invoke, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", fact_tables=EVENTS_YML)
    path = root / "fact_tables" / "events.yml"
    result = invoke(root, "introspect", "events", "--write")
    assert result.exit_code == 0, result.output
    assert "added `identifier_columns: [event_id, user_id, session_key]`" in result.output
    written = path.read_text()
    anchor = "    timestamp_column: ts   # when it happened\n"
    assert written == EVENTS_YML.replace(anchor, anchor + INSERTED, 1)
    project = load_project(root).project
    assert project is not None
    fact = project.fact_tables["events"]
    assert [(c.name, c.type.value) for c in fact.columns or []] == EXPECTED_COLUMNS
    assert fact.identifier_columns == EXPECTED_IDS
    assert project.fact_tables["other"].columns is None

    # A second write replaces the block with the same one: the file does not change.
    assert invoke(root, "introspect", "events", "--write").exit_code == 0
    assert path.read_text() == written


def test_write_replaces_a_stale_block_keeping_descriptions(invoke: Invoke, tmp_path: Path) -> None:
    stale = EVENTS_YML.replace(
        "    timestamp_column: ts   # when it happened\n",
        "    timestamp_column: ts   # when it happened\n"
        "    columns:   # old\n"
        "      - {name: ts, type: timestamp}\n"
        "      - {name: user_id, type: number}\n"
        "      - name: amount\n"
        "        type: string       # wrong\n"
        "        description: 'Paid, in EUR: gross'\n"
        "    identifier_columns: [user_id]\n",
    )
    root = write_project(tmp_path / "p", fact_tables=stale)
    result = invoke(root, "introspect", "events", "--write")
    assert result.exit_code == 0, result.output
    written = (root / "fact_tables" / "events.yml").read_text()
    assert "# old" not in written and "# wrong" not in written
    assert '- {name: amount, type: number, description: "Paid, in EUR: gross"}\n' in written
    assert written.count("identifier_columns") == 1  # an existing list is the user's choice
    assert written.startswith("# Events from the app.\n")
    assert "    # row filters below\n    row_filters:\n" in written
    project = load_project(root).project
    assert project is not None
    assert project.fact_tables["events"].identifier_columns == ["user_id"]


def test_write_keeps_an_empty_identifier_list_and_says_nothing_of_it(
    invoke: Invoke, tmp_path: Path
) -> None:
    declared = EVENTS_YML.replace(
        "    timestamp_column: ts   # when it happened\n",
        "    timestamp_column: ts   # when it happened\n    identifier_columns: []\n",
    )
    root = write_project(tmp_path / "p", fact_tables=declared)
    result = invoke(root, "introspect", "events", "--write")
    assert result.exit_code == 0, result.output
    assert "identifier_columns" not in result.output  # it added none: it says none
    written = (root / "fact_tables" / "events.yml").read_text()
    assert written.count("identifier_columns") == 1 and "identifier_columns: []" in written


def test_write_fixes_columns_that_made_the_project_invalid(invoke: Invoke, tmp_path: Path) -> None:
    stale = EVENTS_YML.replace(
        "    timestamp_column: ts   # when it happened\n",
        "    timestamp_column: ts   # when it happened\n"
        "    columns: [{name: ts, type: timestamp}]\n"
        "    identifier_columns: [user_id]\n",
    )
    root = write_project(tmp_path / "p", fact_tables=stale)
    errors = [i for i in load_project(root).issues if i.severity is Severity.ERROR]
    # user_id (identifier_columns) and amount (row filter `paid`) are not declared
    assert sorted(i.message.split("'")[3] for i in errors) == ["amount", "user_id"]
    result = invoke(root, "introspect", "events", "--write")
    assert result.exit_code == 0, result.output
    assert "the project has 2 error(s)" in result.stderr
    after = load_project(root)
    assert not [i for i in after.issues if i.severity is Severity.ERROR]
    assert after.project is not None
    declared = after.project.fact_tables["events"].columns or []
    assert [(c.name, c.type.value) for c in declared] == EXPECTED_COLUMNS


def test_write_that_would_break_the_project_restores_the_file(
    invoke: Invoke, tmp_path: Path
) -> None:
    # `SELECT *` hides the columns from static checks; once declared, `ghost` is unknown.
    metrics = """\
metrics:
  - name: ghosts
    kind: fact
    fact_table: events
    aggregation: sum
    column: ghost
"""
    root = write_project(tmp_path / "p", fact_tables=EVENTS_YML, metrics=metrics)
    assert not [i for i in load_project(root).issues if i.severity is Severity.ERROR]
    result = invoke(root, "introspect", "events", "--write")
    assert isinstance(result.exception, TriplError)
    assert "ghost" in result.exception.message
    assert "left unchanged" in result.exception.message
    assert (root / "fact_tables" / "events.yml").read_text() == EVENTS_YML


def test_crlf_file_keeps_its_line_endings(invoke: Invoke, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", fact_tables=EVENTS_YML)
    path = root / "fact_tables" / "events.yml"
    path.write_bytes(EVENTS_YML.replace("\n", "\r\n").encode())
    assert invoke(root, "introspect", "events", "--write").exit_code == 0
    data = path.read_bytes().decode()
    assert "\n" not in data.replace("\r\n", "")
    assert "    columns:\r\n      - {name: ts, type: timestamp}\r\n" in data


def test_unknown_fact_table(invoke: Invoke, tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", fact_tables=EVENTS_YML)
    result = invoke(root, "introspect", "event")
    assert isinstance(result.exception, TriplError)
    assert "did you mean 'events'" in result.exception.message


def test_introspect_on_postgres(
    invoke: Invoke, tmp_path: Path, engine_factory: Callable[[str], Engine]
) -> None:
    engine = engine_factory("postgres")
    columns = [("ts", "timestamp"), ("order_id", "int"), ("amount", "number")]
    columns += [("country", "string"), ("paid", "bool")]
    rows = [(f"2026-03-0{1 + i % 9} 10:00:00", i, i * 1.5, "US", i % 2 == 0) for i in range(30)]
    table = load_table(engine, "cli_orders", columns, rows)
    fact = f"fact_tables:\n  - name: orders\n    sql: SELECT * FROM {table}\n"
    fact += "    timestamp_column: ts\n"
    root = write_project(
        tmp_path / "p", fact_tables=fact, outputs={"pg": engine.profile_output}, target="pg"
    )
    doc = introspect_json(invoke, root, "orders")
    assert [(c["name"], c["type"]) for c in doc["columns"]] == [
        ("ts", "timestamp"),
        ("order_id", "number"),
        ("amount", "number"),
        ("country", "string"),
        ("paid", "bool"),
    ]
    assert doc["identifier_candidates"] == ["order_id"]
    assert doc["target"] == "pg" and len(doc["sample"]) == 5


@pytest.mark.parametrize("bad", ["flow", "alias"])
def test_unsupported_yaml_shapes_are_refused(bad: str, tmp_path: Path) -> None:
    from tripl_cli.api.columns_yaml import ColumnEntry, set_fact_table_columns

    text = {
        "flow": "fact_tables:\n  - {name: e, sql: SELECT 1 AS ts, timestamp_column: ts}\n",
        "alias": "x: &cols [{name: a, type: number}]\n"
        "fact_tables:\n  - name: e\n    columns: *cols\n    timestamp_column: ts\n",
    }[bad]
    with pytest.raises(TriplError) as caught:
        set_fact_table_columns(
            text, path="f.yml", fact_table="e", line=2, columns=[ColumnEntry("ts", "timestamp")]
        )
    assert ("flow mapping" if bad == "flow" else "alias") in caught.value.message


def test_aliases_on_other_keys_are_kept_as_they_are() -> None:
    from tripl_cli.api.columns_yaml import ColumnEntry, set_fact_table_columns

    text = (
        "common: &common {owner: data}\n"
        "fact_tables:\n"
        "  - name: a\n    sql: SELECT ts FROM a\n    timestamp_column: &ts ts\n"
        "    tags: &tags [x]\n"
        "  - name: b\n    <<: *common\n    sql: SELECT ts FROM b\n    timestamp_column: *ts\n"
        "    tags: *tags\n"
    )
    edited = set_fact_table_columns(
        text, path="f.yml", fact_table="b", line=6, columns=[ColumnEntry("ts", "timestamp")]
    )
    # The block goes after b's own `timestamp_column: *ts`, not after the anchored one in a.
    assert edited == text.replace(
        "    timestamp_column: *ts\n",
        "    timestamp_column: *ts\n    columns:\n      - {name: ts, type: timestamp}\n",
    )
    a, b = yaml.safe_load(edited)["fact_tables"]
    assert "columns" not in a and b["columns"] == [{"name": "ts", "type": "timestamp"}]
    assert (b["owner"], b["timestamp_column"], b["tags"]) == ("data", "ts", ["x"])


@pytest.mark.parametrize("style", ["block", "flow", "tagged"])
def test_an_anchor_on_the_columns_is_kept_for_its_aliases(style: str) -> None:
    from tripl_cli.api.columns_yaml import ColumnEntry, set_fact_table_columns

    listed = {
        "block": " &cols\n      - {name: a, type: string}",
        "flow": " &cols [{name: a, type: string}]",
        "tagged": " !!seq &cols\n      - {name: a, type: string}",
    }
    text = (
        f"fact_tables:\n  - name: e\n    sql: SELECT 1\n    columns:{listed[style]}\n"
        "  - name: f\n    sql: SELECT 2\n    columns: *cols\n"
    )
    edited = set_fact_table_columns(
        text, path="f.yml", fact_table="e", line=2, columns=[ColumnEntry("ts", "timestamp")]
    )
    doc = yaml.safe_load(edited)
    assert [t["columns"] for t in doc["fact_tables"]] == [[{"name": "ts", "type": "timestamp"}]] * 2


def test_write_through_a_symlink_keeps_the_link_and_the_file_mode(
    invoke: Invoke, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "p", fact_tables=EVENTS_YML)
    link = root / "fact_tables" / "events.yml"
    real = root / "fact_tables" / "shared" / "events_impl.yml"
    real.parent.mkdir()
    link.rename(real)
    link.symlink_to(Path("shared") / "events_impl.yml")
    real.chmod(0o600)
    result = invoke(root, "introspect", "events", "--write")
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and "columns:" in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o600
    assert not list(real.parent.glob("*.tmp"))
    assert invoke(root, "validate").exit_code == 0
