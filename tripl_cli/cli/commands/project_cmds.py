"""`tripl init`, `validate`, `compile`, `clean`."""

from __future__ import annotations

import dataclasses
import shlex
import shutil
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tripl_cli.cli import console
from tripl_cli.cli.commands.state_opt import StateOpt, state_manifest
from tripl_cli.cli.context import options

if TYPE_CHECKING:
    from tripl_cli.errors import Issue, TriplError
    from tripl_cli.project.model import Project

SelectOpt = Annotated[
    list[str] | None, typer.Option("--select", "-s", help="Selector(s); space-separated = union.")
]
ExcludeOpt = Annotated[list[str] | None, typer.Option("--exclude", help="Selector(s) to drop.")]


class ValidateFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


def split_selectors(
    selectors: list[str] | None,
    option: str = "--select",
    *,
    has_state: bool = False,
    takes_state: bool = True,
) -> list[str]:
    """`-s 'a b' -s c` → ['a', 'b', 'c'] (space = union); a malformed one is a usage error
    (exit 2), as a bad value of any other option is — and so is a `state:` one without
    `--state` (`has_state`: the command was given one; `takes_state`: it has the option)."""
    from tripl_cli.errors import TriplError
    from tripl_cli.project.selection import parse_selector

    parts = [part for item in selectors or [] for part in item.split()]
    for part in parts:
        try:
            terms = parse_selector(part, state=has_state or not takes_state)
        except TriplError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            raise typer.BadParameter(f"{exc.message}{hint}", param_hint=option) from None
        if not takes_state and any(atom.method == "state" for term in terms for atom in term):
            raise typer.BadParameter(
                f"'{part}': a state: selector compares with an older manifest (--state), "
                "which this command does not take",
                param_hint=option,
            )
    return parts


def _project_name(name: str | None) -> str | None:
    """A bad `--name` is a usage error (exit 2), like every other bad option value."""
    import re

    from tripl_cli.project.schema import NAME_MAX, NAME_PATTERN

    if name is not None and not re.fullmatch(NAME_PATTERN, name):
        raise typer.BadParameter(
            f"{name!r}: use lowercase letters, digits and underscores, starting with a letter"
        )
    if name is not None and len(name) > NAME_MAX:
        raise typer.BadParameter(f"longer than {NAME_MAX} characters")
    return name


def init(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Where to create the project.")] = Path(),
    demo: Annotated[
        bool, typer.Option("--demo", help="Add a DuckDB warehouse with demo data.")
    ] = False,
    name: Annotated[
        str | None,
        typer.Option(help="Project name (default: folder name).", callback=_project_name),
    ] = None,
) -> None:
    """Scaffold a new project (with --demo: a warehouse with realistic data and an incident)."""
    from tripl_cli.scaffold import init_project

    result = init_project(directory, demo=demo, name=name)
    if options(ctx).quiet:
        return
    console.err().print(f"created project in [bold]{directory}[/]")
    for path in getattr(result, "files", ()):
        console.err().print(f"  {path}")
    cd = "" if directory.resolve() == Path.cwd() else f"cd {shlex.quote(str(directory))} && "
    console.err().print(f"next: {cd}tripl validate && tripl compile")


def validate(
    ctx: typer.Context,
    format_: Annotated[ValidateFormat, typer.Option("--format")] = ValidateFormat.TEXT,
    warehouse: Annotated[
        bool, typer.Option("--warehouse", help="Also check columns against the live warehouse.")
    ] = False,
) -> None:
    """Check every file of the project and report all problems at once."""
    from tripl_cli.cli import loading
    from tripl_cli.cli.issues_view import render_issues
    from tripl_cli.errors import TriplError
    from tripl_cli.project.loader import LoadResult

    opts = options(ctx)
    # What stops the check itself (no project here, an unusable target or warehouse) is
    # reported as an issue too: `--format json|github` consumers get their one document.
    try:
        # SQL that parses in some dialect but not the target's fails compile and run: check
        # it in the target's dialect where the target resolves (offline, from profiles.yml).
        result = loading.load(opts, dialect=loading.target_dialect(opts))
    except TriplError as exc:
        result = LoadResult(None, tuple(_as_issues(exc, "no-project", None, "tripl_project.yml")))
    if warehouse and result.project is not None and not result.errors:
        from tripl_cli.api.warehouse import check_against_warehouse

        project = result.project
        bad_target = _target_issues(project, opts.profiles_dir, opts.target)
        try:
            live = bad_target or check_against_warehouse(
                project, profiles_dir=opts.profiles_dir, target=opts.target
            )
        except TriplError as exc:  # e.g. it cannot be reached
            live = _as_issues(exc, "warehouse-unavailable", project.root)
        result = dataclasses.replace(result, issues=(*result.issues, *live))
    if opts.target is not None and result.project is not None and not warehouse:
        # A target named on the command line is checked too (profiles.yml only, offline):
        # `validate -t prod` passing while `compile -t prod` fails would mislead.
        bad_target = _target_issues(result.project, opts.profiles_dir, opts.target)
        if bad_target:
            result = dataclasses.replace(result, issues=(*result.issues, *bad_target))
    render_issues(result, format_.value, quiet=opts.quiet)
    raise typer.Exit(1 if result.errors else 0)


