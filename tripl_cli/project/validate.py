"""`tripl validate`: load a project and render its issues as text, JSON or GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tripl_cli.errors import Issue, Severity
from tripl_cli.project.loader import LoadResult, load_project
from tripl_cli.textfmt import counted


def validate_project(
    project_dir: Path,
    *,
    cli_vars: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    dialect: str | None = None,
) -> LoadResult:
    """Every static check; the caller exits 1 when `result.errors` is not empty."""
    return load_project(project_dir, cli_vars=cli_vars, env=env, dialect=dialect)


def summary(result: LoadResult) -> str:
    errors, warnings = len(result.errors), len(result.warnings)
    if errors:
        return f"{counted(errors, 'error')}, {counted(warnings, 'warning')}"
    project = result.project
    if project is None:  # pragma: no cover - a None project always comes with an error
        return "project could not be loaded"
    counts = (
        f"{counted(len(project.metrics), 'metric')}, "
        f"{counted(len(project.fact_tables), 'fact table')}"
    )
    suffix = f", {counted(warnings, 'warning')}" if warnings else ""
    return f"project '{project.name}' is valid ({counts}){suffix}"


def format_text(result: LoadResult) -> str:
    """One `path:line:col: error[rule]: message` line per issue, then a summary line."""
    lines = [issue.render() for issue in result.issues]
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def _issue_json(issue: Issue) -> dict[str, Any]:
    location = issue.location
    return {
        "path": location.path,
        "line": location.line or None,
        "col": location.col or None,
        "rule": issue.rule,
        "severity": issue.severity.value,
        "message": issue.message,
        "hint": issue.hint,
    }


def format_json(result: LoadResult) -> str:
    """One JSON document: `{"valid", "errors": [...], "warnings": [...]}`."""
    document = {
        "valid": result.ok,
        "errors": [_issue_json(i) for i in result.errors],
        "warnings": [_issue_json(i) for i in result.warnings],
    }
    return json.dumps(document, indent=2) + "\n"


def _escape_data(text: str) -> str:
    # https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(result: LoadResult, *, path_prefix: str = "") -> str:
    """GitHub Actions workflow commands, one annotation per issue.

    `path_prefix` is the project's folder relative to the repository root (annotations
    need repository-relative paths).
    """
    lines: list[str] = []
    for issue in result.issues:
        command = "error" if issue.severity is Severity.ERROR else "warning"
        location = issue.location
        path = f"{path_prefix.rstrip('/')}/{location.path}" if path_prefix else location.path
        props = [f"file={_escape_property(path)}"]
        if location.line:
            props.append(f"line={location.line}")
            props.append(f"col={max(location.col, 1)}")
        props.append(f"title={_escape_property(f'tripl {issue.rule}')}")
        message = issue.message + (f" ({issue.hint})" if issue.hint else "")
        lines.append(f"::{command} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def render(result: LoadResult, fmt: str, *, path_prefix: str = "") -> str:
    """`fmt` is text | json | github."""
    if fmt == "json":
        return format_json(result)
    if fmt == "github":
        return format_github(result, path_prefix=path_prefix)
    return format_text(result)


__all__: Sequence[str] = (
    "format_github",
    "format_json",
    "format_text",
    "render",
    "summary",
    "validate_project",
)
