"""Sessions read string literals as sqlglot writes them, whatever the server's defaults.

tripl renders literals into SQL (condition values; a chunked breakdown's kept values, which
come from warehouse data): a quote is doubled and, on MySQL, a backslash escaped. A server
reading backslashes differently would misread them, or worse, let data end the literal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlglot import exp

from tests.support.engines import POSTGRES, Engine
from tripl_cli.adapters import Adapter, connect

TRICKY = "o'hare\\' OR 1=1 --"


def _round_trip(dialect: str, config: dict[str, object], tmp_path: Path) -> object:
    literal = exp.Literal.string(TRICKY).sql(dialect=dialect)
    adapter = connect("t", config, project_root=tmp_path)
    try:
        return adapter.execute(f"SELECT {literal} AS v").rows[0][0]
    finally:
        adapter.close()


def test_postgres_pins_standard_strings(tmp_path: Path, postgres_admin: Adapter) -> None:
    admin = postgres_admin
    try:
        admin.execute("DROP ROLE IF EXISTS tripl_old_strings")
        admin.execute("CREATE ROLE tripl_old_strings LOGIN")
        admin.execute("ALTER ROLE tripl_old_strings SET standard_conforming_strings = off")
        config = {"type": "postgres", **POSTGRES, "user": "tripl_old_strings"}
        assert _round_trip("postgres", config, tmp_path) == TRICKY
    finally:
        admin.execute("DROP ROLE IF EXISTS tripl_old_strings")


def test_mysql_reads_backslashes_as_sqlglot_writes_them(
    tmp_path: Path, engine_factory: Callable[[str], Engine]
) -> None:
    engine = engine_factory("mysql")
    admin = engine.connect("admin")
    (before,) = admin.execute("SELECT @@GLOBAL.sql_mode").rows[0]
    try:
        admin.execute("SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')")
        assert _round_trip("mysql", engine.profile_output, tmp_path) == TRICKY
    finally:
        admin.execute(f"SET GLOBAL sql_mode = '{before}'")
        admin.close()


def test_sqlglot_still_escapes_as_assumed() -> None:
    assert exp.Literal.string("a'b\\c").sql(dialect="postgres") == "'a''b\\c'"
    assert exp.Literal.string("a'b\\c").sql(dialect="mysql") == "'a''b\\\\c'"
