"""A measure's combined row filter as one sqlglot boolean expression.

Named row filters, the measure's `where` and its `conditions` combine with AND (SPEC §3.1).
SQL fragments are parsed in the target dialect; conditions are built as ASTs whose values are
literals the generator escapes for the dialect — user values are never spliced into SQL text.
Conditions follow SQL's three-valued logic: a NULL column matches only `is_null` (so `ne`,
`not_in` and `not_contains` do not match NULLs either).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlglot import exp
from sqlglot.errors import ParseError

from tripl_cli.compiler.dialects import DialectRules, rules_for
from tripl_cli.errors import TriplError
from tripl_cli.project.condition_time import declared_types, in_utc, instants
from tripl_cli.project.schema import (
    ColumnType,
    Condition,
    FactTable,
    Measure,
    Operator,
    Scalar,
)


def node(tree: exp.Expr) -> exp.Expression:
    """Narrow sqlglot's `Expr` (what its builders are typed to return) to `Expression`.

    Every concrete AST node is an `Expression`; the dialect rules take `Expression`s.
    """
    assert isinstance(tree, exp.Expression), type(tree)
    return tree


#: Words reserved (or niladic functions) on at least one supported engine. A column with such
#: a name must be quoted: unquoted, PostgreSQL reads `user` as CURRENT_USER and `order` as a
#: syntax error. sqlglot's own reserved lists are empty for several dialects, hence ours: it
#: holds DuckDB's `duckdb_keywords()` and PostgreSQL's `pg_get_keywords()` of the reserved and
#: type/function categories, and Snowflake's documented reserved keywords.
RESERVED_WORDS = frozenset(
    [
        "all",
        "alter",
        "analyse",
        "analyze",
        "and",
        "anti",
        "any",
        "array",
        "as",
        "asc",
        "asof",
        "asymmetric",
        "at",
        "authorization",
        "between",
        "binary",
        "both",
        "by",
        "case",
        "cast",
        "check",
        "collate",
        "collation",
        "column",
        "concurrently",
        "connect",
        "constraint",
        "create",
        "cross",
        "current",
        "current_catalog",
        "current_date",
        "current_role",
        "current_schema",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "delete",
        "desc",
        "describe",
        "distinct",
        "do",
        "drop",
        "else",
        "end",
        "except",
        "exists",
        "false",
        "fetch",
        "following",
        "for",
        "foreign",
        "freeze",
        "from",
        "full",
        "glob",
        "grant",
        "group",
        "having",
        "ilike",
        "in",
        "increment",
        "initially",
        "inner",
        "insert",
        "intersect",
        "interval",
        "into",
        "is",
        "isnull",
        "join",
        "key",
        "lambda",
        "lateral",
        "leading",
        "left",
        "like",
        "limit",
        "localtime",
        "localtimestamp",
        "minus",
        "natural",
        "not",
        "notnull",
        "null",
        "of",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "outer",
        "over",
        "overlaps",
        "partition",
        "pivot",
        "pivot_longer",
        "pivot_wider",
        "placing",
        "positional",
        "primary",
        "qualify",
        "range",
        "references",
        "regexp",
        "returning",
        "revoke",
        "right",
        "rlike",
        "row",
        "rows",
        "sample",
        "select",
        "semi",
        "session_user",
        "set",
        "show",
        "similar",
        "some",
        "start",
        "summarize",
        "symmetric",
        "table",
        "tablesample",
        "then",
        "to",
        "trailing",
        "trigger",
        "true",
        "try_cast",
        "union",
        "unique",
        "unpack",
        "unpivot",
        "update",
        "user",
        "using",
        "values",
        "variadic",
        "verbose",
        "when",
        "whenever",
        "where",
        "window",
        "with",
    ]
)


def has_value(name: str) -> exp.Expression:
    """`NOT <column> IS NULL`: the rows a distinct count of the column counts."""
    return exp.Not(this=exp.Is(this=column(name), expression=exp.Null()))


def written_unquoted(name: str) -> bool:
    """Whether `column(name)` is written without quotes (the engine may fold its case)."""
    return bool(_PLAIN_NAME.fullmatch(name)) and name.lower() not in RESERVED_WORDS


_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def column(name: str) -> exp.Column:
    """A column reference, quoted when the name is not a plain identifier or is reserved.

    Other names stay unquoted so engines that fold case (Snowflake upper-cases) resolve
    them the same way the user's own SQL does; a quoted reserved name is kept as written.
    """
    return exp.column(name, quoted=True if name.lower() in RESERVED_WORDS else None)


def literal(value: Scalar) -> exp.Expression:
    """An escaped, typed literal (strings quoted by the dialect's generator)."""
    return node(exp.convert(value))


def parse_fragment(sql: str, *, dialect: str, what: str) -> exp.Expression:
    """Parse a boolean SQL fragment written in the target dialect."""
    try:
        rules = rules_for(dialect)
        return node(rules.as_written(exp.condition(sql, dialect=rules.reader)))
    except ParseError as err:
        raise TriplError(
            f"cannot parse {what} as a {dialect} boolean expression: {sql!r}",
            hint=f"write it in the {dialect} SQL dialect (sqlglot said: {err})",
        ) from None


def _compare(
    cls: type[exp.Binary],
) -> Callable[[exp.Expression, Condition], exp.Expression]:
    def build(col: exp.Expression, cond: Condition) -> exp.Expression:
        assert not isinstance(cond.value, list) and cond.value is not None
        return node(cls(this=col, expression=literal(cond.value)))

    return build


def _in(col: exp.Expression, cond: Condition) -> exp.Expression:
    assert isinstance(cond.value, list)
    return exp.In(this=col, expressions=[literal(v) for v in cond.value])


def _contains(col: exp.Expression, cond: Condition) -> exp.Expression:
    # A substring position instead of LIKE '%…%': every dialect has one (sqlglot renders
    # STRPOS/POSITION/LOCATE/CHARINDEX), and no LIKE escape rules differ between engines.
    assert isinstance(cond.value, str)
    position = exp.StrPosition(this=col, substr=exp.Literal.string(cond.value))
    return exp.GT(this=position, expression=exp.Literal.number(0))


def _like(col: exp.Expression, cond: Condition) -> exp.Expression:
    # The pattern is the user's: `%` and `_` keep their LIKE meaning, and `\` escapes them
    # on every engine (`DialectRules.condition` says so where the engine would not).
    assert isinstance(cond.value, str)
    return exp.Like(this=col, expression=exp.Literal.string(cond.value))


def _negate(
    build: Callable[[exp.Expression, Condition], exp.Expression],
) -> Callable[[exp.Expression, Condition], exp.Expression]:
    return lambda col, cond: exp.Not(this=exp.Paren(this=build(col, cond)))


def _is_null(col: exp.Expression, cond: Condition) -> exp.Expression:
    return exp.Is(this=col, expression=exp.Null())


def _is_bool(value: bool) -> Callable[[exp.Expression, Condition], exp.Expression]:
    # `= TRUE` rather than `IS TRUE`: every dialect accepts it (ClickHouse has no IS TRUE),
    # and it leaves NULL unmatched, like every other operator.
    return lambda col, cond: exp.EQ(this=col, expression=exp.Boolean(this=value))


_BUILDERS: dict[Operator, Callable[[exp.Expression, Condition], exp.Expression]] = {
    Operator.EQ: _compare(exp.EQ),
    Operator.NE: _compare(exp.NEQ),
    Operator.GT: _compare(exp.GT),
    Operator.GTE: _compare(exp.GTE),
    Operator.LT: _compare(exp.LT),
    Operator.LTE: _compare(exp.LTE),
    Operator.IN: _in,
    Operator.NOT_IN: _negate(_in),
    Operator.CONTAINS: _contains,
    Operator.NOT_CONTAINS: _negate(_contains),
    Operator.LIKE: _like,
    Operator.NOT_LIKE: _negate(_like),
    Operator.IS_NULL: _is_null,
    Operator.IS_NOT_NULL: _negate(_is_null),
    Operator.IS_TRUE: _is_bool(True),
    Operator.IS_FALSE: _is_bool(False),
}


def condition_expression(cond: Condition) -> exp.Expression:
    """One `{column, operator, value}` condition as a boolean AST."""
    return _BUILDERS[cond.operator](column(cond.column), cond)


@dataclass(frozen=True)
class RowCondition:
    """A measure's combined filter and its canonical key (equal keys: the same filter).

    The key is built from the definitions, not from rendered SQL, so deduplicating
    thousands of aggregates costs no SQL generation.
    """

    expression: exp.Expression
    key: str
    #: The ANDed terms as (key, tree) in the SQL's order (the trees are parts of `expression`:
    #: copy before embedding); empty: the expression is one term.
    terms: tuple[tuple[str, exp.Expression], ...] = ()

    def term_list(self) -> tuple[tuple[str, exp.Expression], ...]:
        return self.terms or ((self.key, self.expression),)


@lru_cache(maxsize=4096)
def _parsed_fragment(sql: str, dialect: str, what: str) -> tuple[str, exp.Expression]:
    # The key is the parsed tree's SQL: layout-insensitive, but literals keep every character
    # (`kind = 'a  b'` and `kind = 'a b'` are different filters). Cached with the tree: many
    # metrics share one row filter, and generating SQL costs 3× the copy.
    tree = parse_fragment(sql, dialect=dialect, what=what)
    return "sql:" + tree.sql(dialect=dialect), tree


def _fragment(sql: str, dialect: str, what: str) -> tuple[str, exp.Expression]:
    key, tree = _parsed_fragment(sql, dialect, what)
    return key, tree.copy()  # callers embed it in their own trees


def _condition(
    cond: Condition,
    dialect: str,
    types: Mapping[str, ColumnType],
    instant_types: Mapping[str, ColumnType],
) -> tuple[str, exp.Expression]:
    timestamps = instants(cond, instant_types.get(cond.column.lower()))
    cond = in_utc(cond, types.get(cond.column.lower()))
    rules = rules_for(dialect)
    tree: exp.Expr = condition_expression(cond)
    if timestamps:
        tree = tree.transform(lambda n: _instant(n, timestamps, rules), copy=False)
    return "cond:" + cond.model_dump_json(), node(rules.condition(tree))


def _instant(literal: exp.Expr, timestamps: frozenset[str], rules: DialectRules) -> exp.Expr:
    """A condition's value that is an instant, as the engine must read it (the others as is)."""
    if isinstance(literal, exp.Literal) and literal.is_string and literal.this in timestamps:
        return rules.condition_instant(literal.this)
    return literal


def combine(terms: Iterable[tuple[str, exp.Expression]]) -> RowCondition | None:
    """AND the terms, each once (a term is identified by its definition)."""
    unique: dict[str, exp.Expression] = {}
    for key, tree in terms:
        unique.setdefault(key, tree)
    if not unique:
        return None
    # SQL keeps the user's order; the key is order-free, so [a, b] and [b, a] share columns.
    tree = node(exp.and_(*unique.values(), copy=False))
    return RowCondition(tree, " AND ".join(sorted(unique)), tuple(unique.items()))


def measure_condition(
    fact_table: FactTable,
    *,
    filters: Sequence[str],
    where: str | None,
    conditions: Sequence[Condition],
    dialect: str,
) -> RowCondition | None:
    """The combined row filter of one measure, or None when it keeps every row."""
    terms: list[tuple[str, exp.Expression]] = []
    types = declared_types(fact_table)  # for the conditions' timestamps (`in_utc`)
    # Typed as instants: the timestamp column too (not for `in_utc`, whose text is hashed).
    instant_types = {fact_table.timestamp_column.lower(): ColumnType.TIMESTAMP, **types}
    for name in filters:
        row_filter = fact_table.row_filter(name)
        if row_filter is None:
            raise TriplError(
                f"fact table '{fact_table.name}' has no row filter '{name}'",
                hint="run `tripl validate` to see every reference problem",
            )
        if row_filter.sql is not None:
            what = f"row filter '{fact_table.name}.{name}'"
            terms.append(_fragment(row_filter.sql, dialect, what))
        terms.extend(
            _condition(cond, dialect, types, instant_types) for cond in row_filter.conditions or ()
        )
    if where:
        terms.append(_fragment(where, dialect, "`where`"))
    terms.extend(_condition(cond, dialect, types, instant_types) for cond in conditions)
    return combine(terms)


def condition_of(fact_table: FactTable, measure: Measure, *, dialect: str) -> RowCondition | None:
    """`measure_condition` for a `Measure` (a single metric's or a ratio operand's)."""
    return measure_condition(
        fact_table,
        filters=measure.filters,
        where=measure.where,
        conditions=measure.conditions,
        dialect=dialect,
    )
