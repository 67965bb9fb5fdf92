"""`tripl introspect FACT_TABLE [--write]`: what a fact table's SQL returns, live.

Columns and simplified types come from the adapter (`SELECT … LIMIT 0`); identifier
candidates from column names and from a sample of rows; `--write` records the columns in
the fact table's YAML file (see `columns_yaml` for how the file is kept intact).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlglot import exp

from tripl_cli.adapters import ColumnInfo
from tripl_cli.api.columns_yaml import ColumnEntry, set_fact_table_columns
from tripl_cli.api.project_api import atomic_write
from tripl_cli.api.warehouse import connector, fact_table_sql, recent_window, target_of
from tripl_cli.compiler.dialects import rules_for
from tripl_cli.compiler.sources import windowed_query
from tripl_cli.errors import Issue, Severity, TriplError
from tripl_cli.project.loader import load_project
from tripl_cli.project.model import Project
from tripl_cli.project.schema import FactTable
from tripl_cli.project.schema_errors import did_you_mean
from tripl_cli.timegrid import Window, iso_utc

log = logging.getLogger(__name__)

#: Rows read to estimate how distinct each column is (and to show a few).
SAMPLE_ROWS = 1000
SHOWN_ROWS = 5
#: A column whose sampled non-null values are at least this distinct looks like an id ...
DISTINCT_RATIO = 0.95
#: ... provided the sample is big enough to say so.
MIN_SAMPLE = 20


@dataclass(frozen=True)
class Introspection:
    fact_table: str
    target: str
    window: Window  # the `{{ start }}`/`{{ end }}` the sample used
    columns: tuple[ColumnInfo, ...]
    identifier_candidates: tuple[str, ...]
    sample_columns: tuple[str, ...]
    sample_rows: tuple[tuple[Any, ...], ...]
    sampled: int  # rows read for the distinct-ratio estimate

    def as_json(self) -> dict[str, Any]:
        return {
            "fact_table": self.fact_table,
            "target": self.target,
            "window": {"start": iso_utc(self.window.start), "end": iso_utc(self.window.end)},
            "columns": [
                {"name": c.name, "type": c.type, "raw_type": c.raw_type} for c in self.columns
            ],
            "identifier_candidates": list(self.identifier_candidates),
            "sample": [
                dict(zip(self.sample_columns, row, strict=True)) for row in self.sample_rows
            ],
        }


@dataclass(frozen=True)
class WriteResult:
    path: Path
    replaced: bool  # an existing `columns:` was replaced (else added)
    identifiers_added: tuple[str, ...]


def fact_table_or_error(project: Project, name: str) -> FactTable:
    fact = project.fact_tables.get(name)
    if fact is None:
        listed = ", ".join(project.fact_tables) or "none"
        raise TriplError(
            f"unknown fact table '{name}'{did_you_mean(name, project.fact_tables)}",
            hint=f"fact tables: {listed}",
        )
    return fact


def sample_sql(fact: FactTable, dialect: str, window: Window, limit: int) -> str:
    """`SELECT * FROM (<fact sql>) AS t LIMIT n`, built as a tree in the target's dialect."""
    rules = rules_for(dialect)
    fact_table_sql(fact, dialect, window)  # refuses anything but one read-only SELECT
    inner = windowed_query(fact.sql, window, rules, what=f"fact table '{fact.name}'")
    tree = exp.select("*").from_(inner.subquery("t")).limit(limit)
    return rules.render(tree)


def _is_id_name(name: str) -> bool:
    lowered = name.lower()
    return lowered == "id" or lowered.endswith("_id")