def _target_issues(project: Project, profiles_dir: Path | None, target: str | None) -> list[Issue]:
    from tripl_cli.api.warehouse import target_of
    from tripl_cli.errors import TriplError

    try:
        target_of(project, profiles_dir=profiles_dir, target=target)
    except TriplError as exc:
        return _as_issues(exc, "bad-target", project.root)
    return []


def _as_issues(
    exc: TriplError, rule: str, root: Path | None, default: str = "profiles.yml"
) -> list[Issue]:
    """An error that stopped a check, as issues located like the others: one per problem it
    lists (a target's two unset env vars), relative to the project; at `default` where a
    problem has no place of its own."""
    from tripl_cli.errors import ConfigError, Issue, SourceLocation

    problems = [(exc.message, exc.location, exc.hint)]
    if isinstance(exc, ConfigError) and exc.issues:
        about = f"target '{exc.target}': " if exc.target else ""
        problems = [(about + i.message, i.location, i.hint) for i in exc.issues]
    issues = []
    for message, location, hint in problems:
        where = location or SourceLocation(default)
        path = Path(where.path)
        if root is not None and path.is_absolute() and path.is_relative_to(root):
            where = dataclasses.replace(where, path=path.relative_to(root).as_posix())
        issues.append(Issue(rule, message, where, hint=hint))
    return issues


def compile_(
    ctx: typer.Context,
    select: SelectOpt = None,
    exclude: ExcludeOpt = None,
    dialect: Annotated[str | None, typer.Option(help="Render for this dialect.")] = None,
    print_: Annotated[bool, typer.Option("--print", help="Write the SQL to stdout.")] = False,
    state: StateOpt = None,
) -> None:
    """Write the SQL tripl would run (target/compiled/) and target/manifest.json."""
    from tripl_cli.api import project_api
    from tripl_cli.cli import loading
    from tripl_cli.compiler.dialects import DIALECTS
    from tripl_cli.compiler.manifest import compiled_path

    if dialect is not None and dialect not in DIALECTS:
        raise typer.BadParameter(f"use one of: {', '.join(DIALECTS)}", param_hint="--dialect")
    opts = options(ctx)
    old_manifest = state_manifest(state)  # read before this compile overwrites target/
    project = loading.open_project(opts, dialect=dialect or loading.target_dialect(opts))
    chosen = project_api.resolve_dialect(
        project, dialect=dialect, profiles_dir=opts.profiles_dir, target=opts.target
    )
    result = project_api.compile_project(
        project,
        dialect=chosen,
        select=split_selectors(select, has_state=state is not None),
        exclude=split_selectors(exclude, "--exclude", has_state=state is not None),
        state_manifest=old_manifest,
    )
    if print_:
        from tripl_cli.cli.sql_view import echo_sql

        for query in result.queries:
            header = f"{compiled_path(query)} ({', '.join(query.metrics)})"
            echo_sql(header, query)
    if not opts.quiet:
        console.err().print(
            f"compiled {_count(len(result.metrics), 'metric')} into "
            f"{_count(len(result.queries), 'query', 'queries')} "
            f"for [bold]{result.dialect}[/] → {project.target_dir / 'compiled'}"
        )


def clean(ctx: typer.Context) -> None:
    """Remove target/."""
    from tripl_cli.cli import loading
    from tripl_cli.errors import ConfigError, TriplError
    from tripl_cli.project.rules.paths import HINT, target_path_problem

    opts = options(ctx)
    project = loading.open_project(opts)
    # Validation reports this too; re-checked here because deleting is not undoable.
    problem = target_path_problem(project.root, project.config)
    if problem is not None:
        raise ConfigError(f"tripl clean refuses to delete it: {problem}", hint=HINT)
    target_dir = project.target_dir.resolve()
    if target_dir.exists() and not target_dir.is_dir():
        raise ConfigError(
            f"tripl clean refuses to delete {target_dir}: it is a file, not tripl's output folder",
            hint=HINT,
        )
    existed = target_dir.exists()
    if existed:
        try:
            shutil.rmtree(target_dir)
        except OSError as exc:
            raise TriplError(
                f"cannot remove {target_dir}: {exc.strerror or exc}",
                hint="check that you may write to the project folder (is it read-only?)",
            ) from None
    if not opts.quiet:
        console.err().print(
            f"removed {target_dir}" if existed else f"nothing to remove at {target_dir}"
        )


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(validate)
    app.command("compile")(compile_)
    app.command()(clean)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
