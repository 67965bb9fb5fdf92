"""References between objects: fact tables, row filters, metrics, destinations."""

from __future__ import annotations

from collections.abc import Iterator

from tripl_cli.errors import Issue, Severity
from tripl_cli.project.rules.context import RuleContext, measures_of
from tripl_cli.project.schema import CompositionMetric, FactMetric, MetricStatus
from tripl_cli.project.schema_errors import did_you_mean


def check(ctx: RuleContext) -> Iterator[Issue]:
    for name, metric in ctx.project.metrics.items():
        if isinstance(metric, FactMetric):
            yield from _fact_metric(ctx, name, metric)
        elif isinstance(metric, CompositionMetric):
            yield from _composition(ctx, name, metric)
    for name, rule in ctx.project.alert_rules.items():
        if not ctx.declared("destination", rule.destination):
            hint = did_you_mean(rule.destination, ctx.project.destinations)
            message = f"alert rule '{name}' sends to unknown destination '{rule.destination}'{hint}"
            yield ctx.issue("unknown-destination", message, "alert_rule", name, "destination")


def _unknown_table(ctx: RuleContext, metric: str, table: str, *path: str | int) -> Issue:
    hint = did_you_mean(table, ctx.project.fact_tables)
    message = f"metric '{metric}' uses unknown fact table '{table}'{hint}"
    return ctx.issue("unknown-fact-table", message, "metric", metric, *path)


def _fact_metric(ctx: RuleContext, name: str, metric: FactMetric) -> Iterator[Issue]:
    for path, measure in measures_of(metric):
        table = ctx.project.fact_tables.get(measure.fact_table)
        if table is None:
            if not ctx.declared("fact_table", measure.fact_table):
                yield _unknown_table(ctx, name, measure.fact_table, *path, "fact_table")
            continue
        names = [f.name for f in table.row_filters]
        for index, filter_name in enumerate(measure.filters):
            if filter_name not in names:
                hint = did_you_mean(filter_name, names)
                message = (
                    f"metric '{name}': fact table '{table.name}' has no row filter "
                    f"'{filter_name}'{hint}"
                )
                yield ctx.issue("unknown-filter", message, "metric", name, *path, "filters", index)


def _composition(ctx: RuleContext, name: str, metric: CompositionMetric) -> Iterator[Issue]:
    for key in ("numerator", "denominator"):
        part = getattr(metric, key)
        if part is None:
            continue
        if ctx.declared("metric", part):
            yield from _uncollected_part(ctx, name, metric, key, part)
            continue
        others = [m for m in ctx.project.metrics if m != name]
        message = f"composition '{name}' reads unknown metric '{part}'{did_you_mean(part, others)}"
        yield ctx.issue("unknown-metric", message, "metric", name, key)
    per = metric.per_distinct
    if per is not None and not ctx.declared("fact_table", per.fact_table):
        yield _unknown_table(ctx, name, per.fact_table, "per_distinct", "fact_table")


def _uncollected_part(
    ctx: RuleContext, name: str, metric: CompositionMetric, key: str, part: str
) -> Iterator[Issue]:
    """An active composition of a draft or archived metric gets no new values."""
    read = ctx.project.metrics.get(part)
    if read is None or metric.status is not MetricStatus.ACTIVE:
        return
    if read.status is MetricStatus.ACTIVE:
        return
    message = (
        f"composition '{name}' reads {read.status.value} metric '{part}', which `tripl run` "
        f"does not collect: '{name}' gets no new values"
    )
    yield ctx.issue(
        "uncollected-part",
        message,
        "metric",
        name,
        key,
        severity=Severity.WARNING,
        hint=f"make '{part}' active, or make '{name}' {read.status.value} too",
    )
