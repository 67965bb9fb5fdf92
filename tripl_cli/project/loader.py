"""Load a project from disk: tripl_project.yml, then every YAML file under the object paths.

Loading never stops at the first problem: every file is read, every object validated, and
then the cross-object rules run over whatever was valid, so one `tripl validate` shows
everything wrong at once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from tripl_cli.errors import (
    Issue,
    ProjectInvalid,
    Severity,
    SourceLocation,
    TriplError,
    mask_secrets,
)
from tripl_cli.project.locations import NodeLocation, ObjectSource
from tripl_cli.project.model import ObjectKind, Project
from tripl_cli.project.objects import Collected, add_object, validate_object
from tripl_cli.project.rules import RuleContext, run_rules
from tripl_cli.project.schema import TOP_LEVEL_KINDS, DestinationBase, ProjectConfig
from tripl_cli.project.schema_errors import (
    ErrorContext,
    describe,
    did_you_mean,
    issues_from_validation,
)
from tripl_cli.project.templating import TemplateRenderer
from tripl_cli.project.yaml_source import YamlDocument, read_yaml

logger = logging.getLogger(__name__)

PROJECT_FILE = "tripl_project.yml"
_PROJECT_FILES = (PROJECT_FILE, "tripl_project.yaml")
_ROOT_FILES_SKIPPED = frozenset({*_PROJECT_FILES, "profiles.yml", "profiles.yaml"})
_PATH_KEYS = ("fact-paths", "metric-paths", "alert-paths")


@dataclass(frozen=True)
class LoadResult:
    """The project (None only when tripl_project.yml itself is unusable) and every issue."""

    project: Project | None
    issues: tuple[Issue, ...]
    #: Values project files read from the environment (e.g. a webhook URL): never print them.
    secrets: frozenset[str] = frozenset()

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return self.project is not None and not self.errors


def find_project_root(start: Path) -> Path:
    """The nearest directory at or above `start` holding tripl_project.yml."""
    here = start.resolve()
    if not here.exists():
        raise TriplError(
            f"{start} does not exist",
            hint="pass --project-dir the folder that holds tripl_project.yml",
        )
    for directory in (here, *here.parents):
        if any((directory / name).is_file() for name in _PROJECT_FILES):
            return directory
    raise TriplError(
        f"no {PROJECT_FILE} found in {start} or any parent directory",
        hint="run inside a tripl project, pass --project-dir, or create one with `tripl init`",
    )


def _project_file(root: Path) -> Path | None:
    return next((root / n for n in _PROJECT_FILES if (root / n).is_file()), None)


def _render_config(
    doc: YamlDocument, cli_vars: Mapping[str, Any], env: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any], list[Issue], frozenset[str]]:
    """Render tripl_project.yml: its `vars:` first (they feed every other value)."""
    data = cast(dict[str, Any], doc.data)
    first = TemplateRenderer(env=env, variables=cli_vars)
    raw_vars = data.get("vars")
    project_vars: dict[str, Any] = {}
    if isinstance(raw_vars, dict):
        project_vars = first.render_tree(raw_vars, doc.node.children.get("vars", doc.node))
    merged = {**project_vars, **cli_vars}
    second = TemplateRenderer(env=env, variables=merged)
    rest = {k: v for k, v in data.items() if k != "vars"}
    rendered = second.render_tree(rest, doc.node)
    if "vars" in data and not isinstance(raw_vars, dict):
        rendered["vars"] = raw_vars  # not a mapping: the schema reports it
    elif merged:
        # What `var()` sees everywhere, `--vars` included: profiles.yml renders with these.
        rendered["vars"] = merged
    secrets = frozenset(first.secrets | second.secrets)
    return rendered, merged, [*first.issues, *second.issues], secrets


def _fallback_config(data: Mapping[str, Any]) -> ProjectConfig:
    """Paths and defaults from the keys that were fine, so object files still get checked."""
    good: dict[str, Any] = {"name": "project"}
    for key, value in data.items():
        trial = {**good, str(key): value}
        try:
            ProjectConfig.model_validate(trial)
        except ValidationError:
            continue
        good = trial
    return ProjectConfig.model_validate(good)


@dataclass
class _ConfigLoad:
    config: ProjectConfig | None  # None when tripl_project.yml is unusable
    usable: ProjectConfig  # what to keep checking the other files with
    variables: dict[str, Any]
    path: str
    issues: list[Issue]
    #: The *-paths keys the user wrote, with where: a missing default folder is fine.
    explicit_paths: dict[str, SourceLocation]
    node: NodeLocation | None = None
    secrets: frozenset[str] = field(default_factory=frozenset)


def _load_config(root: Path, cli_vars: Mapping[str, Any], env: Mapping[str, str]) -> _ConfigLoad:
    file = _project_file(root)
    placeholder = ProjectConfig(name="project")
    if file is None:
        location = SourceLocation(PROJECT_FILE)
        hint = "pass --project-dir with the folder that holds it, or run `tripl init`"
        issue = Issue("no-project", f"{PROJECT_FILE} not found", location, hint=hint)
        return _ConfigLoad(None, placeholder, dict(cli_vars), PROJECT_FILE, [issue], {})
    rel = file.name
    doc = read_yaml(file, rel)
    issues = list(doc.issues)
    if not isinstance(doc.data, dict):
        if not issues:
            message = f"{rel} must be a mapping with at least `name:`"
            issues.append(Issue("wrong-type", message, doc.node.location))
        return _ConfigLoad(None, placeholder, dict(cli_vars), rel, issues, {}, doc.node)
    explicit = {key: doc.node.find(key) for key in _PATH_KEYS if key in doc.data}
    data, merged_vars, render_issues, secrets = _render_config(doc, cli_vars, env)
    issues += render_issues
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as exc:
        issues += issues_from_validation(exc, ErrorContext(ProjectConfig, doc.node, rel))
        usable = _fallback_config(data)
        return _ConfigLoad(None, usable, merged_vars, rel, issues, explicit, doc.node, secrets)
    return _ConfigLoad(config, config, merged_vars, rel, issues, explicit, doc.node, secrets)


def _relative(root: Path, file: Path) -> str:
    return Path(os.path.relpath(file, root)).as_posix()


def _object_files(
    root: Path, config: ProjectConfig, explicit: Mapping[str, SourceLocation]
) -> Iterator[Path | Issue]:
    """Every YAML file under the configured paths once, sorted; skips tripl's own folders."""
    skipped_dirs = {(root / config.target_path).resolve(), (root / ".tripl").resolve()}
    groups = [
        ("fact-paths", config.fact_paths),
        ("metric-paths", config.metric_paths),
        ("alert-paths", config.alert_paths),
    ]
    seen: set[Path] = set()
    found: list[Path] = []
    for key, paths in groups:
        for entry in paths:
            base = (root / entry).resolve()
            if not base.exists():
                if key in explicit:
                    message = f"{key} entry '{entry}' does not exist"
                    yield Issue("missing-path", message, explicit[key], Severity.WARNING)
                continue
            candidates = [base] if base.is_file() else _files_under(base)
            for file in candidates:
                if file.suffix not in (".yml", ".yaml") or not file.is_file():
                    continue
                resolved = file.resolve()
                # `file` lies under `base`; a symlink may resolve anywhere (its own folders
                # are not this project's to judge).
                parts = file.relative_to(base).parts if file != base else ()
                if any(p.startswith(".") for p in parts[:-1]) or resolved in seen:
                    continue
                if any(d == resolved or d in resolved.parents for d in skipped_dirs):
                    continue
                if resolved.parent == root.resolve() and resolved.name in _ROOT_FILES_SKIPPED:
                    continue
                seen.add(resolved)
                found.append(file)
    yield from sorted(found, key=lambda f: _relative(root, f))


