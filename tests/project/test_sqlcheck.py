"""SQL safety: exactly one read-only query; filter fragments one boolean expression."""

from __future__ import annotations

import pytest

from tripl_cli.project.sqlcheck import (
    check_fragment,
    check_query,
    output_columns,
    referenced_columns,
)

SAFE_QUERIES = [
    "SELECT 1",
    "SELECT a, b FROM t WHERE x > 1",
    "WITH c AS (SELECT a FROM t) SELECT a FROM c",
    "SELECT a FROM x UNION ALL SELECT a FROM y",
    "(SELECT 1)",
    "SELECT 1 -- ;DROP TABLE x",
    "SELECT 1 /* ; DROP TABLE x */",
    "SELECT 'it''s; fine' AS a",
    "SELECT a FROM t WHERE ts >= {{ start }} AND ts < {{ end }}",
    "SELECT toStartOfDay(ts) AS bucket, count() AS value FROM t GROUP BY 1",
    "SELECT 1\n-- trailing comment; with a semicolon\n",
]

UNSAFE_QUERIES = [
    ("DELETE FROM t", "unsafe-sql", "found DELETE"),
    ("DROP TABLE t", "unsafe-sql", "found DROP"),
    ("INSERT INTO t SELECT 1", "unsafe-sql", "found INSERT"),
    ("UPDATE t SET a = 1", "unsafe-sql", "found UPDATE"),
    ("CREATE TABLE x AS SELECT 1", "unsafe-sql", "found CREATE"),
    ("GRANT ALL ON t TO u", "unsafe-sql", "found GRANT"),
    ("CALL p()", "unsafe-sql", "found CALL"),
    ("VALUES (1)", "unsafe-sql", "found VALUES"),
    ("SELECT 1; DROP TABLE x", "unsafe-sql", "single statement"),
    ("SELECT 1;", "unsafe-sql", "must not end with ';'"),
    ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "unsafe-sql", "contains DELETE"),
    ("SELECT 1 INTO t", "unsafe-sql", "SELECT ... INTO"),
    ("SELECT * FROM t FOR UPDATE", "unsafe-sql", "FOR UPDATE"),
    ("SELECT /*! 1; DROP TABLE t */ 2", "unsafe-sql", "executable comments"),
    # Postgres nests block comments, others do not: the statement hides from one of them.
    ("SELECT 1 /* /* */ ; DROP TABLE x; /* */", "unsafe-sql", "single statement"),
    # MySQL needs a space after `--`: there this is `1 - -1; DROP TABLE x`.
    ("SELECT 1 --1;DROP TABLE x", "unsafe-sql", "hides a ';' from some engines"),
    # A ';' only Postgres (nesting comments) keeps inside the comment: the others run it.
    ("SELECT 1 /* /* */ ; */", "unsafe-sql", "single statement"),
    # MySQL/BigQuery read `\'` as an escaped quote; Postgres ends the string there.
    ("SELECT 'a\\'; DROP TABLE x; --'", "unsafe-sql", "single statement"),
    # `#` starts a comment in MySQL but not elsewhere.
    ("SELECT 1 # ; DROP TABLE x", "unsafe-sql", "single statement"),
    ("SELEC 1", "sql-syntax", "cannot be parsed"),
]


@pytest.mark.parametrize("sql", SAFE_QUERIES)
def test_safe_queries_pass(sql: str) -> None:
    check = check_query(sql)
    assert check.problems == ()
    assert check.tree is not None


@pytest.mark.parametrize(("sql", "rule", "words"), UNSAFE_QUERIES)
def test_unsafe_queries_are_rejected_with_the_reason(sql: str, rule: str, words: str) -> None:
    check = check_query(sql)
    assert [p.rule for p in check.problems] == [rule]
    assert words in check.problems[0].message


@pytest.mark.parametrize(
    "dialect", ["duckdb", "postgres", "mysql", "clickhouse", "snowflake", "bigquery"]
)
def test_dml_in_a_cte_is_rejected_in_every_dialect(dialect: str) -> None:
    check = check_query("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", dialect)
    assert check.problems and check.problems[0].rule in ("unsafe-sql", "sql-syntax")


SAFE_FRAGMENTS = [
    "status = 'completed'",
    "TRUNCATE(amount, 0) = 4",  # MySQL's rounding function, not TRUNCATE TABLE
    "amount > 0 AND country IN ('US', 'DE')",
    "lower(country) LIKE 'u%' OR country IS NULL",
    "is_test",
    "NOT (a = 1)",
    "note = 'a; b'",
]

UNSAFE_FRAGMENTS = [
    ("user_id IN (SELECT id FROM admins)", "unsafe-filter", "found SELECT"),
    ("status = 'x'; DROP TABLE t", "unsafe-filter", "';'"),
    ("1=1) UNION SELECT password FROM users WHERE (1=1", "unsafe-filter", "found UNION"),
    ("EXISTS (WITH x AS (SELECT 1) SELECT * FROM x)", "unsafe-filter", "found"),
    ("delete", "unsafe-filter", "found DELETE"),
    ("a = 1 OR TRUNCATE TABLE t", "unsafe-filter", "found TRUNCATE"),
    ("42", "unsafe-filter", "not a boolean"),
    ("'text'", "unsafe-filter", "not a boolean"),
    ("amount + 1", "unsafe-filter", "not a boolean"),
    ("a >", "sql-syntax", "not a valid boolean expression"),
    ("a = 1 /*! OR 1=1 */", "unsafe-filter", "executable comments"),
]


@pytest.mark.parametrize("sql", SAFE_FRAGMENTS)
def test_safe_fragments_pass(sql: str) -> None:
    assert check_fragment(sql).problems == ()


@pytest.mark.parametrize(("sql", "rule", "words"), UNSAFE_FRAGMENTS)
def test_unsafe_fragments_are_rejected(sql: str, rule: str, words: str) -> None:
    problems = check_fragment(sql).problems
    assert [p.rule for p in problems] == [rule]
    assert words in problems[0].message


def test_output_columns() -> None:
    def names(sql: str) -> list[str] | None:
        tree = check_query(sql).tree
        assert tree is not None
        return output_columns(tree)

    assert names("SELECT a, b AS c, t.d FROM t") == ["a", "c", "d"]
    assert names("WITH x AS (SELECT 1 AS q) SELECT q FROM x") == ["q"]
    assert names("SELECT a FROM x UNION ALL SELECT b FROM y") == ["a"]
    assert names("SELECT * FROM t") is None
    assert names("SELECT count(*) FROM t") is None


def test_referenced_columns_skip_qualified_quoted_and_date_parts() -> None:
    tree = check_fragment(
        "dateadd(day, -1, current_date) < created_at AND t.x = 1 AND \"Y\" = 'a' AND amount > 0"
    ).tree
    assert tree is not None
    assert sorted(referenced_columns(tree, unquoted_only=True)) == ["amount", "created_at"]
    assert sorted(referenced_columns(tree, unquoted_only=False)) == ["Y", "amount", "created_at"]
