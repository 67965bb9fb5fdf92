"""Columns: references must exist (when known), types must suit their use."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tripl_cli.errors import Issue, Severity
from tripl_cli.project.model import ObjectKind
from tripl_cli.project.rules.conditions import condition_problem
from tripl_cli.project.rules.context import KnownColumns, Path, RuleContext, measures_of
from tripl_cli.project.schema import (
    NUMERIC_AGGREGATIONS,
    Aggregation,
    ColumnType,
    CompositionMetric,
    Condition,
    FactMetric,
    FactTable,
    Measure,
)
from tripl_cli.project.schema_errors import did_you_mean
from tripl_cli.project.sqlcheck import check_fragment, has_template_leftovers, referenced_columns


def check(ctx: RuleContext) -> Iterator[Issue]:
    for name, table in ctx.project.fact_tables.items():
        yield from _fact_table(ctx, name, table)
    for name, metric in ctx.project.metrics.items():
        if isinstance(metric, FactMetric):
            for path, measure in measures_of(metric):
                measured = ctx.project.fact_tables.get(measure.fact_table)
                if measured is not None:
                    yield from _measure(ctx, name, path, measure, measured)
            yield from _breakdowns(ctx, name, metric)
        elif isinstance(metric, CompositionMetric) and metric.per_distinct is not None:
            per = metric.per_distinct
            per_table = ctx.project.fact_tables.get(per.fact_table)
            if per_table is not None:
                refs: list[tuple[Path, str]] = [(("per_distinct", "column"), per.column)]
                yield from _columns(ctx, "metric", name, per_table, refs)


def _types(table: FactTable) -> dict[str, ColumnType]:
    return {c.name.lower(): c.type for c in table.columns or []}


def _unknown(
    ctx: RuleContext,
    kind: ObjectKind,
    name: str,
    table: FactTable,
    known: KnownColumns,
    path: Path,
    column: str,
) -> Issue:
    suggestion = did_you_mean(column, known.names)
    if kind == "fact_table":
        message = f"fact table '{name}': unknown column '{column}'{suggestion}"
    else:
        message = f"metric '{name}': unknown column '{column}' in fact table '{table.name}'"
        message += suggestion
    message += f"; its columns are the ones {known.source}"
    return ctx.issue("unknown-column", message, kind, name, *path)


def _columns(
    ctx: RuleContext,
    kind: ObjectKind,
    name: str,
    table: FactTable,
    refs: Sequence[tuple[Path, str]],
) -> Iterator[Issue]:
    known = ctx.known_columns(table)
    if known is None:
        return
    for path, column in refs:
        if not known.has(column):
            yield _unknown(ctx, kind, name, table, known, path, column)


def _fragment_columns(ctx: RuleContext, sql: str) -> list[str]:
    if has_template_leftovers(sql):
        return []
    check = check_fragment(sql, ctx.dialect)
    if check.tree is None:
        return []
    # Without a dialect, "x" may be a string (MySQL, BigQuery) or a column: skip quoted names.
    return referenced_columns(check.tree, unquoted_only=ctx.dialect is None)


def _conditions(
    ctx: RuleContext,
    kind: ObjectKind,
    name: str,
    table: FactTable,
    conditions: Sequence[Condition],
    base: Path,
) -> Iterator[Issue]:
    types = _types(table)
    refs = [((*base, i, "column"), c.column) for i, c in enumerate(conditions)]
    yield from _columns(ctx, kind, name, table, refs)
    what = f"{'fact table' if kind == 'fact_table' else 'metric'} '{name}'"
    for index, condition in enumerate(conditions):
        problem = condition_problem(condition, types.get(condition.column.lower()))
        if problem is not None:
            message = f"{what}: condition on '{condition.column}': {problem}"
            yield ctx.issue("condition-value", message, kind, name, *base, index, "value")


def _fact_table(ctx: RuleContext, name: str, table: FactTable) -> Iterator[Issue]:
    yield from _duplicates(ctx, name, [c.name for c in table.columns or []], "columns", "column")
    yield from _duplicates(
        ctx, name, [f.name for f in table.row_filters], "row_filters", "row filter"
    )
    refs: list[tuple[Path, str]] = [(("timestamp_column",), table.timestamp_column)]
    refs += [(("identifier_columns", i), c) for i, c in enumerate(table.identifier_columns)]
    for index, row_filter in enumerate(table.row_filters):
        if row_filter.sql is not None:
            path: Path = ("row_filters", index, "sql")
            refs += [(path, c) for c in _fragment_columns(ctx, row_filter.sql)]
        if row_filter.conditions:
            base: Path = ("row_filters", index, "conditions")
            yield from _conditions(ctx, "fact_table", name, table, row_filter.conditions, base)
    yield from _columns(ctx, "fact_table", name, table, refs)
    yield from _declared_not_selected(ctx, name, table)
    ts_type = _types(table).get(table.timestamp_column.lower())
    if ts_type is not None and ts_type is not ColumnType.TIMESTAMP:
        message = (
            f"fact table '{name}': timestamp_column '{table.timestamp_column}' is declared "
            f"as {ts_type.value}, not timestamp"
        )
        yield ctx.issue("column-type", message, "fact_table", name, "timestamp_column")


def _declared_not_selected(ctx: RuleContext, name: str, table: FactTable) -> Iterator[Issue]:
    """`columns:` may type some of the selected columns; one the sql does not select is a
    stale or misspelt entry (a reference to it is an `unknown-column` error)."""
    selected = ctx.selected_columns(table)
    if selected is None or not table.columns:
        return
    known = {s.lower() for s in selected}
    for index, column in enumerate(table.columns):
        if column.name.lower() not in known:
            message = (
                f"fact table '{name}': column '{column.name}' is declared in `columns:` but "
                f"its sql does not select it{did_you_mean(column.name, selected)}"
            )
            yield ctx.issue(
                "unselected-column",
                message,
                "fact_table",
                name,
                "columns",
                index,
                "name",
                severity=Severity.WARNING,
            )


def _duplicates(
    ctx: RuleContext, name: str, names: list[str], key: str, word: str
) -> Iterator[Issue]:
    # Case-insensitive, like every column lookup here: engines fold unquoted names.
    first: dict[str, str] = {}  # lower-cased name → its first spelling
    for index, item in enumerate(names):
        seen = first.get(item.lower())
        if seen is None:
            first[item.lower()] = item
        else:
            also = "" if seen == item else f" (as '{seen}' too)"
            message = f"fact table '{name}' declares {word} '{item}' twice{also}"
            yield ctx.issue("duplicate-name", message, "fact_table", name, key, index, "name")


def _measure(
    ctx: RuleContext, name: str, path: Path, measure: Measure, table: FactTable
) -> Iterator[Issue]:
    refs: list[tuple[Path, str]] = []
    if measure.column:
        refs.append(((*path, "column"), measure.column))
    if measure.where:
        refs += [((*path, "where"), c) for c in _fragment_columns(ctx, measure.where)]
    yield from _columns(ctx, "metric", name, table, refs)
    yield from _conditions(ctx, "metric", name, table, measure.conditions, (*path, "conditions"))
    if not measure.column:
        return
    ctype = _types(table).get(measure.column.lower())
    agg = measure.aggregation
    if agg in NUMERIC_AGGREGATIONS and ctype is not None and ctype is not ColumnType.NUMBER:
        message = (
            f"metric '{name}': aggregation '{agg.value}' needs a number column; "
            f"'{measure.column}' is declared as {ctype.value}"
        )
        yield ctx.issue("column-type", message, "metric", name, *path, "column")
    ids = table.identifier_columns
    if agg is Aggregation.COUNT_DISTINCT and ids and measure.column not in ids:
        message = (
            f"metric '{name}': count_distinct on '{measure.column}', which is not one of fact "
            f"table '{table.name}' identifier_columns ({', '.join(ids)})"
        )
        yield ctx.issue(
            "count-distinct-column",
            message,
            "metric",
            name,
            *path,
            "column",
            severity=Severity.WARNING,
        )


def _breakdowns(ctx: RuleContext, name: str, metric: FactMetric) -> Iterator[Issue]:
    tables = {m.fact_table for _, m in measures_of(metric)}
    if len(tables) != 1 or not metric.breakdowns:
        return  # cross-table ratios are reported by ratio-breakdown-cross-table
    table = ctx.project.fact_tables.get(next(iter(tables)))
    if table is not None:
        refs = [(("breakdowns", i), c) for i, c in enumerate(metric.breakdowns)]
        yield from _columns(ctx, "metric", name, table, refs)