def _files_under(base: Path) -> Iterator[Path]:
    """Every file under `base`, through symlinked folders too (a shared folder of metrics
    linked into the project), each real folder once, so a link cycle ends. Links are walked
    last: a folder also reachable without one is read under its own path (`path:` selectors
    and the manifest name files by it), never through a link that happens to sort first."""
    visited: set[Path] = set()
    links: list[Path] = []
    for folder, dirs, files in os.walk(base):  # links listed in `dirs`, not followed
        visited.add(Path(folder).resolve())
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # skipped below anyway
        links += [Path(folder) / d for d in dirs if (Path(folder) / d).is_symlink()]
        yield from (Path(folder) / name for name in sorted(files))
    for link in links:
        for folder, dirs, files in os.walk(link, followlinks=True):
            real = Path(folder).resolve()
            if real in visited:
                dirs.clear()
                continue
            visited.add(real)
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            yield from (Path(folder) / name for name in sorted(files))


def _read_objects(
    root: Path, file: Path, renderer: TemplateRenderer, collected: Collected
) -> list[Issue]:
    rel = _relative(root, file)
    doc = read_yaml(file, rel)
    issues = list(doc.issues)
    if doc.data is None:
        if issues:
            collected.unreadable.append(rel)
        return issues
    if not isinstance(doc.data, dict):
        kinds = ", ".join(f"`{k}:`" for k in TOP_LEVEL_KINDS)
        message = f"a project file must be a mapping of lists ({kinds})"
        return [*issues, Issue("wrong-type", message, doc.node.location)]
    for key, items in doc.data.items():
        issues += _read_list(str(key), items, doc.node, renderer, collected, rel)
    return issues


