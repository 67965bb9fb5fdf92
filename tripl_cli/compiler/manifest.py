"""`target/manifest.json`: every object, where it is defined, and what it compiled to.

The manifest is deterministic for one project and plan (no timestamps), so it can be diffed
in CI. Destinations carry only their name, type and location: their settings hold secrets.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import PurePosixPath
from typing import Any

from tripl_cli.compiler.records import CompiledPlan, CompiledQuery
from tripl_cli.project import semantics
from tripl_cli.project.model import ObjectKind, Project
from tripl_cli.project.schema import FactTable
from tripl_cli.version import installed_version

MANIFEST_VERSION = semantics.MANIFEST_VERSION


def compiled_path(query: CompiledQuery) -> PurePosixPath:
    """Where `tripl compile` writes a query, relative to `target/compiled/`.

    `<fact_table>/<interval>[__<breakdown>].sql` (SPEC §5); SQL metrics go to
    `metrics/<name>.sql`; a query id with a window suffix keeps it in the file name.
    """
    if query.fact_table is None:
        return PurePosixPath("metrics", _safe(query.id.removeprefix("metric__")) + ".sql")
    stem = query.id.removeprefix(query.fact_table + "__")
    return PurePosixPath(query.fact_table, _safe(stem) + ".sql")


def compiled_files(query: CompiledQuery) -> list[tuple[PurePosixPath, str]]:
    """(path, SQL) of each file `tripl compile` writes for a query: the query, then its
    variant and the variant's probe beside it (`1d.bitmap.sql`, `1d.bitmap_probe.sql`)."""
    path = compiled_path(query)
    files = [(path, query.sql)]
    if query.variant is not None:
        stem = f"{path.stem}.{query.variant.shape}"
        files.append((path.with_name(stem + ".sql"), query.variant.sql))
        files.append((path.with_name(stem + "_probe.sql"), query.variant.probe_sql))
    return files


def _safe(stem: str) -> str:
    """A file name from a query id: breakdown column names may hold `/`, `..` or worse."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem).replace("..", "__").lstrip(".") or "_"


def _location(project: Project, kind: ObjectKind, name: str) -> dict[str, Any]:
    location = project.location_of(kind, name)
    return {"path": location.path, "line": location.line or None}


def fact_table_hash(fact: FactTable, *, as_written: bool = False) -> str:
    """A hash of what changes a fact table's rows (not its description, owner or tags).

    Its SQL counts as tokens (`semantics.normalized_sql`), as in a metric's hash, so
    reformatting it is not a modification; `as_written` hashes the raw text, as tripl did
    before (`fact_table_known_hashes`).
    """
    payload = fact.model_dump(
        mode="json",
        include={
            "sql": True,
            "timestamp_column": True,
            "row_filters": {"__all__": {"name", "sql", "conditions"}},
            "columns": {"__all__": {"name", "type"}},
        },
    )
    if not as_written:
        payload["sql"] = semantics.normalized_sql(payload["sql"])
        for row_filter in payload.get("row_filters") or ():
            if row_filter.get("sql") is not None:
                row_filter["sql"] = semantics.normalized_sql(row_filter["sql"])
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def fact_table_known_hashes(fact: FactTable) -> frozenset[str]:
    """Every hash a manifest may hold for this very fact table: today's, and the raw-text
    one an older tripl wrote."""
    return frozenset({fact_table_hash(fact), fact_table_hash(fact, as_written=True)})


def _query_ids(plan: CompiledPlan) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    by_metric: dict[str, list[str]] = {}
    by_fact: dict[str, list[str]] = {}
    for query in plan.queries:
        for metric in query.metrics:
            by_metric.setdefault(metric, []).append(query.id)
        if query.fact_table is not None:
            by_fact.setdefault(query.fact_table, []).append(query.id)
    return by_metric, by_fact


def _fact_tables(project: Project, by_fact: dict[str, list[str]]) -> dict[str, Any]:
    return {
        name: {
            **_location(project, "fact_table", name),
            "definition_hash": fact_table_hash(fact),
            "timestamp_column": fact.timestamp_column,
            "row_filters": [f.name for f in fact.row_filters],
            "compiled_queries": by_fact.get(name, []),
        }
        for name, fact in project.fact_tables.items()
    }


def _metrics(project: Project, by_metric: dict[str, list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, metric in project.metrics.items():
        interval = project.interval_of(metric)
        out[name] = {
            **_location(project, "metric", name),
            "kind": metric.kind,
            "status": metric.status.value,
            "interval": interval.value,
            "value_kind": semantics.value_kind(project, metric).value,
            "definition_hash": semantics.definition_hash(project, metric),
            "dependencies": semantics.dependencies(project, metric),
            "breakdowns": list(metric.breakdowns),
            "compiled_queries": by_metric.get(name, []),
        }
    return out


def _queries(plan: CompiledPlan) -> dict[str, Any]:
    return {
        query.id: {
            "kind": query.kind,
            "fact_table": query.fact_table,
            "interval": query.interval.value,
            "breakdown": query.breakdown,
            "window": {
                "start": query.window.start.isoformat(),
                "end": query.window.end.isoformat(),
            },
            "metrics": list(query.metrics),
            "path": str(PurePosixPath("compiled") / compiled_path(query)),
            **_variant(query),
        }
        for query in plan.queries
    }


def _variant(query: CompiledQuery) -> dict[str, Any]:
    if query.variant is None:
        return {}
    _, sql, probe = (str(PurePosixPath("compiled") / path) for path, _ in compiled_files(query))
    return {"variant": {"shape": query.variant.shape, "path": sql, "probe_path": probe}}


def build_manifest(project: Project, plan: CompiledPlan) -> dict[str, Any]:
    """The manifest as a JSON-ready dict."""
    by_metric, by_fact = _query_ids(plan)
    return {
        "metadata": {
            "manifest_version": MANIFEST_VERSION,
            "tripl_version": installed_version(),
            "project": project.name,
            "dialect": plan.dialect,
        },
        "fact_tables": _fact_tables(project, by_fact),
        "metrics": _metrics(project, by_metric),
        "queries": _queries(plan),
        "destinations": {
            name: {**_location(project, "destination", name), "type": dest.type}
            for name, dest in project.destinations.items()
        },
        "alert_rules": {
            name: {**_location(project, "alert_rule", name), "destination": rule.destination}
            for name, rule in project.alert_rules.items()
        },
    }
