"""`tripl debug`: is everything a run needs in place? One check per thing, in order.

Each check says what was found (paths, names, versions) or why it failed, with secrets masked.
A failed check does not stop the ones that do not depend on it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tripl_cli.adapters import Adapter
from tripl_cli.adapters.common import SECRET_KEYS
from tripl_cli.adapters.registry import ADAPTER_MODULES, canonical_type
from tripl_cli.api.project_api import load, project_root
from tripl_cli.api.run_api import open_target_state
from tripl_cli.api.warehouse import connector, fact_table_columns, target_of
from tripl_cli.errors import SECRET_MASK, DriverMissing, TriplError
from tripl_cli.project.loader import LoadResult
from tripl_cli.project.model import Project
from tripl_cli.project.profiles import ResolvedTarget
from tripl_cli.textfmt import counted

log = logging.getLogger(__name__)

#: Profile keys that say where the warehouse is (shown); everything else stays out of sight.
_SHOWN_KEYS = (
    "host",
    "port",
    "user",
    "dbname",
    "database",
    "schema",
    "path",
    "account",
    "warehouse",
    "role",
    "project",
    "dataset",
    "location",
    "embedded",
    "secure",
    "threads",
)


@dataclass(frozen=True)
class Check:
    """One line of the checklist: `ok` is None when skipped because an earlier check failed."""

    name: str
    ok: bool | None
    detail: str
    hint: str | None = None


@dataclass(frozen=True)
class DebugReport:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": [
                {"name": c.name, "ok": c.ok, "detail": c.detail, "hint": c.hint}
                for c in self.checks
            ],
        }


def describe_connection(resolved: ResolvedTarget) -> str:
    """`host=db port=5432 user=****`: where the target points, secrets never shown."""
    parts: list[str] = []
    for key in _SHOWN_KEYS:
        if key in resolved.config and resolved.config[key] not in (None, ""):
            parts.append(f"{key}={_shown(resolved, key, resolved.config[key])}")
    return " ".join(parts)


def _shown(resolved: ResolvedTarget, key: str, value: Any) -> str:
    if key in SECRET_KEYS:
        return SECRET_MASK
    return resolved.mask(str(value))


def _failed(name: str, exc: TriplError, mask: ResolvedTarget | None = None) -> Check:
    message = exc.message if mask is None else mask.mask(exc.message)
    if exc.location is not None:
        message = f"{exc.location}: {message}"
    hint = exc.hint if mask is None or exc.hint is None else mask.mask(exc.hint)
    return Check(name, False, message, hint)


def _project_checks(
    project_dir: Path | None, cli_vars: Mapping[str, Any] | None, loaded: LoadResult | None
) -> tuple[list[Check], Project | None]:
    try:
        root = project_root(project_dir)
    except TriplError as exc:
        return [_failed("project", exc)], None
    result = loaded if loaded is not None else load(root, cli_vars)
    errors = result.errors
    if result.project is None or errors:
        first = errors[0].render() if errors else "tripl_project.yml is unusable"
        detail = f"{root}: {len(errors)} error(s); first: {first}"
        return [Check("project", False, detail, "`tripl validate` lists them all")], result.project
    project = result.project
    counts = f"{counted(len(project.fact_tables), 'fact table')}, "
    counts += counted(len(project.metrics), "metric")
    return [Check("project", True, f"{root} ('{project.name}': {counts})")], project


def _target_check(
    project: Project, profiles_dir: Path | None, target: str | None
) -> tuple[Check, ResolvedTarget | None]:
    try:
        resolved = target_of(project, profiles_dir=profiles_dir, target=target)
    except TriplError as exc:
        return _failed("profile", exc), None
    detail = (
        f"{resolved.profiles_path} → profile '{resolved.profile}', target '{resolved.name}', "
        f"type {resolved.type}"
    )
    where = describe_connection(resolved)
    return Check("profile", True, f"{detail} ({where})" if where else detail), resolved


@dataclass
class _Connection:
    adapter: Adapter | None = None


def _warehouse_checks(
    project: Project, resolved: ResolvedTarget, conn: _Connection
) -> Iterator[Check]:
    try:
        adapter = connector(project, resolved)()
    except DriverMissing as exc:
        yield _failed("driver", exc)
        yield from _skipped(("warehouse",), "no driver")
        return
    except TriplError as exc:
        yield Check("driver", True, f"{resolved.type} driver importable")
        yield _failed("warehouse", exc, resolved)
        return
    conn.adapter = adapter
    yield Check("driver", True, f"{resolved.type} driver importable")
    try:
        adapter.execute("SELECT 1")
    except TriplError as exc:
        yield _failed("warehouse", exc, resolved)
        conn.adapter = None
        adapter.close()
        return
    yield Check("warehouse", True, f"target '{resolved.name}' answers `SELECT 1`")


def _state_check(project: Project, resolved: ResolvedTarget) -> Check:
    try:
        store = open_target_state(project, resolved)
    except TriplError as exc:
        return _failed("state", exc, resolved)
    try:
        detail = f"{store.display_url} ({store.backend}, schema v{store.schema_version()})"
    except TriplError as exc:
        return _failed("state", exc, resolved)
    finally:
        store.close()
    return Check("state", True, resolved.mask(detail))


def _fact_table_checks(
    project: Project, resolved: ResolvedTarget, adapter: Adapter | None
) -> Iterator[Check]:
    for name, fact in project.fact_tables.items():
        label = f"fact_table:{name}"
        if adapter is None:
            yield from _skipped((label,), "warehouse not reachable")
            continue
        try:
            columns = fact_table_columns(adapter, fact, resolved.dialect)
        except TriplError as exc:
            yield _failed(label, exc, resolved)
            continue
        yield Check(label, True, f"{len(columns)} columns: {', '.join(c.name for c in columns)}")


#: The checks that need a target, and those that also need the project.
_AFTER_PROFILE = ("driver", "warehouse", "state")
_AFTER_PROJECT = ("profile", *_AFTER_PROFILE)


def _skipped(names: tuple[str, ...], why: str) -> list[Check]:
    """The later checks, shown as skipped (`-`) rather than left out."""
    return [Check(name, None, f"skipped: {why}") for name in names]


def run_checks(
    project_dir: Path | None,
    *,
    cli_vars: Mapping[str, Any] | None = None,
    profiles_dir: Path | None = None,
    target: str | None = None,
    loaded: LoadResult | None = None,
) -> DebugReport:
    """Every check in order. `loaded`: the project as the caller already loaded it."""
    checks, project = _project_checks(project_dir, cli_vars, loaded)
    if project is None:
        return DebugReport((*checks, *_skipped(_AFTER_PROJECT, "no usable project")))
    target_check, resolved = _target_check(project, profiles_dir, target)
    checks.append(target_check)
    if resolved is None:
        return DebugReport((*checks, *_skipped(_AFTER_PROFILE, "no target")))
    if canonical_type(resolved.type) not in ADAPTER_MODULES:  # trino, databricks, redshift
        why = f"type {resolved.type} is compile-only: `tripl compile` renders its SQL"
        checks.append(Check("driver", False, f"tripl cannot run a {resolved.type} target", why))
        facts = tuple(f"fact_table:{name}" for name in project.fact_tables)
        return DebugReport((*checks, *_skipped(("warehouse", "state", *facts), "compile-only")))
    conn = _Connection()
    try:
        checks += _warehouse_checks(project, resolved, conn)
        checks.append(_state_check(project, resolved))
        checks += _fact_table_checks(project, resolved, conn.adapter)
    finally:
        if conn.adapter is not None:
            conn.adapter.close()
    return DebugReport(tuple(checks))
