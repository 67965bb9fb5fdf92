"""Rendering validation issues: colored text for people, JSON for scripts, GitHub annotations.

The formats themselves live in `tripl_cli.project.validate`; this module only chooses where
and how they are printed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tripl_cli.cli import console
from tripl_cli.cli.console import escape
from tripl_cli.errors import Severity
from tripl_cli.project.loader import LoadResult
from tripl_cli.project.validate import format_github, format_json, summary


def _repo_relative_prefix(project_root: Path | None) -> str:
    """Annotations need repository-relative paths: the project folder relative to the
    checkout (`$GITHUB_WORKSPACE` in Actions, where a step may run in a subfolder), else
    to cwd."""
    if project_root is None:
        return ""
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
    try:
        rel = Path(os.path.relpath(project_root.resolve(), base.resolve()))
    except ValueError:  # another drive on Windows
        return ""
    return "" if str(rel) == "." or rel.parts[0] == ".." else f"{rel.as_posix()}/"


def render_issues(result: LoadResult, fmt: str, *, quiet: bool = False) -> None:
    if fmt == "json":
        sys.stdout.write(format_json(result))
        return
    if fmt == "github":
        root = result.project.root if result.project else None
        sys.stdout.write(format_github(result, path_prefix=_repo_relative_prefix(root)))
        return
    for issue in result.issues:
        style = "red" if issue.severity is Severity.ERROR else "yellow"
        console.out().print(f"[{style}]{escape(issue.render())}[/]")
    if not quiet:
        style = "red" if result.errors else "green"
        console.err().print(f"[{style}]{escape(summary(result))}[/]")
