"""The loaded `Project`: validated definitions plus where each came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tripl_cli.errors import SourceLocation
from tripl_cli.project.locations import ObjectSource
from tripl_cli.project.schema import (
    AlertRule,
    AnyMetric,
    AppriseDestination,
    CommandDestination,
    CompositionMetric,
    EmailDestination,
    FactTable,
    FileDestination,
    ProjectConfig,
    SlackDestination,
    TelegramDestination,
    WebhookDestination,
)
from tripl_cli.timegrid import Interval

ObjectKind = Literal["fact_table", "metric", "destination", "alert_rule"]
AnyDestination = (
    SlackDestination
    | WebhookDestination
    | EmailDestination
    | TelegramDestination
    | CommandDestination
    | FileDestination
    | AppriseDestination
)


@dataclass(frozen=True)
class Project:
    """Everything a project declares, keyed by name, in file order."""

    root: Path
    config: ProjectConfig
    fact_tables: Mapping[str, FactTable] = field(default_factory=dict)
    metrics: Mapping[str, AnyMetric] = field(default_factory=dict)
    destinations: Mapping[str, AnyDestination] = field(default_factory=dict)
    alert_rules: Mapping[str, AlertRule] = field(default_factory=dict)
    sources: Mapping[tuple[ObjectKind, str], ObjectSource] = field(default_factory=dict)
    config_path: str = "tripl_project.yml"
    #: Per destination, the environment variables it reads that were not set at load: it
    #: loads (with a warning) and its deliveries fail naming them.
    unset_env: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Values its files read from the environment (`env_var()`): never in a message or a
    #: run artifact (compiled SQL holds what the SQL reads, as dbt's does).
    secrets: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def target_dir(self) -> Path:
        return self.root / self.config.target_path

    def interval_of(self, metric: AnyMetric) -> Interval:
        """A metric's interval; a composition's is its numerator's (through nested ones)."""
        seen: set[str] = set()
        current = metric
        while isinstance(current, CompositionMetric) and current.name not in seen:
            seen.add(current.name)
            numerator = self.metrics.get(current.numerator)
            if numerator is None:
                break
            current = numerator
        return current.interval or self.config.defaults.interval

    def source_of(self, kind: ObjectKind, name: str) -> ObjectSource | None:
        return self.sources.get((kind, name))

    def location_of(self, kind: ObjectKind, name: str, *path: str | int) -> SourceLocation:
        """The most precise location of `path` inside the named object (file only if unknown)."""
        source = self.sources.get((kind, name))
        if source is None:
            return SourceLocation(self.config_path)
        return source.find(*path)
