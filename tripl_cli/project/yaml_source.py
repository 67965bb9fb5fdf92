"""Read YAML with a location for every node, and turn every YAML problem into an `Issue`.

PyYAML's composer gives nodes with marks; we build both the plain Python data and a
parallel `NodeLocation` tree from them, so validation can point at the exact key or value.
Duplicate keys (silently last-wins in PyYAML) are errors here: in a metrics file they are
almost always a copy-paste mistake.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tripl_cli.errors import Issue, SourceLocation
from tripl_cli.project.locations import NodeLocation

logger = logging.getLogger(__name__)

#: Expanded node count above which aliases are treated as an attack ("billion laughs").
MAX_EXPANDED_NODES = 1_000_000
#: Deeper documents are rejected: PyYAML's composer recurses, and nobody writes them on purpose.
MAX_DEPTH = 64
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _TooDeep(Exception):
    pass


#: libyaml's composer is ~15x faster than PyYAML's; both give the same nodes and marks.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlDocument:
    """One parsed file: its data (None when empty), node locations, and the problems found."""

    path: str
    data: Any
    node: NodeLocation
    issues: tuple[Issue, ...] = ()


def _loc(path: str, node: Node) -> SourceLocation:
    mark = node.start_mark
    return SourceLocation(path, mark.line + 1, mark.column + 1)


class _Builder:
    """Builds data + locations from a composed node tree, collecting issues as it goes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.issues: list[Issue] = []
        self._constructor = SafeConstructor()
        # Aliases share nodes: memoising by id keeps "billion laughs" documents linear.
        self._memo: dict[int, tuple[Any, NodeLocation]] = {}
        self._building: set[int] = set()
        self._sizes: dict[int, int] = {}

    def expanded_size(self, node: Node, depth: int = 0) -> int:
        """How many nodes the data holds once aliases are expanded (memoised, so linear)."""
        if depth > MAX_DEPTH:
            raise _TooDeep
        key = id(node)
        if key in self._sizes:
            return self._sizes[key]
        self._sizes[key] = 1  # guards against self-referencing aliases
        size = 1
        if isinstance(node, SequenceNode):
            size += sum(self.expanded_size(child, depth + 1) for child in node.value)
        elif isinstance(node, MappingNode):
            size += sum(
                self.expanded_size(k, depth + 1) + self.expanded_size(v, depth + 1)
                for k, v in node.value
            )
        self._sizes[key] = min(size, MAX_EXPANDED_NODES + 1)
        return self._sizes[key]

    @property
    def distinct_nodes(self) -> int:
        """Nodes `expanded_size` has seen, each alias's once: the document's own size."""
        return len(self._sizes)

    def issue(self, rule: str, message: str, node: Node) -> None:
        self.issues.append(Issue(rule, message, _loc(self.path, node)))

    def build(self, node: Node, depth: int = 0) -> tuple[Any, NodeLocation]:
        key = id(node)
        if key in self._memo:
            return self._memo[key]
        here = NodeLocation(_loc(self.path, node))
        if depth > MAX_DEPTH:
            self.issue("yaml-syntax", f"nesting deeper than {MAX_DEPTH} levels", node)
            return None, here
        if key in self._building:
            self.issue("yaml-syntax", "an alias refers to the node that contains it", node)
            return None, here
        self._building.add(key)
        try:
            if isinstance(node, MappingNode):
                result = self._mapping(node, depth)
            elif isinstance(node, SequenceNode):
                result = self._sequence(node, depth)
            else:
                result = (self._scalar(node), here)
        finally:
            self._building.discard(key)
        self._memo[key] = result
        return result

    def _scalar(self, node: Node) -> Any:
        if node.tag == _TIMESTAMP_TAG:
            # Keep dates as written: the schema parses the ones it wants, and a condition
            # value `2026-01-01` stays the string the user meant.
            return node.value
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            # e.g. `!!int abc` or an impossible `!!timestamp`: keep the raw text.
            self.issue("yaml-syntax", f"cannot read value: {_first_line(exc)}", node)
            return node.value if isinstance(node, ScalarNode) else None

    def _sequence(self, node: SequenceNode, depth: int) -> tuple[Any, NodeLocation]:
        items: list[Any] = []
        children: dict[str | int, NodeLocation] = {}
        for index, child in enumerate(node.value):
            value, loc = self.build(child, depth + 1)
            items.append(value)
            children[index] = loc
        return items, NodeLocation(_loc(self.path, node), children)

    def _mapping(self, node: MappingNode, depth: int) -> tuple[Any, NodeLocation]:
        data: dict[Any, Any] = {}
        children: dict[str | int, NodeLocation] = {}
        keys: dict[str, SourceLocation] = {}
        merged: list[tuple[Any, Any, NodeLocation]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_source(value_node, depth))
                continue
            key, _ = self.build(key_node, depth + 1)
            if not _hashable(key):
                self.issue("yaml-syntax", "a mapping key must be a plain value", key_node)
                continue
            value, loc = self.build(value_node, depth + 1)
            if key in data:
                first = keys.get(str(key))
                where = f" (first at line {first.line})" if first else ""
                self.issue("duplicate-key", f"duplicate key '{key}'{where}", key_node)
                continue
            data[key] = value
            children[str(key)] = loc
            keys[str(key)] = _loc(self.path, key_node)
        # `<<: *base` merges: explicit keys win, as in YAML 1.1.
        for key, value, loc in merged:
            if key not in data:
                data[key] = value
                children[str(key)] = loc
                keys[str(key)] = loc.location
        return data, NodeLocation(_loc(self.path, node), children, keys)

    def _merge_source(self, node: Node, depth: int) -> list[tuple[Any, Any, NodeLocation]]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        out: list[tuple[Any, Any, NodeLocation]] = []
        for source in sources:
            value, loc = self.build(source, depth + 1)
            if not isinstance(value, dict):
                self.issue("yaml-syntax", "'<<' merges need a mapping (or a list of them)", node)
                continue
            out.extend((k, v, loc.children.get(str(k), loc)) for k, v in value.items())
        return out


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _syntax_issue(path: str, exc: yaml.YAMLError, text: str) -> Issue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if "end of stream" in str(getattr(exc, "problem", "") or ""):
        # The end of the file points at nothing: where the unclosed quote or block began does.
        mark = getattr(exc, "context_mark", None) or mark
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [p for p in (exc.context, exc.problem) if p]
        message = ", ".join(parts) if parts else _first_line(exc)
    else:
        message = _first_line(exc)
        # ReaderError (control characters) carries a position but no mark.
        position = getattr(exc, "position", None)
        if isinstance(position, int):
            line = text.count("\n", 0, position) + 1
            col = position - (text.rfind("\n", 0, position) + 1) + 1
            return Issue("yaml-syntax", f"invalid YAML: {message}", SourceLocation(path, line, col))
    hint = _syntax_hint(message)
    if mark is None:
        return Issue("yaml-syntax", f"invalid YAML: {message}", SourceLocation(path), hint=hint)
    location = SourceLocation(path, mark.line + 1, mark.column + 1)
    return Issue("yaml-syntax", f"invalid YAML: {message}", location, hint=hint)


