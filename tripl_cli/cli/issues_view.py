"""Rendering validation issues: colored text for people, JSON for scripts, GitHub annotations.

The formats themselves live in `tripl_cli.project.validate`; this module only chooses where
and how they are printed.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from pathlib import Path

from tripl_cli.cli import console
from tripl_cli.cli.console import escape
from tripl_cli.errors import Issue, Severity
from tripl_cli.project.loader import LoadResult
from tripl_cli.project.validate import format_github, format_json, summary


def _repo_relative(result: LoadResult) -> LoadResult:
    """Annotations need paths relative to the checkout (`$GITHUB_WORKSPACE` in Actions,
    where a step may run in a subfolder; else cwd): each issue's path — relative to the
    project, or absolute (a profiles.yml elsewhere) — rewritten so, where it lies inside."""
    root = result.project.root if result.project else None
    if root is None:
        return result
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()

    def inside(issue: Issue) -> Issue:
        if not issue.location.path:
            return issue
        where = Path(issue.location.path)
        try:
            rel = Path(os.path.relpath((root / where).resolve(), base))
        except ValueError:  # another drive on Windows
            return issue
        if rel.parts[:1] == ("..",):
            return issue
        return dataclasses.replace(
            issue, location=dataclasses.replace(issue.location, path=rel.as_posix())
        )

    return dataclasses.replace(result, issues=tuple(inside(i) for i in result.issues))


def render_issues(result: LoadResult, fmt: str, *, quiet: bool = False) -> None:
    if fmt == "json":
        sys.stdout.write(format_json(result))
        return
    if fmt == "github":
        sys.stdout.write(format_github(_repo_relative(result)))
        return
    for issue in result.issues:
        style = "red" if issue.severity is Severity.ERROR else "yellow"
        console.out().print(f"[{style}]{escape(issue.render())}[/]")
    if not quiet:
        style = "red" if result.errors else "green"
        level = logging.ERROR if result.errors else logging.INFO
        console.say(f"[{style}]{escape(summary(result))}[/]", level=level)
