"""Cross-object validation rules, one module per family; each yields located `Issue`s."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from tripl_cli.errors import Issue
from tripl_cli.project.rules import columns, graph, measures, paths, references, settings, sql
from tripl_cli.project.rules.context import RuleContext

logger = logging.getLogger(__name__)

#: Rule families in the order they run (order only matters for equal locations).
FAMILIES: tuple[Callable[[RuleContext], Iterable[Issue]], ...] = (
    references.check,
    measures.check,
    graph.check,
    sql.check,
    columns.check,
    settings.check,
    paths.check,
)


def run_rules(ctx: RuleContext) -> list[Issue]:
    issues: list[Issue] = []
    for family in FAMILIES:
        issues.extend(family(ctx))
    return issues


__all__ = ["FAMILIES", "RuleContext", "run_rules"]
