"""`tripl detect` and `tripl backtest`."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from tripl_cli.cli import console
from tripl_cli.cli.commands.project_cmds import ExcludeOpt, SelectOpt, split_selectors
from tripl_cli.cli.commands.run_cmds import OutputFormat, parse_when
from tripl_cli.cli.commands.state_opt import StateOpt, state_manifest
from tripl_cli.cli.context import options
from tripl_cli.cli.logs import json_logging

if TYPE_CHECKING:
    from tripl_cli.api.detect_api import DetectReport
    from tripl_cli.project.model import Project
    from tripl_cli.types import Anomaly

EXIT_ANOMALY = 3


class Sensitivity(StrEnum):
    """`--sensitivity`: the detection presets (docs/detection.md)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:,.4g}"


def _anomaly_table(anomalies: list[Anomaly]) -> None:
    from rich.table import Table

    from tripl_cli.cli.console import escape

    table = Table(show_edge=False, box=None, pad_edge=False)
    for column in ("metric", "series", "bucket", "actual", "expected", "band", "z", "kind"):
        table.add_column(column)
    for a in anomalies:
        series = "total" if a.breakdown == ("", "") else f"{a.breakdown[0]}={a.breakdown[1]}"
        style = "red" if a.direction.value == "drop" else "yellow"
        table.add_row(
            escape(a.metric),
            escape(series),  # a breakdown value is warehouse text
            f"{a.bucket:%Y-%m-%d %H:%M}",
            _fmt(a.actual),
            _fmt(a.expected),
            f"{_fmt(a.lower)} .. {_fmt(a.upper)}",
            f"{a.score:+.1f}",
            f"[{style}]{a.direction.value}[/] ({a.detector.value})",
        )
    console.out().print(table)


def detect(
    ctx: typer.Context,
    select: SelectOpt = None,
    exclude: ExcludeOpt = None,
    format_: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
    fail_on_anomaly: Annotated[
        bool,
        typer.Option(
            "--fail-on-anomaly",
            help="Exit 3 on an anomaly found for the first time or a series anomalous now.",
        ),
    ] = False,
    no_alerts: Annotated[bool, typer.Option("--no-alerts", help="Score without sending.")] = False,
    alerts: Annotated[
        bool, typer.Option("--alerts", help="Send alerts even when CI=true.")
    ] = False,
    lock_timeout: Annotated[float, typer.Option(min=0)] = 60.0,
    state: StateOpt = None,
) -> None:
    """Score every monitored series, record anomalies, and send alerts."""
    from tripl_cli.api import detect_api
    from tripl_cli.cli import loading

    opts = options(ctx)
    project = loading.open_project(opts)
    manifest = state_manifest(state)
    report = detect_api.detect(
        project,
        select=split_selectors(select, has_state=state is not None),
        exclude=split_selectors(exclude, "--exclude", has_state=state is not None),
        profiles_dir=opts.profiles_dir,
        target=opts.target,
        lock_timeout_s=lock_timeout,
        state_manifest=manifest,
    )
    found = report.anomalies
    # Results first: they are recorded already, and must show even if alerting then fails.
    if format_ is OutputFormat.JSON:
        console.print_json(report.as_json())
    else:
        if found:
            _anomaly_table(found)
        if not opts.quiet:
            learning = sum(1 for s in report.series if s.result.status == "learning")
            new = sum(s.new_anomalies for s in report.series)
            now = sum(1 for s in report.series if s.result.anomalous_now)
            console.err().print(
                f"scored {len(report.series)} series: {len(found)} anomalies"
                + (f" ({new} new; {now} series anomalous now)" if found else "")
                + (f", {learning} still learning" if learning else "")
                + f" → {project.target_dir / 'anomalies.json'}"
            )
            if report.series and report.nothing_stored:
                console.err().print("no values stored yet: run `tripl run` first")
    delivery_failed = _alert(
        ctx, project, report, no_alerts=no_alerts, force=alerts, lock_timeout_s=lock_timeout
    )
    if delivery_failed:
        raise typer.Exit(1)
    raise typer.Exit(EXIT_ANOMALY if fail_on_anomaly and report.failing else 0)


