"""A condition's timestamp as one instant on every engine.

Against a column without a zone, engines read an ISO-8601 offset differently (DuckDB and
PostgreSQL drop it, MySQL converts it, ClickHouse refuses it), so a value with an offset is
written as UTC text without one: every engine's session runs in UTC. The compiler renders
that text, and the definition hash is taken over it (the meaning, not the spelling).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tripl_cli.project.schema import TEXT_OPERATORS, ColumnType, Condition, FactTable, Scalar

#: `2026-01-05T10:00:00+05:00`, `2026-01-05 10:00Z`: what a column whose type is not declared
#: gets converted for. Compact or week forms are left alone there: text that looks like
#: them (`20260105T120000Z`) is more likely an identifier than a timestamp.
_EXTENDED = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)"
)


def utc_text(value: str, *, declared_timestamp: bool) -> str:
    """`value` as UTC text when it is an ISO-8601 timestamp with an offset; else unchanged."""
    if not declared_timestamp and not _EXTENDED.fullmatch(value):
        return value
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if ts.tzinfo is None:
            return value
        return ts.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    except (ValueError, OverflowError):  # not a timestamp; or moved past year 1 or 9999
        return value


def in_utc(condition: Condition, column_type: ColumnType | None) -> Condition:
    """`condition` with its timestamp values in UTC, unless its column is declared as text
    or bool or number, or its operator is a text operator."""
    if column_type not in (None, ColumnType.TIMESTAMP) or condition.operator in TEXT_OPERATORS:
        return condition
    declared = column_type is ColumnType.TIMESTAMP

    def utc(v: Scalar) -> Scalar:
        return utc_text(v, declared_timestamp=declared) if isinstance(v, str) else v

    value = condition.value
    converted = (
        [utc(v) for v in value]
        if isinstance(value, list)
        else (None if value is None else utc(value))
    )
    return condition if converted == value else condition.model_copy(update={"value": converted})


def instants(condition: Condition, column_type: ColumnType | None) -> frozenset[str]:
    """The values of `in_utc(condition, column_type)` that are instants (UTC text without an
    offset) of a column known to hold timestamps (`column_type` TIMESTAMP: declared, or the
    fact table's timestamp column). An engine that reads a text literal in the column's own
    zone (ClickHouse) is given these as typed UTC timestamps. A column whose type is not
    known may be text: its values stay text literals, as they are elsewhere."""
    if column_type is not ColumnType.TIMESTAMP:
        return frozenset()
    converted = in_utc(condition, column_type)
    if converted.operator in TEXT_OPERATORS:
        return frozenset()
    values = converted.value if isinstance(converted.value, list) else [converted.value]
    return frozenset(v for v in values if isinstance(v, str) and _is_timestamp(v))


def _is_timestamp(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def declared_types(table: FactTable) -> dict[str, ColumnType]:
    """A fact table's declared column types by lower-cased name (`columns:` may be absent)."""
    return {c.name.lower(): c.type for c in table.columns or ()}
