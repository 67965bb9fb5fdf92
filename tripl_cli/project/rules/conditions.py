"""Condition values against operators and (when declared) column types."""

from __future__ import annotations

from datetime import datetime

from tripl_cli.project.schema import (
    LIST_OPERATORS,
    TEXT_OPERATORS,
    ColumnType,
    Condition,
    Operator,
    Scalar,
)

_ORDERING = frozenset({Operator.GT, Operator.GTE, Operator.LT, Operator.LTE})
_BOOL_TESTS = frozenset({Operator.IS_TRUE, Operator.IS_FALSE})


def _family(value: Scalar) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string"


def _shown(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def _is_timestamp(value: Scalar) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _value_problem(value: Scalar, column: str, ctype: ColumnType) -> str | None:
    family = _family(value)
    if ctype is ColumnType.STRING and family == "boolean":
        return (
            f"value {_shown(value)} is a boolean but column '{column}' is a string; quote it "
            "(YAML reads unquoted yes/no/on/off/true/false as booleans)"
        )
    if ctype is ColumnType.STRING and family == "number":
        return f"value {_shown(value)} is a number but column '{column}' is a string; quote it"
    if ctype is ColumnType.NUMBER and family != "number":
        return f"value {_shown(value)} is a {family} but column '{column}' is a number"
    if ctype is ColumnType.BOOL and family != "boolean":
        return f"value {_shown(value)} is a {family} but column '{column}' is a bool"
    if ctype is ColumnType.TIMESTAMP and not _is_timestamp(value):
        return (
            f"value {_shown(value)} is not an ISO-8601 timestamp, but column '{column}' "
            "is a timestamp"
        )
    return None


def _operator_problem(op: Operator, column: str, ctype: ColumnType) -> str | None:
    if op in _BOOL_TESTS and ctype is not ColumnType.BOOL:
        return f"operator '{op.value}' needs a bool column; '{column}' is a {ctype.value}"
    if op in TEXT_OPERATORS and ctype is not ColumnType.STRING:
        return f"operator '{op.value}' needs a string column; '{column}' is a {ctype.value}"
    if op in _ORDERING and ctype is ColumnType.BOOL:
        return f"operator '{op.value}' cannot order bool column '{column}'; use eq"
    return None


def condition_problem(condition: Condition, ctype: ColumnType | None) -> str | None:
    """Why a condition is wrong in itself or for its column, or None."""
    shape = condition.shape_problem()
    if shape is not None:
        return shape
    values: list[Scalar] = []
    if isinstance(condition.value, list):
        values = list(condition.value)
    elif condition.value is not None:
        values = [condition.value]
    if condition.operator in LIST_OPERATORS and len({_family(v) for v in values}) > 1:
        return f"the values of '{condition.operator.value}' mix types; use one type"
    if condition.operator in _ORDERING and any(_family(v) == "boolean" for v in values):
        return f"operator '{condition.operator.value}' cannot compare with a boolean value"
    if ctype is None:
        return None
    problem = _operator_problem(condition.operator, condition.column, ctype)
    if problem is not None or condition.operator in TEXT_OPERATORS:
        return problem
    for value in values:
        problem = _value_problem(value, condition.column, ctype)
        if problem is not None:
            return problem
    return None
