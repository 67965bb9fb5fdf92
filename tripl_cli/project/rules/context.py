"""What every validation rule gets: the project, names rejected by the schema, the dialect."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tripl_cli.errors import Issue, Severity, SourceLocation
from tripl_cli.project.locations import NodeLocation
from tripl_cli.project.model import ObjectKind, Project
from tripl_cli.project.schema import FactMetric, FactTable, Measure
from tripl_cli.project.sqlcheck import (
    QueryCheck,
    check_query,
    has_template_leftovers,
    named_output_columns,
)

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class KnownColumns:
    """The columns a fact table is known to have, and how we know."""

    names: tuple[str, ...]
    source: str  # "declared in `columns:`" | "its sql selects"

    def has(self, column: str) -> bool:
        return column.lower() in {n.lower() for n in self.names}


@dataclass(frozen=True)
class RuleContext:
    project: Project
    #: Names declared but rejected by the schema: references to them are not "unknown".
    invalid: Mapping[ObjectKind, frozenset[str]] = field(default_factory=dict)
    dialect: str | None = None
    #: Where tripl_project.yml's nodes are, for project-level settings.
    config_node: NodeLocation | None = None
    _queries: dict[tuple[ObjectKind, str], QueryCheck | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    def at(self, kind: ObjectKind, name: str, *path: str | int) -> SourceLocation:
        return self.project.location_of(kind, name, *path)

    def issue(
        self,
        rule: str,
        message: str,
        kind: ObjectKind,
        name: str,
        *path: str | int,
        severity: Severity = Severity.ERROR,
        hint: str | None = None,
    ) -> Issue:
        return Issue(rule, message, self.at(kind, name, *path), severity, hint)

    def declared(self, kind: ObjectKind, name: str) -> bool:
        """Declared at all, valid or not."""
        objects: Mapping[str, object] = {
            "fact_table": self.project.fact_tables,
            "metric": self.project.metrics,
            "destination": self.project.destinations,
            "alert_rule": self.project.alert_rules,
        }[kind]
        return name in objects or name in self.invalid.get(kind, frozenset())

    def query(self, kind: ObjectKind, name: str, sql: str) -> QueryCheck | None:
        """The (memoised) safety check of an object's `sql`; None if it did not render."""
        key = (kind, name)
        if key not in self._queries:
            bad_template = has_template_leftovers(
                sql.replace("{{ start }}", "").replace("{{ end }}", "")
            )
            self._queries[key] = None if bad_template else check_query(sql, self.dialect)
        return self._queries[key]

    def known_columns(self, table: FactTable) -> KnownColumns | None:
        """What the fact table's SELECT list names, where it names every column; else those
        names and the declared `columns:` (which may then be partial: they are read as the
        rest of the list); None when neither says anything (`*`, nothing declared)."""
        named = self._named_columns(table)
        declared = [c.name for c in table.columns] if table.columns is not None else None
        if named is not None and named[1]:
            return KnownColumns(tuple(named[0]), "its sql selects")
        if declared is None:
            return None
        selected = named[0] if named is not None else []
        names = tuple(dict.fromkeys([*selected, *declared]))
        if not selected:
            return KnownColumns(names, "declared in `columns:`")
        return KnownColumns(names, "its sql selects by name or `columns:` declares")

    def selected_columns(self, table: FactTable) -> tuple[str, ...] | None:
        """The names the fact table's sql selects, where it names every column."""
        named = self._named_columns(table)
        return tuple(named[0]) if named is not None and named[1] else None

    def _named_columns(self, table: FactTable) -> tuple[list[str], bool] | None:
        check = self.query("fact_table", table.name, table.sql)
        if check is None or check.tree is None:
            return None
        return named_output_columns(check.tree)


def measures_of(metric: FactMetric) -> list[tuple[Path, Measure]]:
    """Each measure with the YAML path its keys live under (() for a single aggregate)."""
    if metric.numerator is not None and metric.denominator is not None:
        return [(("numerator",), metric.numerator), (("denominator",), metric.denominator)]
    return [((), metric.measures()[0])]
