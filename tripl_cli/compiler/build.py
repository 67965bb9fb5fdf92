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

from tripl_cli.compiler.aggregates import AggregateRules, AggregateSet
from tripl_cli.compiler.filters import column, node
from tripl_cli.compiler.records import BREAKDOWN_COLUMN, BUCKET_COLUMN, OTHER_VALUE
from tripl_cli.compiler.sources import windowed_query
from tripl_cli.project.schema import Aggregation, ColumnType, FactTable, SqlMetric
from tripl_cli.timegrid import Interval, Window

SOURCE = "src"
_VALUES = "tripl_values"
_TOP = "tripl_top"
_ROW_COUNT = "tripl_rows"
_RANK = "tripl_rank"
_TIME = "tripl_time"
_VALUE = "tripl_value"


class BuildRules(AggregateRules, Protocol):
    """The part of `DialectRules` the builders need."""

    @property
    def name(self) -> str: ...

    def bucket(
        self, ts: exp.Expression, interval: Interval, *, column_type: ColumnType | None = None
    ) -> exp.Expression: ...

    def timestamp_literal(self, ts: datetime) -> exp.Expression: ...

    def coalesce_breakdown(self, col: exp.Expression) -> exp.Expression: ...

    def render(self, tree: exp.Expression) -> str: ...


def _column_type(fact: FactTable, name: str) -> ColumnType | None:
    return next((c.type for c in fact.columns or () if c.name == name), None)


def _in_window(ts: exp.Expression, window: Window, rules: BuildRules) -> exp.Expression:
    lower = exp.GTE(this=ts.copy(), expression=rules.timestamp_literal(window.start))
    upper = exp.LT(this=ts.copy(), expression=rules.timestamp_literal(window.end))
    return node(exp.and_(lower, upper))


def _position(n: int) -> exp.Expression:
    return exp.Literal.number(n)


def _alias(tree: exp.Expression, name: str) -> exp.Expression:
    return node(exp.alias_(tree, name, copy=False))


def _subquery(query: exp.Query, alias: str) -> exp.Expression:
    return node(query.subquery(alias, copy=False))


def _select(
    columns: Sequence[exp.Expr],
    source: exp.Expression | str,
    where: exp.Expression | None = None,
    group: int = 0,
) -> exp.Select:
    """`SELECT … FROM source [WHERE …] [GROUP BY 1..n ORDER BY 1..n]`, built in place.

    Nodes are assembled directly instead of with sqlglot's builder methods, which deep-copy
    the whole tree at every step (the dominant cost of compiling 1,000 metrics).
    """
    select = exp.Select(expressions=list(columns))
    select.set("from_", exp.From(this=exp.to_table(source) if isinstance(source, str) else source))
    if where is not None:
        select.set("where", exp.Where(this=where))
    if group:
        select.set("group", exp.Group(expressions=[_position(i) for i in range(1, group + 1)]))
        # Bare positions, as sqlglot's own builder makes: an `Ordered` node would make some
        # generators spell out NULLS FIRST/LAST, which positional ORDER BY cannot take.
        select.set("order", exp.Order(expressions=[_position(i) for i in range(1, group + 1)]))
    return select


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
    rejects it); top-level CTEs are. Left nested only if a name would collide with ours.
    """
    with_ = query.args.get("with_")
    if not isinstance(with_, exp.With):
        return None
    if {cte.alias_or_name for cte in with_.expressions} & {SOURCE, _VALUES, _TOP}:
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


def aggregate_query(
    fact: FactTable,
    interval: Interval,
    window: Window,
    aggregates: AggregateSet,
    rules: BuildRules,
) -> exp.Select:
    """One scan of the fact table computing every aggregate per bucket."""
    columns = [
        _alias(_bucket(fact, interval, rules), BUCKET_COLUMN),
        *aggregates.select_expressions(rules),
    ]
    source = _fact_source(fact, window, rules)
    hoisted = _take_ctes(source)
    where = _in_window(column(fact.timestamp_column), window, rules)
    select = _with(_select(columns, SOURCE, where, group=1), [(SOURCE, source)])
    return _prepend_ctes(select, hoisted)


def _top_values(
    value: exp.Expression, window_filter: exp.Expression, limit: int, rules: BuildRules
) -> list[tuple[str, exp.Query]]:
    """CTEs: the per-value row counts over the window, and the `limit - 1` values kept."""
    counted = [
        _alias(value.copy(), BREAKDOWN_COLUMN),
        _alias(rules.conditional(Aggregation.COUNT, None, None), _ROW_COUNT),
    ]
    values = _select(counted, SOURCE, window_filter.copy())
    values.set("group", exp.Group(expressions=[_position(1)]))
    # ROW_NUMBER instead of ORDER BY … LIMIT: MySQL/MariaDB reject LIMIT in an IN subquery.
    order = exp.Order(
        expressions=[
            exp.Ordered(this=exp.column(_ROW_COUNT), desc=True),
            exp.Ordered(this=exp.column(BREAKDOWN_COLUMN), desc=False),
        ]
    )
    rank = exp.Window(this=exp.RowNumber(), order=order)
    ranked = _select([exp.column(BREAKDOWN_COLUMN), _alias(rank, _RANK)], _VALUES)
    kept = exp.LT(this=exp.column(_RANK), expression=_position(limit))
    top = _select([exp.column(BREAKDOWN_COLUMN)], _subquery(ranked, "tripl_ranked"), kept)
    return [(_VALUES, values), (_TOP, top)]


def breakdown_query(
    fact: FactTable,
    interval: Interval,
    window: Window,
    breakdown: str,
    limit: int | None,
    aggregates: AggregateSet,
    rules: BuildRules,
) -> exp.Select:
    """Aggregates per (bucket, breakdown value): the top `limit - 1` values, the rest 'Other'.

    Values are ranked by their row count over the query's whole window (ties by value);
    `limit=None` keeps every value. NULL becomes ''.
    """
    value = rules.coalesce_breakdown(column(breakdown))
    window_filter = _in_window(column(fact.timestamp_column), window, rules)
    folded: exp.Expression = value
    ranking: list[tuple[str, exp.Query]] = []
    if limit is not None:
        ranking = _top_values(value, window_filter, limit, rules)
        top = exp.Subquery(this=_select([exp.column(BREAKDOWN_COLUMN)], _TOP))
        kept = exp.In(this=value.copy(), query=top)
        folded = exp.Case(
            ifs=[exp.If(this=kept, true=value.copy())], default=exp.Literal.string(OTHER_VALUE)
        )
    columns = [
        _alias(_bucket(fact, interval, rules), BUCKET_COLUMN),
        _alias(folded, BREAKDOWN_COLUMN),
        *aggregates.select_expressions(rules),
    ]
    source = _fact_source(fact, window, rules)
    hoisted = _take_ctes(source)
    select = _select(columns, SOURCE, window_filter, group=2)
    # `src` first: the ranking CTEs read it.
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
    renamed = _select(
        [
            _alias(column(metric.time_column), _TIME),
            _alias(column(metric.value_column), _VALUE),
        ],
        _subquery(user, "tripl_user"),
    )
    time = exp.column(_TIME)
    columns = [
        _alias(rules.bucket(time, interval), BUCKET_COLUMN),
        _alias(rules.conditional(Aggregation.SUM, exp.column(_VALUE), None), "a0"),
        _alias(rules.conditional(Aggregation.COUNT, None, None), "a1"),
    ]
    where = _in_window(time, window, rules)
    select = _select(columns, _subquery(renamed, "tripl_sql"), where, group=1)
    return _prepend_ctes(select, hoisted)
