"""Directories tripl writes into (target/, .tripl/, an --out folder): made, or one clear error."""

from __future__ import annotations

from pathlib import Path

from tripl_cli.errors import TriplError


def make_dir(
    path: Path,
    *,
    what: str = "the directory",
    hint: str = "move the file in its way, or choose another path",
    error: type[TriplError] = TriplError,
) -> None:
    """`path` as a directory (made if missing), or `error` saying why not (a file in its way,
    no permission) — never an OSError reported as a bug."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error(f"cannot create {what} {path}: {exc.strerror or exc}", hint=hint) from None
