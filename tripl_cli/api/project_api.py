"""Loading, validating and compiling a project (the `validate`, `compile`, `init` commands)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tripl_cli.errors import ConfigError, Issue, ProjectInvalid, TriplError
from tripl_cli.files import make_dir
from tripl_cli.project.loader import Dialect, LoadResult, find_project_root, load_project
from tripl_cli.project.model import Project
from tripl_cli.timegrid import Window, floor_to_bucket

log = logging.getLogger(__name__)


def project_root(project_dir: Path | None) -> Path:
    return find_project_root(project_dir or Path.cwd())


def load(
    project_dir: Path | None,
    cli_vars: Mapping[str, Any] | None = None,
    *,
    dialect: Dialect = None,
) -> LoadResult:
    """The project and its issues; SQL is checked in `dialect` if given, else permissively."""
    result = load_project(project_root(project_dir), cli_vars=cli_vars, dialect=dialect)
    extra = [] if result.project is None else alert_template_issues(result.project)
    return replace(result, issues=(*result.issues, *extra)) if extra else result


def alert_template_issues(project: Project) -> list[Issue]:
    """Syntax errors in alert rules' `template:` (the project layer cannot know alerts')."""
    rules = [r for r in project.alert_rules.values() if r.template is not None]
    if not rules:
        return []
    from tripl_cli.alerts import check_template

    issues: list[Issue] = []
    for rule in rules:
        problem = check_template(rule.template or "")
        if problem is not None:
            issues.append(
                Issue(
                    "alert-template",
                    f"alert rule '{rule.name}': template: {problem}",
                    project.location_of("alert_rule", rule.name, "template"),
                    hint="alert templates are Jinja; see docs/alerts.md for their variables",
                )
            )
    return issues


def open_project(project_dir: Path | None, cli_vars: Mapping[str, Any] | None = None) -> Project:
    """The loaded project, or `ProjectInvalid` carrying every error."""
    return valid_project(load(project_dir, cli_vars))


def valid_project(result: LoadResult) -> Project:
    """The project of a load without errors (its warnings logged), else `ProjectInvalid`."""
    if result.errors or result.project is None:
        raise ProjectInvalid(issues=list(result.issues))
    for issue in result.warnings:
        log.warning("%s", issue.render())
    return result.project


@dataclass(frozen=True)
class CompileResult:
    dialect: str
    queries: tuple[Any, ...]  # CompiledQuery
    files: tuple[Path, ...]
    manifest_path: Path | None
    metrics: tuple[str, ...]


def resolve_dialect(
    project: Project,
    *,
    dialect: str | None,
    profiles_dir: Path | None,
    target: str | None,
) -> str:
    """`--dialect` wins; otherwise the dialect of the selected target's warehouse type."""
    from tripl_cli.compiler.dialects import DIALECTS

    if dialect:
        if dialect not in DIALECTS:
            raise ConfigError(
                f"unknown dialect {dialect!r}", hint=f"use one of: {', '.join(DIALECTS)}"
            )
        return dialect
    from tripl_cli.api.warehouse import target_of

    try:
        return target_of(project, profiles_dir=profiles_dir, target=target).dialect
    except TriplError as exc:
        instead = "or pass --dialect to compile without a target"
        hint = f"{exc.hint}; {instead}" if exc.hint else instead.removeprefix("or ")
        raise ConfigError(exc.message, location=exc.location, hint=hint) from exc


def select_for_command(
    project: Project,
    select: Sequence[str],
    exclude: Sequence[str],
    state_manifest: Mapping[str, Any] | None = None,
) -> list[str]:
    """The metrics a command's `-s`/`--exclude` choose; a selector that matches nothing is
    most likely a typo, so each is warned about rather than silently doing nothing."""
    from tripl_cli.project.selection import select_metrics, unmatched_selectors

    for problem in unmatched_selectors(project, select, state_manifest=state_manifest):
        log.warning("selector %s", problem)
    return select_metrics(project, select, exclude, state_manifest=state_manifest)


def default_window(project: Project, metric_name: str, as_of: datetime) -> Window:
    """The window a first run would collect: `initial_buckets` complete buckets before now."""
    metric = project.metrics[metric_name]
    interval = project.interval_of(metric)
    end = floor_to_bucket(as_of, interval)
    return Window(end - interval.delta * project.config.defaults.initial_buckets, end)


def compile_project(
    project: Project,
    *,
    dialect: str,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    as_of: datetime | None = None,
    write: bool = True,
    state_manifest: Mapping[str, Any] | None = None,
) -> CompileResult:
    from tripl_cli.compiler.manifest import build_manifest
    from tripl_cli.compiler.plan import compile_plan

    now = as_of or datetime.now(UTC)
    names = select_for_command(project, select, exclude, state_manifest)
    plan = compile_plan(
        project, names, dialect=dialect, window_for=lambda m: default_window(project, m, now)
    )
    files: list[Path] = []
    manifest_path: Path | None = None
    if write:
        files = _write_sql(project.target_dir / "compiled", plan.queries)
        manifest_path = project.target_dir / "manifest.json"
        manifest = build_manifest(project, plan)
        atomic_write(manifest_path, json.dumps(manifest, indent=2, sort_keys=True, default=str))
    return CompileResult(dialect, tuple(plan.queries), tuple(files), manifest_path, tuple(names))


def _write_sql(out_dir: Path, queries: Sequence[Any]) -> list[Path]:
    from tripl_cli.compiler.manifest import compiled_files

    written: list[Path] = []
    for query in queries:
        for relative, sql in compiled_files(query):
            path = out_dir / relative
            atomic_write(path, sql.rstrip() + "\n")
            written.append(path)
    _remove_stale_sql(out_dir, set(written))
    return written


def _remove_stale_sql(out_dir: Path, kept: set[Path]) -> None:
    """Remove SQL an earlier compile left (another dialect, selection or window), so the
    folder holds what the manifest lists. Symlinks are never followed or removed: only
    tripl's own files inside the folder go."""
    if out_dir.is_symlink():
        return
    for folder, _, files in os.walk(out_dir, topdown=False):  # linked folders: not entered
        here = Path(folder)
        for name in files:
            path = here / name
            if path.suffix == ".sql" and path not in kept and not path.is_symlink():
                path.unlink()
        if here != out_dir and not any(here.iterdir()):
            here.rmdir()


def atomic_write(path: Path, text: str) -> None:
    """Replace `path`'s content in one step (a temporary file renamed over it). A symlink
    stays a link (its target is written) and an existing file keeps its permissions."""
    target = path.resolve() if path.is_symlink() else path
    make_dir(target.parent)
    tmp = target.with_suffix(target.suffix + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        if target.exists():
            shutil.copymode(target, tmp)
        tmp.replace(target)
    except OSError as exc:
        with contextlib.suppress(OSError):  # a read-only mount refuses even this
            tmp.unlink(missing_ok=True)
        raise TriplError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="check that its folder is a directory you may write to",
        ) from None
