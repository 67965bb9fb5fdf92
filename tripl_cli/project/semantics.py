"""What a metric means beyond its YAML: value kind, dependencies, identity of its values.

`definition_hash` covers exactly what changes a metric's values (SPEC §4): a new
description or owner keeps history; a new filter, column or interval drops and recollects
it. Row filters enter by definition, not by name, so renaming a filter changes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlglot.tokenizer_core import TokenType
from sqlglot.tokens import Tokenizer

from tripl_cli.errors import TriplError
from tripl_cli.project.condition_time import declared_types, in_utc
from tripl_cli.project.model import Project
from tripl_cli.project.schema import (
    DEFAULT_BREAKDOWN_LIMIT,
    Aggregation,
    AnyMetric,
    CompositionMetric,
    Condition,
    FactMetric,
    FactTable,
    Measure,
    SqlMetric,
)
from tripl_cli.types import ValueKind

#: Bump when the hashed representation changes meaning (forces recollection everywhere).
HASH_VERSION = 1
#: The layout of target/manifest.json (`tripl compile` writes it; `--state` reads one).
MANIFEST_VERSION = 1
_COUNT_SHAPED = frozenset({Aggregation.COUNT, Aggregation.COUNT_DISTINCT})


def value_kind(project: Project, metric: AnyMetric) -> ValueKind:
    """Count-shaped (fact count / count_distinct) or fractional (everything else)."""
    del project  # kinds depend on the metric alone today; kept for a stable signature
    if isinstance(metric, FactMetric) and not metric.is_ratio:
        return ValueKind.COUNT if metric.aggregation in _COUNT_SHAPED else ValueKind.FRACTIONAL
    return ValueKind.FRACTIONAL


def dependencies(project: Project, metric: AnyMetric) -> list[str]:
    """What a metric reads: `fact_table:<name>` and `metric:<name>`, in first-use order."""
    del project
    out: list[str] = []
    if isinstance(metric, FactMetric):
        out = [f"fact_table:{m.fact_table}" for m in metric.measures()]
    elif isinstance(metric, CompositionMetric):
        out = [f"metric:{p}" for p in metric.parts]
        if metric.per_distinct is not None:
            out.append(f"fact_table:{metric.per_distinct.fact_table}")
    return list(dict.fromkeys(out))


def _conditions(conditions: Iterable[Condition], table: FactTable | None) -> list[Any]:
    # Timestamps as the instant they mean (as compiled): an offset's spelling is no change,
    # and values whose meaning changed (tripl rendered them as written) are recollected.
    types = declared_types(table) if table is not None else {}
    items = [in_utc(c, types.get(c.column.lower())).model_dump(mode="json") for c in conditions]
    return sorted(items, key=lambda c: json.dumps(c, sort_keys=True))  # AND is commutative


#: Tokens whose text is kept exactly, marked by their quotes: string literals and quoted
#: names. Every other token is upper-cased — keywords and unquoted names alike, which keeps
#: the hash independent of which words a sqlglot release counts as keywords.
_QUOTED: Mapping[TokenType, str] = MappingProxyType(
    {TokenType.STRING: "'", TokenType.NATIONAL_STRING: "'", TokenType.IDENTIFIER: '"'}
)


@functools.lru_cache(maxsize=4096)
def normalized_sql(text: str) -> str:
    """SQL as its tokens: whitespace, comments and the case of keywords and unquoted names do
    not change a definition (SPEC §4's normalized hash), so reformatting keeps the history."""
    try:
        tokens = Tokenizer().tokenize(text)
    except Exception:  # not SQL sqlglot can read (templating, an engine's own syntax)
        return " ".join(text.split())
    return " ".join(
        f"{quote}{t.text}{quote}" if (quote := _QUOTED.get(t.token_type)) else t.text.upper()
        for t in tokens
    )


#: How SQL text enters the hash: as tokens (`_as_tokens`), or as written (`_as_written`,
#: how tripl hashed it before it normalized SQL).
_Sql = Callable[[str | None], str | None]


def _as_tokens(text: str | None) -> str | None:
    return None if text is None else normalized_sql(text)


def _as_written(text: str | None) -> str | None:
    return text


def _breakdown_set(metric: FactMetric) -> dict[str, Any]:
    """The breakdown columns as a set, and their limit only where there are breakdowns:
    neither the list's order nor a limit on nothing changes a value."""
    limit = metric.breakdown_limit if metric.breakdowns else DEFAULT_BREAKDOWN_LIMIT
    return {"breakdowns": sorted(metric.breakdowns), "breakdown_limit": limit}


def _breakdowns_as_listed(metric: FactMetric) -> dict[str, Any]:
    return {"breakdowns": list(metric.breakdowns), "breakdown_limit": metric.breakdown_limit}


def _no_breakdowns(_metric: FactMetric) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class _Form:
    """One way tripl has written a definition into its hash."""

    sql: _Sql
    breakdowns: Callable[[FactMetric], dict[str, Any]]
    #: A composition reads its parts' totals only: their breakdowns change none of its values.
    parts_without_breakdowns: bool = False

    def for_parts(self) -> _Form:
        if not self.parts_without_breakdowns:
            return self
        return _Form(self.sql, _no_breakdowns, parts_without_breakdowns=True)


_CURRENT = _Form(_as_tokens, _breakdown_set, parts_without_breakdowns=True)
#: Earlier forms, still recognized so an upgrade relabels history instead of dropping it:
#: parts with their breakdowns (before compositions left them out), breakdowns as listed
#: (before they were a set), and SQL as written (before tokens).
_EARLIER = (
    _Form(_as_tokens, _breakdown_set),
    _Form(_as_tokens, _breakdowns_as_listed),
    _Form(_as_written, _breakdowns_as_listed),
)


def _table(table: FactTable | None, name: str, sql: _Sql) -> dict[str, Any]:
    if table is None:
        return {"missing": name}
    return {"sql": sql(table.sql), "timestamp_column": table.timestamp_column}


def _measure(project: Project, measure: Measure, sql: _Sql) -> dict[str, Any]:
    table = project.fact_tables.get(measure.fact_table)
    filters: list[Any] = []
    for name in measure.filters:
        found = table.row_filter(name) if table is not None else None
        if found is None:
            filters.append({"missing": name})
        else:
            filters.append(
                {"sql": sql(found.sql), "conditions": _conditions(found.conditions or [], table)}
            )
    return {
        "table": _table(table, measure.fact_table, sql),
        "aggregation": measure.aggregation.value,
        "column": measure.column,
        "filters": sorted(filters, key=lambda f: json.dumps(f, sort_keys=True)),
        "where": sql(measure.where),
        "conditions": _conditions(measure.conditions, table),
    }


def _definition(
    project: Project, metric: AnyMetric, seen: frozenset[str], form: _Form
) -> dict[str, Any]:
    sql = form.sql
    base: dict[str, Any] = {"v": HASH_VERSION, "kind": metric.kind}
    base["interval"] = project.interval_of(metric).value
    if isinstance(metric, FactMetric):
        base["measures"] = [_measure(project, m, sql) for m in metric.measures()]
        base["ratio"] = metric.is_ratio
        base.update(form.breakdowns(metric))
    elif isinstance(metric, SqlMetric):
        base["sql"] = sql(metric.sql)
        base["columns"] = [metric.time_column, metric.value_column]
    else:
        base["parts"] = {
            key: _part_hash(project, part, seen, form.for_parts())
            for key, part in (("numerator", metric.numerator), ("denominator", metric.denominator))
            if part is not None
        }
        if metric.per_distinct is not None:
            table = project.fact_tables.get(metric.per_distinct.fact_table)
            base["per_distinct"] = {
                "table": _table(table, metric.per_distinct.fact_table, sql),
                "column": metric.per_distinct.column,
            }
    return base


def _part_hash(project: Project, name: str, seen: frozenset[str], form: _Form) -> str:
    part = project.metrics.get(name)
    if part is None or name in seen:  # unknown or cyclic: validation reports it
        return f"unresolved:{name}"
    return _hash(project, part, seen | {name}, form)


def _hash(project: Project, metric: AnyMetric, seen: frozenset[str], form: _Form) -> str:
    canonical = json.dumps(_definition(project, metric, seen, form), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def definition_hash(project: Project, metric: AnyMetric) -> str:
    """sha256 of a canonical JSON of only what changes the metric's values (its SQL as
    tokens: `normalized_sql`)."""
    return _hash(project, metric, frozenset({metric.name}), _CURRENT)


def earlier_hashes(project: Project, metric: AnyMetric) -> tuple[str, ...]:
    """This very definition's hash as earlier tripl releases wrote it, newest form first
    (`_EARLIER`; some may equal `definition_hash`): still recognised (`is_known_hash`), so
    upgrading tripl drops no history."""
    return tuple(_hash(project, metric, frozenset({metric.name}), form) for form in _EARLIER)


def is_known_hash(project: Project, metric: AnyMetric, stored: str | None) -> bool:
    """Whether `stored` is this very definition's hash, today's or an earlier form's — the
    earlier ones computed only when it is not today's (the usual case costs one hash)."""
    if stored is None:
        return False
    return stored == definition_hash(project, metric) or stored in earlier_hashes(project, metric)


def breakdown_spec(metric: AnyMetric) -> str | None:
    """The breakdown columns and limit a fact metric's hash is taken with, as stored beside
    it (`breakdowns_only_changed` reads it back); None for other kinds."""
    if not isinstance(metric, FactMetric):
        return None
    return json.dumps(_breakdown_set(metric), sort_keys=True)


def breakdowns_only_changed(
    project: Project,
    metric: AnyMetric,
    stored: str | None,
    stored_breakdowns: Iterable[str],
    stored_spec: str | None = None,
) -> bool:
    """Whether `stored` hashes `metric` as it is but for its breakdowns: its total series
    are then the same definition's; only its breakdowns changed. A match is certain (the
    whole definition hashes alike); a miss only means the history is recollected whole, as
    for any other change.

    The old breakdowns are `stored_spec` (`breakdown_spec`, stored since schema v8). Without
    it they are guessed: the breakdown columns found stored (`stored_breakdowns`) under the
    metric's limit, the default limit or none — which cannot tell another old limit, old
    columns without a stored row (their window was empty), or the order of a hash written
    before breakdowns were hashed as a set.
    """
    if stored is None or not isinstance(metric, FactMetric):
        return False
    for columns, limit in _earlier_breakdowns(metric, stored_breakdowns, stored_spec):
        before = metric.model_copy(update={"breakdowns": columns, "breakdown_limit": limit})
        if is_known_hash(project, before, stored):
            return True
    return False


def _earlier_breakdowns(
    metric: FactMetric, stored_breakdowns: Iterable[str], stored_spec: str | None
) -> Iterator[tuple[list[str], int | None]]:
    spec = _read_spec(stored_spec)
    if spec is not None:
        yield spec
        return
    columns = sorted(set(stored_breakdowns))
    if not columns and not metric.breakdowns:
        return  # no breakdown stored, none now: nothing tells what the old ones were
    for limit in dict.fromkeys((metric.breakdown_limit, DEFAULT_BREAKDOWN_LIMIT, None)):
        yield columns, limit


def _read_spec(stored_spec: str | None) -> tuple[list[str], int | None] | None:
    """A stored `breakdown_spec`; None when missing, or edited beyond reading (then the old
    breakdowns are guessed, as before v8)."""
    try:
        spec = json.loads(stored_spec) if stored_spec is not None else None
    except ValueError:
        return None
    if not isinstance(spec, dict) or "breakdown_limit" not in spec:
        return None
    columns, limit = spec.get("breakdowns"), spec["breakdown_limit"]
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        return None
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
        return None
    return columns, limit


def metrics_in_dependency_order(project: Project, names: Iterable[str]) -> list[str]:
    """`names` ordered so a composition comes after the metrics it reads (stable otherwise)."""
    wanted = list(dict.fromkeys(names))
    chosen = set(wanted)
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise TriplError(f"composition cycle: {cycle}", hint="run `tripl validate`")
        state[name] = "visiting"
        metric = project.metrics.get(name)
        if isinstance(metric, CompositionMetric):
            for part in metric.parts:
                if part in chosen:
                    visit(part, [*path, name])
        state[name] = "done"
        order.append(name)

    for name in wanted:
        visit(name, [])
    return order
