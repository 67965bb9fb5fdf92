"""In-memory projects for compiler tests: fact tables plus metrics written as YAML dicts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from tripl_cli.project.model import Project
from tripl_cli.project.schema import FactTable, Metric, ProjectConfig


def project_of(facts: Sequence[FactTable], *metrics: dict[str, Any]) -> Project:
    """A project named `p` of these fact tables and metrics (validated as the loader does)."""
    adapter: TypeAdapter[Any] = TypeAdapter(Metric)
    parsed = [adapter.validate_python(m) for m in metrics]
    return Project(
        root=Path(),
        config=ProjectConfig(name="p"),
        fact_tables={f.name: f for f in facts},
        metrics={m.name: m for m in parsed},
    )


def counts_where(fact: FactTable, conditions: dict[str, dict[str, Any]]) -> Project:
    """A project of one `count` metric per named condition on `fact` (compile with
    `list(conditions)`), to read how an engine applies each condition."""
    metrics = [
        {"name": name, "kind": "fact", "fact_table": fact.name, "aggregation": "count",
         "conditions": [condition]}
        for name, condition in conditions.items()
    ]  # fmt: skip
    return project_of([fact], *metrics)
