"""`target-path`: the folder `tripl clean` deletes must be tripl's own output, nothing else.

`tripl clean` removes `<root>/<target-path>` recursively, so a value such as `.`, `..`,
`/tmp`, `.tripl` (the state) or a folder holding project files would delete what it must not.
`target_path_problem` is the single definition of what is allowed; `clean` re-checks it
before deleting, so a project that skipped validation still cannot lose anything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePath

from tripl_cli.errors import Issue, SourceLocation
from tripl_cli.project.rules.context import RuleContext
from tripl_cli.project.schema import ProjectConfig

#: The default state folder (`.tripl/<target>.db`), never a build output.
STATE_DIR = ".tripl"


def _overlaps(a: Path, b: Path) -> bool:
    return a == b or a in b.parents or b in a.parents


def target_path_problem(root: Path, config: ProjectConfig) -> str | None:
    """Why `config.target_path` is unsafe to delete, or None when it is a safe output folder.

    Safe: a relative path that resolves (symlinks and `..` followed) strictly inside the
    project root, and neither is, contains nor lies inside `.tripl` or any of the
    fact/metric/alert paths (other than the root itself).
    """
    raw = config.target_path
    if not raw.strip():
        return "target-path is empty"
    if PurePath(raw).is_absolute() or Path(raw).anchor:
        return f"target-path '{raw}' must be a path relative to the project root"
    base = root.resolve()
    target = (base / raw).resolve()
    if target == base:
        return f"target-path '{raw}' is the project root itself"
    if base not in target.parents:
        return f"target-path '{raw}' points outside the project root"
    if _overlaps(target, base / STATE_DIR):
        return f"target-path '{raw}' overlaps the state folder '{STATE_DIR}'"
    groups = (
        ("fact-paths", config.fact_paths),
        ("metric-paths", config.metric_paths),
        ("alert-paths", config.alert_paths),
    )
    for key, entries in groups:
        for entry in entries:
            folder = (base / entry).resolve()
            # Everything is inside an object path that is the root itself (`metric-paths:
            # [.]`); the loader skips the target folder there, so only containing it is bad.
            inside = folder != base and folder in target.parents
            if inside or target == folder or target in folder.parents:
                return f"target-path '{raw}' overlaps the {key} entry '{entry}'"
    return None


HINT = "`tripl clean` deletes it: use a folder of its own, e.g. `target-path: target`"


def check(ctx: RuleContext) -> Iterator[Issue]:
    project = ctx.project
    problem = target_path_problem(project.root, project.config)
    if problem is None:
        return
    location = (
        ctx.config_node.find("target-path")
        if ctx.config_node is not None
        else SourceLocation(project.config_path)
    )
    yield Issue("bad-target-path", problem, location, hint=HINT)
