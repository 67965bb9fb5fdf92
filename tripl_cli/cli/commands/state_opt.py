"""`--state DIR`: an older `target/` (its `manifest.json`) for `state:new` / `state:modified`.

Shared by `compile`, `run`, `detect`, `backtest`, `ls` and `diff`. The manifest is read once
here so a missing or broken file is reported before any work starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="An older target/ dir (with manifest.json) for state:new / state:modified.",
    ),
]


def state_manifest(state: Path | None) -> dict[str, Any] | None:
    """The older manifest, or None without `--state` (TriplError if it cannot be read)."""
    if state is None:
        return None
    from tripl_cli.project.selection import read_state_manifest

    return read_state_manifest(state)
