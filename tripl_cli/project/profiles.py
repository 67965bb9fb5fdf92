"""profiles.yml: find it, pick the profile and target, render only that target's output.

Only the chosen output is rendered, so `prod`'s env vars need not exist on a laptop that
runs `dev`. Every value read through `env_var()` is a secret: callers mask it with
`ResolvedTarget.mask` before printing anything that might contain it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from tripl_cli.errors import MIN_SECRET_LENGTH, ConfigError, Issue, SourceLocation, mask_secrets
from tripl_cli.project.locations import NodeLocation
from tripl_cli.project.model import Project
from tripl_cli.project.schema import ProfileTarget
from tripl_cli.project.schema_errors import ErrorContext, did_you_mean, issues_from_validation
from tripl_cli.project.templating import TemplateRenderer
from tripl_cli.project.yaml_source import YamlDocument, read_yaml

logger = logging.getLogger(__name__)

PROFILES_FILE = "profiles.yml"
PROFILES_DIR_ENV = "TRIPL_PROFILES_DIR"
#: Warehouse `type` → sqlglot dialect. The last three are compile-only.
TARGET_DIALECTS: Mapping[str, str] = MappingProxyType(
    {
        "duckdb": "duckdb",
        "postgres": "postgres",
        "mysql": "mysql",
        "clickhouse": "clickhouse",
        "snowflake": "snowflake",
        "bigquery": "bigquery",
        "trino": "trino",
        "databricks": "databricks",
        "redshift": "redshift",
    }
)

#: Common spellings users reach for, read as the canonical `type`.
TYPE_ALIASES: Mapping[str, str] = MappingProxyType({"postgresql": "postgres", "mariadb": "mysql"})


@dataclass(frozen=True)
class ResolvedTarget:
    profile: str
    name: str
    config: Mapping[str, Any]  # rendered output incl. 'type', 'state', 'threads'
    profiles_path: Path
    secrets: frozenset[str]  # env_var() values (the target's, the project's): never print them

    @property
    def type(self) -> str:
        return str(self.config["type"])

    @property
    def dialect(self) -> str:
        return TARGET_DIALECTS[self.type]

    def mask(self, text: str) -> str:
        """`text` with every secret replaced by ****; longest first so overlaps mask fully."""
        return mask_secrets(text, self.secrets)


def profiles_candidates(
    project: Project, profiles_dir: Path | None, env: Mapping[str, str]
) -> list[Path]:
    """Where profiles.yml is looked for, in order (SPEC §1.2)."""
    if profiles_dir is not None:
        return [Path(profiles_dir) / PROFILES_FILE]
    out: list[Path] = []
    if env.get(PROFILES_DIR_ENV):
        out.append(Path(env[PROFILES_DIR_ENV]) / PROFILES_FILE)
    out.append(project.root / PROFILES_FILE)
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    out.append(home / ".tripl" / PROFILES_FILE)
    return out


_WARNED_DIRS: set[Path] = set()


def _warn_empty_profiles_dir(directory: Path) -> None:
    """$TRIPL_PROFILES_DIR set but holding no profiles.yml: likely a typo, so say so (once
    per process) before falling back to the next place."""
    if directory not in _WARNED_DIRS:
        _WARNED_DIRS.add(directory)
        logger.warning(
            "$%s is %s, which holds no %s; looking further", PROFILES_DIR_ENV, directory,
            PROFILES_FILE,
        )  # fmt: skip


def find_profiles(project: Project, profiles_dir: Path | None, env: Mapping[str, str]) -> Path:
    candidates = profiles_candidates(project, profiles_dir, env)
    for path in candidates:
        if path.is_file():
            return path
        if profiles_dir is None and path.parent == Path(env.get(PROFILES_DIR_ENV) or "\0"):
            _warn_empty_profiles_dir(path.parent)
    looked = ", ".join(str(p) for p in candidates)
    hint = "create profiles.yml in the project root, or pass --profiles-dir"
    if profiles_dir is not None:
        hint = "check --profiles-dir: it must be the folder that holds profiles.yml"
    raise ConfigError(f"no profiles.yml found (looked in: {looked})", hint=hint)


def _fail(issues: list[Issue], what: str, secrets: frozenset[str] = frozenset()) -> ConfigError:
    first = issues[0]
    if len(issues) == 1:  # one line, located once (not "path: … path: …")
        message = mask_secrets(first.message, secrets)
        return ConfigError(f"{what}: {message}", location=first.location, hint=first.hint)
    masked = _masked(issues, secrets)
    lines = "\n".join(f"  {issue.render()}" for issue in masked)
    error = ConfigError(f"{what}:\n{lines}")  # each line has its place and its own hint
    error.issues = masked  # for `validate`, which lists each with its place
    return error


def _masked(issues: Sequence[Issue], secrets: frozenset[str]) -> tuple[Issue, ...]:
    return tuple(
        dataclasses.replace(
            issue,
            message=mask_secrets(issue.message, secrets),
            hint=issue.hint and mask_secrets(issue.hint, secrets),
        )
        for issue in issues
    )


_PROFILE_KEYS = ("target", "outputs")


def _mapping(doc: YamlDocument, value: Any, path: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        location = doc.node.find(*path)
        raise ConfigError(f"{what} must be a mapping", location=location)
    return value


def _pick(
    options: Mapping[str, Any], wanted: str, what: str, location: SourceLocation, hint: str
) -> Any:
    if wanted in options:
        return options[wanted]
    names = ", ".join(sorted(str(k) for k in options)) or "none"
    suggestion = did_you_mean(wanted, map(str, options))
    raise ConfigError(
        f"{what} '{wanted}' not found (available: {names}){suggestion}",
        location=location,
        hint=hint,
    )


def resolve_target(
    project: Project,
    *,
    profiles_dir: Path | None = None,
    target: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ResolvedTarget:
    """The connection settings tripl should use, rendered, with the secrets they hold."""
    environ = os.environ if env is None else env
    path = find_profiles(project, profiles_dir, environ)
    rel = str(path)
    doc = read_yaml(path, rel)
    if len(doc.issues) == 1:  # "path:line:col: invalid YAML: …", the path said once
        (issue,) = doc.issues
        raise ConfigError(issue.message, location=issue.location, hint=issue.hint)
    if doc.issues:
        raise _fail(list(doc.issues), f"{rel} is not valid YAML")
    profiles = _mapping(doc, doc.data, (), rel)
    name = project.config.profile_name
    hint = f"set `profile:` in {project.config_path} or add a '{name}:' profile to {rel}"
    raw_profile = _pick(profiles, name, "profile", doc.node.location, hint)
    profile = _mapping(doc, raw_profile, (name,), f"profile '{name}'")
    for key in profile:
        if key not in _PROFILE_KEYS:  # a typo would otherwise read as "no outputs"
            raise ConfigError(
                f"unknown key '{key}' in profile '{name}'{did_you_mean(str(key), _PROFILE_KEYS)}",
                location=doc.node.key(name, str(key)),
                hint="a profile holds `target:` and `outputs:`",
            )
    renderer = TemplateRenderer(env=environ, variables=project.config.vars)
    profile_node = doc.node.children.get(name, doc.node)
    target_node = profile_node.children.get("target", profile_node)
    default_target = renderer.render_tree(profile.get("target"), target_node)
    chosen = target or default_target
    if not isinstance(chosen, str) or not chosen:
        raise ConfigError(
            f"profile '{name}' has no default `target:`",
            location=profile_node.location,
            hint="add `target: dev` to the profile or pass --target",
        )
    try:
        config, secrets = _chosen_output(
            doc, profile, profile_node, renderer, name=name, chosen=chosen, explicit=bool(target)
        )
    except ConfigError as exc:  # about the chosen target: a run's results name it
        # Every env_var() value read so far is masked, the chosen name's (`target:`) too.
        secrets = frozenset(renderer.secrets)
        masked = ConfigError(
            mask_secrets(exc.message, secrets),
            location=exc.location,
            hint=None if exc.hint is None else mask_secrets(exc.hint, secrets),
        )
        masked.target = mask_secrets(chosen, secrets)
        masked.issues = _masked(exc.issues, secrets)
        raise masked from None
    logger.debug("using profile %s, target %s from %s", name, chosen, rel)
    # The project's own env_var() values too: a metric's `where` reads them into the SQL
    # whose errors the run records and prints through this target's `mask` (as the log
    # filter does, not the short ones: a `dev` in a description would mask the target).
    project_secrets = {v for v in project.secrets if len(v) >= MIN_SECRET_LENGTH}
    return ResolvedTarget(name, chosen, MappingProxyType(config), path, secrets | project_secrets)


def _chosen_output(
    doc: YamlDocument,
    profile: dict[str, Any],
    profile_node: NodeLocation,
    renderer: TemplateRenderer,
    *,
    name: str,
    chosen: str,
    explicit: bool,
) -> tuple[dict[str, Any], frozenset[str]]:
    """Target `chosen` of profile `name`, rendered and validated, and the secrets it holds."""
    outputs = _mapping(doc, profile.get("outputs"), (name, "outputs"), f"profile '{name}' outputs")
    outputs_node = profile_node.children.get("outputs", profile_node)
    # A default `target:` that names no output is wrong where it is written; a --target
    # is checked against the outputs.
    if explicit:
        where, fix = outputs_node.location, "pass --target with one of them"
    else:
        where = profile_node.children.get("target", profile_node).location
        fix = f"fix `target:` of profile '{name}', or pass --target"
    raw_output = _pick(outputs, chosen, "target", where, fix)
    output_node = outputs_node.children.get(chosen, outputs_node)
    what = f"target '{chosen}'"
    raw = _mapping(doc, raw_output, (name, "outputs", chosen), what)
    rendered = renderer.render_tree(raw, output_node)
    secrets = frozenset(renderer.secrets)
    if renderer.issues:
        raise _fail(renderer.issues, f"{what} of profile '{name}' cannot be rendered", secrets)
    return _validate_output(rendered, output_node, what, secrets), secrets


def _validate_output(
    rendered: dict[str, Any], node: NodeLocation, what: str, secrets: frozenset[str]
) -> dict[str, Any]:
    try:
        output = ProfileTarget.model_validate(rendered)
    except ValidationError as exc:
        issues = issues_from_validation(exc, ErrorContext(ProfileTarget, node, what))
        raise _fail(issues, f"{what} is invalid", secrets) from None
    kind = TYPE_ALIASES.get(output.type, output.type)
    if kind not in TARGET_DIALECTS:
        allowed = ", ".join(TARGET_DIALECTS)
        raise ConfigError(
            f"{what}: unknown warehouse type '{output.type}' (use one of {allowed})"
            f"{did_you_mean(output.type, TARGET_DIALECTS)}",
            location=node.find("type"),
        )
    return {**rendered, "type": kind, "threads": output.threads, "state": output.state}
