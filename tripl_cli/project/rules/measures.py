"""The shape of fact metrics: columns the aggregation needs, and where breakdowns can go."""

from __future__ import annotations

from collections.abc import Iterator

from tripl_cli.errors import Issue
from tripl_cli.project.rules.context import RuleContext, measures_of
from tripl_cli.project.schema import Aggregation, FactMetric


def check(ctx: RuleContext) -> Iterator[Issue]:
    for name, metric in ctx.project.metrics.items():
        if isinstance(metric, FactMetric):
            yield from _measures(ctx, name, metric)
            yield from _ratio_breakdowns(ctx, name, metric)
        elif metric.breakdowns:
            message = (
                f"metric '{name}': breakdowns are supported on kind: fact metrics only, "
                f"not on kind: {metric.kind}"
            )
            yield ctx.issue("unsupported-breakdown", message, "metric", name, "breakdowns")
        if metric.breakdowns and len(set(metric.breakdowns)) != len(metric.breakdowns):
            message = f"metric '{name}' lists the same breakdown column twice"
            yield ctx.issue("duplicate-name", message, "metric", name, "breakdowns")


def _measures(ctx: RuleContext, name: str, metric: FactMetric) -> Iterator[Issue]:
    for path, measure in measures_of(metric):
        if measure.aggregation is not Aggregation.COUNT and not measure.column:
            where = f" {path[0]}" if path else ""
            message = (
                f"metric '{name}'{where}: aggregation '{measure.aggregation.value}' "
                "needs a `column`"
            )
            yield ctx.issue("missing-column", message, "metric", name, *path, "aggregation")


def _ratio_breakdowns(ctx: RuleContext, name: str, metric: FactMetric) -> Iterator[Issue]:
    if not metric.is_ratio or not metric.breakdowns:
        return
    assert metric.numerator is not None and metric.denominator is not None
    top, bottom = metric.numerator.fact_table, metric.denominator.fact_table
    if top != bottom:
        message = (
            f"metric '{name}': breakdowns need numerator and denominator on the same fact "
            f"table (numerator uses '{top}', denominator uses '{bottom}')"
        )
        yield ctx.issue("ratio-breakdown-cross-table", message, "metric", name, "breakdowns")
