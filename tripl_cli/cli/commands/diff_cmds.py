"""`tripl diff --state DIR`: definitions changed since an older manifest, and their values."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tripl_cli.cli import console
from tripl_cli.cli.context import options

if TYPE_CHECKING:
    from tripl_cli.api.diff_api import Change, DiffReport
    from tripl_cli.api.diff_values import ValueComparison

_STYLE = {"new": "green", "modified": "yellow", "metadata": "cyan", "removed": "red"}


class DiffFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def diff(
    ctx: typer.Context,
    state: Annotated[
        Path,
        typer.Option(
            "--state", help="An older target/ dir (or its manifest.json) to compare with."
        ),
    ],
    last: Annotated[int, typer.Option(min=1, help="Buckets of values to compare.")] = 7,
    values: Annotated[
        bool,
        typer.Option("--values/--no-values", help="Recompute modified metrics' recent values."),
    ] = True,
    format_: Annotated[DiffFormat, typer.Option("--format")] = DiffFormat.TEXT,
) -> None:
    """Which definitions changed since an older manifest, and how their recent values would."""
    from tripl_cli.api import diff_api
    from tripl_cli.cli import loading
    from tripl_cli.project.selection import read_state_manifest

    opts = options(ctx)
    old = read_state_manifest(state)
    project = loading.open_project(opts)
    report = diff_api.diff(
        project,
        old,
        state_path=state / "manifest.json" if state.is_dir() else state,
        last=last,
        values=values,
        profiles_dir=opts.profiles_dir,
        target=opts.target,
    )
    if format_ is DiffFormat.JSON:
        console.print_json(report.as_json())
    else:
        print_report(report, quiet=opts.quiet)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _print_change(change: Change) -> None:
    from tripl_cli.cli.console import escape

    out = console.out()
    style = _STYLE[change.change]
    where = f"  [dim]{escape(change.location)}[/]" if change.location else ""
    out.print(f"[{style}]{change.change:<9}[/] {change.object_type} {escape(change.name)}{where}")
    for f in change.fields:
        out.print(
            f"            {escape(f.field)}: {escape(_short(f.old))} → {escape(_short(f.new))}"
        )
    if change.same_definition_as:
        was = ", ".join(change.same_definition_as)
        out.print(f"            same definition as removed metric {escape(was)}")
    if change.causes:
        out.print(f"            reads changed {escape(', '.join(change.causes))}")
    elif change.change == "modified" and not change.fields:
        # The manifest keeps only a hash of the definition: say what that covers.
        out.print("            definition changed (SQL, filters, column, aggregation or where)")


def _fmt(value: float | None) -> str:
    from tripl_cli.textfmt import fmt_number

    return fmt_number(value) or "—"


def _print_values(comparison: ValueComparison) -> None:
    from rich.table import Table

    from tripl_cli.cli.console import escape

    out = console.out()
    out.print(f"\n[bold]{escape(comparison.metric)}[/]: stored vs new definition")
    if comparison.note:
        out.print(f"  [dim]{escape(comparison.note)}[/]")
    if not comparison.rows:
        return
    table = Table(box=None, pad_edge=False, show_edge=False, padding=(0, 2, 0, 2))
    for column in ("bucket", "stored", "new", "change"):
        table.add_column(column, justify="left" if column == "bucket" else "right")
    for row in comparison.rows:
        pct = row.change_pct
        change = "" if pct is None else f"{pct:+.1f}%"
        style = "" if pct is None or abs(pct) < 0.05 else ("green" if pct > 0 else "red")
        table.add_row(
            row.bucket.strftime("%Y-%m-%d %H:%M"),
            _fmt(row.old),
            _fmt(row.new),
            f"[{style}]{change}[/]" if style else change,
        )
    out.print(table)


def print_report(report: DiffReport, *, quiet: bool = False) -> None:
    from tripl_cli.cli.console import escape

    out = console.out()
    out.print(f"comparing with [bold]{escape(report.state)}[/]")
    if not report.changes:
        out.print("no definition changed")
    for change in report.changes:
        _print_change(change)
    for comparison in report.values:
        _print_values(comparison)
    if quiet:  # errors only: the notes and counts are a summary
        return
    for note in report.notes:
        console.err().print(f"[yellow]note:[/] {escape(note)}")
    counts = ", ".join(
        f"{report.count(kind)} {kind}" for kind in ("new", "modified", "metadata", "removed")
    )
    console.err().print(counts)


def register(app: typer.Typer) -> None:
    app.command()(diff)
