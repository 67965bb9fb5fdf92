"""Turn pydantic `ValidationError`s into located, human-worded `Issue`s.

Pydantic's `loc` says where in the data an error is; we walk the same path through the
`NodeLocation` tree for file:line:col and through the model's type hints to know which keys
were allowed (for "did you mean"). Union branches appear in `loc` as type labels ('str',
'list[...]'); they are stripped, and the branches' errors merged into one "wrong type".
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tripl_cli.errors import Issue, SourceLocation
from tripl_cli.project.locations import NodeLocation
from tripl_cli.project.schema import NAME_PATTERN, Condition

_TYPE_WORDS: dict[str, str] = {
    "string": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "list": "a list",
    "dict": "a mapping",
    "model": "a mapping",
    "datetime": "a date-time such as 2026-01-31T00:00:00Z",
    "date": "a date such as 2026-01-31",
    "time": "a time of day such as 22:00",
}


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' or '' — the suffix every "unknown name" message uses."""
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def describe(value: Any) -> str:
    """A short, YAML-flavoured description of a user value for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        return repr(short)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"a string ({describe(value)})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def dotted(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --------------------------------------------------------------------------- type walking
def _members(tp: Any) -> list[Any]:
    """The non-None alternatives of a (possibly Annotated/Optional) type."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        out: list[Any] = []
        for arg in typing.get_args(tp):
            if arg is not type(None):
                out.extend(_members(arg))
        return out
    return [tp]


def _label(tp: Any) -> str:
    origin = typing.get_origin(tp)
    base = origin if origin is not None else tp
    return str(getattr(base, "__name__", base)).lower()


@dataclass
class _Walk:
    path: list[str | int]
    model: type[BaseModel] | None  # the model that holds the last key, if any
    via_union: bool


