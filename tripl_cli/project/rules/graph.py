"""The composition graph: no cycles, and parts that share one interval."""

from __future__ import annotations

from collections.abc import Iterator

from tripl_cli.errors import Issue
from tripl_cli.project.rules.context import RuleContext
from tripl_cli.project.schema import CompositionMetric


def _edges(ctx: RuleContext) -> dict[str, list[str]]:
    metrics = ctx.project.metrics
    return {
        name: [p for p in m.parts if p in metrics]
        for name, m in metrics.items()
        if isinstance(m, CompositionMetric)
    }


def find_cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """Each elementary cycle reachable in `edges` once, as the path that closes it."""
    cycles: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            cycle = [*stack[stack.index(node) :], node]
            key = frozenset(cycle)
            if key not in seen_sets:
                seen_sets.add(key)
                cycles.append(cycle)
            return
        if node in done:
            return
        stack.append(node)
        for nxt in edges.get(node, []):
            visit(nxt, stack)
        stack.pop()
        done.add(node)

    for start in edges:
        visit(start, [])
    return cycles


def check(ctx: RuleContext) -> Iterator[Issue]:
    for cycle in find_cycles(_edges(ctx)):
        first = cycle[0]
        message = f"composition cycle: {' -> '.join(cycle)}"
        yield ctx.issue("composition-cycle", message, "metric", first, "numerator")
    for name, metric in ctx.project.metrics.items():
        if isinstance(metric, CompositionMetric):
            yield from _intervals(ctx, name, metric)


def _intervals(ctx: RuleContext, name: str, metric: CompositionMetric) -> Iterator[Issue]:
    project = ctx.project
    parts = [(p, project.metrics[p]) for p in metric.parts if p in project.metrics]
    intervals = {p: project.interval_of(m).value for p, m in parts}
    if len(set(intervals.values())) > 1:
        listed = ", ".join(f"'{p}' ({i})" for p, i in intervals.items())
        message = f"composition '{name}' reads metrics of different intervals: {listed}"
        yield ctx.issue("interval-mismatch", message, "metric", name, "denominator")
    elif intervals and metric.interval is not None:
        theirs = next(iter(intervals.values()))
        if metric.interval.value != theirs:
            message = (
                f"composition '{name}' sets interval {metric.interval.value} but the "
                f"metrics it reads are {theirs}; remove `interval` (it is theirs)"
            )
            yield ctx.issue("interval-mismatch", message, "metric", name, "interval")
