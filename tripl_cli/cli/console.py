"""Where output goes: data on stdout, humans' messages on stderr."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from functools import cache
from logging import INFO
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


#: Control characters but newline and tab (C0, DEL, C1): from a warehouse value or a YAML
#: string they would move the cursor, clear the screen or retitle the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible_controls(text: str) -> str:
    """`text` with its control characters (but newline and tab) shown as `\\x1b`."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def escape(text: str) -> str:
    """`text` safe to print with rich: markup escaped, control characters shown."""
    from rich.markup import escape as escape_markup

    return escape_markup(visible_controls(text))


#: Width of output that is not a terminal (a pipe, a file, CI logs), unless $COLUMNS says:
#: rich's default of 80 would cut table cells (`order_dr…`) that scripts grep for.
PIPE_WIDTH = 250


@cache
def _consoles(no_color: bool, json_lines: bool) -> tuple[Console, Console]:
    # Under `--log-format json` each print on stderr becomes one `info` log line.
    logs = _LogLines() if json_lines else None
    return _console(sys.stdout, no_color), _console(sys.stderr, no_color, stderr=True, file=logs)


def _console(
    stream: Any, no_color: bool, *, stderr: bool = False, file: IO[str] | None = None
) -> Console:
    from rich.console import Console

    # No `file=` for the standard streams: rich writes to whatever sys.stdout/err is at print
    # time (tests swap them).
    piped = file is not None or (
        not (hasattr(stream, "isatty") and stream.isatty()) and "COLUMNS" not in os.environ
    )
    plain = file is not None or no_color or bool(os.environ.get("NO_COLOR"))  # no-color.org
    return Console(
        file=file,
        stderr=stderr,
        no_color=plain,
        color_system=None if plain else "auto",  # --no-color: no bold or dim either
        highlight=False,
        emoji=False,  # `path:100:3` and a value ':thumbs_up:' are text, not emoji codes
        soft_wrap=True,
        width=PIPE_WIDTH if piped else None,
    )


class _LogLines(io.StringIO):
    """A text stream whose every write is one record for tripl's log handlers.

    rich writes a whole `print` at once (a table is one record); going through the
    handlers gives the JSON shape and the secret masking of every other line on stderr.
    """

    def write(self, text: str) -> int:
        if text.strip():
            emit(text.strip("\n").rstrip())
        return len(text)


def emit(message: str, fields: Mapping[str, Any] | None = None, *, level: int = INFO) -> None:
    """One record for tripl's handlers, whatever the logger's level: narrative the command
    chose to print (`--quiet` is the command's own check), with structured fields."""
    logger = logging.getLogger("tripl_cli.cli")
    record = logger.makeRecord(logger.name, level, "(console)", 0, message, (), None)
    record.tripl_fields = dict(fields or {})
    logger.handle(record)  # its handlers and filters (secrets), but no level check


def say(markup: str, *, level: int = INFO) -> None:
    """A line for people on stderr (rich markup); under `--log-format json`, a record at
    `level` (a failed verdict is an error to a log collector, not an info)."""
    if not _json_lines:
        err().print(markup)
        return
    from rich.text import Text

    emit(Text.from_markup(markup).plain, level=level)


_no_color = False
_json_lines = False


def configure(*, no_color: bool, json_lines: bool = False) -> None:
    """`json_lines`: `--log-format json`, where every line on stderr is a JSON log record."""
    global _no_color, _json_lines
    _no_color, _json_lines = no_color, json_lines


def json_lines() -> bool:
    return _json_lines


def in_ci() -> bool:
    """`CI=true`, as CI services set it: no progress bars (a runner may give a terminal),
    no alerts unless asked (docs/alerts.md)."""
    return os.environ.get("CI", "").lower() == "true"


def out() -> Console:
    """stdout: the command's result."""
    return _consoles(_no_color, _json_lines)[0]


def err() -> Console:
    """stderr: progress, warnings and errors."""
    return _consoles(_no_color, _json_lines)[1]


_json_printed = False


def print_json(document: Any) -> None:
    """One JSON document on stdout and nothing else (SPEC §9)."""
    global _json_printed
    sys.stdout.write(json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    _json_printed = True


def json_printed() -> bool:
    """Whether this process printed its JSON document already (an error after it adds none)."""
    return _json_printed
