"""Driver values → tripl values, and engine type names → the four simplified column types.

Every adapter returns rows through `normalize_row` so the runner sees one typing everywhere:
timestamps are timezone-aware UTC datetimes (a naive one is taken to be UTC, which is how
tripl asks every engine to store and render them), decimals are floats, NULL is None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timezone
from decimal import Decimal
from operator import attrgetter, itemgetter
from typing import Any

from tripl_cli.adapters.base import SimpleType


def normalize_value(value: Any) -> Any:
    # bool is an int subclass and int/str/float are already final: test the cheap cases first.
    if value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | bytearray):
        # MySQL/MariaDB breakdown values are binary strings (exact grouping) of UTF-8 text.
        return bytes(value).decode("utf-8", errors="replace")
    return value


#: Types `normalize_value` returns unchanged (bool is an int subclass, but `type()` is exact).
_FINAL_TYPES = frozenset({type(None), bool, int, float, str})


def normalize_row(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(normalize_value(v) for v in row)


def normalize_rows(rows: Iterable[Sequence[Any]]) -> tuple[tuple[Any, ...], ...]:
    """`normalize_row` of every row, column by column: a column whose values are all of a
    final type (most are: counts, sums, text) is kept without a Python call per value, and
    a timestamp column converts each distinct value once (a bucket column repeats a few
    thousand timestamps); a 1,000-metric run reads millions of cells."""
    rows = list(rows)
    width = len(rows[0]) if rows else 0
    if not width:
        return tuple(tuple(r) for r in rows)
    columns = [list(map(itemgetter(i), rows)) for i in range(width)]
    for i, column in enumerate(columns):
        types = set(map(type, column))
        if _FINAL_TYPES.issuperset(types):
            continue
        if _distinct_instants(types, column):
            converted = {v: normalize_value(v) for v in set(column)}
            columns[i] = list(map(converted.__getitem__, column))
        else:
            columns[i] = list(map(normalize_value, column))
    return tuple(zip(*columns, strict=True))


def _distinct_instants(types: set[type], column: list[Any]) -> bool:
    """Whether equal values of `column` are one instant, so convert alike: datetimes without
    a zone or at a fixed offset. (Within one named zone, Python's `==` ignores `fold`: the
    two 01:30s of a DST change compare equal.)"""
    if not types <= {datetime, type(None)}:
        return False
    zones = set(map(attrgetter("tzinfo"), filter(None, column)))
    return all(zone is None or type(zone) is timezone for zone in zones)


_WRAPPER = re.compile(r"^(?:nullable|lowcardinality)\((.*)\)$", re.IGNORECASE)
_BOOL = re.compile(r"^(bool|boolean)$")
_TIMESTAMP = re.compile(r"^(timestamp|datetime|date)")
_NUMBER = re.compile(
    r"^(u?int\d*|integer|bigint|smallint|tinyint|mediumint|u?hugeint|ubigint|usmallint|utinyint|"
    r"uinteger|decimal\d*|numeric|bignumeric|number|fixed|float\d*|double|real|dec)\b"
)


def simplify_type(raw_type: str) -> SimpleType:
    """Map an engine type name (`DECIMAL(10,2)`, `Nullable(DateTime64(6, 'UTC'))`, …).

    Anything that is not a number, bool or timestamp (text, UUID, JSON, arrays, TIME) is
    reported as `string`: those columns can only be grouped by or compared as text.
    """
    name = raw_type.strip()
    while match := _WRAPPER.match(name):
        name = match.group(1).strip()
    name = name.lower()
    if name.endswith("]"):  # an array (int4[], INTEGER[3]) of whatever element type
        return "string"
    if _BOOL.match(name):
        return "bool"
    if _TIMESTAMP.match(name):
        return "timestamp"
    if _NUMBER.match(name):
        return "number"
    return "string"
