"""`tripl alert list | ack | mute | test`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tripl_cli.cli import console
from tripl_cli.cli.commands.run_cmds import OutputFormat
from tripl_cli.cli.context import options

if TYPE_CHECKING:
    from tripl_cli.api.alert_api import AlertListing
    from tripl_cli.project.model import Project

#: How long ack/mute wait for a run or detect holding the state (seconds).
LockTimeout = Annotated[
    float, typer.Option("--lock-timeout", min=0, help="Seconds to wait for a running run/detect.")
]

alert_app = typer.Typer(
    help="Alert incidents: list, acknowledge, mute; send a test message.",
    no_args_is_help=True,
)


def _project(ctx: typer.Context) -> Project:
    from tripl_cli.cli import loading

    opts = options(ctx)
    return loading.open_project(opts)


@alert_app.command("list")
def list_(
    ctx: typer.Context,
    format_: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TEXT,
) -> None:
    """Show open incidents (and metric mutes in force)."""
    from tripl_cli.api import alert_api

    opts = options(ctx)
    listing = alert_api.list_incidents(
        _project(ctx), profiles_dir=opts.profiles_dir, target=opts.target
    )
    if format_ is OutputFormat.JSON:
        console.print_json(listing.as_json())
        return
    _print_listing(listing, quiet=opts.quiet)


def _print_listing(listing: AlertListing, *, quiet: bool) -> None:
    from rich.table import Table

    from tripl_cli.cli.console import escape

    if listing.incidents:
        table = Table(show_edge=False, box=None, pad_edge=False)
        for column in ("id", "rule", "metric", "series", "direction", "opened", "last bucket"):
            table.add_column(column)
        table.add_column("peak z", justify="right")
        table.add_column("state")
        for view in listing.incidents:
            inc = view.incident
            column, value = inc.breakdown
            state = [] if not inc.acked else ["acked"]
            if view.muted_until is not None:
                state.append(f"muted until {view.muted_until:%Y-%m-%d %H:%M}")
            table.add_row(
                str(inc.id),
                escape(inc.rule),
                escape(inc.metric),
                escape(f"{column}={value}" if column else "total"),
                inc.direction,
                f"{inc.opened_at:%Y-%m-%d %H:%M}",
                f"{inc.last_anomaly_bucket:%Y-%m-%d %H:%M}",
                "—" if inc.peak_score is None else f"{inc.peak_score:+.1f}",
                ", ".join(state) or "open",
            )
        console.out().print(table)
    elif not quiet:
        console.err().print("no open incidents")
    for mute in listing.mutes:
        why = f" ({escape(mute.reason)})" if mute.reason else ""
        console.err().print(
            f"metric {escape(mute.metric)} is muted until {mute.muted_until:%Y-%m-%d %H:%M} UTC"
            + why
        )


@alert_app.command("ack")
def ack(
    ctx: typer.Context,
    incident_id: Annotated[int, typer.Argument(metavar="ID", help="From `tripl alert list`.")],
    lock_timeout: LockTimeout = 10.0,
) -> None:
    """Acknowledge an incident: no more firing messages; its resolution is still sent."""
    from tripl_cli.api import alert_api

    opts = options(ctx)
    inc = alert_api.ack(
        _project(ctx),
        incident_id,
        profiles_dir=opts.profiles_dir,
        target=opts.target,
        lock_timeout_s=lock_timeout,
    )
    if opts.quiet:
        return
    if inc.status == "open":
        console.err().print(f"incident {incident_id} ({inc.metric}) acknowledged")
    else:  # exit 0: what the user wanted (no more firing messages) already holds
        closed = "closed: its rule no longer watches it" if inc.status == "retired" else "resolved"
        console.err().print(
            f"incident {incident_id} ({inc.metric}) is already {closed}: nothing to acknowledge"
        )


@alert_app.command("mute")
def mute(
    ctx: typer.Context,
    metric: Annotated[str, typer.Argument(help="The metric to silence (every rule and series).")],
    for_: Annotated[str, typer.Option("--for", help="How long: 30m, 24h, 7d.")] = "24h",
    reason: Annotated[str | None, typer.Option(help="Why (shown by `alert list`).")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Lift the mute instead.")] = False,
    lock_timeout: LockTimeout = 10.0,
) -> None:
    """Silence a metric's alerts for a while (incidents are still tracked)."""
    from tripl_cli.api import alert_api

    opts = options(ctx)
    if not clear:
        _check_duration(for_)
    project = _project(ctx)
    if clear:
        lifted = alert_api.unmute(
            project,
            metric,
            profiles_dir=opts.profiles_dir,
            target=opts.target,
            lock_timeout_s=lock_timeout,
        )
        if not opts.quiet:
            console.err().print(f"{metric}: " + ("mute lifted" if lifted else "was not muted"))
        return
    until = alert_api.mute(
        project,
        metric,
        for_,
        reason=reason,
        profiles_dir=opts.profiles_dir,
        target=opts.target,
        lock_timeout_s=lock_timeout,
    )
    if not opts.quiet:
        console.err().print(f"{metric}: muted until {until:%Y-%m-%d %H:%M} UTC")


def _check_duration(text: str) -> None:
    """A bad `--for` is a usage error (exit 2), like every other bad flag value."""
    from tripl_cli.api.alert_api import mute_end

    try:
        mute_end(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--for") from None


@alert_app.command("test")
def test(
    ctx: typer.Context,
    destination: Annotated[str, typer.Argument(help="A destination name from alerts/*.yml.")],
) -> None:
    """Send a clearly marked test message to DESTINATION now (exit 1 if it fails)."""
    from tripl_cli.api import alert_api
    from tripl_cli.cli.console import escape

    result = alert_api.send_test(_project(ctx), destination)
    detail = f" ({escape(result.reason)})" if result.reason else ""
    if result.ok:
        console.out().print(f"test message sent to {escape(destination)}{detail}")
        return
    kind = "temporarily" if result.status.value == "transient_failure" else "permanently"
    console.err().print(
        f"[bold red]error:[/] test message to {escape(destination)} failed {kind}{detail}"
    )
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(alert_app, name="alert")
