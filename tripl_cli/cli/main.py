"""The `tripl` console script: global flags, command registration, error → exit code mapping.

Heavy libraries (sqlglot, pydantic, duckdb, SQLAlchemy) are imported inside command bodies,
so `tripl --help` stays fast.
"""

from __future__ import annotations

import functools
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from tripl_cli.cli import console
from tripl_cli.cli.context import GlobalOptions
from tripl_cli.errors import Terminated

app = typer.Typer(
    name="tripl",
    help="Declarative metrics-as-code: compile, collect, detect anomalies, alert.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_ANOMALY = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM


def _parse_vars(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    from tripl_cli.project.yaml_source import parse_yaml

    # The project files' own reader: a duplicate key is an error here too, not last-wins.
    doc = parse_yaml(text, "--vars")
    if doc.issues:
        issue = doc.issues[0]
        where = f"line {issue.location.line}, column {issue.location.col}"
        raise typer.BadParameter(f"--vars, {where}: {issue.message}")
    if not isinstance(doc.data, dict):
        raise typer.BadParameter("--vars must be a YAML mapping, e.g. '{region: eu}'")
    return doc.data


def _print_version(value: bool) -> None:
    if value:
        from tripl_cli.version import installed_version

        typer.echo(f"tripl {installed_version()}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    project_dir: Annotated[
        Path | None, typer.Option(help="Project root (default: search upwards from here).")
    ] = None,
    profiles_dir: Annotated[
        Path | None, typer.Option(help="Directory holding profiles.yml.", envvar=None)
    ] = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="Profile target.")] = None,
    vars_: Annotated[
        str | None, typer.Option("--vars", help="YAML mapping of values for var().")
    ] = None,
    log_format: Annotated[str, typer.Option(help="text or json (stderr).")] = "text",
    debug: Annotated[bool, typer.Option("--debug", help="Verbose logs and tracebacks.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Errors only.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain output.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    if log_format not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--log-format")
    from tripl_cli.cli.logs import setup_logging

    console.configure(no_color=no_color, json_lines=log_format == "json")
    setup_logging(log_format=log_format, debug=debug, quiet=quiet)
    ctx.obj = GlobalOptions(
        project_dir=project_dir,
        profiles_dir=profiles_dir,
        target=target,
        cli_vars=_parse_vars(vars_),
        log_format=log_format,
        debug=debug,
        quiet=quiet,
        no_color=no_color,
    )


def _register_commands() -> None:
    from tripl_cli.cli.commands import alert_cmds, detect_cmds, project_cmds, read_cmds, run_cmds
    from tripl_cli.cli.commands import diff_cmds as diff_cmds
    from tripl_cli.cli.commands import report_cmds as report_cmds

    project_cmds.register(app)
    run_cmds.register(app)
    detect_cmds.register(app)
    read_cmds.register(app)
    alert_cmds.register(app)
    diff_cmds.register(app)
    report_cmds.register(app)


_register_commands()


#: Global options users may also write after the command (`tripl validate --project-dir x`).
_GLOBAL_WITH_VALUE = ("--project-dir", "--profiles-dir", "--target", "-t", "--vars", "--log-format")
_GLOBAL_FLAGS = ("--debug", "--quiet", "-q", "--no-color")


def hoist_global_options(argv: list[str]) -> list[str]:
    """Move global options written after the command name in front of it, for click."""
    command_at = _command_index(argv)
    if command_at is None:
        return argv
    head, rest, moved = argv[: command_at + 1], argv[command_at + 1 :], []
    kept: list[str] = []
    i = 0
    while i < len(rest):
        arg = rest[i]
        name = arg.split("=", 1)[0]
        if arg == "--":
            kept += rest[i:]
            break
        if (name in _GLOBAL_WITH_VALUE and "=" in arg) or arg in _GLOBAL_FLAGS:
            moved.append(arg)
        elif arg in _GLOBAL_WITH_VALUE:
            if i + 1 == len(rest):  # click would say "No such option" of the command
                raise typer.BadParameter("this option needs a value", param_hint=f"'{arg}'")
            moved += [arg, rest[i + 1]]
            i += 1
        else:
            kept.append(arg)
        i += 1
    return [*moved, *head, *kept] if moved else argv


_SELECTOR_OPTIONS = ("-s", "--select", "--exclude")


def spread_selector_values(argv: list[str], takes_arguments: Callable[[str], bool]) -> list[str]:
    """`-s a b` (dbt's spelling of a union) → `-s a -s b`, for a command without positional
    arguments, where a bare word after a selector's value can only be another selector."""
    command_at = _command_index(argv)
    if command_at is None or takes_arguments(argv[command_at]):
        return argv
    out, i = argv[: command_at + 1], command_at + 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out += argv[i:]
            break
        out.append(arg)
        i += 1
        flag, joined, _ = arg.partition("=")
        if flag not in _SELECTOR_OPTIONS or (not joined and i >= len(argv)):
            continue
        if not joined:  # `-s a`: the value is the next word
            out.append(argv[i])
            i += 1
        while i < len(argv) and not argv[i].startswith("-"):
            out += [flag, argv[i]]
            i += 1
    return out


def _command_index(argv: list[str]) -> int | None:
    """Where the command name is: the first word that is neither an option nor the value of
    a global option before it."""
    i = 0
    while i < len(argv):
        if argv[i] in _GLOBAL_WITH_VALUE:
            i += 2
        elif argv[i].startswith("-"):
            i += 1
        else:
            return i
    return None


def _takes_arguments(group: Any, name: str) -> bool:
    """Whether `group`'s command `name` has positional arguments (a group counts as yes)."""
    from typer.core import TyperArgument, TyperGroup  # typer's own click, not the package

    command = group.commands.get(name) if isinstance(group, TyperGroup) else None
    if command is None or isinstance(command, TyperGroup):
        return True  # unknown, or a group (`alert …`): leave the words alone
    return any(isinstance(p, TyperArgument) for p in command.params)


class _Terminated:
    """Whether SIGTERM (a cron `timeout`, a cancelled CI job, Kubernetes) stopped the command."""

    received = False

    @classmethod
    def handle(cls, signum: int, frame: object) -> None:
        # As Ctrl-C: the run releases its lock and records itself as failed on the way out.
        # A second SIGTERM must not break that way out (the lock's release, the run record).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cls.received = True
        raise Terminated


def _interrupted() -> int:
    """Ctrl-C or SIGTERM ended the command: said on stderr (a JSON log line under
    `--log-format json`), and as the one JSON document on stdout under `--format json`."""
    from tripl_cli.cli.logs import json_logging
    from tripl_cli.errors import TriplError

    what = "terminated" if _Terminated.received else "interrupted"
    if _wants_json(sys.argv[1:]) and not console.json_printed():
        _print_error_document(TriplError(what), str)  # nothing secret to scrub
    if json_logging():
        logging.getLogger("tripl_cli.cli").error(what)
    else:
        console.err().print(what)
    return EXIT_TERMINATED if _Terminated.received else EXIT_INTERRUPTED


def run() -> None:
    """Console-script entry: user errors → message, exit 1; bugs → exit 1 (trace with --debug)."""
    debug = "--debug" in sys.argv
    signal.signal(signal.SIGTERM, _Terminated.handle)
    try:
        command = typer.main.get_command(app)  # built once: the selectors look into it too
        args = hoist_global_options(sys.argv[1:])
        if any(a.partition("=")[0] in _SELECTOR_OPTIONS for a in args):
            args = spread_selector_values(args, functools.partial(_takes_arguments, command))
        # Without standalone mode click returns (not raises) a command's typer.Exit code.
        code = command.main(args=args, standalone_mode=False)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(_interrupted())
    except BaseException as exc:
        if _Terminated.received:  # the signal broke something on its way (a pool's reset)
            sys.exit(_interrupted())
        sys.exit(_handle(exc, debug=debug, json_doc=_wants_json(sys.argv[1:])))
    if code == EXIT_INTERRUPTED or _Terminated.received:
        # typer turns Ctrl-C inside a command into Exit(130); a SIGTERM whose exception was
        # swallowed (raised inside a destructor) still ends the command as terminated.
        code = _interrupted()
    sys.exit(code if isinstance(code, int) else EXIT_OK)


_SEE_VALIDATE = "; see `tripl validate`"
_BUG_HINT = "this is a bug in tripl; rerun with --debug for the traceback and report it"


def _wants_json(args: list[str]) -> bool:
    """`--format json` on the command line: its stdout must hold one JSON document."""
    pairs = zip(args, [*args[1:], ""], strict=True)
    return "--format=json" in args or any(a == "--format" and b == "json" for a, b in pairs)


def _print_error_document(exc: BaseException, scrub: Callable[[str], str]) -> None:
    """A command asked for JSON stopped with an error: stdout still gets one document."""
    from tripl_cli.errors import ProjectInvalid, TriplError

    if isinstance(exc, TriplError):
        message, hint = exc.message, exc.hint
    elif isinstance(exc, typer.TyperException) and hasattr(exc, "format_message"):
        message, hint = exc.format_message(), None  # a usage error: its text on stderr too
    else:
        message, hint = f"internal error: {type(exc).__name__}: {exc}", _BUG_HINT
    shown_hint = scrub(hint) if hint is not None else None  # it may quote the SQL
    document: dict[str, Any] = {"status": "error", "error": scrub(message), "hint": shown_hint}
    if isinstance(exc, ProjectInvalid):
        document["issues"] = [
            {"path": i.location.path, "line": i.location.line, "col": i.location.col,
             "rule": i.rule, "severity": i.severity.value, "message": scrub(i.message)}
            for i in exc.issues
        ]  # fmt: skip
    console.print_json(document)


def _handle(exc: BaseException, *, debug: bool, json_doc: bool = False) -> int:
    from tripl_cli.cli.logs import json_logging, secret_filter
    from tripl_cli.errors import ProjectInvalid, TriplError

    # Every message below may quote a value read through env_var(): scrub before printing.
    scrub = secret_filter.scrub
    # typer vendors click; its exceptions all derive from typer.TyperException.
    if isinstance(exc, typer.Exit):
        return int(exc.exit_code)
    if isinstance(exc, typer.Abort):
        console.say("aborted", level=logging.ERROR)
        return EXIT_ERROR
    if isinstance(exc, typer.TyperException) and hasattr(exc, "show"):
        if json_logging():  # the usage line as the hint of one error record
            ctx = getattr(exc, "ctx", None)
            usage = ctx.get_usage() if ctx is not None else None
            logging.getLogger("tripl_cli.cli").error(
                "%s", exc.format_message(), extra={"hint": usage}
            )
        else:
            exc.show()  # usage errors: the command's usage line and what was wrong
        if json_doc:
            _print_error_document(exc, scrub)
        return int(getattr(exc, "exit_code", EXIT_USAGE))
    if json_doc and not console.json_printed():
        _print_error_document(exc, scrub)
    if json_logging():
        return _log_json(exc, debug=debug)
    if isinstance(exc, ProjectInvalid):
        for issue in exc.issues:
            console.err().print(_escape(scrub(issue.render())))
        message = _escape(scrub(exc.render()))
        console.err().print(f"[bold red]error:[/] {message}{_SEE_VALIDATE}")
        return EXIT_ERROR
    if isinstance(exc, TriplError):
        if debug:
            _print_traceback(exc, scrub)
        console.err().print(f"[bold red]error:[/] {_escape(scrub(exc.render()))}")
        return EXIT_ERROR
    if debug:
        _print_traceback(exc, scrub)
    else:
        what = _escape(scrub(f"{type(exc).__name__}: {exc}"))
        console.err().print(f"[bold red]internal error:[/] {what}\n  {_BUG_HINT}")
    return EXIT_ERROR


def _log_json(exc: BaseException, *, debug: bool) -> int:
    """`--log-format json`: one JSON line per problem, like every other line on stderr
    (secrets are scrubbed by the handler's filter); a hint is a field of its own."""
    from tripl_cli.errors import ProjectInvalid, TriplError

    log = logging.getLogger("tripl_cli.cli")
    trace = exc if debug else None
    if not isinstance(exc, TriplError):
        what = f"internal error: {type(exc).__name__}: {exc}"
        log.error("%s", what, exc_info=trace, extra={"hint": _BUG_HINT})
        return EXIT_ERROR
    for issue in exc.issues if isinstance(exc, ProjectInvalid) else ():
        # `Issue.render()` without its hint, which is a field here.
        where = f"{issue.location}: {issue.severity.value}[{issue.rule}]"
        log.error("%s: %s", where, issue.message, extra={"hint": issue.hint})
    message = f"{exc.location}: {exc.message}" if exc.location else exc.message
    if isinstance(exc, ProjectInvalid):
        message += _SEE_VALIDATE
    log.error("%s", message, exc_info=trace, extra={"hint": exc.hint})
    return EXIT_ERROR


def _print_traceback(exc: BaseException, scrub: Callable[[str], str]) -> None:
    """The plain traceback, secrets masked (rich's renderer would print them verbatim)."""
    import traceback

    text = "".join(traceback.format_exception(exc)).rstrip()
    console.err().print(scrub(text), markup=False, highlight=False)


def _escape(text: str) -> str:
    from tripl_cli.cli.console import escape

    return escape(text)