def _field_type(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field.annotation
    return None


def _walk(model: type[BaseModel], loc: Sequence[str | int]) -> _Walk:
    """Strip union labels from `loc`, remembering the model that owns the last key."""
    tp: Any = model
    walk = _Walk([], None, False)
    for part in loc:
        members = _members(tp) if tp is not None else []
        if len(members) > 1 and isinstance(part, str):
            label = part.split("[", 1)[0].lower()
            chosen = [m for m in members if _label(m) == label]
            if chosen:
                walk.via_union = True
                tp = chosen[0]
                continue
        current = members[0] if len(members) == 1 else None
        walk.path.append(part)
        if isinstance(current, type) and issubclass(current, BaseModel):
            walk.model = current
            tp = _field_type(current, str(part))
        elif typing.get_origin(current) in (list, dict):
            walk.model = None
            tp = typing.get_args(current)[-1]
        else:
            walk.model = None
            tp = None
    return walk


def _model_at(model: type[BaseModel], path: Sequence[str | int]) -> type[BaseModel] | None:
    tp: Any = model
    for part in path:
        members = _members(tp)
        current = members[0] if len(members) == 1 else None
        if isinstance(current, type) and issubclass(current, BaseModel):
            tp = _field_type(current, str(part))
        elif typing.get_origin(current) in (list, dict):
            tp = typing.get_args(current)[-1]
        else:
            return None
    members = _members(tp)
    found = members[0] if len(members) == 1 else None
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def allowed_keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


# --------------------------------------------------------------------------- messages
@dataclass(frozen=True)
class ErrorContext:
    """What is being validated: the root model, its node tree, and how to name it."""

    model: type[BaseModel]
    node: NodeLocation
    what: str  # "metric 'revenue'"


def _place(ctx: ErrorContext, parent: Sequence[str | int]) -> str:
    return f"'{dotted(parent)}' of {ctx.what}" if parent else ctx.what


def _allowed_values(error: ErrorDetails) -> list[str]:
    expected = str((error.get("ctx") or {}).get("expected", ""))
    return [p.strip().strip("'") for p in expected.replace(" or ", ", ").split(",") if p.strip()]


def _expected_type(error_type: str) -> str | None:
    for prefix, words in _TYPE_WORDS.items():
        if error_type.startswith(prefix):
            return words
    return None


def _one(ctx: ErrorContext, error: ErrorDetails) -> Issue:
    walk = _walk(ctx.model, error["loc"])
    path, etype, value = walk.path, error["type"], error.get("input")
    key = str(path[-1]) if path else ""
    parent = path[:-1]
    if etype == "extra_forbidden":
        model = _model_at(ctx.model, parent)
        hint = did_you_mean(key, allowed_keys(model))
        message = f"unknown key '{key}' in {_place(ctx, parent)}{hint}"
        return Issue("unknown-key", message, ctx.node.key(*path))
    if etype == "missing":
        message = f"missing required key '{key}' in {_place(ctx, parent)}"
        return Issue("missing-key", message, ctx.node.find(*parent))
    location = ctx.node.find(*path)
    field = f"'{dotted(path)}' in {ctx.what}" if path else ctx.what
    if etype in ("enum", "literal_error"):
        allowed = _allowed_values(error)
        text = describe(value)
        suggestion = did_you_mean(str(value), allowed) if isinstance(value, str) else ""
        message = f"bad value {text} for {field}: use one of {', '.join(allowed)}{suggestion}"
        return Issue("bad-value", message, location)
    if etype == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") == NAME_PATTERN:
        target = "" if list(path) == ["name"] else f" for {field}"
        message = (
            f"invalid name {describe(value)}{target}: use lowercase letters, digits and "
            "underscores, starting with a letter"
        )
        return Issue("bad-name", message, location)
    if etype == "value_error":
        detail = str((error.get("ctx") or {}).get("error", error["msg"]))
        rule = (
            "condition-value"
            if walk.model is Condition or _is_condition(ctx, path)
            else ("invalid-definition")
        )
        where = f"{ctx.what} {dotted(path)}" if path else ctx.what
        return Issue(rule, f"{where}: {detail}", location)
    bound = _bound(error)
    if bound is not None:
        return Issue("bad-value", f"bad value {describe(value)} for {field}: {bound}", location)
    expected = _expected_type(etype)
    if expected is not None:
        message = f"wrong type for {field}: expected {expected}, got {kind_of(value)}"
        return Issue("wrong-type", message, location)
    return Issue("bad-value", f"bad value {describe(value)} for {field}: {error['msg']}", location)


_BOUNDS = {
    "greater_than_equal": ("ge", "must be >= {}"),
    "greater_than": ("gt", "must be > {}"),
    "less_than_equal": ("le", "must be <= {}"),
    "less_than": ("lt", "must be < {}"),
    "too_short": ("min_length", "needs at least {} item(s)"),
    "too_long": ("max_length", "takes at most {} item(s)"),
    "string_too_long": ("max_length", "is longer than {} characters"),
}


def _bound(error: ErrorDetails) -> str | None:
    spec = _BOUNDS.get(error["type"])
    if spec is None:
        return None
    key, template = spec
    return template.format((error.get("ctx") or {}).get(key, "?"))


def _is_condition(ctx: ErrorContext, path: Sequence[str | int]) -> bool:
    return _model_at(ctx.model, path) is Condition


def _merge_union(ctx: ErrorContext, errors: list[ErrorDetails]) -> Issue:
    """All branches of a union failed on one value: say which types would have done."""
    path = _walk(ctx.model, errors[0]["loc"]).path
    wanted: list[str] = []
    for error in errors:
        words = _expected_type(error["type"])
        if words and words not in wanted:
            wanted.append(words)
    if "an integer" in wanted and "a number" in wanted:
        wanted.remove("an integer")
    value = errors[0].get("input")
    field = f"'{dotted(path)}' in {ctx.what}" if path else ctx.what
    expected = ", ".join(wanted[:-1]) + f" or {wanted[-1]}" if len(wanted) > 1 else "".join(wanted)
    message = f"wrong type for {field}: expected {expected}, got {kind_of(value)}"
    return Issue("wrong-type", message, ctx.node.find(*path))


def issues_from_validation(exc: ValidationError, ctx: ErrorContext) -> list[Issue]:
    """Every error of `exc` as an issue, union branches merged, in document order."""
    issues: list[Issue] = []
    union_groups: dict[tuple[str | int, ...], list[ErrorDetails]] = {}
    for error in exc.errors():
        walk = _walk(ctx.model, error["loc"])
        if walk.via_union and error["type"] not in ("extra_forbidden", "missing", "value_error"):
            union_groups.setdefault(tuple(walk.path), []).append(error)
            continue
        issues.append(_one(ctx, error))
    for group in union_groups.values():
        issues.append(_merge_union(ctx, group) if len(group) > 1 else _one(ctx, group[0]))
    return sorted(issues, key=lambda i: (i.location, i.message))


def enum_values(enum: type[Enum]) -> list[str]:
    return [str(member.value) for member in enum]


def location_or(node: NodeLocation | None, fallback: SourceLocation) -> SourceLocation:
    return node.location if node is not None else fallback
