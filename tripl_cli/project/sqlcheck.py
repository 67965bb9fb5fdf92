"""Static safety checks on user SQL: fact-table/sql-metric queries and filter fragments.

tripl runs user SQL against production warehouses, so a query must be exactly one
read-only SELECT and a filter exactly one boolean expression. Two layers:

1. A lexical scan for `;` outside strings and comments under *several* engines' lexing
   rules (backslash escapes, `#` comments, nested `/* */`, MySQL's "`--` needs a space"),
   because a statement hidden from one engine's reading can run on another's.
   MySQL executable comments (`/*! … */`) are rejected outright.
2. A sqlglot parse (the target dialect, or permissively), then a walk of the whole tree,
   CTEs included, for anything that writes, locks or is not a query.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import TokenType

from tripl_cli.project.templating import END_PLACEHOLDER, START_PLACEHOLDER

#: What `{{ start }}`/`{{ end }}` become for parsing (the compiler renders the real literals).
SAMPLE_TIMESTAMP = "TIMESTAMP '2000-01-01 00:00:00'"
#: Unquoted identifiers standing in for the placeholders while tokenizing.
_MARK = {"start": "tripl_window_start_mark", "end": "tripl_window_end_mark"}
#: Dialects tried, in order, when the target is unknown.
PERMISSIVE_DIALECTS: tuple[str, ...] = (
    "",
    "duckdb",
    "postgres",
    "mysql",
    "clickhouse",
    "snowflake",
    "bigquery",
)


@dataclass(frozen=True)
class _Lexing:
    backslash_escapes: bool
    hash_comments: bool
    nested_comments: bool
    dashdash_needs_space: bool


# ANSI/Snowflake/DuckDB; PostgreSQL (nested comments); MySQL; BigQuery/ClickHouse.
_LEXINGS = (
    _Lexing(False, False, False, False),
    _Lexing(False, False, True, False),
    _Lexing(True, True, False, True),
    _Lexing(True, True, False, False),
)

_WRITES: tuple[type[exp.Expr], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,
    exp.Copy,
    exp.Grant,
    exp.Revoke,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Pragma,
    exp.Use,
    exp.Set,
    exp.LoadData,
    exp.Attach,
    exp.Detach,
    exp.Export,
    exp.Install,
    exp.Kill,
    exp.Refresh,
    exp.Cache,
    exp.Analyze,
    exp.Execute,
    exp.Declare,
    exp.Comment,
    exp.MultitableInserts,
)
_FORBIDDEN_WORDS = frozenset(
    {
        *("SELECT", "WITH", "UNION", "INTERSECT", "EXCEPT", "INTO"),
        *("INSERT", "UPDATE", "DELETE", "MERGE", "DROP", "CREATE", "ALTER", "TRUNCATE"),
        *("GRANT", "REVOKE", "EXEC", "EXECUTE", "CALL", "COPY", "ATTACH", "DETACH", "PRAGMA"),
    }
)
_QUOTED_TOKENS = frozenset({TokenType.STRING, TokenType.IDENTIFIER})


@dataclass(frozen=True)
class SqlProblem:
    rule: str  # unsafe-sql | unsafe-filter | sql-syntax
    message: str


@dataclass(frozen=True)
class QueryCheck:
    tree: exp.Expr | None
    problems: tuple[SqlProblem, ...]


def substitute_window(sql: str) -> str:
    return sql.replace(START_PLACEHOLDER, SAMPLE_TIMESTAMP).replace(
        END_PLACEHOLDER, SAMPLE_TIMESTAMP
    )


def quoted_placeholder(sql: str, dialect: str | None = None) -> str | None:
    """The `{{ start }}`/`{{ end }}` written inside a string literal, if any.

    Each becomes a typed literal (`TIMESTAMP '…'`), which inside quotes is a syntax error
    whose parser message would point at tripl's text, not the user's quotes.
    """
    marked = sql.replace(START_PLACEHOLDER, _MARK["start"]).replace(END_PLACEHOLDER, _MARK["end"])
    if marked == sql:
        return None
    try:
        with _quiet_sqlglot():
            tokens = sqlglot.tokenize(marked, read=dialect or None)
    except (TokenError, ParseError):
        return None  # the parse reports it
    for token in tokens:
        if token.token_type is TokenType.STRING:
            for name, mark in _MARK.items():
                if mark in token.text:
                    return name
    return None


def has_template_leftovers(sql: str) -> bool:
    """True when a template failed to render (already reported; don't parse it)."""
    return any(marker in sql for marker in ("{{", "{%", "{#"))


# --------------------------------------------------------------------------- lexical scan
def _skip_quoted(sql: str, i: int, lexing: _Lexing) -> int:
    quote, n = sql[i], len(sql)
    i += 1
    while i < n:
        if lexing.backslash_escapes and sql[i] == "\\":
            i += 2
            continue
        if sql[i] == quote:
            if i + 1 < n and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return n


def _skip_block_comment(sql: str, i: int, lexing: _Lexing) -> int:
    depth, j, n = 1, i + 2, len(sql)
    while j < n and depth:
        if lexing.nested_comments and sql.startswith("/*", j):
            depth, j = depth + 1, j + 2
        elif sql.startswith("*/", j):
            depth, j = depth - 1, j + 2
        else:
            j += 1
    return j


def _line_comment_at(sql: str, i: int, lexing: _Lexing) -> bool:
    if sql.startswith("--", i):
        after = sql[i + 2 : i + 3]
        return not lexing.dashdash_needs_space or after in ("", " ", "\t", "\r", "\n")
    return lexing.hash_comments and sql[i] == "#"


def _scan(sql: str, lexing: _Lexing) -> Iterator[str]:
    """Yield 'semicolon' / 'executable-comment' for each one found in code under `lexing`."""
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char in "'\"`":
            i = _skip_quoted(sql, i, lexing)
        elif _line_comment_at(sql, i, lexing):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            if sql.startswith(("/*!", "/*M!"), i):
                yield "executable-comment"
            i = _skip_block_comment(sql, i, lexing)
        else:
            if char == ";":
                yield "semicolon"
            i += 1


def lexical_findings(sql: str) -> set[str]:
    """What any of the engines' lexers would see outside strings and comments.

    'hidden-semicolon': a `;` that the standard reading puts inside a comment or string
    but some engine's reading does not — the classic way to smuggle a second statement.
    """
    standard = set(_scan(sql, _LEXINGS[0]))
    found = set(standard)
    for lexing in _LEXINGS[1:]:
        found.update(_scan(sql, lexing))
    if "semicolon" in found and "semicolon" not in standard:
        found.discard("semicolon")
        found.add("hidden-semicolon")
    return found


# --------------------------------------------------------------------------- parsing
class _DropFallbackWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning when it falls back to `Command`; we report that ourselves."""
    log = logging.getLogger("sqlglot")
    quiet = _DropFallbackWarnings()
    log.addFilter(quiet)
    try:
        yield
    finally:
        log.removeFilter(quiet)


def _candidates(dialect: str | None) -> tuple[str, ...]:
    return (dialect,) if dialect else PERMISSIVE_DIALECTS


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _parse_statements(sql: str, dialect: str | None) -> list[exp.Expr] | SqlProblem:
    first_error: str | None = None
    with _quiet_sqlglot():
        for candidate in _candidates(dialect):
            try:
                parsed = sqlglot.parse(sql, read=candidate or None)
            except (ParseError, TokenError) as exc:
                first_error = first_error or _first_line(exc)
                continue
            return [statement for statement in parsed if statement is not None]
    return SqlProblem("sql-syntax", f"cannot be parsed: {first_error}")


def _describe(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, exp.Into):
        return "SELECT ... INTO"
    return node.key.upper()


def _query_root(tree: exp.Expr) -> exp.Expr | None:
    while isinstance(tree, exp.Subquery):
        tree = tree.this
    return tree if isinstance(tree, exp.Select | exp.SetOperation) else None


def check_query(sql: str, dialect: str | None = None) -> QueryCheck:
    """Is `sql` exactly one read-only SELECT / WITH … SELECT / set operation?"""
    text = substitute_window(sql)
    findings = lexical_findings(text)
    problems: list[SqlProblem] = []
    if "executable-comment" in findings:
        problems.append(
            SqlProblem("unsafe-sql", "MySQL executable comments (/*! ... */) run as SQL")
        )
    if "hidden-semicolon" in findings:
        message = (
            "hides a ';' from some engines: nested /* */, '--' without a space, '#' or a "
            "backslash-escaped quote make engines disagree on where a comment or string ends"
        )
        problems.append(SqlProblem("unsafe-sql", message))
    if "semicolon" in findings:
        trimmed = text.rstrip()
        if trimmed.endswith(";") and not lexical_findings(trimmed[:-1]) & {
            "semicolon",
            "hidden-semicolon",
        }:
            message = "must not end with ';' (tripl wraps the query in its own SELECT)"
        else:
            message = "must be a single statement: found ';' outside strings and comments"
        problems.append(SqlProblem("unsafe-sql", message))
    if problems:
        return QueryCheck(None, tuple(problems))
    parsed = _parse_statements(text, dialect)
    if isinstance(parsed, SqlProblem):
        # A quoted placeholder always fails to parse; tokenizing for it only then keeps the
        # check of valid SQL one pass, and says what is really wrong.
        quoted = quoted_placeholder(sql, dialect)
        if quoted is not None:
            message = (
                f"has {{{{ {quoted} }}}} inside quotes: tripl puts a typed timestamp literal "
                f"there, so write it bare (e.g. `ts >= {{{{ {quoted} }}}}`, "
                f"not `'{{{{ {quoted} }}}}'`)"
            )
            parsed = SqlProblem("sql-syntax", message)
        return QueryCheck(None, (parsed,))
    if len(parsed) != 1:
        count = len(parsed)
        return QueryCheck(
            None, (SqlProblem("unsafe-sql", f"must be one statement, found {count}"),)
        )
    tree = parsed[0]
    if _query_root(tree) is None:
        message = f"must be a read-only SELECT (or WITH ... SELECT), found {_describe(tree)}"
        return QueryCheck(None, (SqlProblem("unsafe-sql", message),))
    for node in tree.walk():
        if isinstance(node, (*_WRITES, exp.Into)):
            message = f"must be read-only: it contains {_describe(node)}"
            return QueryCheck(None, (SqlProblem("unsafe-sql", message),))
        if isinstance(node, exp.Lock):
            message = "must be read-only: FOR UPDATE/FOR SHARE locks rows; remove it"
            return QueryCheck(None, (SqlProblem("unsafe-sql", message),))
    return QueryCheck(tree, ())


def _forbidden_word(sql: str, dialect: str | None) -> str | None:
    try:
        tokens = sqlglot.tokenize(sql, read=dialect or None)
    except TokenError:
        return None  # the parse below reports it
    for token, after in zip(tokens, [*tokens[1:], None], strict=True):
        word = token.text.upper()
        if token.token_type in _QUOTED_TOKENS or word not in _FORBIDDEN_WORDS:
            continue
        if word == "TRUNCATE" and after is not None and after.token_type == TokenType.L_PAREN:
            continue  # MySQL's TRUNCATE(x, d) rounds toward zero; TRUNCATE TABLE has no "("
        return word
    return None


def _parse_condition(sql: str, dialect: str | None) -> exp.Expr | SqlProblem:
    first_error: str | None = None
    with _quiet_sqlglot():
        for candidate in _candidates(dialect):
            try:
                return sqlglot.parse_one(sql, read=candidate or None, into=exp.Condition)
            except (ParseError, TokenError) as exc:
                first_error = first_error or _first_line(exc)
    detail = f": {first_error}" if first_error and "<class" not in first_error else ""
    return SqlProblem("sql-syntax", f"is not a valid boolean expression{detail}")


def _shown_sql(node: exp.Expr) -> str:
    text = node.sql()
    return text if len(text) <= 40 else text[:37] + "..."


_NOT_BOOLEAN = (exp.Literal, exp.Null, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.DPipe)


def check_fragment(sql: str, dialect: str | None = None) -> QueryCheck:
    """Is `sql` one boolean expression with no statement, subquery or `;`?"""
    findings = lexical_findings(sql)
    if "executable-comment" in findings:
        message = "MySQL executable comments (/*! ... */) run as SQL"
        return QueryCheck(None, (SqlProblem("unsafe-filter", message),))
    if "semicolon" in findings or "hidden-semicolon" in findings:
        return QueryCheck(None, (SqlProblem("unsafe-filter", "must not contain ';'"),))
    word = _forbidden_word(sql, dialect)
    if word is not None:
        message = f"must be a boolean expression, not a query or statement (found {word})"
        return QueryCheck(None, (SqlProblem("unsafe-filter", message),))
    parsed = _parse_condition(sql, dialect)
    if isinstance(parsed, SqlProblem):
        return QueryCheck(None, (parsed,))
    for node in parsed.walk():
        if isinstance(node, (exp.Query, exp.Subquery, *_WRITES)):
            message = "must not contain subqueries or statements"
            return QueryCheck(None, (SqlProblem("unsafe-filter", message),))
        if isinstance(node, (exp.AggFunc, exp.Window)):
            # A filter keeps or drops one row; the engine refuses these only at run time.
            what = "a window function" if isinstance(node, exp.Window) else "an aggregate"
            message = f"must be a condition on one row, not {what} (found {_shown_sql(node)})"
            return QueryCheck(None, (SqlProblem("unsafe-filter", message),))
    if isinstance(parsed, _NOT_BOOLEAN):
        return QueryCheck(None, (SqlProblem("unsafe-filter", "is not a boolean expression"),))
    return QueryCheck(parsed, ())


# --------------------------------------------------------------------------- columns
def output_columns(tree: exp.Expr) -> list[str] | None:
    """The names a query returns, or None when they cannot be known (`*`, unnamed exprs)."""
    named = named_output_columns(tree)
    return None if named is None or not named[1] else named[0]


def named_output_columns(tree: exp.Expr) -> tuple[list[str], bool] | None:
    """The names of the columns a query selects by a name of their own (an alias or a bare
    column), and whether that is all of them; None with `*` (nothing is known).

    sqlglot names `CAST(x AS T)` x, but DuckDB, MySQL and ClickHouse name it after the whole
    expression: only an alias or a bare column has one name on every engine.
    """
    root = _query_root(tree)
    while isinstance(root, exp.SetOperation):
        root = _query_root(root.left)
    if not isinstance(root, exp.Select):
        return None
    names: list[str] = []
    complete = True
    for projection in root.selects:
        if isinstance(projection, exp.Star) or projection.is_star:
            return None
        name = projection.output_name
        if isinstance(projection, (exp.Alias, exp.Column)) and name:
            names.append(name)
        else:
            complete = False
    return names, complete


#: Unquoted date-part keywords some dialects parse as columns (`dateadd(day, -1, x)`).
_DATE_PARTS = frozenset(
    {
        *("year", "years", "quarter", "quarters", "month", "months", "week", "weeks"),
        *("isoweek", "day", "days", "dayofweek", "dow", "dayofyear", "doy", "hour", "hours"),
        *("minute", "minutes", "second", "seconds", "millisecond", "milliseconds"),
        *("microsecond", "microseconds", "epoch"),
    }
)


def referenced_columns(tree: exp.Expr, *, unquoted_only: bool) -> list[str]:
    """Column names a filter fragment reads (unqualified ones only)."""
    out: list[str] = []
    for column in tree.find_all(exp.Column):
        identifier = column.this
        if column.table or not isinstance(identifier, exp.Identifier):
            continue
        if unquoted_only and identifier.quoted:
            continue
        if not identifier.quoted and column.name.lower() in _DATE_PARTS:
            continue
        if column.name not in out:
            out.append(column.name)
    return out
