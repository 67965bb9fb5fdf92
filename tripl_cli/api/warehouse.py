"""Reaching the warehouse of a project's target: connections, introspection, live checks."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tripl_cli.adapters import Adapter, ColumnInfo, connect
from tripl_cli.compiler.dialects import rules_for
from tripl_cli.compiler.filters import written_unquoted
from tripl_cli.compiler.sources import windowed_query
from tripl_cli.errors import Issue, Severity, SourceLocation, TriplError
from tripl_cli.project.model import Project
from tripl_cli.project.profiles import ResolvedTarget, find_profiles, resolve_target
from tripl_cli.project.schema import (
    NUMERIC_AGGREGATIONS,
    Aggregation,
    FactMetric,
    FactTable,
    SqlMetric,
)
from tripl_cli.project.sqlcheck import check_query, output_columns
from tripl_cli.timegrid import Interval, Window, floor_to_bucket

#: One command asks for its target from several places (secrets registration, opening the
#: state, connecting…): memoised so profiles.yml is read and rendered once per command. The
#: key is everything the result depends on, so a changed file, env var or var is a miss (tests
#: change those within one process). Errors are not memoised.
_RESOLVED: dict[tuple[object, ...], ResolvedTarget] = {}
_RESOLVED_MAX = 8


def target_of(project: Project, *, profiles_dir: Path | None, target: str | None) -> ResolvedTarget:
    """`resolve_target` for the current environment, memoised (see `_RESOLVED`)."""
    key = _target_key(project, profiles_dir, target)
    found = _RESOLVED.get(key) if key is not None else None
    if found is None:
        found = resolve_target(project, profiles_dir=profiles_dir, target=target)
        if key is not None:
            if len(_RESOLVED) >= _RESOLVED_MAX:
                _RESOLVED.clear()  # bounded; a command uses one or two targets
            _RESOLVED[key] = found
    return found


def _target_key(
    project: Project, profiles_dir: Path | None, target: str | None
) -> tuple[object, ...] | None:
    """What `resolve_target` reads, or None (no memo) when profiles.yml cannot be read: then
    `resolve_target` raises its usual error."""
    try:
        path = find_profiles(project, profiles_dir, os.environ)
        # The content, not mtime + size: mtimes tick coarsely, and a same-size rewrite within
        # one tick would go unseen. The file is small; parsing and rendering it is the cost.
        content = hashlib.sha256(path.read_bytes()).digest()
    except (TriplError, OSError):
        return None
    # repr: vars may hold dicts/lists (unhashable); a differing repr only costs a miss.
    variables = repr(project.config.vars)
    # env_var() reads os.environ while rendering; snapshotting it is cheap (~100 items).
    environ = frozenset(os.environ.items())
    profile = project.config.profile_name
    return (
        project.root, profiles_dir, target, path, content, profile, variables, environ,
        project.secrets,
    )  # fmt: skip


def connector(project: Project, resolved: ResolvedTarget) -> Callable[[], Adapter]:
    """A factory of fresh connections (one per worker thread)."""

    def open_adapter() -> Adapter:
        try:
            return connect(resolved.name, resolved.config, project_root=project.root)
        except TriplError as exc:
            exc.message = resolved.mask(exc.message)
            raise

    return open_adapter


def recent_window(as_of: datetime | None = None) -> Window:
    """A small, recent window for introspection queries (`{{ start }}`/`{{ end }}`)."""
    end = floor_to_bucket(as_of or datetime.now(UTC), Interval.D1)
    return Window(end - timedelta(days=1), end)


def fact_table_sql(fact: FactTable, dialect: str, window: Window) -> str:
    """The fact table's SELECT for `window`, checked and re-rendered from its parse tree."""
    return _user_query(fact.sql, f"fact table '{fact.name}'", dialect, window)


def _user_query(sql: str, what: str, dialect: str, window: Window) -> str:
    """A user's SELECT for `window`, checked and re-rendered from its parse tree.

    Never the user's text as is: debug and introspect run even on invalid projects, and a
    string like `… ) AS t; DROP TABLE x; SELECT … (` must not reach the warehouse.
    """
    problems = check_query(sql, dialect).problems
    if problems:
        raise TriplError(
            f"the sql of {what} is not a single read-only SELECT: {problems[0].message}",
            hint="run `tripl validate` for the details",
        )
    rules = rules_for(dialect)
    return rules.render(windowed_query(sql, window, rules, what=what))


