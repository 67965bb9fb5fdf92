"""`tripl demo`: scaffold, run, detect and show a demo project in one command."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tripl_cli.cli import console
from tripl_cli.cli.context import options

if TYPE_CHECKING:
    from tripl_cli.api.demo_api import DemoResult


def demo(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Where to create it (default: a new temporary directory)."),
    ] = None,
) -> None:
    """The 60-second tour: a demo shop in a temp dir, collected, scored and charted."""
    from tripl_cli.api import demo_api, read_api
    from tripl_cli.cli import series_view
    from tripl_cli.cli.commands.read_cmds import print_catalog
    from tripl_cli.cli.console import escape

    quiet = options(ctx).quiet  # the tour on stderr is narrative: --quiet keeps only errors
    err = console.err()
    where = directory if directory is not None else demo_api.new_demo_dir()
    if not quiet:
        err.print(f"[bold]tripl demo[/]: creating a demo shop in [bold]{escape(str(where))}[/]")
    result = demo_api.make_demo(where)  # the run logs each failure as an error itself
    if not quiet:
        _print_steps(result)
    catalog = read_api.catalog(result.project)
    console.out().print()
    print_catalog(catalog)
    console.out().print()
    view = read_api.read_metric(
        result.project,
        demo_api.INCIDENT_METRIC,
        breakdown=demo_api.INCIDENT_BREAKDOWN,
        last=42,  # six weeks: the weekly rhythm and the incident ten days ago
    )
    series_view.print_series(view, rows=7, breakdown=demo_api.INCIDENT_BREAKDOWN)
    if not quiet:
        _print_next_steps(result.root)
    raise typer.Exit(1 if result.run.failed else 0)


#: Anomalies listed by name in the tour; the rest are counted.
_SHOWN = 5


def _print_steps(result: DemoResult) -> None:
    from tripl_cli.cli.console import escape
    from tripl_cli.textfmt import fmt_number

    err = console.err()
    wh = result.init.warehouse
    if wh is not None:
        rows = ", ".join(f"{table} {count:,}" for table, count in wh.rows.items())
        err.print(f"  warehouse.duckdb: {rows} rows, up to {wh.as_of:%Y-%m-%d %H:%M} UTC")
    report = result.run
    ok = sum(1 for o in report.outcomes if o.status == "success")
    buckets = sum(o.buckets_written for o in report.outcomes)
    err.print(f"  tripl run: {ok} metrics collected, {buckets:,} buckets stored")
    for failed in report.failed:
        err.print(f"  [red]error[/] {escape(failed.metric)}: {escape(failed.error or '')}")
    if result.detect is None:
        err.print("  tripl detect: skipped (the run failed)")
        return
    anomalies = list(result.detect.anomalies)
    err.print(f"  tripl detect: {len(anomalies)} anomalies recorded")
    for a in anomalies[:_SHOWN]:
        series = "" if a.breakdown == ("", "") else f" [{a.breakdown[0]}={a.breakdown[1]}]"
        err.print(
            f"    [red]{a.direction.value}[/] {escape(a.metric + series)} on {a.bucket:%Y-%m-%d}: "
            f"{fmt_number(a.actual)} vs expected {fmt_number(a.expected)}"
        )
    if len(anomalies) > _SHOWN:
        err.print(f"    … and {len(anomalies) - _SHOWN} more (`tripl ls` marks them)")
    if wh is not None:
        err.print(f"  the planted incident: {escape(wh.incident.description)}")


def _print_next_steps(root: Path) -> None:
    from tripl_cli.cli.console import escape

    flag = f"--project-dir {shlex.quote(str(root))}"
    console.err().print("\n[bold]next steps[/]")
    for command in (
        f"tripl show orders --breakdown platform {flag}",
        f"tripl show conversion_rate {flag}",
        f"tripl ls {flag}",
        f"tripl compile --print -s revenue {flag}",
        f"tripl run {flag}   # collects only what is new",
    ):
        console.err().print(f"  {escape(command)}")
    console.err().print(f"  [dim]or: cd {escape(shlex.quote(str(root)))} && tripl ls[/]")


def register(app: typer.Typer) -> None:
    app.command()(demo)
