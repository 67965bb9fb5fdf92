"""Row filters: every operator's AST, escaping per dialect, combination and errors."""

from __future__ import annotations

from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from tripl_cli.compiler.dialects import DIALECTS, rules_for
from tripl_cli.compiler.filters import condition_expression, measure_condition
from tripl_cli.errors import TriplError
from tripl_cli.project.schema import Condition, FactTable, Operator, RowFilter

NASTY = ["O'Brien", "back\\slash", "50%_off", "it''s", "new\nline", 'quote"d', "ü€"]

FACT = FactTable(
    name="orders",
    sql="SELECT * FROM raw.orders",
    timestamp_column="created_at",
    row_filters=[
        RowFilter(name="completed", sql="status = 'completed'"),
        RowFilter(name="big_us", conditions=[
            Condition(column="country", operator=Operator.EQ, value="US"),
            Condition(column="amount", operator=Operator.GTE, value=100),
        ]),
        RowFilter(name="either", sql="a = 1 OR b = 2"),
    ],
)  # fmt: skip


def _cond(op: str, value: object = None, column: str = "c") -> Condition:
    return Condition.model_validate({"column": column, "operator": op, "value": value})


@pytest.mark.parametrize(
    ("op", "value", "sql"),
    [
        ("eq", "x", "c = 'x'"),
        ("ne", 3, "c <> 3"),
        # NaN sorts above every number on DuckDB: `gt`/`gte` leave it out (test_nan_values).
        ("gt", 1.5, "(c > 1.5 AND c <> CAST('NaN' AS DOUBLE))"),
        ("gte", 0, "(c >= 0 AND c <> CAST('NaN' AS DOUBLE))"),
        ("lt", -2, "c < -2"),
        ("lte", 10, "c <= 10"),
        ("in", ["a", 1, True], "c IN ('a', 1, TRUE)"),
        ("not_in", ["a", "b"], "NOT (c IN ('a', 'b'))"),
        ("contains", "50%", "STRPOS(c, '50%') > 0"),
        ("not_contains", "x", "NOT (STRPOS(c, 'x') > 0)"),
        ("like", "a%_b", "c LIKE 'a%_b' ESCAPE '\\'"),
        ("not_like", "a%", "NOT (c LIKE 'a%' ESCAPE '\\')"),
        ("is_null", None, "c IS NULL"),
        ("is_not_null", None, "NOT (c IS NULL)"),
        ("is_true", None, "c = TRUE"),
        ("is_false", None, "c = FALSE"),
    ],
)
def test_operator_shapes(op: str, value: object, sql: str) -> None:
    tree = rules_for("duckdb").condition(condition_expression(_cond(op, value)))
    assert tree.sql(dialect="duckdb") == sql


def _literals(sql: str, dialect: str) -> list[str]:
    tree = sqlglot.parse_one(sql, read=dialect)
    return [lit.this for lit in tree.find_all(exp.Literal) if lit.is_string]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("op", ["eq", "contains", "not_contains", "like", "ne"])
def test_values_are_escaped_literals_in_every_dialect(dialect: str, op: str) -> None:
    """Each nasty value renders as a literal that parses back to exactly itself."""
    rules = rules_for(dialect)
    for value in NASTY:
        tree = measure_condition(
            FACT, filters=[], where=None, conditions=[_cond(op, value)], dialect=rules.name
        )
        assert tree is not None
        sql = rules.render(exp.select("1").where(tree.expression))
        assert value in _literals(sql, rules.name), (dialect, value, sql)


def test_in_list_literals_round_trip() -> None:
    tree = condition_expression(_cond("in", NASTY))
    for dialect in DIALECTS:
        rules = rules_for(dialect)
        sql = rules.render(exp.select("1").where(tree))
        assert _literals(sql, rules.name) == NASTY


def test_contains_is_not_a_like_pattern() -> None:
    for dialect in DIALECTS:
        rules = rules_for(dialect)
        sql = rules.render(exp.select("1").where(condition_expression(_cond("contains", "5%_"))))
        assert "LIKE" not in sql.upper(), sql


def test_sources_combine_with_and_and_order_does_not_change_the_key() -> None:
    kw: dict[str, Any] = {"where": "amount > 0", "conditions": [_cond("eq", "ios", "platform")]}
    one = measure_condition(FACT, filters=["completed", "big_us", "either"], dialect="duckdb", **kw)
    two = measure_condition(FACT, filters=["either", "big_us", "completed"], dialect="duckdb", **kw)
    assert one is not None and two is not None
    assert one.key == two.key
    # The SQL keeps the user's order; an OR fragment keeps its parentheses.
    assert one.expression.sql(dialect="duckdb") == (
        "status = 'completed' AND country = 'US'"
        " AND (amount >= 100 AND amount <> CAST('NaN' AS DOUBLE))"  # a condition: NaN left out
        " AND (a = 1 OR b = 2) AND amount > 0 AND platform = 'ios'"
    )
    other = measure_condition(FACT, filters=["completed"], dialect="duckdb", **kw)
    assert other is not None and other.key != one.key


def test_duplicate_terms_collapse_and_no_filter_is_none() -> None:
    tree = measure_condition(
        FACT, filters=["completed"], where="status  =  'completed'", conditions=[], dialect="duckdb"
    )
    assert tree is not None and tree.expression.sql() == "status = 'completed'"
    assert measure_condition(FACT, filters=[], where=None, conditions=[], dialect="duckdb") is None


def test_fragments_parse_in_the_target_dialect() -> None:
    # Backtick identifiers are MySQL syntax; the fragment is read as MySQL and rendered so.
    tree = measure_condition(
        FACT, filters=[], where="`order status` = 'x'", conditions=[], dialect="mysql"
    )
    assert tree is not None and tree.expression.sql(dialect="mysql") == "`order status` = 'x'"


def test_unknown_filter_and_bad_fragment_are_user_errors() -> None:
    with pytest.raises(TriplError, match="no row filter 'nope'"):
        measure_condition(FACT, filters=["nope"], where=None, conditions=[], dialect="duckdb")
    with pytest.raises(TriplError, match="cannot parse `where`"):
        measure_condition(FACT, filters=[], where="amount >", conditions=[], dialect="duckdb")


def test_filters_differing_only_inside_a_literal_are_not_deduplicated() -> None:
    from tripl_cli.compiler.filters import _fragment

    two_spaces, _ = _fragment("kind = 'a  b'", "duckdb", "where")
    one_space, _ = _fragment("kind = 'a b'", "duckdb", "where")
    relaid, _ = _fragment("kind   =\n 'a b'", "duckdb", "where")
    assert two_spaces != one_space
    assert relaid == one_space
