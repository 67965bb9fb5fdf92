"""Warehouse adapters (layer 3): one connection to one target, typed rows, statement timeouts.

Use `connect(target_name, profile_output, project_root=...)`; see `docs/warehouses.md`.
"""

from __future__ import annotations

from tripl_cli.adapters.base import (
    Adapter,
    Capabilities,
    ColumnInfo,
    QueryResult,
    QueryTimeout,
    SimpleType,
)
from tripl_cli.adapters.registry import adapter_types, canonical_type, connect

__all__ = [
    "Adapter",
    "Capabilities",
    "ColumnInfo",
    "QueryResult",
    "QueryTimeout",
    "SimpleType",
    "adapter_types",
    "canonical_type",
    "connect",
]
