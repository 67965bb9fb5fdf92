"""The dialect table: every per-warehouse SQL rule tripl follows, and nothing else.

    rules = rules_for("postgres")
    rules.bucket(exp.column("created_at"), Interval.D1)   # DATE_BIN(INTERVAL '1 DAY', …)
    rules.timestamp_literal(window.start)                  # CAST('…' AS TIMESTAMP)
    rules.conditional(Aggregation.SUM, amount, condition)  # SUM(amount) FILTER (WHERE …)
    rules.coalesce_breakdown(exp.column("country"))        # COALESCE(CAST(country AS TEXT), '')
    rules.render(tree)

See docs/dialects.md for the table in prose, and `rules.py` for why each rule is what it is.
"""

from __future__ import annotations

from tripl_cli.compiler.dialects.base import (
    BreakdownStrategy,
    ColumnHint,
    DialectRules,
    DistinctStrategy,
    FilterStrategy,
    Shapes,
    TimestampType,
)
from tripl_cli.compiler.dialects.rules import RULES
from tripl_cli.errors import TriplError
from tripl_cli.project.profiles import TYPE_ALIASES

__all__ = [
    "DIALECTS",
    "EXECUTABLE_DIALECTS",
    "BreakdownStrategy",
    "ColumnHint",
    "DialectRules",
    "DistinctStrategy",
    "FilterStrategy",
    "Shapes",
    "TimestampType",
    "dialect_for_target_type",
    "rules_for",
]

#: Every dialect `tripl compile` renders.
DIALECTS: tuple[str, ...] = (
    "duckdb",
    "postgres",
    "mysql",
    "clickhouse",
    "snowflake",
    "bigquery",
    "trino",
    "databricks",
    "redshift",
)
#: Dialects tripl can also run (an adapter exists); the others are compile-only.
EXECUTABLE_DIALECTS: tuple[str, ...] = (
    "duckdb",
    "postgres",
    "mysql",
    "clickhouse",
    "snowflake",
    "bigquery",
)

#: profiles.yml `type:` → dialect, for the types that are not already a dialect name.
_TARGET_TYPE_ALIASES: dict[str, str] = {
    **TYPE_ALIASES,
    "spark": "databricks",
    "presto": "trino",
}


def dialect_for_target_type(target_type: str) -> str:
    """The dialect of a profiles.yml output `type` (`mariadb` → `mysql`, …)."""
    key = target_type.strip().lower()
    dialect = _TARGET_TYPE_ALIASES.get(key, key)
    if dialect not in RULES:
        raise TriplError(
            f"unknown warehouse type {target_type!r}",
            hint="use one of: " + ", ".join(sorted({*DIALECTS, *_TARGET_TYPE_ALIASES})),
        )
    return dialect


def rules_for(dialect: str) -> DialectRules:
    """The rules of a dialect name as `DIALECTS` spells it (target types are accepted too)."""
    return RULES[dialect_for_target_type(dialect)]
