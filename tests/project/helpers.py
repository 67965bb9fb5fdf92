"""Shared paths and tiny project builders for the project-layer tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FULL = FIXTURES / "projects" / "full"
INVALID = FIXTURES / "invalid"


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path → dedented text) under `root`; returns `root`."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


ORDERS = """\
    fact_tables:
      - name: orders
        sql: SELECT created_at, user_id, amount, status, country FROM orders
        timestamp_column: created_at
        row_filters:
          - name: completed
            sql: status = 'completed'
    """
