"""Where output goes: data on stdout, humans' messages on stderr."""

from __future__ import annotations

import json
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


@cache
def _consoles(no_color: bool) -> tuple[Console, Console]:
    from rich.console import Console

    return (
        Console(no_color=no_color, highlight=False, soft_wrap=True),
        Console(stderr=True, no_color=no_color, highlight=False, soft_wrap=True),
    )


_no_color = False


def configure(*, no_color: bool) -> None:
    global _no_color
    _no_color = no_color


def out() -> Console:
    """stdout: the command's result."""
    return _consoles(_no_color)[0]


def err() -> Console:
    """stderr: progress, warnings and errors."""
    return _consoles(_no_color)[1]


def print_json(document: Any) -> None:
    """One JSON document on stdout and nothing else (SPEC §9)."""
    sys.stdout.write(json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()
