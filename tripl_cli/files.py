"""Directories tripl writes into (target/, .tripl/, an --out folder): made, or one clear error."""

from __future__ import annotations

import tempfile
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


def writable_dir(path: Path, *, what: str = "the directory") -> None:
    """`path` as a directory tripl can write files in (made if missing), or one clear error.
    Tried with a file, not `os.access`: a read-only mount, ACLs and root all answer alike."""
    make_dir(path, what=what)
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".tripl-write-check-"):
            pass
    except OSError as exc:
        raise TriplError(
            f"cannot write files in {what} {path}: {exc.strerror or exc}",
            hint="make it writable, or point `target-path` in tripl_project.yml elsewhere",
        ) from None
