"""`tripl diff --state DIR`: what changed since an older manifest, and what it does to values.

The older manifest (e.g. a CI artifact of `main`'s `target/`) is compared with the one the
current project would compile to, object by object: new, modified (the definition hash
differs, so values change), metadata (something else changed — status, dependencies by
name — values do not) and removed. For modified metrics, `diff_values` recomputes the last
buckets with the new definition (nothing is stored) next to the values stored by the old one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from tripl_cli.api.diff_values import ValueComparison, recent_values
from tripl_cli.project.model import Project

log = logging.getLogger(__name__)

ObjectType = Literal["fact_table", "metric"]
ChangeType = Literal["new", "modified", "metadata", "removed"]

#: Manifest fields that say where or how an object compiled, not what it is.
_NOT_COMPARED = frozenset({"path", "line", "compiled_queries", "definition_hash"})
_SECTIONS: tuple[ObjectType, ...] = ("fact_table", "metric")
DEFAULT_LAST = 7


@dataclass(frozen=True)
class FieldChange:
    field: str  # dotted path into the manifest entry, e.g. `interval`
    old: Any
    new: Any

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Change:
    object_type: ObjectType
    name: str
    change: ChangeType
    location: str | None = None  # `path:line` where it is (or was) defined
    fields: tuple[FieldChange, ...] = ()
    #: For modified objects: changed things they read (`fact_table:orders`, `metric:x`).
    causes: tuple[str, ...] = ()
    #: For a new metric: removed ones with its very definition (a rename, most likely).
    same_definition_as: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.object_type,
            "name": self.name,
            "change": self.change,
            "location": self.location,
            "fields": [f.as_json() for f in self.fields],
            "causes": list(self.causes),
            "same_definition_as": list(self.same_definition_as),
        }


@dataclass(frozen=True)
class DiffReport:
    state: str  # the older manifest's path
    changes: tuple[Change, ...]
    values: tuple[ValueComparison, ...] = ()
    target: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def count(self, change: ChangeType) -> int:
        return sum(1 for c in self.changes if c.change == change)

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "target": self.target,
            "summary": {
                kind: self.count(kind) for kind in ("new", "modified", "metadata", "removed")
            },
            "changes": [c.as_json() for c in self.changes],
            "values": {v.metric: v.as_json() for v in self.values},
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- manifests
def current_manifest(project: Project, dialect: str = "duckdb") -> dict[str, Any]:
    """The manifest `tripl compile` would write, minus its queries (not needed to diff)."""
    from tripl_cli.compiler.manifest import build_manifest
    from tripl_cli.compiler.records import CompiledPlan

    return build_manifest(project, CompiledPlan(dialect, (), ()))


def _value_changes(path: str, before: Any, after: Any) -> Iterator[FieldChange]:
    """Leaf-level differences: into mappings by key, into equal-length lists by position
    (a manifest that carries normalized definitions gets `definition.measures[0].where`)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after), key=str):
            yield from _value_changes(f"{path}.{key}", before.get(key), after.get(key))
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            yield from _value_changes(f"{path}[{i}]", b, a)
    elif before != after:
        yield FieldChange(path, before, after)


def _field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[FieldChange]:
    for key in sorted(set(old) | set(new)):
        if key not in _NOT_COMPARED:
            yield from _value_changes(key, old.get(key), new.get(key))


def _location(entry: Mapping[str, Any]) -> str | None:
    path, line = entry.get("path"), entry.get("line")
    if not path:
        return None
    return f"{path}:{line}" if line else str(path)


def _entries(manifest: Mapping[str, Any], section: ObjectType) -> dict[str, Mapping[str, Any]]:
    found = manifest.get(section + "s") or {}
    return {str(k): v for k, v in found.items() if isinstance(v, Mapping)}


