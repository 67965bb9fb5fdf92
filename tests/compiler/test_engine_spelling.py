"""SQL tripl writes as the engine reads the user's own: column names from the YAML are folded
by PostgreSQL as the user's unquoted aliases are, a regular-expression match runs on
MariaDB, `~` matches anywhere in the string on DuckDB as on PostgreSQL, and `IS [NOT] TRUE`
keeps its meaning for NULL on Snowflake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlglot

from tests.compiler.projects import project_of
from tests.support.engines import Engine, load_table
from tripl_cli.adapters import Adapter
from tripl_cli.compiler.assemble import assemble
from tripl_cli.compiler.dialects import rules_for
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.model import Project
from tripl_cli.project.schema import FactTable
from tripl_cli.runner.execute import execute_query
from tripl_cli.timegrid import Window

SCHEMA = "tripl_case_test"
WINDOW = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC))


def _project() -> Project:
    fact = FactTable.model_validate({
        "name": "orders", "timestamp_column": "createdAt",
        # An ORM's quoted camelCase columns, aliased unquoted (folded, as tripl's names are).
        "sql": f'SELECT "createdAt" AS createdAt, "Amount" AS Amount, "shipCountry" AS'
        f' shipCountry FROM {SCHEMA}."Orders" WHERE "Amount" > 0',
    })  # fmt: skip
    revenue = {
        "name": "revenue", "kind": "fact", "fact_table": "orders", "aggregation": "sum",
        "column": "Amount", "breakdowns": ["shipCountry"], "breakdown_limit": None,
        "conditions": [{"column": "shipCountry", "operator": "ne", "value": "fr"}],
    }  # fmt: skip
    return project_of([fact], revenue)


def test_postgres_folds_declared_names_as_it_folds_the_users_aliases(
    postgres_admin: Adapter,
) -> None:
    admin = postgres_admin
    try:
        admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        admin.execute(f"CREATE SCHEMA {SCHEMA}")
        admin.execute(
            f'CREATE TABLE {SCHEMA}."Orders" ("createdAt" timestamp, "Amount" float8,'
            ' "shipCountry" text)'
        )
        admin.execute(
            f"INSERT INTO {SCHEMA}.\"Orders\" VALUES ('2026-01-01 05:00', 10, 'us'),"
            " ('2026-01-01 06:00', 5, 'fr'), ('2026-01-02 07:00', 2.5, 'de')"
        )
        plan = compile_plan(
            _project(), ["revenue"], dialect="postgres", window_for=lambda _: WINDOW
        )
        results = {q.id: execute_query(admin, q, timeout_s=None) for q in plan.queries}
        got = {(v.bucket.day, v.breakdown): v.value for v in assemble(plan, results)}
        assert got == {
            (1, ("", "")): 10.0,
            (2, ("", "")): 2.5,
            (1, ("shipCountry", "us")): 10.0,
            (2, ("shipCountry", "de")): 2.5,
        }
    finally:
        admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def test_regexp_runs_on_mariadb(engine_factory: Callable[[str], Engine]) -> None:
    # sqlglot writes `v REGEXP '^a'` as REGEXP_LIKE(v, '^a'), which MariaDB does not have.
    engine = engine_factory("mysql")
    table = load_table(engine, "regexp_words", [("v", "string")], [("apple",), ("pear",)])
    rules = rules_for("mysql")
    tree = sqlglot.parse_one(
        f"SELECT v FROM {table} WHERE v REGEXP '^a' OR v RLIKE 'x$'", read="mysql"
    )
    sql = rules.render(tree)
    assert "REGEXP_LIKE" not in sql
    assert engine.adapter.execute(sql).rows == (("apple",),)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_a_tilde_match_in_a_where_means_what_the_engine_runs(
    dialect: str, engine_factory: Callable[[str], Engine]
) -> None:
    # sqlglot reads DuckDB's `~` as REGEXP_FULL_MATCH (DuckDB before 2.0); DuckDB 2.0 and
    # PostgreSQL match anywhere: `v ~ '^a'` holds for 'ab'.
    engine = engine_factory(dialect)
    words = ["a", "ab", "abc", "b", "cab"]
    rows = [(datetime(2026, 1, 1, i, tzinfo=UTC), w) for i, w in enumerate(words)]
    table = load_table(engine, "tilde_words", [("ts", "timestamp"), ("v", "string")], rows)
    fact = FactTable.model_validate(
        {"name": "words", "timestamp_column": "ts", "sql": f"SELECT ts, v FROM {table}"}
    )
    wheres = {"starts_a": "v ~ '^a'", "no_b": "v !~ 'b'", "ab": "v ~ 'ab'"}
    metrics = [
        {"name": n, "kind": "fact", "fact_table": "words", "aggregation": "count", "where": w}
        for n, w in wheres.items()
    ]
    plan = compile_plan(
        project_of([fact], *metrics), list(wheres), dialect=dialect, window_for=lambda _: WINDOW
    )
    results = {q.id: execute_query(engine.adapter, q, timeout_s=None) for q in plan.queries}
    got = {v.metric: v.value for v in assemble(plan, results)}
    engine_own = {
        n: engine.adapter.execute(f"SELECT count(*) FROM {table} WHERE {w}").rows[0][0]
        for n, w in wheres.items()
    }
    assert got == engine_own == {"starts_a": 3, "no_b": 1, "ab": 3}


@pytest.mark.parametrize("dialect", ["snowflake", "duckdb", "postgres"])
def test_is_true_and_is_false_keep_their_meaning_for_null(
    dialect: str, engine_factory: Callable[[str], Engine]
) -> None:
    # sqlglot writes Snowflake's `b IS NOT TRUE` as `NOT b`, which leaves NULL unmatched.
    engine = engine_factory(dialect)
    flags = [True, False, None, None, True]
    rows = [(datetime(2026, 1, 1, i, tzinfo=UTC), b) for i, b in enumerate(flags)]
    table = load_table(engine, "is_bool_flags", [("ts", "timestamp"), ("b", "bool")], rows)
    fact = FactTable.model_validate(
        {"name": "flags", "timestamp_column": "ts", "sql": f"SELECT ts, b FROM {table}"}
    )
    wheres = {
        "is_true": ("b IS TRUE", lambda b: b is True),
        "is_not_true": ("b IS NOT TRUE", lambda b: b is not True),
        "is_false": ("b IS FALSE", lambda b: b is False),
        "is_not_false": ("b IS NOT FALSE", lambda b: b is not False),
    }
    metrics = [
        {"name": n, "kind": "fact", "fact_table": "flags", "aggregation": "count", "where": w}
        for n, (w, _) in wheres.items()
    ]
    plan = compile_plan(
        project_of([fact], *metrics), list(wheres), dialect=dialect, window_for=lambda _: WINDOW
    )
    results = {q.id: execute_query(engine.adapter, q, timeout_s=None) for q in plan.queries}
    got = {v.metric: v.value for v in assemble(plan, results)}
    assert got == {n: sum(1 for b in flags if holds(b)) for n, (_, holds) in wheres.items()}
