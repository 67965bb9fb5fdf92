"""Small AST builders the query shapes share, assembled node by node.

sqlglot's builder methods deep-copy the whole tree at every call (the dominant cost of
compiling 1,000 metrics), so selects are put together directly here.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from tripl_cli.compiler.filters import node


def position(n: int) -> exp.Expression:
    return exp.Literal.number(n)


def alias(tree: exp.Expr, name: str) -> exp.Expression:
    return node(exp.alias_(tree, name, copy=False))


def grouped_select(
    columns: Sequence[exp.Expr],
    source: exp.Expression | str,
    where: exp.Expression | None = None,
    group: int = 0,
    *,
    order: bool = True,
) -> exp.Select:
    """`SELECT … FROM source [WHERE …] [GROUP BY 1..n [ORDER BY 1..n]]`, built in place."""
    select = exp.Select(expressions=list(columns))
    select.set("from_", exp.From(this=exp.to_table(source) if isinstance(source, str) else source))
    if where is not None:
        select.set("where", exp.Where(this=where))
    if group:
        select.set("group", exp.Group(expressions=[position(i) for i in range(1, group + 1)]))
        if order:
            # Bare positions, as sqlglot's own builder makes: an `Ordered` node would make
            # some generators spell out NULLS FIRST/LAST, which positional ORDER BY cannot take.
            select.set("order", exp.Order(expressions=[position(i) for i in range(1, group + 1)]))
    return select
