"""One invalid project per validation rule, each asserting the full expected text.

`tests/fixtures/invalid/<rule-id>/expected.txt` holds every issue line the project yields,
`path:line:col: severity[rule]: message`, paths relative to that project's root. The
case's own rule must be among them, and docs/project.md must document every rule id.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.project.helpers import INVALID
from tripl_cli.project.loader import load_project

CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())
DOCS = Path(__file__).resolve().parents[2] / "docs" / "project.md"


@pytest.mark.parametrize("case", CASES)
def test_invalid_project_reports_exactly_the_expected_issues(case: str) -> None:
    root = INVALID / case
    result = load_project(root, env={})
    actual = [issue.render() for issue in result.issues]
    expected = (root / "expected.txt").read_text().splitlines()
    assert actual == expected
    assert case in {issue.rule for issue in result.issues}


def test_fixture_cases_and_documented_rules_match() -> None:
    section = DOCS.read_text().split("## Validation rules", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.MULTILINE))
    assert documented == set(CASES)


def test_every_issue_is_located_in_a_file_of_its_project() -> None:
    for case in CASES:
        root = INVALID / case
        for issue in load_project(root, env={}).issues:
            if issue.rule == "no-project":
                continue
            assert (root / issue.location.path).is_file(), issue.render()
            assert issue.location.line >= 1, issue.render()
