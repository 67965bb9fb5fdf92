"""Rendering validation issues: text for people, JSON for scripts, GitHub Actions annotations."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape

from tripl_cli.cli import console
from tripl_cli.errors import Issue, Severity


def issue_json(issue: Issue) -> dict[str, object]:
    loc = issue.location
    return {
        "path": loc.path,
        "line": loc.line or None,
        "col": loc.col or None,
        "rule": issue.rule,
        "severity": issue.severity.value,
        "message": issue.message,
        "hint": issue.hint,
    }


def _github(issue: Issue) -> str:
    def esc(text: str) -> str:  # the annotation syntax's own escapes
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    loc = issue.location
    props = [f"file={loc.path}"]
    if loc.line:
        props += [f"line={loc.line}", f"col={max(loc.col, 1)}"]
    props.append(f"title=tripl {issue.rule}")
    level = "error" if issue.severity is Severity.ERROR else "warning"
    message = issue.message + (f" ({issue.hint})" if issue.hint else "")
    return f"::{level} {','.join(props)}::{esc(message)}"


def render_issues(issues: Sequence[Issue], fmt: str, *, quiet: bool = False) -> None:
    errors = [i for i in issues if i.severity is Severity.ERROR]
    warnings = [i for i in issues if i.severity is not Severity.ERROR]
    if fmt == "json":
        console.print_json(
            {
                "valid": not errors,
                "errors": [issue_json(i) for i in errors],
                "warnings": [issue_json(i) for i in warnings],
            }
        )
        return
    if fmt == "github":
        for issue in issues:
            print(_github(issue))
        return
    for issue in issues:
        style = "red" if issue.severity is Severity.ERROR else "yellow"
        console.out().print(f"[{style}]{escape(issue.render())}[/]")
    if not quiet:
        console.err().print(
            f"{len(errors)} error(s), {len(warnings)} warning(s)"
            if issues
            else "[green]project is valid[/]"
        )