def _syntax_hint(message: str) -> str | None:
    """PyYAML's wording is about its parser; say what the user most likely did."""
    if "'\\t'" in message or "\t" in message:
        return "YAML does not allow tabs for indentation; use spaces"
    if "block" in message or "mapping values are not allowed" in message:
        return "check the indentation on this line and the one before"
    return None


def _pure_python_issue(text: str, path: str) -> Issue:
    """Re-parse a broken document with PyYAML's own parser: its messages say more."""
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return _syntax_issue(path, exc, text)
    except RecursionError:
        return Issue("yaml-syntax", "invalid YAML: nesting is too deep", SourceLocation(path))
    return Issue("yaml-syntax", "invalid YAML", SourceLocation(path, 1, 1))


def parse_yaml(text: str, path: str) -> YamlDocument:
    """Parse one YAML document; every problem becomes an issue, never an exception."""
    empty = NodeLocation(SourceLocation(path, 1, 1))
    try:
        root = yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return YamlDocument(path, None, empty, (_pure_python_issue(text, path),))
    if root is None:
        return YamlDocument(path, None, empty)
    builder = _Builder(path)
    try:
        too_big = builder.expanded_size(root) > MAX_EXPANDED_NODES
    except (_TooDeep, RecursionError):
        message = f"nesting deeper than {MAX_DEPTH} levels"
        return YamlDocument(path, None, empty, (Issue("yaml-syntax", message, _loc(path, root)),))
    if too_big:
        message = (
            f"document has more than {MAX_EXPANDED_NODES:,} values: split it into several files"
            if builder.distinct_nodes > MAX_EXPANDED_NODES
            else "document is too large once its aliases are expanded"
        )
        return YamlDocument(path, None, empty, (Issue("yaml-syntax", message, _loc(path, root)),))
    data, node = builder.build(root)
    return YamlDocument(path, data, node, tuple(builder.issues))


def read_yaml(file: Path, path: str) -> YamlDocument:
    """Read and parse `file`; `path` is how issues name it (relative to the project root)."""
    try:
        raw = file.read_bytes()
        text = raw.decode("utf-8")
        text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors write
    except UnicodeDecodeError as exc:
        where = _byte_location(path, raw, exc.start)
        message = f"file is not UTF-8 ({exc.reason}: byte 0x{raw[exc.start]:02x})"
        hint = "save the file as UTF-8"
        return YamlDocument(
            path, None, NodeLocation(where), (Issue("yaml-syntax", message, where, hint=hint),)
        )
    except OSError as exc:
        issue = Issue("yaml-syntax", f"cannot read file: {exc.strerror}", SourceLocation(path))
        return YamlDocument(path, None, NodeLocation(SourceLocation(path)), (issue,))
    logger.debug("reading %s", path)
    return parse_yaml(text, path)


def _byte_location(path: str, raw: bytes, offset: int) -> SourceLocation:
    """The 1-based line and column (in characters, as far as they decode) of byte `offset`."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    before = raw[line_start:offset].decode("utf-8", errors="replace").removeprefix("\ufeff")
    column = len(before) + 1
    return SourceLocation(path, raw.count(b"\n", 0, offset) + 1, column)
