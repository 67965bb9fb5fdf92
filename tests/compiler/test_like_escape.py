"""A `like` condition's pattern reads alike on every engine: `%` and `_` are wildcards and
`\\` escapes them. DuckDB and Snowflake have no default escape character, so `a\\%b` matched
the text `a\\b` there and only `a%b` elsewhere, until tripl said `ESCAPE '\\'` everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.engines import Engine, assembled_on, load_table
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.project.schema import FactTable
from tripl_cli.timegrid import Window

from .projects import project_of

DAY = datetime(2026, 1, 5, tzinfo=UTC)
TEXTS = ["a%b", "a\\b", "axb", "ab", "a_b", "a\\%b"]
PATTERNS = {  # pattern → texts it matches, as LIKE with `\` escaping reads it
    "a\\%b": ["a%b"],
    "a\\_b": ["a_b"],
    "a_b": ["a%b", "a\\b", "axb", "a_b"],
    "a\\\\%": ["a\\b", "a\\%b"],
    "a%b": TEXTS,
}


def test_like_patterns_match_the_same_texts_on_every_engine(engine: Engine) -> None:
    rows = [(DAY + timedelta(hours=h), text) for h, text in enumerate(TEXTS)]
    table = load_table(engine, "like_escape", [("ts", "timestamp"), ("s", "string")], rows)
    fact = FactTable(name="t", sql=f"SELECT * FROM {table}", timestamp_column="ts")
    metrics = [
        {"name": f"m{i}", "kind": "fact", "fact_table": "t", "aggregation": "count",
         "conditions": [{"column": "s", "operator": "like", "value": pattern}]}
        for i, pattern in enumerate(PATTERNS)
    ]  # fmt: skip
    plan = compile_plan(
        project_of([fact], *metrics),
        [m["name"] for m in metrics],
        dialect=engine.name,
        window_for=Window(DAY, DAY + timedelta(days=1)),
    )
    got = {v.metric: v.value for v in assembled_on(engine, plan)}
    want = {f"m{i}": float(len(texts)) for i, texts in enumerate(PATTERNS.values())}
    assert got == want, [(p, got.get(f"m{i}")) for i, p in enumerate(PATTERNS)]


@pytest.mark.parametrize("pattern", list(PATTERNS))
def test_the_expected_matches_are_pythons_reading_of_the_pattern(pattern: str) -> None:
    import re

    regex = ""
    chars = iter(pattern)
    for c in chars:
        if c == "\\":
            regex += re.escape(next(chars))
        else:
            regex += {"%": ".*", "_": "."}.get(c, re.escape(c))
    assert [t for t in TEXTS if re.fullmatch(regex, t, re.DOTALL)] == PATTERNS[pattern]
