"""`--select` / `--exclude` and alert-rule `select:` (SPEC §9).

Grammar: a selector string is space-separated *terms* (union); a term is comma-separated
*atoms* (intersection); an atom is `[+]method:value[+]` or a bare name, where `value` may use
shell wildcards (`rev*`). A leading `+` adds the metrics an atom's matches read (ancestors),
a trailing `+` the compositions that read them (descendants). Separate list items are a
union too, as in dbt.

`state:new` / `state:modified` compare with an older `manifest.json` (`--state DIR`, e.g. a
CI artifact of `main`'s `target/`): new = absent from it; modified = new, or whose
`definition_hash` differs (what changes values, SPEC §4) — as in dbt, where
`state:modified` includes new nodes. `state:modified+` adds everything downstream.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tripl_cli.errors import TriplError
from tripl_cli.project.model import Project
from tripl_cli.project.schema import AnyMetric, CompositionMetric, FactMetric, MetricStatus
from tripl_cli.project.schema_errors import did_you_mean
from tripl_cli.project.semantics import MANIFEST_VERSION, is_known_hash
from tripl_cli.timegrid import Interval

METHODS = ("metric", "fact_table", "tag", "path", "owner", "kind", "status", "interval", "state")
STATE_VALUES = ("modified", "new")
_STATE_HINT = (
    "DIR is the target/ folder of an older `tripl compile` (it holds manifest.json), "
    "e.g. a CI artifact of your main branch"
)


@dataclass(frozen=True)
class Atom:
    method: str
    value: str
    ancestors: bool = False
    descendants: bool = False


Term = tuple[Atom, ...]


def parse_atom(text: str, *, state: bool = False) -> Atom:
    """One atom; `state:` atoms only when an older manifest is at hand (`state=True`)."""
    ancestors, descendants = text.startswith("+"), text.endswith("+")
    core = text.strip("+")
    if not core:
        raise TriplError(f"empty selector {text!r}", hint="write e.g. `revenue`, `tag:finance`")
    method, sep, value = core.partition(":")
    if not sep:
        method, value = "metric", core
    if method not in METHODS:
        hint = did_you_mean(method, METHODS).strip(" ()") or f"use one of {', '.join(METHODS)}"
        raise TriplError(f"unknown selector method '{method}' in {text!r}", hint=hint)
    if not value:
        raise TriplError(f"selector {text!r} has no value", hint=f"write e.g. `{method}:name`")
    if method == "state":
        _check_state_atom(text, value, state)
    return Atom(method, value, ancestors, descendants)


def _check_state_atom(text: str, value: str, state: bool) -> None:
    if value not in STATE_VALUES:
        hint = did_you_mean(value, STATE_VALUES).strip(" ()") or "use state:modified or state:new"
        raise TriplError(f"unknown state selector '{value}' in {text!r}", hint=hint)
    if not state:
        raise TriplError(
            f"selector '{text}' needs an older manifest to compare with: "
            "`--state DIR` on the command line",
            hint=_STATE_HINT,
        )


def parse_selector(text: str, *, state: bool = False) -> list[Term]:
    """A selector string → its union of intersections (TriplError if malformed).

    `state=True` when an older manifest is available, so `state:` atoms are allowed.
    """
    terms: list[Term] = []
    for word in text.split():
        atoms = [part for part in word.split(",") if part]
        if not atoms:
            raise TriplError(f"empty selector in {text!r}")
        terms.append(tuple(parse_atom(a, state=state) for a in atoms))
    return terms


def read_state_manifest(location: Path) -> dict[str, Any]:
    """The `manifest.json` in `location` (a directory, or the file itself) for `--state`."""
    path = location / "manifest.json" if location.is_dir() else location
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TriplError(f"--state: no manifest.json in {location}", hint=_STATE_HINT) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TriplError(f"--state: cannot read {path}: {exc}", hint=_STATE_HINT) from None
    problem = _manifest_problem(document)
    if problem is not None or not isinstance(document, dict):
        raise TriplError(
            f"--state: {path} is not a tripl manifest ({problem})",
            hint="it is written by `tripl compile` into target/manifest.json",
        )
    metadata = document.get("metadata")
    version = metadata.get("manifest_version") if isinstance(metadata, dict) else None
    if isinstance(version, int) and version > MANIFEST_VERSION:
        raise TriplError(
            f"--state: {path} was written by a newer tripl (manifest v{version}; this tripl "
            f"reads v{MANIFEST_VERSION})",
            hint="compile the older manifest with this tripl's version, or upgrade tripl",
        )
    return document


def _manifest_problem(document: Any) -> str | None:
    if not isinstance(document, dict):
        return "not a JSON object"
    if "metrics" not in document:
        return "no 'metrics'"
    for section in ("metrics", "fact_tables"):
        if section in document and not isinstance(document[section], dict):
            return f"'{section}' is not an object of names"
    return None


def _old_hashes(manifest: Mapping[str, Any]) -> dict[str, str | None]:
    metrics = manifest.get("metrics") or {}
    return {
        str(name): entry.get("definition_hash") if isinstance(entry, Mapping) else None
        for name, entry in metrics.items()
    }


def _measures_tables(metric: AnyMetric) -> set[str]:
    if isinstance(metric, FactMetric):
        return {m.fact_table for m in metric.measures()}
    if isinstance(metric, CompositionMetric) and metric.per_distinct is not None:
        return {metric.per_distinct.fact_table}
    return set()


def _path_matches(path: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatchcase(path, pattern):
        return True
    return path.startswith(pattern + "/") or fnmatch.fnmatchcase(path, pattern + "/*")


def _state_matcher(
    project: Project, atom: Atom, manifest: Mapping[str, Any] | None
) -> Callable[[str, AnyMetric], bool]:
    if manifest is None:  # parse_selector refuses state: atoms without a manifest
        raise TriplError(f"selector 'state:{atom.value}' needs an older manifest", hint=_STATE_HINT)
    old = _old_hashes(manifest)
    if atom.value == "new":
        return lambda name, _m: name not in old
    return lambda name, m: name not in old or not is_known_hash(project, m, old[name])


def _matcher(
    project: Project, atom: Atom, manifest: Mapping[str, Any] | None = None
) -> Callable[[str, AnyMetric], bool]:
    value = atom.value
    if atom.method == "state":
        return _state_matcher(project, atom, manifest)

    def like(text: str | None) -> bool:
        return text is not None and fnmatch.fnmatchcase(text, value)

    if atom.method == "metric":
        return lambda name, _m: like(name)
    if atom.method == "fact_table":
        return lambda _n, m: any(like(t) for t in _measures_tables(m))
    if atom.method == "tag":
        return lambda _n, m: any(like(t) for t in m.tags)
    if atom.method == "owner":
        return lambda _n, m: like(m.owner)
    if atom.method == "kind":
        return lambda _n, m: like(m.kind)
    if atom.method == "status":
        return lambda _n, m: like(m.status.value)
    if atom.method == "interval":
        return lambda _n, m: like(project.interval_of(m).value)

    def in_path(name: str, _m: AnyMetric) -> bool:
        source = project.source_of("metric", name)
        return source is not None and _path_matches(source.path, value)

    return in_path


def reads(metric: AnyMetric) -> list[str]:
    """The metrics a composition reads (empty for other kinds)."""
    if isinstance(metric, CompositionMetric):
        return metric.parts
    return []


def _closure(start: Iterable[str], step: Callable[[str], Iterable[str]]) -> set[str]:
    out: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        for nxt in step(name):
            if nxt not in out:
                out.add(nxt)
                todo.append(nxt)
    return out


def _expand(project: Project, atom: Atom, matched: set[str]) -> set[str]:
    metrics = project.metrics
    result = set(matched)
    if atom.ancestors:
        result |= _closure(matched, lambda n: [p for p in reads(metrics[n]) if p in metrics])
    if atom.descendants:
        readers: dict[str, list[str]] = {}
        for name, metric in metrics.items():
            for part in reads(metric):
                readers.setdefault(part, []).append(name)
        result |= _closure(matched, lambda n: readers.get(n, []))
    return result


def _select_atom(
    project: Project, atom: Atom, manifest: Mapping[str, Any] | None = None
) -> set[str]:
    match = _matcher(project, atom, manifest)
    matched = {name for name, metric in project.metrics.items() if match(name, metric)}
    return _expand(project, atom, matched)


def _select_text(project: Project, text: str, manifest: Mapping[str, Any] | None) -> set[str]:
    selected: set[str] = set()
    for term in parse_selector(text, state=manifest is not None):
        sets = [_select_atom(project, atom, manifest) for atom in term]
        selected |= set.intersection(*sets)
    return selected


def select_metrics(
    project: Project,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    *,
    state_manifest: Mapping[str, Any] | None = None,
) -> list[str]:
    """Names of the selected metrics, in project order (all when `select` is empty).

    `state_manifest` is an older `manifest.json` (see `read_state_manifest`) for `state:`.
    """
    chosen: set[str] = set()
    if select:
        for text in select:
            chosen |= _select_text(project, text, state_manifest)
    else:
        chosen = set(project.metrics)
    for text in exclude:
        chosen -= _select_text(project, text, state_manifest)
    return [name for name in project.metrics if name in chosen]


def unmatched_selectors(
    project: Project,
    select: Sequence[str],
    *,
    state_manifest: Mapping[str, Any] | None = None,
) -> list[str]:
    """Atoms that match no metric, each with a "did you mean" when one is close (for warnings)."""
    out: list[str] = []
    for text in select:
        for term in parse_selector(text, state=state_manifest is not None):
            for atom in term:
                if atom.method == "state":
                    continue  # "nothing changed" is an answer, not a typo
                if not _select_atom(project, atom, state_manifest):
                    # A valid value no metric has (`interval:1w`) is not its own typo.
                    known = _known_values(project, atom.method) - {atom.value}
                    hint = did_you_mean(atom.value, known)
                    out.append(f"'{atom.method}:{atom.value}' matches no metric{hint}")
    return out


def _known_values(project: Project, method: str) -> set[str]:
    """What a selector of `method` could name in this project (for "did you mean")."""
    metrics = project.metrics.values()
    if method == "metric":
        return set(project.metrics)
    if method == "fact_table":
        return set(project.fact_tables)
    if method == "tag":
        return {tag for m in metrics for tag in m.tags}
    if method == "owner":
        return {m.owner for m in metrics if m.owner}
    if method == "kind":
        return {"fact", "sql", "composition"}
    if method == "status":
        return {status.value for status in MetricStatus}
    if method == "interval":
        return {interval.value for interval in Interval}
    if method == "path":
        found = (project.source_of("metric", name) for name in project.metrics)
        return {source.path for source in found if source is not None}
    return set()
