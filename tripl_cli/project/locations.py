"""Where every YAML node came from: a tree of locations parallel to the parsed data.

The loader builds one `NodeLocation` per top-level object; validation rules ask it for the
most precise place to point at (`find("numerator", "fact_table")`), falling back to the
nearest existing ancestor when the key is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tripl_cli.errors import SourceLocation


@dataclass(frozen=True)
class NodeLocation:
    """A YAML node's position, its children's (by key or index), and its keys' positions."""

    location: SourceLocation
    children: Mapping[str | int, NodeLocation] = field(default_factory=dict)
    key_locations: Mapping[str, SourceLocation] = field(default_factory=dict)

    def find(self, *path: str | int) -> SourceLocation:
        """The location of the value at `path`, or of the deepest ancestor that exists."""
        node = self
        for part in path:
            child = node.children.get(part)
            if child is None:
                if isinstance(part, str) and part in node.key_locations:
                    return node.key_locations[part]
                return node.location
            node = child
        return node.location

    def key(self, *path: str | int) -> SourceLocation:
        """The location of the key (not the value) that ends `path`; for 'unknown key' errors."""
        if not path:
            return self.location
        parent = self
        for part in path[:-1]:
            nxt = parent.children.get(part)
            if nxt is None:
                return parent.location
            parent = nxt
        last = path[-1]
        if isinstance(last, str) and last in parent.key_locations:
            return parent.key_locations[last]
        return parent.find(last)


@dataclass(frozen=True)
class ObjectSource:
    """Where one declared object lives: its file (relative to the project root) and node tree."""

    path: str
    node: NodeLocation

    def find(self, *path: str | int) -> SourceLocation:
        return self.node.find(*path)
