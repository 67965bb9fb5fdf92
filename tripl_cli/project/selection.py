"""`--select` / `--exclude` and alert-rule `select:` (SPEC §9).

Grammar: a selector string is space-separated *terms* (union); a term is comma-separated
*atoms* (intersection); an atom is `[+]method:value[+]` or a bare name, where `value` may use
shell wildcards (`rev*`). A leading `+` adds the metrics an atom's matches read (ancestors),
a trailing `+` the compositions that read them (descendants). Separate list items are a
union too, as in dbt.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tripl_cli.errors import TriplError
from tripl_cli.project.model import Project
from tripl_cli.project.schema import AnyMetric, CompositionMetric, FactMetric
from tripl_cli.project.schema_errors import did_you_mean

METHODS = ("metric", "fact_table", "tag", "path", "owner", "kind", "status", "interval", "state")
_UNSUPPORTED = frozenset({"state"})


@dataclass(frozen=True)
class Atom:
    method: str
    value: str
    ancestors: bool = False
    descendants: bool = False


Term = tuple[Atom, ...]


def parse_atom(text: str) -> Atom:
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
    if method in _UNSUPPORTED:
        raise TriplError(
            f"selector '{text}' is not supported yet",
            hint="state: selectors need --state; select by name, tag or path for now",
        )
    if not value:
        raise TriplError(f"selector {text!r} has no value", hint=f"write e.g. `{method}:name`")
    return Atom(method, value, ancestors, descendants)


def parse_selector(text: str) -> list[Term]:
    """A selector string → its union of intersections (TriplError if malformed)."""
    terms: list[Term] = []
    for word in text.split():
        atoms = [part for part in word.split(",") if part]
        if not atoms:
            raise TriplError(f"empty selector in {text!r}")
        terms.append(tuple(parse_atom(a) for a in atoms))
    return terms


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


def _matcher(project: Project, atom: Atom) -> Callable[[str, AnyMetric], bool]:
    value = atom.value

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
        return [p for p in (metric.numerator, metric.denominator) if p is not None]
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


def _select_atom(project: Project, atom: Atom) -> set[str]:
    match = _matcher(project, atom)
    matched = {name for name, metric in project.metrics.items() if match(name, metric)}
    return _expand(project, atom, matched)


def _select_text(project: Project, text: str) -> set[str]:
    selected: set[str] = set()
    for term in parse_selector(text):
        sets = [_select_atom(project, atom) for atom in term]
        selected |= set.intersection(*sets)
    return selected


def select_metrics(
    project: Project, select: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[str]:
    """Names of the selected metrics, in project order (all when `select` is empty)."""
    chosen: set[str] = set()
    if select:
        for text in select:
            chosen |= _select_text(project, text)
    else:
        chosen = set(project.metrics)
    for text in exclude:
        chosen -= _select_text(project, text)
    return [name for name in project.metrics if name in chosen]


def unmatched_selectors(project: Project, select: Sequence[str]) -> list[str]:
    """Atoms that match no metric, each with a "did you mean" when one is close (for warnings)."""
    out: list[str] = []
    for text in select:
        for term in parse_selector(text):
            for atom in term:
                if not _select_atom(project, atom):
                    hint = (
                        did_you_mean(atom.value, project.metrics) if atom.method == "metric" else ""
                    )
                    out.append(f"'{atom.method}:{atom.value}' matches no metric{hint}")
    return out
