"""The user's SQL (a fact table's or an SQL metric's) as an AST for one window.

`{{ start }}` / `{{ end }}` (left in place by the loader) become the dialect's typed UTC
timestamp literals of the window being collected, so the user's query can prune partitions;
tripl still applies its own half-open window filter on the timestamp column (SPEC §1.3).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Protocol

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from tripl_cli.compiler.dialects import rules_for
from tripl_cli.errors import TriplError
from tripl_cli.timegrid import Window

_PLACEHOLDER = re.compile(r"\{\{\s*(start|end)\s*\}\}")


class LiteralRules(Protocol):
    """The part of `DialectRules` this module needs."""

    @property
    def name(self) -> str: ...

    def timestamp_literal(self, ts: datetime) -> exp.Expression: ...

    def render(self, tree: exp.Expression) -> str: ...


def substitute_window(sql: str, window: Window, rules: LiteralRules) -> str:
    """Replace `{{ start }}` / `{{ end }}` with the window's timestamp literals."""
    bounds = {"start": window.start, "end": window.end}
    literals = {key: _literal_sql(ts, rules) for key, ts in bounds.items()}
    return _PLACEHOLDER.sub(lambda m: literals[m.group(1)], sql)


def _literal_sql(ts: datetime, rules: LiteralRules) -> str:
    # A literal renders on one line, so it splices into any position of the user's SQL.
    return rules.render(rules.timestamp_literal(ts)).strip()


@functools.lru_cache(maxsize=1024)
def _parse(sql: str, dialect: str) -> exp.Expr:
    # Memoised (callers get copies): a compile asks for each fact table's query once per scan
    # and variant, and copying a parsed tree is ~4x cheaper than parsing it again.
    rules = rules_for(dialect)
    return rules.as_written(sqlglot.parse_one(sql.strip().rstrip(";").strip(), read=rules.reader))


def parse_query(sql: str, *, dialect: str, what: str) -> exp.Query:
    """Parse one SELECT (or WITH … SELECT) written in the target dialect."""
    try:
        tree = _parse(sql, dialect).copy()
    except ParseError as err:
        # The first line only: the rest quotes the SQL with terminal underlines.
        said = (str(err).strip().splitlines() or ["a parse error"])[0]
        raise TriplError(
            f"cannot parse the sql of {what} as {dialect}",
            hint=f"check it with `tripl validate` (sqlglot said: {said})",
        ) from None
    if not isinstance(tree, exp.Query):
        raise TriplError(
            f"the sql of {what} is not a SELECT", hint="write one SELECT or WITH … SELECT"
        )
    return tree


def windowed_query(sql: str, window: Window, rules: LiteralRules, *, what: str) -> exp.Query:
    """The user's query for `window`, parsed in the rules' dialect."""
    return parse_query(substitute_window(sql, window, rules), dialect=rules.name, what=what)
