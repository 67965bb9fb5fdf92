"""Query ASTs for one (fact table | SQL metric, interval, window): the shapes of SPEC §5.

Every query returns `bucket`, then `breakdown_value` for breakdown queries, then the
aggregate columns. Shapes (rendered per dialect by the rules object):

    aggregate:  WITH src AS (<fact sql>)
                SELECT <bucket(ts)> AS bucket, <aggregates>
                FROM src WHERE ts >= <start> AND ts < <end> GROUP BY 1 ORDER BY 1
    breakdown:  WITH src AS (…), tripl_values AS (<rows per value in the window>),
                     tripl_top AS (<the top limit-1 values, by rows desc then value asc>)
                SELECT <bucket(ts)> AS bucket,
                       CASE WHEN v IN (SELECT … FROM tripl_top) THEN v ELSE 'Other' END
                         AS breakdown_value, <aggregates>
                FROM src WHERE <window> GROUP BY 1, 2 ORDER BY 1, 2
    sql_metric: SELECT <bucket(t)> AS bucket, SUM(v) AS a0, COUNT(*) AS a1
                FROM (SELECT <time_column> AS tripl_time, <value_column> AS tripl_value
                      FROM (<user sql>) AS tripl_user) AS tripl_sql
                WHERE tripl_time >= <start> AND tripl_time < <end> GROUP BY 1 ORDER BY 1
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlglot import exp

from tripl_cli.compiler import bitmap
from tripl_cli.compiler.aggregates import AggregateSet
from tripl_cli.compiler.breakdowns import (
    TOP,
    fold,
    fold_by,
    fold_groups,
    foldable,
    ranking_ctes,
)
from tripl_cli.compiler.cube import cube_select, cube_terms
from tripl_cli.compiler.dialects import (
    BreakdownStrategy,
    DistinctStrategy,
    FilterStrategy,
    Shapes,
)
from tripl_cli.compiler.filters import column, node
from tripl_cli.compiler.preaggregate import (
    PreaggregateRules,
    split,
)
from tripl_cli.compiler.records import BREAKDOWN_COLUMN, BUCKET_COLUMN
from tripl_cli.compiler.sources import windowed_query
from tripl_cli.compiler.trees import alias, grouped_select, position
from tripl_cli.project.schema import Aggregation, ColumnType, FactTable, SqlMetric
from tripl_cli.timegrid import Interval, Window

SOURCE = "src"
#: The standard shapes (every strategy's first form).
DEFAULT_SHAPES = Shapes()
_TIME = "tripl_time"
_VALUE = "tripl_value"


class BuildRules(PreaggregateRules, Protocol):
    """The part of `DialectRules` the builders need."""

    @property
    def name(self) -> str: ...

    def bucket(
        self, ts: exp.Expression, interval: Interval, *, column_type: ColumnType | None = None
    ) -> exp.Expression: ...

    def timestamp_literal(self, ts: datetime) -> exp.Expression: ...

    def coalesce_breakdown(
        self, col: exp.Expression, column_type: ColumnType | None = None
    ) -> exp.Expression: ...

    def render(self, tree: exp.Expression) -> str: ...


def _column_type(fact: FactTable, name: str) -> ColumnType | None:
    return next((c.type for c in fact.columns or () if c.name == name), None)


def _breakdown_value(fact: FactTable, breakdown: str, rules: BuildRules) -> exp.Expression:
    """The breakdown column as the text every query of it groups, ranks and folds by."""
    return rules.coalesce_breakdown(column(breakdown), _column_type(fact, breakdown))


def _in_window(ts: exp.Expression, window: Window, rules: BuildRules) -> exp.Expression:
    lower = exp.GTE(this=ts.copy(), expression=rules.timestamp_literal(window.start))
    upper = exp.LT(this=ts.copy(), expression=rules.timestamp_literal(window.end))
    return node(exp.and_(lower, upper))


def _subquery(query: exp.Query, name: str) -> exp.Expression:
    return node(query.subquery(name, copy=False))


def _with(select: exp.Select, ctes: Sequence[tuple[str, exp.Query]]) -> exp.Select:
    """Put `ctes` (in order) in the WITH of `select`, after any it has."""
    existing = select.args.get("with_")
    items = list(existing.expressions) if isinstance(existing, exp.With) else []
    items += [exp.CTE(this=q, alias=exp.TableAlias(this=exp.to_identifier(n))) for n, q in ctes]
    recursive = existing.args.get("recursive") if isinstance(existing, exp.With) else None
    select.set("with_", exp.With(expressions=items, recursive=recursive))
    return select


def _fact_source(fact: FactTable, window: Window, rules: BuildRules) -> exp.Query:
    return windowed_query(fact.sql, window, rules, what=f"fact table '{fact.name}'")


def _take_ctes(query: exp.Query) -> exp.With | None:
    """Detach the user query's own CTEs, to be hoisted to the top of ours.

    A WITH nested inside a CTE or a derived table is not accepted by every engine (Redshift
    rejects it); top-level CTEs are. Left nested only if a name could collide with ours:
    `src`, or any `tripl_…` (every other name tripl gives a CTE or derived table).
    """
    with_ = query.args.get("with_")
    if not isinstance(with_, exp.With):
        return None
    names = {str(cte.alias_or_name) for cte in with_.expressions}
    if SOURCE in names or any(n.lower().startswith("tripl_") for n in names):
        return None
    query.set("with_", None)
    return with_


def _prepend_ctes(outer: exp.Select, taken: exp.With | None) -> exp.Select:
    if taken is None:
        return outer
    mine = outer.args.get("with_")
    ctes = [*taken.expressions, *(mine.expressions if isinstance(mine, exp.With) else [])]
    outer.set("with_", exp.With(expressions=ctes, recursive=taken.args.get("recursive")))
    return outer


def _bucket(fact: FactTable, interval: Interval, rules: BuildRules) -> exp.Expression:
    ts = column(fact.timestamp_column)
    return rules.bucket(ts, interval, column_type=_column_type(fact, fact.timestamp_column))


def _grouped(
    keys: list[tuple[str, exp.Expression]],
    where: exp.Expression,
    aggregates: AggregateSet,
    rules: BuildRules,
    shapes: Shapes,
    bitmap_slots: bitmap.BucketSlots | None = None,
) -> tuple[list[tuple[str, exp.Query]], exp.Select]:
    """(CTEs after `src`, the SELECT) of every aggregate per `keys`, in the chosen shape.

    BITMAP distinct counts need `bitmap_slots`; without them they take PREAGGREGATE's shape.
    """
    has_distinct = bool(aggregates.distinct_columns())
    # Under SEPARATE, distinct counts (a `__count_distinct` part, or a breakdown query's) stay
    # in one plain GROUP BY (PostgreSQL misjudges the split shape's twice-read `src`).
    separate = has_distinct and shapes.distinct is DistinctStrategy.SEPARATE
    terms = (
        cube_terms(aggregates.others())
        if shapes.filters is FilterStrategy.GROUPED and not separate
        else None
    )
    if terms is not None and not has_distinct:
        select = cube_select(SOURCE, keys, where, aggregates.aggregates(), terms, rules)
        select.set("order", exp.Order(expressions=[position(i + 1) for i in range(len(keys))]))
        return [], select
    per_column = shapes.distinct in (DistinctStrategy.PREAGGREGATE, DistinctStrategy.BITMAP)
    if terms is not None or (has_distinct and per_column):
        return split(
            SOURCE,
            keys,
            where,
            aggregates,
            rules,
            distinct=shapes.distinct,
            terms=terms,
            bitmap_slots=bitmap_slots,
        )
    columns: list[exp.Expr] = [alias(tree, name) for name, tree in keys]
    columns += aggregates.select_expressions(rules)
    return [], grouped_select(columns, SOURCE, where, group=len(keys))


def aggregate_query(
    fact: FactTable,
    interval: Interval,
    window: Window,
    aggregates: AggregateSet,
    rules: BuildRules,
    shapes: Shapes = DEFAULT_SHAPES,
) -> exp.Select:
    """One scan of the fact table computing every aggregate per bucket.

    `shapes` picks the count_distinct shape (preaggregate.py, bitmap.py) and the filter
    shape (cube.py).
    """
    keys = [(BUCKET_COLUMN, _bucket(fact, interval, rules))]
    source = _fact_source(fact, window, rules)
    hoisted = _take_ctes(source)
    where = _in_window(column(fact.timestamp_column), window, rules)
    slots = None
    if shapes.distinct is DistinctStrategy.BITMAP:
        slots = bitmap.bucket_slots(fact.timestamp_column, window, interval, rules)
    ctes, select = _grouped(keys, where, aggregates, rules, shapes, slots)
    return _prepend_ctes(_with(select, [(SOURCE, source), *ctes]), hoisted)


def bitmap_probe_query(
    fact: FactTable,
    interval: Interval,
    window: Window,
    aggregates: AggregateSet,
    rules: BuildRules,
) -> exp.Select | None:
    """The probe deciding between PREAGGREGATE and BITMAP distinct counts (bitmap.py).

    `None` where the BITMAP form does not apply or would not repay its probe: no distinct
    counts, no bitmap type in the dialect, or a window of fewer buckets than
    `bitmap.PROBED_MIN_BUCKETS` or more than a bitmap holds.
    """
    columns = list(aggregates.distinct_columns())
    slots = bitmap.bucket_slots(fact.timestamp_column, window, interval, rules)
    if not columns or slots is None or slots.count < bitmap.PROBED_MIN_BUCKETS:
        return None
    source = _fact_source(fact, window, rules)
    hoisted = _take_ctes(source)
    where = _in_window(column(fact.timestamp_column), window, rules)
    select = bitmap.probe(SOURCE, where, columns, slots, rules)
    return _prepend_ctes(_with(select, [(SOURCE, source)]), hoisted)


def breakdown_query(
    fact: FactTable,
    interval: Interval,
    window: Window,
    breakdown: str,
    limit: int | None,
    aggregates: AggregateSet,
    rules: BuildRules,
    shapes: Shapes = DEFAULT_SHAPES,
    *,
    rank_window: Window | None = None,
    kept: Sequence[str] | None = None,
) -> exp.Select:
    """Aggregates per (bucket, breakdown value): the top `limit - 1` values, the rest 'Other'.

    Values are ranked by their row count over the query's whole window (ties by value), or
    over `rank_window`, which contains it (the whole window a chunk belongs to, so that all
    chunks fold the same values; a resumed run's `initial_buckets`) — unless `kept` already
    names them (`breakdown_ranking`, run once); `limit=None` keeps every value. NULL becomes ''.
    `shapes.breakdown` picks the shape of breakdowns.py (FOLD_/RANK_GROUPS only when every
    aggregate can be re-aggregated and the ranking reads the query's own rows).
    """
    if limit == 1:  # everything folds into 'Other': nothing to rank
        kept = ()
    value = _breakdown_value(fact, breakdown, rules)
    ts = column(fact.timestamp_column)
    window_filter = _in_window(ts, window, rules)
    # A chunk that ranks for itself reads the fact table over the whole window (its
    # `{{ start }}`/`{{ end }}` too); its own rows are still cut to the chunk by `window_filter`.
    ranked_over = rank_window if rank_window is not None and kept is None else window
    source = _fact_source(fact, ranked_over, rules)
    hoisted = _take_ctes(source)
    bucket = _bucket(fact, interval, rules)
    folding = shapes.breakdown
    if (
        limit is not None
        and kept is None
        and rank_window is None
        and folding is not BreakdownStrategy.FOLD_ROWS
        and foldable(aggregates)
    ):
        ranked = folding is BreakdownStrategy.RANK_GROUPS
        ctes, select = fold_groups(
            SOURCE, bucket, value, window_filter, limit, aggregates, rules, ranked=ranked
        )
        return _prepend_ctes(_with(select, [(SOURCE, source), *ctes]), hoisted)
    folded: exp.Expression = value
    ranking: list[tuple[str, exp.Query]] = []
    if limit is not None and kept is not None:
        folded = fold_by(value, kept)
    elif limit is not None:
        rank_filter = _in_window(ts.copy(), ranked_over, rules)
        ranking = ranking_ctes(SOURCE, value.copy(), rank_filter, limit, rules)
        folded = fold(value)
    keys = [(BUCKET_COLUMN, bucket), (BREAKDOWN_COLUMN, folded)]
    ctes, select = _grouped(keys, window_filter, aggregates, rules, shapes)
    # `src` first: the ranking CTEs read it; the preaggregated parts read both.
    return _prepend_ctes(_with(select, [(SOURCE, source), *ranking, *ctes]), hoisted)


def breakdown_ranking(
    fact: FactTable, window: Window, breakdown: str, limit: int, rules: BuildRules
) -> exp.Select:
    """The `limit - 1` values a breakdown keeps over `window` (one `breakdown_value` column),
    ranked as `breakdown_query` ranks them."""
    value = _breakdown_value(fact, breakdown, rules)
    source = _fact_source(fact, window, rules)
    hoisted = _take_ctes(source)
    where = _in_window(column(fact.timestamp_column), window, rules)
    ranking = ranking_ctes(SOURCE, value, where, limit, rules)
    select = grouped_select([exp.column(BREAKDOWN_COLUMN)], TOP)
    return _prepend_ctes(_with(select, [(SOURCE, source), *ranking]), hoisted)


def sql_metric_query(
    metric: SqlMetric, interval: Interval, window: Window, rules: BuildRules
) -> exp.Select:
    """The user's query wrapped with the window filter, its time floored to the interval.

    `a0` sums the values of rows landing in one bucket (so a query at a finer grain still
    works; one row per bucket is the contract); `a1` counts those rows so the assembler can
    warn when several rows were summed. A NULL value (or all-NULL rows) makes a gap.
    """
    user = windowed_query(metric.sql, window, rules, what=f"metric '{metric.name}'")
    hoisted = _take_ctes(user)
    renamed = grouped_select(
        [
            alias(column(metric.time_column), _TIME),
            alias(column(metric.value_column), _VALUE),
        ],
        _subquery(user, "tripl_user"),
    )
    time = exp.column(_TIME)
    columns = [
        alias(rules.bucket(time, interval), BUCKET_COLUMN),
        alias(rules.conditional(Aggregation.SUM, exp.column(_VALUE), None), "a0"),
        alias(rules.conditional(Aggregation.COUNT, None, None), "a1"),
    ]
    where = _in_window(time, window, rules)
    select = grouped_select(columns, _subquery(renamed, "tripl_sql"), where, group=1)
    return _prepend_ctes(select, hoisted)
