"""Global flags, parsed once by the app callback and handed to every command."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer


@dataclass(frozen=True)
class GlobalOptions:
    project_dir: Path | None = None
    profiles_dir: Path | None = None
    target: str | None = None
    cli_vars: dict[str, Any] = field(default_factory=dict)
    log_format: str = "text"
    debug: bool = False
    quiet: bool = False
    no_color: bool = False


def options(ctx: typer.Context) -> GlobalOptions:
    """The global options of this invocation (defaults when a command runs standalone)."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, GlobalOptions) else GlobalOptions()
