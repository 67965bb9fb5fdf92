"""Breakdown folding: the top `limit - 1` values by row count, the rest folded into 'Other'.

Two shapes, chosen per dialect (`DialectRules.breakdown_strategy`, measured):

FOLD_ROWS (every dialect's default) ranks the values in one scan and folds every row:

    tripl_values AS (SELECT <v> AS breakdown_value, COUNT(*) AS tripl_rows FROM src
                     WHERE <window> GROUP BY 1),
    tripl_top AS (<the top limit - 1 of tripl_values, by rows desc then value asc>)
    SELECT <bucket>, CASE WHEN <v> IN (SELECT … FROM tripl_top) THEN <v> ELSE 'Other' END, …
    FROM src WHERE <window> GROUP BY 1, 2

FOLD_GROUPS aggregates per (bucket, value) in ONE scan, ranks the values from those groups
and folds the groups (few: buckets × values) instead of the rows:

    tripl_groups AS (SELECT <bucket> AS bucket, <v> AS tripl_value, COUNT(*) AS tripl_rows,
                            <partial aggregates> FROM src WHERE <window> GROUP BY 1, 2),
    tripl_values AS (SELECT tripl_value AS breakdown_value, SUM(tripl_rows) AS tripl_rows
                     FROM tripl_groups GROUP BY 1),
    tripl_top AS (…as above…)
    SELECT bucket, CASE WHEN tripl_value IN (…) THEN tripl_value ELSE 'Other' END
             AS breakdown_value, <partials re-aggregated>
    FROM tripl_groups GROUP BY 1, 2

RANK_GROUPS builds the same groups and ranks them with window functions in one statement
(for engines that would compute a twice-read CTE twice, as ClickHouse does):

    SELECT bucket, CASE WHEN tripl_rank < <limit> THEN tripl_value ELSE 'Other' END, …
    FROM (SELECT …, DENSE_RANK() OVER (ORDER BY tripl_total DESC, tripl_value) AS tripl_rank
          FROM (SELECT …, SUM(tripl_rows) OVER (PARTITION BY tripl_value) AS tripl_total
                FROM (<the groups>) AS tripl_groups) AS tripl_totals) AS tripl_ranked
    GROUP BY 1, 2

A value's total orders it exactly as tripl_values does (rows desc, then value asc), and
DENSE_RANK gives every group of one value that value's rank.

Partials re-aggregate exactly: counts and sums are summed, min/max taken again, an average is
SUM(partial sums) / SUM(partial counts). A `count_distinct` cannot be re-aggregated across
folded values, so a breakdown query with one always uses FOLD_ROWS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlglot import exp

from tripl_cli.compiler.aggregates import Aggregate, AggregateRules, AggregateSet
from tripl_cli.compiler.cube import reaggregate
from tripl_cli.compiler.filters import column, node
from tripl_cli.compiler.records import BREAKDOWN_COLUMN, BUCKET_COLUMN, OTHER_VALUE
from tripl_cli.compiler.trees import alias, grouped_select, position
from tripl_cli.project.schema import Aggregation

VALUES = "tripl_values"
TOP = "tripl_top"
GROUPS = "tripl_groups"
ROW_COUNT = "tripl_rows"
_RANK = "tripl_rank"
_TOTAL = "tripl_total"
_VALUE = "tripl_value"


def top_ctes(values: exp.Select, limit: int) -> list[tuple[str, exp.Query]]:
    """`tripl_values` (given: value, row count) and `tripl_top`, the `limit - 1` kept."""
    # ROW_NUMBER instead of ORDER BY … LIMIT: MySQL/MariaDB reject LIMIT in an IN subquery.
    order = exp.Order(
        expressions=[
            exp.Ordered(this=exp.column(ROW_COUNT), desc=True),
            exp.Ordered(this=exp.column(BREAKDOWN_COLUMN), desc=False),
        ]
    )
    rank = exp.Window(this=exp.RowNumber(), order=order)
    ranked = grouped_select([exp.column(BREAKDOWN_COLUMN), alias(rank, _RANK)], VALUES)
    kept = exp.LT(this=exp.column(_RANK), expression=position(limit))
    derived = node(ranked.subquery("tripl_ranked", copy=False))
    top = grouped_select([exp.column(BREAKDOWN_COLUMN)], derived, kept)
    return [(VALUES, values), (TOP, top)]


def ranking_ctes(
    source: str, value: exp.Expression, where: exp.Expression, limit: int, rules: AggregateRules
) -> list[tuple[str, exp.Query]]:
    """`tripl_values` (rows per value of `source` where `where` holds) and `tripl_top`."""
    counted = [
        alias(value, BREAKDOWN_COLUMN),
        alias(rules.conditional(Aggregation.COUNT, None, None), ROW_COUNT),
    ]
    return top_ctes(grouped_select(counted, source, where, 1, order=False), limit)


def fold_by(value: exp.Expression, kept: Sequence[str]) -> exp.Expression:
    """`CASE WHEN value IN ('us', …) THEN value ELSE 'Other'`: values ranked beforehand."""
    listed = [exp.Literal.string(v) for v in kept]
    held = exp.In(this=value.copy(), expressions=listed) if kept else exp.false()
    return exp.Case(
        ifs=[exp.If(this=held, true=value.copy())], default=exp.Literal.string(OTHER_VALUE)
    )


def fold(value: exp.Expression) -> exp.Expression:
    """`CASE WHEN value IN (SELECT breakdown_value FROM tripl_top) THEN value ELSE 'Other'`."""
    top = exp.Subquery(this=grouped_select([exp.column(BREAKDOWN_COLUMN)], TOP))
    kept = exp.In(this=value.copy(), query=top)
    return exp.Case(
        ifs=[exp.If(this=kept, true=value.copy())], default=exp.Literal.string(OTHER_VALUE)
    )


def foldable(aggregates: AggregateSet) -> bool:
    """Can every aggregate be computed per raw value and re-aggregated after folding?"""
    return all(a.aggregation is not Aggregation.COUNT_DISTINCT for a in aggregates.aggregates())


def fold_groups(
    source: str,
    bucket: exp.Expression,
    value: exp.Expression,
    where: exp.Expression,
    limit: int,
    aggregates: AggregateSet,
    rules: AggregateRules,
    *,
    ranked: bool = False,
) -> tuple[list[tuple[str, exp.Query]], exp.Select]:
    """(CTEs after `source`, the final SELECT) of the FOLD_GROUPS (or RANK_GROUPS) shape."""
    partials: list[exp.Expr] = [
        alias(bucket, BUCKET_COLUMN),
        alias(value, _VALUE),
        alias(rules.conditional(Aggregation.COUNT, None, None), ROW_COUNT),
    ]
    finals: list[exp.Expr] = []
    for agg in aggregates.aggregates():
        partial = _own_partials(agg, rules, partials)
        finals.append(alias(reaggregate(agg.aggregation, partial, rules), agg.alias))
    groups = grouped_select(partials, source, where, 2, order=False)
    if ranked:
        return [], _ranked_fold(groups, [str(p.alias_or_name) for p in partials], finals, limit)
    per_value = [
        alias(exp.column(_VALUE), BREAKDOWN_COLUMN),
        alias(_again(Aggregation.SUM, ROW_COUNT, rules), ROW_COUNT),
    ]
    values = grouped_select(per_value, GROUPS, None, 1, order=False)
    columns: Sequence[exp.Expr] = [
        exp.column(BUCKET_COLUMN),
        alias(fold(exp.column(_VALUE)), BREAKDOWN_COLUMN),
        *finals,
    ]
    final_select = grouped_select(columns, GROUPS, None, 2)
    return [(GROUPS, groups), *top_ctes(values, limit)], final_select


def _own_partials(
    agg: Aggregate, rules: AggregateRules, partials: list[exp.Expr]
) -> Callable[[Aggregation], str]:
    """Adds `agg`'s own filtered partial per (bucket, raw value) group to `partials` on
    demand, and names it: a folded group sums the partials of the values it gathers."""
    arg = column(agg.column) if agg.column is not None else None
    cond = agg.condition.expression if agg.condition is not None else None

    def partial(func: Aggregation) -> str:
        name = f"tripl_{func.value}_{agg.alias}"
        partials.append(alias(rules.conditional(func, arg, cond), name))
        return name

    return partial


def _ranked_fold(
    groups: exp.Select, names: Sequence[str], finals: Sequence[exp.Expr], limit: int
) -> exp.Select:
    """RANK_GROUPS: rank the groups' values by window functions, fold, re-aggregate."""
    carried = [exp.column(n) for n in names]
    total = exp.Window(
        this=exp.Sum(this=exp.column(ROW_COUNT)),
        partition_by=[exp.column(_VALUE)],
    )
    derived = node(groups.subquery(GROUPS, copy=False))
    totals = grouped_select([*carried, alias(total, _TOTAL)], derived)
    order = exp.Order(
        expressions=[
            exp.Ordered(this=exp.column(_TOTAL), desc=True),
            exp.Ordered(this=exp.column(_VALUE), desc=False),
        ]
    )
    rank = exp.Window(this=exp.DenseRank(), order=order)
    ranks = grouped_select(
        [*(exp.column(n) for n in names), alias(rank, _RANK)],
        node(totals.subquery("tripl_totals", copy=False)),
    )
    kept = exp.LT(this=exp.column(_RANK), expression=position(limit))
    folded = exp.Case(
        ifs=[exp.If(this=kept, true=exp.column(_VALUE))],
        default=exp.Literal.string(OTHER_VALUE),
    )
    columns = [exp.column(BUCKET_COLUMN), alias(folded, BREAKDOWN_COLUMN), *finals]
    return grouped_select(columns, node(ranks.subquery("tripl_ranked", copy=False)), None, 2)


def _again(func: Aggregation, name: str, rules: AggregateRules) -> exp.Expression:
    return rules.conditional(func, exp.column(name), None)
