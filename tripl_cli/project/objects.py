"""Validate the items of a project file's top-level lists into schema objects.

`kind:` (metrics) and `type:` (destinations) are dispatched here rather than through
pydantic's discriminated unions, so an unknown kind reads "use one of fact, sql,
composition (did you mean 'fact'?)" and error paths never carry a union tag.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from tripl_cli.errors import Issue, SourceLocation
from tripl_cli.project.locations import NodeLocation, ObjectSource
from tripl_cli.project.model import ObjectKind
from tripl_cli.project.schema import (
    AlertRule,
    CompositionMetric,
    Destination,
    DestinationBase,
    FactMetric,
    FactTable,
    MetricBase,
    SqlMetric,
)
from tripl_cli.project.schema_errors import (
    ErrorContext,
    did_you_mean,
    issues_from_validation,
    kind_of,
)

KIND_WORDS: dict[ObjectKind, str] = {
    "fact_table": "fact table",
    "metric": "metric",
    "destination": "destination",
    "alert_rule": "alert rule",
}

_METRIC_MODELS: dict[str, type[BaseModel]] = {
    "fact": FactMetric,
    "sql": SqlMetric,
    "composition": CompositionMetric,
}


def _destination_models() -> dict[str, type[BaseModel]]:
    union = typing.get_args(Destination)[0]
    out: dict[str, type[BaseModel]] = {}
    for model in typing.get_args(union):
        tag = typing.get_args(model.model_fields["type"].annotation)[0]
        out[str(tag)] = model
    return out


_DESTINATION_MODELS = _destination_models()
_SINGLE_MODELS: dict[ObjectKind, type[BaseModel]] = {
    "fact_table": FactTable,
    "alert_rule": AlertRule,
}
#: The keys every model of a kind shares, per kind that has several models.
_SHARED_MODELS: dict[ObjectKind, type[BaseModel]] = {
    "metric": MetricBase,
    "destination": DestinationBase,
}
#: The key that picks the model, per kind that has several.
_DISCRIMINATORS: dict[ObjectKind, tuple[str, dict[str, type[BaseModel]]]] = {
    "metric": ("kind", _METRIC_MODELS),
    "destination": ("type", _DESTINATION_MODELS),
}


@dataclass
class Collected:
    """Objects of every kind found so far, with their sources, in file order."""

    objects: dict[ObjectKind, dict[str, Any]] = field(
        default_factory=lambda: {kind: {} for kind in KIND_WORDS}
    )
    sources: dict[tuple[ObjectKind, str], ObjectSource] = field(default_factory=dict)
    #: Names declared but rejected by the schema: references to them are not "unknown".
    invalid: dict[ObjectKind, set[str]] = field(
        default_factory=lambda: {kind: set() for kind in KIND_WORDS}
    )
    first_seen: dict[tuple[ObjectKind, str], SourceLocation] = field(default_factory=dict)
    #: Per destination, the environment variables it reads that are not set.
    unset_env: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Files that could not be parsed at all: which objects they declare is unknown.
    unreadable: list[str] = field(default_factory=list)


def object_label(kind: ObjectKind, data: Any, fallback: str) -> str:
    name = data.get("name") if isinstance(data, dict) else None
    if isinstance(name, str) and name:
        return f"{KIND_WORDS[kind]} '{name}'"
    return fallback


def _pick_model(
    kind: ObjectKind, data: Mapping[str, Any], node: NodeLocation, what: str
) -> type[BaseModel] | Issue:
    if kind in _SINGLE_MODELS:
        return _SINGLE_MODELS[kind]
    key, models = _DISCRIMINATORS[kind]
    allowed = ", ".join(models)
    tag = data.get(key)
    if tag is None:
        message = f"missing required key '{key}' in {what}: use one of {allowed}"
        return Issue("missing-key", message, node.location)
    if not isinstance(tag, str) or tag not in models:
        suggestion = did_you_mean(tag, models) if isinstance(tag, str) else ""
        shown = repr(tag) if isinstance(tag, str) else kind_of(tag)
        message = f"unknown {key} {shown} in {what}: use one of {allowed}{suggestion}"
        return Issue("bad-value", message, node.find(key))
    return models[tag]


def _shared_key_issues(
    kind: ObjectKind, data: Mapping[str, Any], node: NodeLocation, what: str
) -> list[Issue]:
    """Without a model to pick, the keys every model of `kind` has are still checked (a bad
    name or interval is said in the same pass as the missing `kind`)."""
    base = _SHARED_MODELS.get(kind)
    if base is None:
        return []
    shared = {k: v for k, v in data.items() if k in base.model_fields}
    try:
        base.model_validate(shared)
    except ValidationError as exc:
        return issues_from_validation(exc, ErrorContext(base, node, what))
    return []


def validate_object(
    kind: ObjectKind, data: Any, node: NodeLocation, fallback_label: str
) -> tuple[BaseModel | None, list[Issue]]:
    """One list item → its schema object, or the issues explaining why not."""
    what = object_label(kind, data, fallback_label)
    if not isinstance(data, dict):
        message = (
            f"each entry of {fallback_label.split('[')[0]} must be a mapping, got {kind_of(data)}"
        )
        return None, [Issue("wrong-type", message, node.location)]
    model = _pick_model(kind, data, node, what)
    if isinstance(model, Issue):
        return None, [model, *_shared_key_issues(kind, data, node, what)]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, issues_from_validation(exc, ErrorContext(model, node, what))


def add_object(
    collected: Collected,
    kind: ObjectKind,
    obj: BaseModel | None,
    data: Any,
    source: ObjectSource,
) -> list[Issue]:
    """Record a validated object (or a rejected one's name); report duplicate names."""
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str):
        return []
    here = source.find("name")
    first = collected.first_seen.get((kind, name))
    if first is not None:
        message = f"duplicate {KIND_WORDS[kind]} name '{name}' (first defined at {first})"
        return [Issue("duplicate-name", message, here)]
    collected.first_seen[(kind, name)] = here
    if obj is None:
        collected.invalid[kind].add(name)
        return []
    collected.objects[kind][name] = obj
    collected.sources[(kind, name)] = source
    return []
