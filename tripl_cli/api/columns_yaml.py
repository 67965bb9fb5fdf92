"""Writing a fact table's `columns:` into its YAML file as a text edit (`introspect --write`).

Re-dumping the YAML would lose comments, quoting and key order, so this module edits the
text: it composes the file with PyYAML to find the exact character range of the fact table's
`columns:` entry (or where to add one) and splices in a new block. Everything else in the
file stays byte-for-byte the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tripl_cli.errors import TriplError

_PLAIN_CANDIDATE = re.compile(r"^[A-Za-z0-9_][^\n]*$")
_ANCHOR = re.compile(r"(?:!\S*\s+)?&([^\s,\[\]{}]+)")  # after a tag, if any (`!!seq &cols`)
#: Where a new `columns:` goes: after the first of these keys present (else at the end).
_INSERT_AFTER = ("timestamp_column", "sql", "description", "display_name", "name")


@dataclass(frozen=True)
class ColumnEntry:
    name: str
    type: str
    description: str | None = None


def _scalar(text: str) -> str:
    """`text` as a YAML flow scalar: plain when it reads back as the same string (so `on`,
    `1.5` or `a, b` get quoted), else JSON-quoted, which is valid YAML."""
    if _PLAIN_CANDIDATE.match(text) and text == text.strip():
        try:
            if yaml.safe_load(f"[{text}]") == [text]:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)


def render_columns(columns: Sequence[ColumnEntry], indent: int, anchor: str = "") -> str:
    pad = " " * indent
    lines = [f"{pad}columns:{f' &{anchor}' if anchor else ''}"]
    for c in columns:
        fields = [f"name: {_scalar(c.name)}", f"type: {c.type}"]
        if c.description:
            fields.append(f"description: {_scalar(c.description)}")
        lines.append(f"{pad}  - {{{', '.join(fields)}}}")
    return "\n".join(lines) + "\n"


def render_identifiers(names: Sequence[str], indent: int) -> str:
    return f"{' ' * indent}identifier_columns: [{', '.join(_scalar(n) for n in names)}]\n"


def _content_end(node: Node) -> int:
    """Where a node's own text ends. A block collection's end mark is the NEXT token (past
    comments and blank lines), so descend to its last scalar or flow collection instead."""
    if isinstance(node, ScalarNode) or getattr(node, "flow_style", False):
        return int(node.end_mark.index)
    children: list[Node] = []
    if isinstance(node, SequenceNode):
        children = list(node.value)
    elif isinstance(node, MappingNode):
        children = [part for pair in node.value for part in pair]
    return max((_content_end(c) for c in children), default=int(node.end_mark.index))


def _line_end(text: str, index: int) -> int:
    """The index just past the line holding `index - 1` (a node ending at a line start ends
    there: block scalars keep their final line break)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def _find_object(root: Node, name: str, line: int, path: str) -> MappingNode:
    candidates: list[MappingNode] = []
    if isinstance(root, MappingNode):
        for key, value in root.value:
            if _is_key(key, "fact_tables") and isinstance(value, SequenceNode):
                candidates += [n for n in value.value if isinstance(n, MappingNode)]
    by_name = [n for n in candidates if _get(n, "name") == name]
    by_line = [n for n in candidates if n.start_mark.line + 1 == line]
    found = by_name[:1] or by_line[:1]
    if not found:
        raise TriplError(f"cannot find fact table '{name}' in {path} to edit it")
    return found[0]


def _is_key(node: Node, key: str) -> bool:
    return isinstance(node, ScalarNode) and node.value == key


def _get(node: MappingNode, key: str) -> str | None:
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key and isinstance(v, ScalarNode):
            return str(v.value)
    return None


def _pair(node: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return k, v
    return None


def _ensure_editable(obj: MappingNode, name: str, path: str) -> None:
    if obj.flow_style:
        raise TriplError(
            f"fact table '{name}' in {path} is written as a flow mapping ({{…}})",
            hint="write it as a block mapping (one key per line) so tripl can edit it, "
            "or add `columns:` by hand",
        )
    columns = _pair(obj, "columns")
    # `columns: *cols` points at text elsewhere: rewriting it would be wrong. An alias on
    # another key (`timestamp_column: *ts`, `<<: *common`) is left as it is.
    if columns is not None and _is_alias(*columns):
        raise TriplError(
            f"'columns' of fact table '{name}' in {path} is a YAML alias; "
            "tripl cannot edit it in place",
            hint="replace the alias by its value, or edit `columns:` by hand",
        )


def _is_alias(key: Node, value: Node) -> bool:
    """An alias's node is the anchored one, whose text lies before its key."""
    return int(value.start_mark.index) < int(key.end_mark.index)


def _value_end(key: Node, value: Node) -> int:
    """Where a key's value ends in the text: an alias (`*ts`) on the key's own line."""
    return int(key.end_mark.index) if _is_alias(key, value) else _content_end(value)


def _anchor(text: str, value: Node) -> str:
    """The anchor on a value (`columns: &cols`), which aliases elsewhere (`*cols`) need kept."""
    found = _ANCHOR.match(text, int(value.start_mark.index))  # an anchored node starts at `&`
    return found.group(1) if found else ""


def set_fact_table_columns(
    text: str,
    *,
    path: str,
    fact_table: str,
    line: int,
    columns: Sequence[ColumnEntry],
    identifiers: Sequence[str] = (),
) -> str:
    """`text` with the fact table's `columns:` replaced (or added) and, when it has none,
    `identifier_columns:` added (if `identifiers` is not empty)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise TriplError(f"cannot parse {path}: {exc}") from None
    if root is None:
        raise TriplError(f"{path} is empty")
    obj = _find_object(root, fact_table, line, path)
    _ensure_editable(obj, fact_table, path)
    indent = int(obj.value[0][0].start_mark.column)
    existing = _pair(obj, "columns")
    block = render_columns(columns, indent, _anchor(text, existing[1]) if existing else "")
    if identifiers and _pair(obj, "identifier_columns") is None:
        block += render_identifiers(identifiers, indent)
    if "\r\n" in text:
        block = block.replace("\n", "\r\n")  # keep the file's line endings
    if existing is not None:
        key, value = existing
        start = int(key.start_mark.index)
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip():
            block = block[indent:]  # `- columns:` opens the item: keep what precedes the key
        else:
            start = line_start
        end = _line_end(text, _content_end(value))
        return text[:start] + block + text[end:]
    anchor = next((p for k in _INSERT_AFTER if (p := _pair(obj, k)) is not None), None)
    end_of = _value_end(*anchor) if anchor is not None else _content_end(obj)
    at = _line_end(text, end_of)
    prefix = "" if at == 0 or text[at - 1] == "\n" else "\r\n" if "\r\n" in text else "\n"
    return text[:at] + prefix + block + text[at:]
