"""`tripl run`: collect the selected metrics into the target's state database."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tripl_cli.api.project_api import atomic_write, select_for_command
from tripl_cli.api.warehouse import connector, target_of
from tripl_cli.errors import ConfigError, Terminated, TriplError
from tripl_cli.files import writable_dir
from tripl_cli.project.loader import LoadResult
from tripl_cli.project.model import Project
from tripl_cli.project.profiles import ResolvedTarget
from tripl_cli.runner.outcomes import RunReport
from tripl_cli.runner.run import RunEvents, RunRequest, run_project
from tripl_cli.runner.windows import WindowRequest
from tripl_cli.state.store import StateStore, open_store
from tripl_cli.textfmt import counted
from tripl_cli.timegrid import iso_utc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    select: Sequence[str] = ()
    exclude: Sequence[str] = ()
    start: datetime | None = None
    end: datetime | None = None
    full_refresh: bool = False
    threads: int | None = None  # None: the target's `threads`
    lock_timeout_s: float = 60.0
    query_timeout_s: float | None = None
    dry_run: bool = False
    as_of: datetime | None = None
    state_manifest: Mapping[str, Any] | None = None  # an older manifest, for `state:` selectors


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def state_url(resolved: ResolvedTarget) -> str | None:
    """The target's `state:` URL as written; None means the default `.tripl/<target>.db`.

    The one place a target's state location is read, for opening and existence checks alike.
    """
    url = resolved.config.get("state")
    return str(url) if url else None


def open_target_state(project: Project, resolved: ResolvedTarget) -> StateStore:
    """The target's state; one given by a `state:` URL, which other targets or projects
    could name too, is claimed for this project's target (`StateStore.claim`). The default
    `.tripl/<target>.db` is this project's and target's file: nothing to claim (a renamed
    project keeps it)."""
    url = state_url(resolved)
    store = open_store(url, project_root=project.root, target=resolved.name)
    if url is None:
        return store
    try:
        store.claim(project=project.config.name, target=resolved.name)
    except BaseException:
        store.close()
        raise
    return store


def open_state(project: Project, *, profiles_dir: Path | None, target: str | None) -> StateStore:
    """The state database of the selected target (default `.tripl/<target>.db`)."""
    return open_target_state(project, target_of(project, profiles_dir=profiles_dir, target=target))


def run(
    project: Project,
    options: RunOptions,
    *,
    profiles_dir: Path | None = None,
    target: str | None = None,
    events: RunEvents | None = None,
) -> RunReport:
    now = options.as_of or datetime.now(UTC)
    run_id = new_run_id(now)
    started_at = datetime.now(UTC)
    if not options.dry_run:  # before any value is stored: run_results.json must be writable
        writable_dir(project.target_dir)
    resolved: ResolvedTarget | None = None
    try:
        resolved = target_of(project, profiles_dir=profiles_dir, target=target)
        report = _run_on(project, resolved, options, run_id, now, events)
    except (Exception, KeyboardInterrupt) as exc:
        # The run stopped as a whole (a target that does not resolve, state locked,
        # warehouse unreachable, Ctrl-C or SIGTERM, a bug…): run_results.json says so,
        # rather than still showing the previous run's results.
        if not options.dry_run:
            message = _stopped_by(exc)
            name = resolved.name if resolved is not None else target
            if name is None and isinstance(exc, ConfigError):
                name = exc.target  # the profile's default target, named but not usable
            masked = resolved.mask(message) if resolved is not None else message
            try:
                write_aborted_results(project, run_id, started_at, masked, target=name)
            except TriplError as unwritten:  # the run's own error is the one to tell
                log.warning("%s", unwritten.message)
        raise
    if not options.dry_run:
        write_run_results(project, report, target=resolved.name)
    return report


def _stopped_by(exc: Exception | KeyboardInterrupt) -> str:
    if isinstance(exc, TriplError):
        return exc.message
    if isinstance(exc, Terminated):
        return "the run was terminated (SIGTERM) before it finished"
    if isinstance(exc, KeyboardInterrupt):
        return "the run was interrupted (Ctrl-C) before it finished"
    return f"{type(exc).__name__}: {exc}"


def _run_on(
    project: Project,
    resolved: ResolvedTarget,
    options: RunOptions,
    run_id: str,
    now: datetime,
    events: RunEvents | None,
) -> RunReport:
    names = select_for_command(project, options.select, options.exclude, options.state_manifest)
    request = RunRequest(
        metrics=tuple(names),
        window=WindowRequest(
            as_of=now, start=options.start, end=options.end, full_refresh=options.full_refresh
        ),
        threads=options.threads or int(resolved.config.get("threads") or 1),
        query_timeout_s=options.query_timeout_s,
        lock_timeout_s=options.lock_timeout_s,
        dry_run=options.dry_run,
    )
    store = open_target_state(project, resolved)
    try:
        return run_project(
            project,
            store,
            connector(project, resolved),
            dialect=resolved.dialect,
            request=request,
            run_id=run_id,
            events=events,
            mask=resolved.mask,
        )
    finally:
        store.close()


def record_invalid_project(
    loaded: LoadResult, *, profiles_dir: Path | None, target: str | None
) -> None:
    """A `tripl run` of a project with errors stops before it starts: its run_results.json
    says so too (where the project's target path itself is sound)."""
    project, errors = loaded.project, loaded.errors
    if project is None or not errors or any(e.rule == "bad-target-path" for e in errors):
        return
    now = datetime.now(UTC)
    message = f"the project has {counted(len(errors), 'error')}; first: {errors[0].render()}"
    name = _target_name(project, profiles_dir=profiles_dir, target=target)
    write_aborted_results(project, new_run_id(now), now, message, target=name)


def _target_name(project: Project, *, profiles_dir: Path | None, target: str | None) -> str | None:
    """The target a run would use, for its results, as far as profiles.yml tells."""
    try:
        return target_of(project, profiles_dir=profiles_dir, target=target).name
    except ConfigError as exc:
        return target or exc.target


def write_run_results(project: Project, report: RunReport, *, target: str) -> Path:
    document: dict[str, Any] = {"target": target, **report.as_json()}
    path = project.target_dir / "run_results.json"
    atomic_write(path, json.dumps(document, indent=2, default=str))
    return path


def write_aborted_results(
    project: Project, run_id: str, started_at: datetime, error: str, *, target: str | None
) -> Path:
    """run_results.json for a run that stopped as a whole: `status: error`, no results."""
    finished_at = datetime.now(UTC)
    document: dict[str, Any] = {
        "target": target,
        "run_id": run_id,
        "status": "error",
        "dry_run": False,
        "started_at": iso_utc(started_at),
        "finished_at": iso_utc(finished_at),
        "elapsed_s": round((finished_at - started_at).total_seconds(), 4),
        "error": " ".join(error.split()),
        "results": [],
        "queries": [],
    }
    path = project.target_dir / "run_results.json"
    atomic_write(path, json.dumps(document, indent=2, default=str))
    return path