def _read_list(
    key: str,
    items: Any,
    node: NodeLocation,
    renderer: TemplateRenderer,
    collected: Collected,
    rel: str,
) -> list[Issue]:
    if key not in TOP_LEVEL_KINDS:
        allowed = ", ".join(TOP_LEVEL_KINDS)
        hint = did_you_mean(key, TOP_LEVEL_KINDS)
        message = f"unknown top-level key '{key}' (allowed: {allowed}){hint}"
        return [Issue("unknown-key", message, node.key(key))]
    list_node = node.children.get(key, node)
    if items is None:
        return []
    if not isinstance(items, list):
        message = f"`{key}:` must be a list, got {describe(items)}"
        return [Issue("wrong-type", message, list_node.location)]
    kind = cast(ObjectKind, TOP_LEVEL_KINDS[key])
    issues: list[Issue] = []
    for index, raw in enumerate(items):
        item_node = list_node.children.get(index, list_node)
        rendered_before = len(renderer.issues)
        unset_before = len(renderer.unset_env)
        data = _render_item(renderer, kind, raw, item_node)
        template_issues = renderer.issues[rendered_before:]
        issues += template_issues
        obj, problems = validate_object(kind, data, item_node, f"{key}[{index}]")
        # A value whose template failed is reported once, not again as a wrong type (a
        # deferred secret is a warning: the empty value it leaves is still validated).
        failed = {i.location for i in template_issues if i.severity is Severity.ERROR}
        issues += [p for p in problems if p.location not in failed]
        issues += add_object(collected, kind, obj, data, ObjectSource(rel, item_node))
        unset = tuple(dict.fromkeys(renderer.unset_env[unset_before:]))
        if unset and isinstance(obj, DestinationBase):
            collected.unset_env[obj.name] = unset
    return issues


#: Values rendered later, not at load time: an alert rule's `template` is a Jinja template of
#: its own (rendered per message with `item`, `rule`, …), which load-time rendering would break.
_RENDERED_LATER: dict[str, frozenset[str]] = {"alert_rule": frozenset({"template"})}


