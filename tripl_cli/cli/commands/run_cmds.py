"""`tripl run`: collect values, with a progress bar on a terminal and a per-metric summary."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tripl_cli.cli import console
from tripl_cli.cli.commands.project_cmds import ExcludeOpt, SelectOpt, split_selectors
from tripl_cli.cli.commands.state_opt import StateOpt, state_manifest
from tripl_cli.cli.context import options

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from tripl_cli.compiler.records import CompiledQuery
    from tripl_cli.runner.outcomes import RunReport

log = logging.getLogger(__name__)


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def parse_when(text: str | None, flag: str) -> datetime | None:
    """ISO-8601 date or datetime; UTC when no zone is given (SPEC §9)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO-8601 date or datetime (e.g. 2026-01-31 or 2026-01-31T06:00)",
            param_hint=flag,
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _ProgressEvents:
    """Bridges runner events to a rich progress bar."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def planned(self, total_queries: int) -> None:
        if self.task is None:
            self.task = self.progress.add_task("collecting", total=total_queries)
        else:  # a ranking changed how many queries follow
            self.progress.update(self.task, total=total_queries)

    def query_done(self, query: CompiledQuery, ok: bool) -> None:
        if self.task is not None:
            self.progress.advance(self.task)


def run(
    ctx: typer.Context,
    select: SelectOpt = None,
    exclude: ExcludeOpt = None,
    start: Annotated[str | None, typer.Option(help="Backfill from (ISO date/datetime).")] = None,
    end: Annotated[str | None, typer.Option(help="Backfill until (exclusive).")] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Recollect initial_buckets of history.")
    ] = False,
    threads: Annotated[int | None, typer.Option(min=1, max=64, help="Parallel scans.")] = None,
    lock_timeout: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for another run's lock.")
    ] = 60.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would run.")] = False,
    format_: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
    state: StateOpt = None,
) -> None:
    """Collect every selected metric from the warehouse into the state database."""
    from tripl_cli.api import project_api, run_api
    from tripl_cli.cli import loading

    opts = options(ctx)
    start_at, end_at = parse_when(start, "--start"), parse_when(end, "--end")
    if start_at is not None and end_at is not None and start_at >= end_at:
        raise typer.BadParameter(
            f"--start {start} is not before --end {end} (windows are [start, end))",
            param_hint="--start",
        )
    if start_at is not None and start_at > datetime.now(UTC):
        raise typer.BadParameter(
            f"--start {start} is in the future: only complete buckets are collected",
            param_hint="--start",
        )
    if full_refresh and start_at is not None:
        log.warning(
            "--full-refresh changes nothing with --start: the window is"
            " --start .. --end (or the current bucket); drop one of them"
        )
    loaded = loading.load(opts, dialect=loading.target_dialect(opts))
    if not dry_run:
        run_api.record_invalid_project(loaded, profiles_dir=opts.profiles_dir, target=opts.target)
    project = project_api.valid_project(loaded)
    run_options = run_api.RunOptions(
        select=split_selectors(select, has_state=state is not None),
        exclude=split_selectors(exclude, "--exclude", has_state=state is not None),
        start=start_at,
        end=end_at,
        full_refresh=full_refresh,
        threads=threads,
        lock_timeout_s=lock_timeout,
        dry_run=dry_run,
        state_manifest=state_manifest(state),
    )
    terminal = sys.stderr.isatty() and not console.in_ci()  # a CI runner may give a TTY
    wanted = format_ is OutputFormat.TEXT and not opts.quiet
    show_bar = wanted and terminal and not console.json_lines()  # JSON logs: JSON lines only
    if show_bar:
        from rich.progress import Progress

        with Progress(console=console.err(), transient=True) as progress:
            report = run_api.run(
                project,
                run_options,
                profiles_dir=opts.profiles_dir,
                target=opts.target,
                events=_ProgressEvents(progress),
            )
    else:
        report = run_api.run(
            project, run_options, profiles_dir=opts.profiles_dir, target=opts.target
        )
    if format_ is OutputFormat.JSON:
        console.print_json(report.as_json())
        _print_changes(report)  # a consequence to see, also beside the JSON on stdout
    elif dry_run:
        _print_dry_run(report)
    else:
        _print_summary(report, quiet=opts.quiet)
    raise typer.Exit(1 if report.failed else 0)


def _print_dry_run(report: RunReport) -> None:
    from tripl_cli.cli.sql_view import echo_sql

    for query in report.queries:
        header = (
            f"{query.id} [{query.window.start:%Y-%m-%d %H:%M} .. "
            f"{query.window.end:%Y-%m-%d %H:%M}) metrics: {', '.join(query.metrics)}"
        )
        echo_sql(header, query)
    _print_changes(report)
    console.err().print(f"dry run: {len(report.queries)} queries would run; nothing was stored")


def _print_changes(report: RunReport) -> None:
    """The metrics whose stored history a run would drop (a dry run's only), on stderr."""
    for change in report.changed:
        console.err().print(f"{console.escape(change.metric)}: {change.describe()}")


def _print_summary(report: RunReport, *, quiet: bool) -> None:
    if console.json_lines():
        _log_summary(report, quiet=quiet)
        return
    from rich.table import Table

    from tripl_cli.cli.console import escape

    if not quiet:
        table = Table(show_edge=False, box=None, pad_edge=False)
        for column in ("metric", "status", "buckets", "window", "seconds"):
            table.add_column(column)
        for o in report.outcomes:
            style = {"success": "green", "error": "red"}.get(o.status, "dim")
            window = (
                f"{o.window.start:%Y-%m-%d %H:%M} .. {o.window.end:%Y-%m-%d %H:%M}"
                if o.window
                else ""
            )
            table.add_row(
                o.metric,
                f"[{style}]{o.status}[/]",
                str(o.buckets_written),
                window,
                f"{o.seconds:.2f}",
            )
        console.err().print(table)
    if quiet:  # errors only: the run logged each failure as it happened
        return
    for o in report.outcomes:  # why a metric was skipped, or what else happened to it
        if o.note and o.status != "error":
            console.err().print(f"[dim]{o.status}[/] {o.metric}: {escape(o.note)}")
    for o in report.failed:  # a recap: the run's own error lines may have scrolled away
        console.err().print(f"[red]error[/] {o.metric}: {escape(o.error or '')}")
    console.err().print(_tally_line(_tally(report)))


def _tally(report: RunReport) -> dict[str, Any]:
    ok = sum(1 for o in report.outcomes if o.status == "success")
    return {
        "run_id": report.run_id,
        "collected": ok,
        "failed": len(report.failed),
        "skipped": len(report.outcomes) - ok - len(report.failed),
        "seconds": round((report.finished_at - report.started_at).total_seconds(), 3),
    }


def _tally_line(tally: Mapping[str, Any]) -> str:
    return (
        f"run {tally['run_id']}: {tally['collected']} collected, {tally['failed']} failed, "
        f"{tally['skipped']} skipped in {tally['seconds']:.1f}s"
    )


def _log_summary(report: RunReport, *, quiet: bool) -> None:
    """`--log-format json`: a record per metric with the summary's columns as fields, then
    the run's; failures were logged as errors while the run went (no recap here)."""
    if quiet:
        return
    for o in report.outcomes:
        fields: dict[str, object] = {
            "metric": o.metric,
            "status": o.status,
            "buckets_written": o.buckets_written,
            "window_start": o.window.start.isoformat() if o.window else None,
            "window_end": o.window.end.isoformat() if o.window else None,
            "seconds": round(o.seconds, 3),
        }
        if o.note:
            fields["note"] = o.note
        if o.error:
            fields["error"] = o.error
        console.emit(f"{o.metric}: {o.status}, {o.buckets_written} buckets", fields)
    tally = _tally(report)
    console.emit(_tally_line(tally), tally)


def register(app: typer.Typer) -> None:
    app.command()(run)
