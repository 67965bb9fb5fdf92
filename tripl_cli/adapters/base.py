"""The warehouse adapter contract: what every engine module provides to the runner.

An adapter is one open connection to one target. It runs a query with an optional statement
timeout and returns rows already normalised (see `tripl_cli.adapters.values`), so the layers
above never see a driver type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from tripl_cli.errors import WarehouseError

#: The column types a fact table can declare (SPEC §2).
SimpleType = Literal["number", "string", "bool", "timestamp"]


@dataclass(frozen=True)
class QueryResult:
    """A fully fetched result: column names as the engine reports them, plus typed rows."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class ColumnInfo:
    """One output column of a SELECT: its simplified type and the engine's own type name."""

    name: str
    type: SimpleType
    raw_type: str


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do, so callers can adapt instead of catching errors.

    `statement_timeout`: `execute(timeout_s=…)` actually stops a running query on the engine.
    `concurrent_connections`: several adapters on the same target may run queries at once
    (one adapter per thread; adapters themselves are never shared between threads).
    """

    statement_timeout: bool = True
    concurrent_connections: bool = True


@runtime_checkable
class Adapter(Protocol):
    """One open connection to a warehouse target. Not thread-safe: open one per thread."""

    type_name: ClassVar[str]
    dialect: ClassVar[str]  # the sqlglot dialect name of the engine
    capabilities: ClassVar[Capabilities]

    @property
    def target_name(self) -> str: ...

    def execute(self, sql: str, *, timeout_s: float | None = None) -> QueryResult:
        """Run one statement and fetch every row; raise `WarehouseError` on failure."""
        ...

    def columns(self, sql: str) -> list[ColumnInfo]:
        """The output columns of a SELECT, without reading its rows."""
        ...

    def close(self) -> None: ...


class QueryTimeout(WarehouseError):
    """A query ran longer than its statement timeout and was stopped."""


def describe_target(target_name: str, type_name: str, where: str) -> str:
    """`target 'prod' (postgres at db:5432)` — how every adapter message names its target."""
    return f"target '{target_name}' ({type_name} {where})" if where else f"target '{target_name}'"
