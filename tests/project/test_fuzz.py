"""Random and mutated YAML never raises: every problem comes back as an Issue.

Mutations start from the full fixture (every object kind) and drop keys, swap value types,
insert junk keys, nest deeply, and damage the text itself (tabs, random unicode, truncation).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.project.helpers import FULL
from tripl_cli.errors import Issue
from tripl_cli.project.loader import LoadResult, load_project
from tripl_cli.project.schema import TOP_LEVEL_KINDS

FILES = sorted(
    p.relative_to(FULL).as_posix()
    for p in FULL.rglob("*")
    if p.suffix in (".yml", ".yaml") and p.name != "profiles.yml"
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["{{ env_var('NOPE') }}", "{{ var('x') }}", "{{ start }}", "{{", "%}", "*"]),
    st.sampled_from(["count", "fact", "sql", "orders", "1d", "7 days", "SELECT 1; DROP TABLE x"]),
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _containers(data: Any) -> list[Any]:
    found: list[Any] = []
    if isinstance(data, dict | list):
        found.append(data)
        values = data.values() if isinstance(data, dict) else data
        for value in values:
            found.extend(_containers(value))
    return found


def _mutate_data(data: Any, draw: st.DataObject) -> Any:
    for _ in range(draw.draw(st.integers(1, 4))):
        containers = _containers(data)
        if not containers:
            return draw.draw(junk)
        target = draw.draw(st.sampled_from(containers))
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        op = draw.draw(st.sampled_from(["drop", "swap", "insert", "nest"]))
        if op == "insert" and isinstance(target, dict):
            target[draw.draw(st.text(min_size=1, max_size=12))] = draw.draw(junk)
        elif not keys:
            continue
        else:
            key = draw.draw(st.sampled_from(keys))
            if op == "drop":
                del target[key]
            elif op == "swap":
                target[key] = draw.draw(junk)
            else:
                value = target[key]
                for _ in range(draw.draw(st.integers(1, 80))):
                    value = [value]
                target[key] = value
    return data


def _mutate_text(text: str, draw: st.DataObject) -> str:
    op = draw.draw(st.sampled_from(["tab", "unicode", "truncate", "duplicate-line"]))
    position = draw.draw(st.integers(0, len(text)))
    if op == "tab":
        return text[:position] + "\t" + text[position:]
    if op == "unicode":
        return text[:position] + draw.draw(st.text(min_size=1, max_size=10)) + text[position:]
    if op == "truncate":
        return text[:position]
    lines = text.splitlines(keepends=True)
    index = draw.draw(st.integers(0, max(0, len(lines) - 1)))
    return "".join(lines[: index + 1] + lines[index:])


def _check(result: LoadResult) -> None:
    assert isinstance(result, LoadResult)
    for issue in result.issues:
        assert isinstance(issue, Issue)
        assert isinstance(issue.render(), str)


@pytest.fixture(scope="module")
def workspace() -> Iterator[Path]:
    """One copy of the full fixture; each example rewrites one file and puts it back."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "p"
        shutil.copytree(FULL, root)
        yield root


def _load_mutated(root: Path, rel: str, text: str) -> LoadResult:
    target = root / rel
    original = target.read_bytes()
    target.write_text(text, encoding="utf-8")
    try:
        return load_project(root, env={})
    finally:
        target.write_bytes(original)


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(st.data())
def test_mutated_documents_give_issues_not_tracebacks(workspace: Path, data: st.DataObject) -> None:
    rel = data.draw(st.sampled_from(FILES))
    parsed = yaml.safe_load((FULL / rel).read_text())
    mutated = _mutate_data(parsed, data)
    text = yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False)
    _check(_load_mutated(workspace, rel, text))


@FUZZ
@given(st.data())
def test_damaged_text_gives_issues_not_tracebacks(workspace: Path, data: st.DataObject) -> None:
    rel = data.draw(st.sampled_from(FILES))
    text = _mutate_text((FULL / rel).read_text(), data)
    _check(_load_mutated(workspace, rel, text.encode("utf-8", "replace").decode("utf-8")))


@FUZZ
@given(st.dictionaries(st.sampled_from([*TOP_LEVEL_KINDS, "x"]), junk, max_size=4))
def test_random_documents_give_issues_not_tracebacks(
    workspace: Path, document: dict[str, Any]
) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    _check(_load_mutated(workspace, "metrics/commerce.yml", text))