def _alert(
    ctx: typer.Context,
    project: Project,
    report: DetectReport,
    *,
    no_alerts: bool,
    force: bool,
    lock_timeout_s: float,
) -> bool:
    """The alerting step after scoring: returns whether a delivery failed permanently.

    In CI (`CI=true`) nothing is sent unless `--alerts` asks for it.
    """
    if no_alerts:
        return False
    if console.in_ci() and not force:
        if project.alert_rules and not options(ctx).quiet:  # scheduled CI jobs set CI too
            console.err().print("alerts: not sent, since CI=true (pass --alerts to send them)")
        return False
    from tripl_cli.api import alert_flow
    from tripl_cli.cli.console import escape

    opts = options(ctx)
    outcome = alert_flow.process(
        project,
        report,
        profiles_dir=opts.profiles_dir,
        target=opts.target,
        lock_timeout_s=lock_timeout_s,
    )
    if not opts.quiet and (outcome.enqueued or outcome.sent or outcome.failed or outcome.held):
        console.err().print(
            f"alerts: {outcome.opened} incident(s) opened, {outcome.resolved} resolved; "
            f"{outcome.sent} sent, {outcome.retried} to retry, {outcome.held} held, "
            f"{outcome.permanent_failures} failed permanently"
        )
    if not json_logging():  # with JSON logs, their log records already carry these reasons
        for reason in outcome.errors:
            console.err().print(f"[red]alert delivery failed:[/] {escape(reason)}")
    return outcome.permanent_failures > 0


def backtest(
    ctx: typer.Context,
    select: SelectOpt = None,
    exclude: ExcludeOpt = None,
    start: Annotated[str | None, typer.Option(help="Replay from (ISO date/datetime).")] = None,
    end: Annotated[str | None, typer.Option(help="Replay until (exclusive).")] = None,
    sigma: Annotated[float | None, typer.Option(min=0.5, help="Try another sigma.")] = None,
    sensitivity: Annotated[
        Sensitivity | None, typer.Option(help="Preset band width (instead of --sigma).")
    ] = None,
    format_: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
    state: StateOpt = None,
) -> None:
    """Replay the detector over stored history: how many anomalies each metric would raise."""
    from tripl_cli.api import detect_api
    from tripl_cli.cli import loading

    opts = options(ctx)
    start_at, end_at = parse_when(start, "--start"), parse_when(end, "--end")
    if start_at is not None and end_at is not None and start_at >= end_at:
        raise typer.BadParameter(
            f"--start {start} is not before --end {end} (the replay is [start, end))",
            param_hint="--start",
        )
    project = loading.open_project(opts)
    overrides: dict[str, object] = {}
    if sigma is not None:
        overrides["sigma"] = sigma
    if sensitivity is not None:
        overrides["sensitivity"] = sensitivity.value
    rows = detect_api.backtest(
        project,
        select=split_selectors(select, has_state=state is not None),
        exclude=split_selectors(exclude, "--exclude", has_state=state is not None),
        start=start_at,
        end=end_at,
        overrides=overrides or None,
        profiles_dir=opts.profiles_dir,
        target=opts.target,
        state_manifest=state_manifest(state),
    )
    if format_ is OutputFormat.JSON:
        console.print_json({"overrides": overrides, "metrics": [r.as_json() for r in rows]})
        return
    from rich.table import Table

    from tripl_cli.cli.console import escape

    table = Table(show_edge=False, box=None, pad_edge=False)
    for column in (
        "metric",
        "series",
        "status",
        "scored",
        "anomalies",
        "spikes",
        "drops",
        "by detector",
    ):
        table.add_column(column)
    for r in rows:
        series = "total" if r.breakdown == ("", "") else f"{r.breakdown[0]}={r.breakdown[1]}"
        detectors = ", ".join(f"{k} {v}" for k, v in r.summary.by_detector)
        table.add_row(
            escape(r.metric),
            escape(series),
            r.summary.status,
            str(r.summary.scored_buckets),
            str(r.summary.anomalies),
            str(r.summary.spikes),
            str(r.summary.drops),
            detectors,
        )
    console.out().print(table)


def register(app: typer.Typer) -> None:
    app.command()(detect)
    app.command()(backtest)
