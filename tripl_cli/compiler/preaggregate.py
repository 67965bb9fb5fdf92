"""The split shape: `tripl_main` and distinct-count parts, joined on the keys.

Used for PREAGGREGATE distinct counts, and whenever `tripl_main` takes the GROUPED filter
shape (cube.py), which cannot hold a `COUNT(DISTINCT …)` (then the INLINE distinct counts
get a part of their own: `SELECT <keys>, COUNT(DISTINCT …) … FROM src … GROUP BY <keys>`).

`COUNT(DISTINCT x)` under several different filters in one `GROUP BY bucket` makes some
engines keep one hash set per aggregate (measured: DuckDB ~2× slower than separate queries,
see docs/dialects.md). Where the dialect table says so, the query is built instead as:

    WITH src AS (…),
      tripl_main AS (SELECT <keys>, <every other aggregate> FROM src WHERE <window>
                     GROUP BY <keys>),
      tripl_distinct_0 AS (                       -- one per distinct column x
        SELECT <keys>, COUNT(*) AS aI,            -- unfiltered COUNT(DISTINCT x)
               COUNT(CASE WHEN tripl_f0 = 1 THEN 1 END) AS aJ   -- filtered, per condition
        FROM (SELECT <keys>, x AS tripl_value,
                     MAX(CASE WHEN <cond> THEN 1 ELSE 0 END) AS tripl_f0, …  -- the dialect's
                                                   -- flags (DuckDB, ClickHouse: one bit mask)
              FROM src WHERE <window> AND x IS NOT NULL
              GROUP BY <keys>, x) AS tripl_flags
        GROUP BY <keys>)
    SELECT tripl_main.<keys>, <each aN from the part that computes it>
    FROM tripl_main LEFT JOIN tripl_distinct_0 ON <keys equal> …
    ORDER BY <keys>

`<keys>` are `bucket` (and `breakdown_value` for breakdown queries). The output columns and
their meaning are exactly the INLINE shape's: a distinct count is the number of (bucket,
x) groups with a non-NULL x and at least one row matching its condition. `tripl_main` has
every bucket with rows (and every match count, so "NULL means gap" is unchanged); a bucket
missing from a distinct part (no non-NULL x) reads NULL — or ClickHouse's default 0 —
which is the additive 0 an all-NULL `count_distinct` has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlglot import exp

from tripl_cli.compiler.aggregates import (
    Aggregate,
    AggregateSet,
    aggregate_expressions,
)
from tripl_cli.compiler.bitmap import BitmapRules, BucketSlots, bitmap_part
from tripl_cli.compiler.cube import CubeRules, cube_select
from tripl_cli.compiler.dialects import DistinctStrategy
from tripl_cli.compiler.filters import column, has_value, node
from tripl_cli.compiler.trees import alias, grouped_select
from tripl_cli.project.schema import Aggregation

MAIN = "tripl_main"
FLAGS = "tripl_flags"
DISTINCT_PREFIX = "tripl_distinct_"
_VALUE = "tripl_value"
_FLAG_PREFIX = "tripl_f"

Key = tuple[str, exp.Expression]  # (output name, expression over src)


class PreaggregateRules(CubeRules, BitmapRules, Protocol):
    def distinct_flags(
        self, conditions: Sequence[exp.Expr], prefix: str
    ) -> tuple[list[tuple[str, exp.Expression]], list[exp.Expression]]: ...

    def distinct_value(self, value: exp.Expr) -> exp.Expr: ...


def split(
    source: str,
    keys: Sequence[Key],
    where: exp.Expression,
    aggregates: AggregateSet,
    rules: PreaggregateRules,
    *,
    distinct: DistinctStrategy,
    terms: dict[str, exp.Expression] | None,
    bitmap_slots: BucketSlots | None = None,
) -> tuple[list[tuple[str, exp.Query]], exp.Select]:
    """(CTEs to add after `source`'s, the final SELECT) computing every aggregate.

    `tripl_main` has the non-distinct aggregates (conditional, or the GROUPED filter shape of
    cube.py over `terms` when given); the distinct counts come from one part per column
    (PREAGGREGATE flags, or BITMAP bitmaps where the window's `bitmap_slots` are given) or
    one part with every `COUNT(DISTINCT …)` (INLINE, when only the main part is grouped).
    """
    names = [name for name, _ in keys]
    others = aggregates.others()
    if terms is not None:
        main = cube_select(source, keys, where, others, terms, rules)
    else:
        columns = [*_keyed(keys), *aggregate_expressions(others, rules)]
        main = grouped_select(columns, source, where.copy(), len(keys), order=False)
    ctes: list[tuple[str, exp.Query]] = [(MAIN, main)]
    owner = {a.alias: MAIN for a in others}
    by_column = aggregates.distinct_columns()
    if distinct in (DistinctStrategy.PREAGGREGATE, DistinctStrategy.BITMAP):
        for i, (col, distincts) in enumerate(by_column.items()):
            name = f"{DISTINCT_PREFIX}{i}"
            if bitmap_slots is not None:  # given for BITMAP where the window fits a bitmap
                part = bitmap_part(source, where, col, distincts, bitmap_slots, rules)
            else:
                part = _distinct_part(source, keys, where, col, distincts, rules)
            ctes.append((name, part))
            owner.update({a.alias: name for a in distincts})
    elif by_column:
        distincts = [a for group in by_column.values() for a in group]
        columns = [*_keyed(keys), *aggregate_expressions(distincts, rules)]
        part = grouped_select(columns, source, where.copy(), len(keys), order=False)
        ctes.append((f"{DISTINCT_PREFIX}0", part))
        owner.update({a.alias: f"{DISTINCT_PREFIX}0" for a in distincts})
    columns = [alias(exp.column(n, table=MAIN), n) for n in names]
    columns += [
        alias(exp.column(a.alias, table=owner[a.alias]), a.alias) for a in aggregates.aggregates()
    ]
    final = grouped_select(columns, exp.Table(this=exp.to_identifier(MAIN)), None, 0)
    final.set("joins", [_join(name, names) for name, _ in ctes[1:]])
    positions = [exp.Literal.number(i) for i in range(1, len(keys) + 1)]
    final.set("order", exp.Order(expressions=positions))
    return ctes, final


def _keyed(keys: Sequence[Key]) -> list[exp.Expr]:
    return [alias(tree.copy(), name) for name, tree in keys]


def _distinct_part(
    source: str,
    keys: Sequence[Key],
    where: exp.Expression,
    col: str,
    distincts: Sequence[Aggregate],
    rules: PreaggregateRules,
) -> exp.Select:
    """Per (keys, col) group the dialect's flags, then the groups counted per key."""
    filtered = [a for a in distincts if a.condition is not None]
    flags, tests = rules.distinct_flags(
        [a.condition.expression for a in filtered if a.condition is not None], _FLAG_PREFIX
    )
    test_of = {a.alias: test for a, test in zip(filtered, tests, strict=True)}
    counts: list[exp.Expr] = []
    for agg in distincts:
        # Unfiltered: every (keys, col) group counts; filtered: those whose flag is set.
        counted = rules.conditional(Aggregation.COUNT, None, test_of.get(agg.alias))
        counts.append(alias(counted, agg.alias))
    not_null = has_value(col)
    inner_where = node(exp.and_(where.copy(), not_null, copy=False))
    inner = grouped_select(
        [
            *_keyed(keys),
            alias(rules.distinct_value(column(col)), _VALUE),
            *(alias(f, n) for n, f in flags),
        ],
        source,
        inner_where,
        len(keys) + 1,
        order=False,
    )
    outer_keys: list[exp.Expr] = [exp.column(name) for name, _ in keys]
    derived = node(inner.subquery(FLAGS, copy=False))
    return grouped_select([*outer_keys, *counts], derived, None, len(keys), order=False)


def _join(name: str, keys: Sequence[str]) -> exp.Join:
    on = exp.and_(
        *(
            exp.EQ(this=exp.column(k, table=MAIN), expression=exp.column(k, table=name))
            for k in keys
        ),
        copy=False,
    )
    return exp.Join(this=exp.Table(this=exp.to_identifier(name)), side="LEFT", on=on)
