"""SQL safety: queries are one read-only SELECT, filter fragments one boolean expression."""

from __future__ import annotations

from collections.abc import Iterator

from tripl_cli.errors import Issue
from tripl_cli.project.model import ObjectKind
from tripl_cli.project.rules.context import RuleContext, measures_of
from tripl_cli.project.schema import FactMetric, SqlMetric
from tripl_cli.project.schema_errors import did_you_mean
from tripl_cli.project.sqlcheck import check_fragment, has_template_leftovers, output_columns
from tripl_cli.project.templating import END_PLACEHOLDER, START_PLACEHOLDER


def check(ctx: RuleContext) -> Iterator[Issue]:
    for name, table in ctx.project.fact_tables.items():
        yield from _query(ctx, "fact_table", name, table.sql, f"fact table '{name}'")
        for index, row_filter in enumerate(table.row_filters):
            if row_filter.sql is not None:
                what = f"fact table '{name}' row filter '{row_filter.name}'"
                path: tuple[str | int, ...] = ("row_filters", index, "sql")
                yield from _fragment(ctx, "fact_table", name, row_filter.sql, what, path)
    for name, metric in ctx.project.metrics.items():
        if isinstance(metric, SqlMetric):
            yield from _query(ctx, "metric", name, metric.sql, f"metric '{name}'")
            yield from _sql_metric_columns(ctx, name, metric)
        elif isinstance(metric, FactMetric):
            for path, measure in measures_of(metric):
                if measure.where is not None:
                    what = f"metric '{name}'" + (f" {path[0]}" if path else "")
                    yield from _fragment(
                        ctx, "metric", name, measure.where, what, (*path, "where"), key="where"
                    )


def _query(ctx: RuleContext, kind: ObjectKind, name: str, sql: str, what: str) -> Iterator[Issue]:
    check = ctx.query(kind, name, sql)
    if check is None:
        return
    for problem in check.problems:
        yield ctx.issue(problem.rule, f"{what}: `sql` {problem.message}", kind, name, "sql")


def _fragment(
    ctx: RuleContext,
    kind: ObjectKind,
    name: str,
    sql: str,
    what: str,
    path: tuple[str | int, ...],
    *,
    key: str = "sql",
) -> Iterator[Issue]:
    if START_PLACEHOLDER in sql or END_PLACEHOLDER in sql:
        message = (
            f"{what}: `{key}` cannot use {{{{ start }}}}/{{{{ end }}}}; they exist only in "
            "fact-table and sql-metric `sql` (tripl filters the window itself)"
        )
        yield ctx.issue("unsafe-filter", message, kind, name, *path)
        return
    if has_template_leftovers(sql):
        return
    for problem in check_fragment(sql, ctx.dialect).problems:
        yield ctx.issue(problem.rule, f"{what}: `{key}` {problem.message}", kind, name, *path)


def _sql_metric_columns(ctx: RuleContext, name: str, metric: SqlMetric) -> Iterator[Issue]:
    check = ctx.query("metric", name, metric.sql)
    if check is None or check.tree is None:
        return
    names = output_columns(check.tree)
    if names is None:
        return
    lowered = {n.lower() for n in names}
    for key in ("time_column", "value_column"):
        column = getattr(metric, key)
        if column.lower() not in lowered:
            listed = ", ".join(names)
            message = (
                f"metric '{name}': {key} '{column}' is not a column of its query "
                f"(it returns: {listed}){did_you_mean(column, names)}"
            )
            yield ctx.issue(
                "unknown-column",
                message,
                "metric",
                name,
                key if key in metric.model_fields_set else "sql",
            )