def _integral(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def identifier_candidates(
    columns: Sequence[ColumnInfo],
    sample_columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    timestamp_column: str,
) -> list[str]:
    """Columns a `count_distinct` would target: named `id`/`*_id`, or nearly unique in the
    sample (integers and strings only: a unique float is a measurement, not an id)."""
    named = [c.name for c in columns if c.type in ("string", "number") and _is_id_name(c.name)]
    position = {name: i for i, name in enumerate(sample_columns)}
    distinct: list[str] = []
    for column in columns:
        i = position.get(column.name)
        if i is None or column.type not in ("string", "number") or column.name in named:
            continue
        if column.name == timestamp_column:
            continue
        present = [row[i] for row in rows if row[i] is not None]
        if len(present) < MIN_SAMPLE:
            continue
        if column.type == "number" and not all(_integral(v) for v in present):
            continue
        if len(set(present)) / len(present) >= DISTINCT_RATIO:
            distinct.append(column.name)
    return named + distinct


def introspect(
    project: Project,
    name: str,
    *,
    profiles_dir: Path | None = None,
    target: str | None = None,
    as_of: datetime | None = None,
) -> Introspection:
    fact = fact_table_or_error(project, name)
    resolved = target_of(project, profiles_dir=profiles_dir, target=target)
    window = recent_window(as_of)
    adapter = connector(project, resolved)()
    try:
        columns = adapter.columns(fact_table_sql(fact, resolved.dialect, window))
        sample = adapter.execute(sample_sql(fact, resolved.dialect, window, SAMPLE_ROWS))
    finally:
        adapter.close()
    rows = sample.rows
    candidates = identifier_candidates(
        columns, sample.columns, rows, timestamp_column=fact.timestamp_column
    )
    return Introspection(
        fact_table=name,
        target=resolved.name,
        window=window,
        columns=tuple(columns),
        identifier_candidates=tuple(candidates),
        sample_columns=sample.columns,
        sample_rows=tuple(rows[:SHOWN_ROWS]),
        sampled=len(rows),
    )


def write_columns(
    project: Project,
    found: Introspection,
    *,
    cli_vars: Mapping[str, Any] | None = None,
    known_issues: Sequence[Issue] = (),
) -> WriteResult:
    """Record the live columns in the fact table's file.

    The project is loaded again afterwards: if the edit brought in an error that was not
    among `known_issues` (those of the project as loaded before), the file is restored and
    the new errors are raised. Stale `columns:` that made the project invalid get fixed.
    """
    fact = fact_table_or_error(project, found.fact_table)
    source = project.source_of("fact_table", fact.name)
    if source is None:
        raise TriplError(f"cannot tell which file declares fact table '{fact.name}'")
    path = project.root / source.path
    # Bytes, not read_text: universal newlines would turn a CRLF file into LF on write.
    original = path.read_bytes().decode("utf-8")
    described = {c.name: c.description for c in fact.columns or []}
    entries = [ColumnEntry(c.name, c.type, described.get(c.name)) for c in found.columns]
    # Only where the key is absent: `identifier_columns: []` is the user's own answer.
    declared_ids = "identifier_columns" in fact.model_fields_set
    add_ids = () if declared_ids else found.identifier_candidates
    edited = set_fact_table_columns(
        original,
        path=source.path,
        fact_table=fact.name,
        line=source.node.location.line,
        columns=entries,
        identifiers=add_ids,
    )
    atomic_write(path, edited)
    try:
        _check_no_new_errors(project.root, cli_vars, known_issues)
    except BaseException:
        atomic_write(path, original)
        raise
    log.info("wrote %d columns of %s to %s", len(entries), fact.name, source.path)
    return WriteResult(path, fact.columns is not None, tuple(add_ids))


def _error_keys(issues: Sequence[Issue]) -> set[tuple[str, str]]:
    # Locations move when lines are added: compare what is wrong, not where.
    return {(i.rule, i.message) for i in issues if i.severity is Severity.ERROR}


def _check_no_new_errors(
    root: Path, cli_vars: Mapping[str, Any] | None, known: Sequence[Issue]
) -> None:
    result = load_project(root, cli_vars=cli_vars)
    before = _error_keys(known)
    new = [
        i
        for i in result.issues
        if i.severity is Severity.ERROR and (i.rule, i.message) not in before
    ]
    if result.project is None or new:
        raise TriplError(
            "the project would not be valid with the introspected columns, so the file was "
            "left unchanged:\n  " + "\n  ".join(i.render() for i in new[:5]),
            hint="fix these first (`tripl validate`), or edit `columns:` by hand",
        )
