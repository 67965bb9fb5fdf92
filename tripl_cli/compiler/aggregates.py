"""The aggregate columns of one query, identical aggregates computed once.

Two metrics (or ratio operands) on one fact table share a column when they have the same
aggregation, the same argument and the same combined row filter (by its order-free key, so
`[a, b]` and `[b, a]` are one filter; see `filters.RowCondition`).

"NULL means gap" (SPEC §5) needs to know whether any row matched a filter, which the value
alone cannot tell on every dialect (a conditional sum of no rows is NULL on most engines but
0 on ClickHouse's `sumIf`; `count(DISTINCT …)` of no rows is 0). So every filtered aggregate
comes with a match count, `count(*)` under the same filter — itself deduplicated, and not
needed for a filtered `count(*)`, which is its own match count. Unfiltered aggregates need
none: a bucket (or breakdown group) exists only if a row does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlglot import exp

from tripl_cli.compiler.filters import RowCondition, column
from tripl_cli.project.schema import Aggregation


class AggregateRules(Protocol):
    """The part of `DialectRules` this module needs."""

    def conditional(
        self,
        func: Aggregation,
        arg: exp.Expression | None,
        condition: exp.Expression | None,
    ) -> exp.Expression: ...

    def averaged(self, value: exp.Expr) -> exp.Expr: ...


@dataclass(frozen=True)
class AggregateKey:
    aggregation: Aggregation
    column: str | None
    condition: str | None  # the combined filter's canonical key


@dataclass(frozen=True)
class Aggregate:
    alias: str
    aggregation: Aggregation
    column: str | None
    condition: RowCondition | None


@dataclass(frozen=True)
class MeasureColumns:
    """The columns one operand is read from: its value and (if filtered) its match count."""

    value: str
    matches: str | None


class AggregateSet:
    """The aggregate columns of one query; aliases `a0`, `a1`, … in first-use order."""

    def __init__(self) -> None:
        self._by_key: dict[AggregateKey, Aggregate] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def add(
        self,
        aggregation: Aggregation,
        column_name: str | None,
        condition: RowCondition | None,
    ) -> str:
        """The alias of this aggregate, adding it if no identical one exists yet."""
        if aggregation is not Aggregation.COUNT and column_name is None:
            raise ValueError(f"aggregation {aggregation.value} needs a column")
        key = AggregateKey(aggregation, column_name, condition.key if condition else None)
        found = self._by_key.get(key)
        if found is None:
            found = Aggregate(f"a{len(self._by_key)}", aggregation, column_name, condition)
            self._by_key[key] = found
        return found.alias

    def add_measure(
        self,
        aggregation: Aggregation,
        column_name: str | None,
        condition: RowCondition | None,
    ) -> MeasureColumns:
        """Add an operand's value and, when it is filtered, its match count."""
        value = self.add(aggregation, column_name, condition)
        if condition is None:
            return MeasureColumns(value, None)
        if aggregation is Aggregation.COUNT and column_name is None:
            return MeasureColumns(value, value)
        return MeasureColumns(value, self.add(Aggregation.COUNT, None, condition))

    def aggregates(self) -> list[Aggregate]:
        return list(self._by_key.values())

    def select_expressions(self, rules: AggregateRules) -> list[exp.Expr]:
        """`<aggregate> AS aN` for every column, in alias order."""
        return aggregate_expressions(self._by_key.values(), rules)

    def distinct_columns(self) -> dict[str, list[Aggregate]]:
        """The `count_distinct` aggregates by their column, in first-use order."""
        out: dict[str, list[Aggregate]] = {}
        for agg in self._by_key.values():
            if agg.aggregation is Aggregation.COUNT_DISTINCT and agg.column is not None:
                out.setdefault(agg.column, []).append(agg)
        return out

    def others(self) -> list[Aggregate]:
        """Every aggregate that is not a `count_distinct`, in alias order."""
        return [a for a in self._by_key.values() if a.aggregation is not Aggregation.COUNT_DISTINCT]


def aggregate_expressions(aggregates: Iterable[Aggregate], rules: AggregateRules) -> list[exp.Expr]:
    """`<aggregate> AS aN` for each aggregate, in the given order."""
    out: list[exp.Expr] = []
    for agg in aggregates:
        arg = column(agg.column) if agg.column is not None else None
        # No copy here: the rules copy what they embed (copies dominate compile time).
        condition = agg.condition.expression if agg.condition is not None else None
        tree = rules.conditional(agg.aggregation, arg, condition)
        out.append(exp.alias_(tree, agg.alias))
    return out
