"""The user's SQL as a tree per window: parsed once per text, handed out as copies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlglot import exp

from tripl_cli.compiler.dialects import rules_for
from tripl_cli.compiler.sources import parse_query, windowed_query
from tripl_cli.errors import TriplError
from tripl_cli.timegrid import Window

SQL = "SELECT ts, amount FROM orders WHERE ts >= {{ start }} AND ts < {{ end }}"
WINDOW = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))


def test_each_call_gets_its_own_tree() -> None:
    rules = rules_for("duckdb")
    first = windowed_query(SQL, WINDOW, rules, what="fact table 'orders'")
    first.set("where", None)  # what the compiler does to its copy must not leak
    first.select(exp.column("extra"), copy=False)
    second = windowed_query(SQL, WINDOW, rules, what="fact table 'orders'")
    assert second is not first
    assert second.args.get("where") is not None
    assert [e.alias_or_name for e in second.expressions] == ["ts", "amount"]


def test_windows_give_their_own_literals() -> None:
    rules = rules_for("postgres")
    later = Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
    one = rules.render(windowed_query(SQL, WINDOW, rules, what="x"))
    two = rules.render(windowed_query(SQL, later, rules, what="x"))
    assert "2026-01-01" in one and "2026-03-01" not in one
    assert "2026-03-01" in two and "2026-01-01" not in two


def test_a_parse_error_names_the_source_every_time() -> None:
    for what in ("fact table 'a'", "fact table 'b'"):
        with pytest.raises(TriplError, match=what):
            parse_query("SELECT FROM WHERE (", dialect="duckdb", what=what)
