"""`tripl debug` and `tripl introspect`: look at the connection and at a fact table."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tripl_cli.cli import console
from tripl_cli.cli.context import options

if TYPE_CHECKING:
    from tripl_cli.api.debug_api import DebugReport
    from tripl_cli.api.introspect_api import Introspection

log = logging.getLogger(__name__)


class InspectFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


_MARK = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[dim]-[/]"}


def debug(
    ctx: typer.Context,
    format_: Annotated[InspectFormat, typer.Option("--format")] = InspectFormat.TEXT,
) -> None:
    """Check profile/target resolution, the driver, the warehouse, the state DB, fact tables."""
    import contextlib

    from tripl_cli.api import debug_api
    from tripl_cli.cli import loading
    from tripl_cli.errors import TriplError

    opts = options(ctx)
    loaded = None
    with contextlib.suppress(TriplError):  # the checks below report loading problems
        loaded = loading.load(opts)  # also masks the project's and target's secrets in logs
    report = debug_api.run_checks(
        opts.project_dir,
        cli_vars=opts.cli_vars,
        profiles_dir=opts.profiles_dir,
        target=opts.target,
        loaded=loaded,
    )
    if format_ is InspectFormat.JSON:
        console.print_json(report.as_json())
    else:
        print_checks(report, quiet=opts.quiet)
    raise typer.Exit(0 if report.ok else 1)


def print_checks(report: DebugReport, *, quiet: bool = False) -> None:
    from tripl_cli.cli.console import escape

    out = console.out()
    width = max(len(c.name) for c in report.checks)
    for check in report.checks:
        detail = escape(check.detail)
        if check.ok is None:
            detail = f"[dim]{detail}[/]"
        out.print(f"{_MARK[check.ok]} {check.name.ljust(width)}  {detail}")
        if check.hint and check.ok is False:
            out.print(f"  {' ' * width}  [dim]hint: {escape(check.hint)}[/]")
    failed = sum(1 for c in report.checks if c.ok is False)
    if quiet and report.ok:  # errors only: the failed count still goes out
        return
    summary = "all checks passed" if report.ok else f"{failed} check(s) failed"
    level = logging.INFO if report.ok else logging.ERROR
    console.say(("[green]" if report.ok else "[red]") + summary + "[/]", level=level)


def introspect(
    ctx: typer.Context,
    fact_table: Annotated[str, typer.Argument(help="The fact table to look at.")],
    write: Annotated[
        bool, typer.Option("--write", help="Fill `columns:` in the fact table's YAML file.")
    ] = False,
    format_: Annotated[InspectFormat, typer.Option("--format")] = InspectFormat.TEXT,
) -> None:
    """Columns, simplified types, identifier candidates and sample rows of a fact table."""
    from tripl_cli.api import introspect_api
    from tripl_cli.cli import loading
    from tripl_cli.cli.console import escape
    from tripl_cli.errors import ProjectInvalid

    opts = options(ctx)
    # An invalid project can still be introspected: stale `columns:` are what --write fixes.
    loaded = loading.load(opts)
    project = loaded.project
    errors = loaded.errors
    if project is None or (errors and fact_table not in project.fact_tables):
        raise ProjectInvalid(issues=list(loaded.issues))
    if errors:
        log.warning(
            "the project has %d error(s) (`tripl validate` lists them); introspecting anyway",
            len(errors),
        )
    found = introspect_api.introspect(
        project, fact_table, profiles_dir=opts.profiles_dir, target=opts.target
    )
    if format_ is InspectFormat.JSON:
        console.print_json(found.as_json())
    else:
        print_introspection(found)
    if write:
        result = introspect_api.write_columns(
            project, found, cli_vars=opts.cli_vars, known_issues=loaded.issues
        )
        where = result.path.relative_to(project.root)
        verb = "replaced" if result.replaced else "added"
        console.err().print(f"{verb} `columns:` ({len(found.columns)}) of {fact_table} in {where}")
        if result.identifiers_added:
            names = ", ".join(result.identifiers_added)
            # escaped: rich would take `[user_id]` for a style tag and print nothing of it
            console.err().print(escape(f"added `identifier_columns: [{names}]`"))


def _cell(value: Any, limit: int = 24) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_introspection(found: Introspection) -> None:
    """One line per column: types, identifier candidacy and its values in the sample rows
    (transposed, so a wide fact table still fits a terminal)."""
    from rich.table import Table

    from tripl_cli.cli.console import escape

    out = console.out()
    window = f"{found.window.start:%Y-%m-%d %H:%M} .. {found.window.end:%Y-%m-%d %H:%M}"
    out.print(
        f"[bold]{escape(found.fact_table)}[/] on target '{escape(found.target)}' "
        f"[dim]({{{{ start }}}}/{{{{ end }}}} = {window} UTC)[/]"
    )
    table = Table(box=None, pad_edge=False, show_edge=False)
    widths = (
        max(len(c.name) for c in found.columns),
        len("timestamp"),
        max(len("warehouse type"), *(len(c.raw_type) for c in found.columns)),
        len("id?"),
    )
    for title, width in zip(("column", "type", "warehouse type", "id?"), widths, strict=True):
        table.add_column(title, no_wrap=True, min_width=width)
    # Only the sample column gives way on a narrow terminal (2 = the padding per column).
    room = max(20, out.width - sum(widths) - 2 * len(widths))
    table.add_column(f"sample ({len(found.sample_rows)} rows)", no_wrap=True, max_width=room)
    position = {name: i for i, name in enumerate(found.sample_columns)}
    for c in found.columns:
        i = position.get(c.name)
        values = [] if i is None else [_cell(row[i]) for row in found.sample_rows]
        table.add_row(
            escape(c.name),
            c.type,
            escape(c.raw_type),
            "[green]yes[/]" if c.name in found.identifier_candidates else "",
            escape(" | ".join(values)),
        )
    out.print(table)
    ids = ", ".join(found.identifier_candidates) or "none found"
    out.print(f"identifier candidates: {escape(ids)}")
    if not found.sample_rows:
        out.print(f"[dim]no rows in the sample window ({found.sampled} read)[/]")


def register(app: typer.Typer) -> None:
    app.command()(debug)
    app.command()(introspect)
