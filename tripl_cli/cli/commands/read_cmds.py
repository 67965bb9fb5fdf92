"""`tripl show` and `tripl ls`: read stored values back; also registers debug, introspect, demo."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from tripl_cli.cli import console
from tripl_cli.cli.commands.project_cmds import ExcludeOpt, SelectOpt, split_selectors
from tripl_cli.cli.commands.state_opt import StateOpt, state_manifest
from tripl_cli.cli.context import options

if TYPE_CHECKING:
    from tripl_cli.api.read_api import Catalog, CatalogRow


class ShowFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def show(
    ctx: typer.Context,
    metric: Annotated[str, typer.Argument(help="The metric to show.")],
    breakdown: Annotated[
        str | None, typer.Option("--breakdown", "-b", help="Also show this breakdown's series.")
    ] = None,
    last: Annotated[
        int | None, typer.Option(min=1, help="Only the last N buckets (up to the newest).")
    ] = None,
    format_: Annotated[ShowFormat, typer.Option("--format")] = ShowFormat.TABLE,
) -> None:
    """One metric's stored series: a chart with anomalies marked and the latest buckets."""
    from tripl_cli.api import read_api
    from tripl_cli.cli import loading, series_view

    opts = options(ctx)
    project = loading.open_project(opts)
    view = read_api.read_metric(
        project,
        metric,
        breakdown=breakdown,
        last=last,
        # JSON carries every breakdown (scripts pick); table and CSV only the one asked for.
        all_breakdowns=format_ is ShowFormat.JSON,
        profiles_dir=opts.profiles_dir,
        target=opts.target,
    )
    if format_ is ShowFormat.JSON:
        console.print_json(view.as_json())
    elif format_ is ShowFormat.CSV:
        series_view.write_csv(view, with_breakdowns=breakdown is not None)
    else:
        rows = last if last is not None else series_view.DEFAULT_TABLE_ROWS
        series_view.print_series(view, rows=rows, breakdown=breakdown)


def ls(
    ctx: typer.Context,
    select: SelectOpt = None,
    exclude: ExcludeOpt = None,
    format_: Annotated[ListFormat, typer.Option("--format")] = ListFormat.TABLE,
    state: StateOpt = None,
) -> None:
    """The catalog: every metric, its latest value, collection status and open anomalies."""
    from tripl_cli.api import read_api
    from tripl_cli.cli import loading

    opts = options(ctx)
    project = loading.open_project(opts)
    manifest = state_manifest(state)
    catalog = read_api.catalog(
        project,
        select=split_selectors(select, has_state=state is not None),
        exclude=split_selectors(exclude, "--exclude", has_state=state is not None),
        profiles_dir=opts.profiles_dir,
        target=opts.target,
        state_manifest=manifest,
    )
    if format_ is ListFormat.JSON:
        console.print_json(catalog.as_json())
    else:
        print_catalog(catalog)


_KIND_SHORT = {"composition": "comp"}
_VALUE_SHORT = {"fractional": "frac"}


def _status_cell(row: CatalogRow) -> str:
    """The definition's status when it is not collected, else the last collection's."""
    if row.status != "active":
        return f"[dim]{row.status}[/]"
    status = row.collection_status
    return {"success": "[green]ok[/]", "error": "[red]error[/]", None: "[dim]never[/]"}.get(
        status, status or ""
    )


def _bucket_cell(row: CatalogRow) -> str:
    if row.last_bucket is None:
        return ""
    daily = row.interval.delta >= timedelta(days=1)
    return f"{row.last_bucket:%Y-%m-%d}" if daily else f"{row.last_bucket:%m-%d %H:%M}"


def print_catalog(catalog: Catalog) -> None:
    from rich.table import Table

    from tripl_cli.cli.charts import ANOMALY_STYLE, sparkline
    from tripl_cli.cli.console import escape
    from tripl_cli.textfmt import fmt_number

    out = console.out()
    # Narrow terminals get a shorter trend rather than cut names (pipes are wide: console.py).
    points = 20 if out.width >= 100 else 10
    table = Table(box=None, pad_edge=False, show_edge=False, padding=(0, 1, 0, 0))
    for column in ("metric", "kind", "every", "value", "last bucket", "latest", "status"):
        table.add_column(column, justify="right" if column == "latest" else "left", no_wrap=True)
    table.add_column("anom", no_wrap=True)
    table.add_column("trend", no_wrap=True)
    for row in catalog.rows:
        table.add_row(
            escape(row.name),
            _KIND_SHORT.get(row.kind, row.kind),
            row.interval.value,
            _VALUE_SHORT.get(row.value_kind.value, row.value_kind.value),
            _bucket_cell(row),
            fmt_number(row.latest_value),
            _status_cell(row),
            f"[{ANOMALY_STYLE}]yes[/]" if row.open_anomaly else "",
            sparkline(row.recent[-points:], row.recent_anomalous[-points:]),
        )
    out.print(table)
    for row in catalog.rows:
        if row.collection_status == "error" and row.collection_error:
            out.print(f"[red]error[/] {escape(row.name)}: {escape(row.collection_error)}")
    if not catalog.rows:
        console.err().print("the selection matched no metrics")
    elif not any(r.collection_status for r in catalog.rows):
        console.err().print(
            f"no values stored yet on target '{escape(catalog.target)}': run `tripl run`"
        )
    elif not any(r.last_bucket for r in catalog.rows):  # collected: failed, or all gaps
        console.err().print(
            "no values stored for the selected metrics (`tripl show METRIC` says why)"
        )


def register(app: typer.Typer) -> None:
    from tripl_cli.cli.commands import demo_cmd, inspect_cmds

    app.command()(show)
    app.command("ls")(ls)
    inspect_cmds.register(app)
    demo_cmd.register(app)