def fact_table_columns(adapter: Adapter, fact: FactTable, dialect: str) -> list[ColumnInfo]:
    return adapter.columns(fact_table_sql(fact, dialect, recent_window()))


#: Column → the live type it needs and what needs it.
#: Column → (the type it needs, what needs it, whether MySQL's silent conversion is no help:
#: it sums '12abc' as 12, but the max of a text is a text).
TypedUses = dict[str, tuple[str, str, bool]]


def _referenced_columns(project: Project, fact: FactTable) -> tuple[dict[str, str], TypedUses]:
    """Column → what references it (for a precise message); and the columns that need a
    type: the timestamp column, and the columns summed or averaged."""
    refs: dict[str, str] = {fact.timestamp_column: "timestamp_column"}
    typed: TypedUses = {fact.timestamp_column: ("timestamp", "timestamp_column", False)}
    for column in fact.identifier_columns:
        refs.setdefault(column, "identifier_columns")
    for metric in project.metrics.values():
        if not isinstance(metric, FactMetric):
            continue
        for measure in metric.measures():
            if measure.fact_table != fact.name:
                continue
            if measure.column:
                refs.setdefault(measure.column, f"metric '{metric.name}'")
                if measure.aggregation in NUMERIC_AGGREGATIONS:
                    what = f"{measure.aggregation.value} in metric '{metric.name}'"
                    strict = measure.aggregation in (Aggregation.MIN, Aggregation.MAX)
                    needed, first, was_strict = typed.get(measure.column, ("number", what, False))
                    typed[measure.column] = (needed, first, was_strict or strict)
            for cond in measure.conditions:
                refs.setdefault(cond.column, f"metric '{metric.name}' conditions")
        if any(m.fact_table == fact.name for m in metric.measures()):
            for column in metric.breakdowns:
                refs.setdefault(column, f"metric '{metric.name}' breakdowns")
    return refs, typed


def check_against_warehouse(
    project: Project, *, profiles_dir: Path | None, target: str | None
) -> list[Issue]:
    """`tripl validate --warehouse`: every referenced column exists with a usable type."""
    resolved = target_of(project, profiles_dir=profiles_dir, target=target)
    adapter = connector(project, resolved)()
    issues: list[Issue] = []
    try:
        for fact in project.fact_tables.values():
            try:
                columns = fact_table_columns(adapter, fact, resolved.dialect)
            except TriplError as exc:
                location = project.location_of("fact_table", fact.name, "sql")
                issues.append(Issue("warehouse-query", resolved.mask(exc.message), location))
                continue
            issues += _live_column_issues(project, fact, columns, resolved)
        for metric in project.metrics.values():
            if isinstance(metric, SqlMetric):
                issues += _sql_metric_issues(project, metric, adapter, resolved)
    finally:
        adapter.close()
    return issues


def _sql_metric_issues(
    project: Project, metric: SqlMetric, adapter: Adapter, resolved: ResolvedTarget
) -> list[Issue]:
    """A SQL metric's query runs, and returns its time column as a timestamp and its value
    column as a number (MySQL would sum a text as 0 and store that)."""
    at = project.location_of("metric", metric.name, "sql")
    what = f"metric '{metric.name}'"
    try:
        sql = _user_query(metric.sql, what, resolved.dialect, recent_window())
        live = {c.name.lower(): c for c in adapter.columns(sql)}
    except TriplError as exc:
        return [Issue("warehouse-query", resolved.mask(exc.message), at)]
    issues: list[Issue] = []
    for column, needed, key in (
        (metric.time_column, "timestamp", "time_column"),
        (metric.value_column, "number", "value_column"),
    ):
        found = live.get(column.lower())
        if found is None:
            subject = f"column '{column}' ({key}) is not returned by the sql of {what}"
            issues.append(_missing_issue(subject, live.values(), at, resolved))
        elif found.type != needed:
            subject = f"column '{column}' ({key}) of {what}"
            issues.append(_type_issue(subject, found, needed, at, resolved, "the metric's SQL"))
    return issues