def _compare(section: ObjectType, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    before, after = _entries(old, section), _entries(new, section)
    changes: list[Change] = []
    for name, entry in after.items():
        if name not in before:
            changes.append(Change(section, name, "new", _location(entry)))
            continue
        fields = tuple(_field_changes(before[name], entry))
        if before[name].get("definition_hash") != entry.get("definition_hash"):
            changes.append(Change(section, name, "modified", _location(entry), fields))
        elif fields:
            changes.append(Change(section, name, "metadata", _location(entry), fields))
    for name, entry in before.items():
        if name not in after:
            changes.append(Change(section, name, "removed", _location(entry)))
    return changes


def _with_causes(changes: list[Change], new: Mapping[str, Any]) -> list[Change]:
    """Name the changed things a modified metric reads: usually why its hash moved."""
    changed = {f"{c.object_type}:{c.name}" for c in changes if c.change in ("new", "modified")}
    metrics = _entries(new, "metric")
    out: list[Change] = []
    for change in changes:
        if change.object_type == "metric" and change.change == "modified":
            deps = metrics.get(change.name, {}).get("dependencies") or []
            change = replace(change, causes=tuple(str(d) for d in deps if d in changed))
        out.append(change)
    return out


def _with_renames(
    changes: list[Change],
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    earlier: Mapping[str, Iterable[str]],
) -> list[Change]:
    """Pair each new metric with the removed ones of the same definition hash (the hash
    leaves the name out): a rename, whose stored history stays under the old name. A
    removed metric's hash may be an earlier tripl's form of it (`earlier`: per new metric)."""
    removed_by_hash: dict[str, list[str]] = {}
    before = _entries(old, "metric")
    for c in changes:
        digest = before.get(c.name, {}).get("definition_hash")
        if c.object_type == "metric" and c.change == "removed" and digest:
            removed_by_hash.setdefault(str(digest), []).append(c.name)
    after = _entries(new, "metric")
    out: list[Change] = []
    for c in changes:
        if c.object_type == "metric" and c.change == "new":
            digests = {str(after.get(c.name, {}).get("definition_hash")), *earlier.get(c.name, ())}
            was = sorted({name for d in digests for name in removed_by_hash.get(d, ())})
            c = replace(c, same_definition_as=tuple(was))
        out.append(c)
    return out


def rename_notes(changes: Iterable[Change]) -> list[str]:
    """What a rename does to stored values, said once per renamed metric."""
    notes = []
    for c in changes:
        if c.same_definition_as:
            was = " or ".join(f"'{name}'" for name in c.same_definition_as)
            notes.append(
                f"metric '{c.name}' has the definition of removed {was}: if it is a rename,"
                f" the stored history stays under the old name and `tripl run` collects"
                f" '{c.name}' from scratch (its initial buckets); `tripl run -s {c.name}"
                f" --start DATE` backfills it from the warehouse"
            )
    return notes


def compare_manifests(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    earlier: Mapping[str, Iterable[str]] | None = None,
) -> list[Change]:
    """Fact tables, then metrics, in the new manifest's order; removed ones last.
    `earlier`: per metric, its definition's hashes as earlier tripls wrote them."""
    changes = [c for section in _SECTIONS for c in _compare(section, old, new)]
    return _with_renames(_with_causes(changes, new), old, new, earlier or {})


def with_current_hashes(manifest: Mapping[str, Any], project: Project) -> Mapping[str, Any]:
    """`manifest` with each hash that an older tripl computed for the very definition the
    project has now (`is_known_hash`) replaced by today's: it is not a modification."""
    from tripl_cli.compiler.manifest import fact_table_hash, fact_table_known_hashes
    from tripl_cli.project.semantics import definition_hash, is_known_hash

    metrics = dict(_entries(manifest, "metric"))
    for name, entry in metrics.items():
        metric = project.metrics.get(name)
        if metric is not None and is_known_hash(project, metric, entry.get("definition_hash")):
            metrics[name] = {**entry, "definition_hash": definition_hash(project, metric)}
    facts = dict(_entries(manifest, "fact_table"))
    for name, entry in facts.items():
        fact = project.fact_tables.get(name)
        if fact is not None and entry.get("definition_hash") in fact_table_known_hashes(fact):
            facts[name] = {**entry, "definition_hash": fact_table_hash(fact)}
    return {**manifest, "metrics": metrics, "fact_tables": facts}


# --------------------------------------------------------------------------- the command
def diff(
    project: Project,
    old_manifest: Mapping[str, Any],
    *,
    state_path: Path | str,
    last: int = DEFAULT_LAST,
    values: bool = True,
    profiles_dir: Path | None = None,
    target: str | None = None,
) -> DiffReport:
    """Compare with `old_manifest`; with `values`, recompute modified metrics' last buckets.

    Informational: a warehouse or state problem while comparing values becomes a note, not
    an error, so the definition diff is always shown.
    """
    from tripl_cli.errors import TriplError
    from tripl_cli.project.semantics import earlier_hashes

    if last < 1:
        raise TriplError(f"--last must be at least 1, not {last}")
    dialect = str((old_manifest.get("metadata") or {}).get("dialect") or "duckdb")
    old = with_current_hashes(old_manifest, project)
    known = _entries(old, "metric")  # a new metric may be a rename: its earlier hashes too
    earlier = {n: earlier_hashes(project, m) for n, m in project.metrics.items() if n not in known}
    changes = compare_manifests(old, current_manifest(project, dialect), earlier)
    modified = [c.name for c in changes if c.object_type == "metric" and c.change == "modified"]
    compared: tuple[ValueComparison, ...] = ()
    notes = rename_notes(changes)
    target_name: str | None = None
    if values and modified:
        # Another interval's stored buckets are no baseline for the new ones.
        regridded = {
            c.name: f"{f.old} → {f.new}"
            for c in changes
            if c.name in modified
            for f in c.fields
            if f.field == "interval"
        }
        try:
            target_name, found = recent_values(
                project,
                modified,
                last=last,
                profiles_dir=profiles_dir,
                target=target,
                regridded=regridded,
            )
            compared = tuple(found)
        except TriplError as exc:
            log.debug("value comparison failed", exc_info=True)
            notes.append(f"values not compared: {exc.render()}")
    return DiffReport(str(state_path), tuple(changes), compared, target_name, tuple(notes))