def _render_item(renderer: TemplateRenderer, kind: str, raw: Any, node: NodeLocation) -> Any:
    later = _RENDERED_LATER.get(kind, frozenset())
    if not isinstance(raw, dict) or not later.intersection(raw):
        # A destination's secrets are needed only to deliver (`TemplateRenderer.render`).
        return renderer.render_tree(raw, node, defer_env=kind == "destination")
    rendered = renderer.render_tree({k: v for k, v in raw.items() if k not in later}, node)
    return {k: raw[k] if k in later else rendered[k] for k in raw}


#: A dialect name, a function of the project that finds one (None: not known), or None.
Dialect = str | Callable[[Project], str | None] | None


def load_project(
    project_dir: Path,
    *,
    cli_vars: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    dialect: Dialect = None,
) -> LoadResult:
    """Read, render and validate a project; all issues in one pass, never an exception.

    `dialect` (the target's sqlglot dialect, when known — or a function finding it from the
    project read so far, e.g. through its profile) makes SQL checks exact; without it the SQL
    is parsed permissively.
    """
    root = Path(project_dir)
    environ = os.environ if env is None else env
    loaded = _load_config(root, cli_vars or {}, environ)
    if _project_file(root) is None:
        return LoadResult(None, tuple(loaded.issues))
    config, usable, merged_vars, config_path, issues = (
        loaded.config,
        loaded.usable,
        loaded.variables,
        loaded.path,
        loaded.issues,
    )
    raw_keys = loaded.explicit_paths
    renderer = TemplateRenderer(env=environ, variables=merged_vars)
    collected = Collected()
    for entry in _object_files(root, usable, raw_keys):
        if isinstance(entry, Issue):
            issues.append(entry)
        else:
            issues += _read_objects(root, entry, renderer, collected)
    secrets = frozenset(renderer.secrets | loaded.secrets)
    project = Project(
        root=root,
        config=usable,
        fact_tables=collected.objects["fact_table"],
        metrics=collected.objects["metric"],
        destinations=collected.objects["destination"],
        alert_rules=collected.objects["alert_rule"],
        sources=collected.sources,
        unset_env=collected.unset_env,
        config_path=config_path,
        secrets=secrets,
    )
    invalid = {kind: frozenset(names) for kind, names in collected.invalid.items()}
    exact = dialect(project) if callable(dialect) else dialect
    found = run_rules(RuleContext(project, invalid, exact, loaded.node))
    if collected.unreadable:
        # A file that is not YAML hides which objects it declares: a reference to one of
        # them would be reported as unknown, in files nobody touched.
        found = [i for i in found if i.rule not in _HIDDEN_BY_UNREADABLE_FILES]
    issues += found
    ordered = tuple(_masked(issue, secrets) for issue in sorted(issues, key=_position))
    logger.debug("loaded %s: %d issues", root, len(ordered))
    return LoadResult(project if config is not None else None, ordered, secrets)


#: Rules about references to objects, which an unreadable file may declare.
_HIDDEN_BY_UNREADABLE_FILES = frozenset(
    {"unknown-fact-table", "unknown-metric", "unknown-destination", "empty-selection"}
)


def _masked(issue: Issue, secrets: frozenset[str]) -> Issue:
    """Issue messages quote values; those read from the environment must not show."""
    message = mask_secrets(issue.message, secrets)
    return issue if message == issue.message else replace(issue, message=message)


def _position(issue: Issue) -> tuple[str, int, int]:
    return (issue.location.path, issue.location.line, issue.location.col)


def load_project_or_raise(
    project_dir: Path,
    *,
    cli_vars: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    dialect: str | None = None,
) -> Project:
    """The project, or `ProjectInvalid` carrying every issue when there is any error."""
    result = load_project(project_dir, cli_vars=cli_vars, env=env, dialect=dialect)
    if result.project is None or result.errors:
        raise ProjectInvalid(issues=list(result.issues))
    return result.project