def _missing_issue(
    subject: str, returned: Iterable[ColumnInfo], at: SourceLocation, resolved: ResolvedTarget
) -> Issue:
    message = f"{subject} on target '{resolved.name}'"
    hint = f"it returns: {', '.join(sorted(c.name for c in returned))}"
    return Issue("warehouse-column", message, at, hint=hint)


def _type_issue(
    subject: str,
    found: ColumnInfo,
    needed: str,
    at: SourceLocation,
    resolved: ResolvedTarget,
    where_to_cast: str,
    *,
    strict: bool = False,
) -> Issue:
    """A live column of the wrong type: an error, or a warning where MySQL converts it
    silently (and the use is not `strict`: the max of a text is a text)."""
    message = (
        f"{subject} is {found.type} ({found.raw_type}) on target '{resolved.name}', where a "
        f"{needed} is needed"
    )
    hint = f"cast it in {where_to_cast}, e.g. {rules_for(resolved.dialect).cast_hint(needed)}"
    converted = resolved.dialect == "mysql" and (needed, found.type) in _MYSQL_CONVERTS
    severity = Severity.WARNING if converted and not strict else Severity.ERROR
    return Issue("warehouse-type", message, at, severity, hint)


#: What MySQL converts silently (it sums '12abc' as 12 and a bool as 0/1, reads a text as a
#: DATETIME): (needed, live) pairs that are a warning there, where other engines would fail.
_MYSQL_CONVERTS = frozenset({("number", "string"), ("number", "bool"), ("timestamp", "string")})


def _live_column_issues(
    project: Project, fact: FactTable, columns: list[ColumnInfo], resolved: ResolvedTarget
) -> list[Issue]:
    target = resolved.name
    # Case-insensitive, as the project rules: engines fold unquoted names.
    live = {c.name.lower(): c for c in columns}
    sql_at = project.location_of("fact_table", fact.name, "sql")
    issues: list[Issue] = []
    refs, typed = _referenced_columns(project, fact)
    rules = rules_for(resolved.dialect)
    for column, where in refs.items():
        found = live.get(column.lower())
        if found is None:
            subject = f"column '{column}' ({where}) is not returned by fact table '{fact.name}'"
            issues.append(_missing_issue(subject, columns, sql_at, resolved))
        elif (
            rules.unquoted_case and written_unquoted(column) and rules.folded(column) != found.name
        ):
            # Matching case-insensitively is not enough where the engine folds unquoted names.
            message = (
                f"column '{column}' ({where}) is \"{found.name}\" in fact table "
                f"'{fact.name}' on target '{target}', but tripl writes it unquoted, which "
                f"{resolved.dialect} reads as {rules.folded(column)}"
            )
            alias = rules.folded(found.name)
            hint = f'alias it in the fact table\'s SQL: "{found.name}" AS {alias}'
            issues.append(Issue("warehouse-column", message, sql_at, hint=hint))
    for column, (needed, where, strict) in typed.items():
        found = live.get(column.lower())
        if found is not None and found.type != needed:
            subject = f"column '{column}' ({where}) of fact table '{fact.name}'"
            fix = "the fact table's SQL"
            issues.append(_type_issue(subject, found, needed, sql_at, resolved, fix, strict=strict))
    tree = check_query(fact.sql, resolved.dialect).tree
    selected = output_columns(tree) if tree is not None else None
    selected_names = {c.lower() for c in selected or ()}
    for index, declared in enumerate(fact.columns or []):
        at = project.location_of("fact_table", fact.name, "columns", index)
        found = live.get(declared.name.lower())
        if found is None and selected is not None and declared.name.lower() not in selected_names:
            continue  # the project's own `unselected-column` warning says so
        if found is None:
            message = (
                f"declared column '{declared.name}' is not returned by fact table "
                f"'{fact.name}' on target '{target}'"
            )
            issues.append(Issue("warehouse-column", message, at, severity=Severity.WARNING))
        elif found.type != declared.type.value:
            message = (
                f"column '{declared.name}' of '{fact.name}' is declared {declared.type.value} "
                f"but the warehouse returns {found.type} ({found.raw_type})"
            )
            issues.append(Issue("warehouse-type", message, at, severity=Severity.WARNING))
    return issues
