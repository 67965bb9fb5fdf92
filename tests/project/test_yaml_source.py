"""YAML reading: data plus a location for every node; every problem an issue."""

from __future__ import annotations

from pathlib import Path

import pytest

from tripl_cli.errors import SourceLocation
from tripl_cli.project import yaml_source
from tripl_cli.project.yaml_source import MAX_DEPTH, parse_yaml, read_yaml


def test_data_and_locations_of_block_and_flow_nodes() -> None:
    doc = parse_yaml("a:\n  b: [1, {c: x}]\n  d: yes\n", "f.yml")
    assert doc.data == {"a": {"b": [1, {"c": "x"}], "d": True}}
    assert doc.issues == ()
    assert doc.node.find("a", "b", 1, "c") == SourceLocation("f.yml", 2, 14)
    assert doc.node.key("a", "d") == SourceLocation("f.yml", 3, 3)
    assert doc.node.find("a", "d") == SourceLocation("f.yml", 3, 6)


def test_duplicate_keys_are_errors_pointing_at_the_second() -> None:
    doc = parse_yaml("a: 1\nb: 2\na: 3\n", "f.yml")
    assert doc.data == {"a": 1, "b": 2}
    assert [i.render() for i in doc.issues] == [
        "f.yml:3:1: error[duplicate-key]: duplicate key 'a' (first at line 1)"
    ]


def test_syntax_errors_carry_the_mark_and_a_hint() -> None:
    doc = parse_yaml("a:\n\tb: 1\n", "f.yml")
    assert doc.data is None
    (issue,) = doc.issues
    assert (issue.rule, issue.location) == ("yaml-syntax", SourceLocation("f.yml", 2, 1))
    assert issue.hint is not None and "tabs" in issue.hint


def test_multiple_documents_are_an_error() -> None:
    doc = parse_yaml("a: 1\n---\nb: 2\n", "f.yml")
    assert [i.rule for i in doc.issues] == ["yaml-syntax"]


def test_anchors_aliases_and_merge_keys() -> None:
    text = "base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\nlist: [*b]\n"
    doc = parse_yaml(text, "f.yml")
    assert doc.issues == ()
    assert doc.data["child"] == {"x": 1, "y": 3}
    assert doc.data["list"] == [{"x": 1, "y": 2}]


def test_alias_bombs_are_rejected_quickly() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    previous = "a"
    for name in "bcdefghij":
        refs = ",".join([f"*{previous}"] * 9)
        lines.append(f"{name}: &{name} [{refs}]")
        previous = name
    doc = parse_yaml("\n".join(lines) + "\n", "f.yml")
    assert doc.data is None
    assert [i.rule for i in doc.issues] == ["yaml-syntax"]
    assert "once its aliases are expanded" in doc.issues[0].message


def test_a_huge_file_without_aliases_is_not_blamed_on_aliases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(yaml_source, "MAX_EXPANDED_NODES", 100)
    doc = parse_yaml("".join(f"- {i}\n" for i in range(150)), "f.yml")
    (issue,) = doc.issues
    assert issue.message == "document has more than 100 values: split it into several files"


def test_deep_nesting_is_an_issue_not_a_recursion_error() -> None:
    shallow_enough = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_yaml(shallow_enough, "f.yml").issues == ()
    for depth in (MAX_DEPTH + 2, 5000):
        doc = parse_yaml("[" * depth + "]" * depth, "f.yml")
        assert [i.rule for i in doc.issues] == ["yaml-syntax"]


def test_self_referencing_alias_is_an_issue() -> None:
    doc = parse_yaml("&a [*a]\n", "f.yml")
    assert [i.rule for i in doc.issues] == ["yaml-syntax"]


def test_dates_stay_as_written_and_bad_tags_are_issues() -> None:
    doc = parse_yaml("d: 2026-01-31\nt: 2026-01-31T10:00:00Z\nn: !!int abc\n", "f.yml")
    assert doc.data["d"] == "2026-01-31" and doc.data["t"] == "2026-01-31T10:00:00Z"
    assert [i.rule for i in doc.issues] == ["yaml-syntax"]


def test_unhashable_keys_and_control_characters() -> None:
    assert [i.rule for i in parse_yaml("? [1]\n: 2\n", "f.yml").issues] == ["yaml-syntax"]
    doc = parse_yaml("a: b\x07\n", "f.yml")
    assert [(i.rule, i.location.line) for i in doc.issues] == [("yaml-syntax", 1)]


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    path.write_bytes(b"a: \xff\xfe\n")
    doc = read_yaml(path, "x.yml")
    assert [i.rule for i in doc.issues] == ["yaml-syntax"]
    assert "UTF-8" in doc.issues[0].message


def test_empty_file_is_no_data_and_no_issue() -> None:
    doc = parse_yaml("# just a comment\n", "f.yml")
    assert doc.data is None and doc.issues == ()


def test_a_file_that_is_not_utf8_points_at_the_byte(tmp_path: Path) -> None:
    file = tmp_path / "m.yml"
    file.write_bytes('a: 1\nb: "café x'.encode() + b'\xe9"\n')  # a Latin-1 é after UTF-8
    (issue,) = read_yaml(file, "m.yml").issues
    assert issue.rule == "yaml-syntax" and "not UTF-8" in issue.message
    assert issue.location == SourceLocation("m.yml", 2, 11)  # after `b: "café x` (10 characters)
    assert "0xe9" in issue.message
    file.write_bytes(b"\xef\xbb\xbfa: \xff\n")  # a byte-order mark is not a column
    (issue,) = read_yaml(file, "m.yml").issues
    assert issue.location == SourceLocation("m.yml", 1, 4)
    file.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_yaml(file, "m.yml").data == {"a": 1}


def test_an_unclosed_quote_is_reported_where_it_opens_not_at_the_end_of_the_file() -> None:
    text = 'metrics:\n  - name: a\n    description: "never closed\n  - name: b\n'
    (issue,) = parse_yaml(text, "m.yml").issues
    assert issue.rule == "yaml-syntax" and "end of stream" in issue.message
    assert (issue.location.line, issue.location.col) == (3, 18)
