"""`tripl report [--out DIR]`: a static HTML page of every metric's chart, band and anomalies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tripl_cli.cli import console
from tripl_cli.cli.commands.project_cmds import ExcludeOpt, SelectOpt, split_selectors
from tripl_cli.cli.context import options


def report(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory to write index.html into (default target/report)."),
    ] = None,
    select: SelectOpt = None,
    exclude: ExcludeOpt = None,
) -> None:
    """Write a self-contained HTML report: catalog, charts with bands, anomalies."""
    from tripl_cli.api import report_api
    from tripl_cli.cli import loading

    opts = options(ctx)
    project = loading.open_project(opts)
    path, built = report_api.write_report(
        project,
        out_dir=out,
        select=split_selectors(select, takes_state=False),
        exclude=split_selectors(exclude, "--exclude", takes_state=False),
        profiles_dir=opts.profiles_dir,
        target=opts.target,
    )
    typer.echo(str(path))
    if not opts.quiet:
        charts = sum(1 for s in built.sections if s.chart is not None)
        console.err().print(f"report of {len(built.sections)} metrics ({charts} with values)")


def register(app: typer.Typer) -> None:
    app.command()(report)
