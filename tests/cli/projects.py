"""Tiny hand-written projects for the CLI tests (the demo covers the realistic case)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import yaml

PROJECT_YML = """\
name: tiny
profile: tiny
defaults:
  interval: 1d
"""

EVENTS_START = datetime(2026, 3, 1)
EVENT_ROWS = 100


def event_rows() -> list[tuple[Any, ...]]:
    """ts, event_id, user_id, session_key, amount, country, ok — made up, deterministic."""
    return [
        (
            EVENTS_START + timedelta(hours=7 * i),
            1000 + i,
            i % 7,
            f"s-{i:04d}",
            round(i * 1.37 + 0.01, 2),
            ["US", "DE", None][i % 3],
            i % 4 == 0,
        )
        for i in range(EVENT_ROWS)
    ]


def make_warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TABLE events (ts TIMESTAMP, event_id BIGINT, user_id BIGINT, "
            "session_key VARCHAR, amount DOUBLE, country VARCHAR, ok BOOLEAN)"
        )
        con.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", event_rows())
    finally:
        con.close()


def write_project(
    root: Path,
    *,
    fact_tables: str,
    metrics: str = "metrics: []\n",
    outputs: dict[str, Any] | None = None,
    target: str = "dev",
) -> Path:
    """A project whose `dev` target is a DuckDB file holding `events` (see `event_rows`)."""
    (root / "fact_tables").mkdir(parents=True)
    (root / "metrics").mkdir()
    (root / "tripl_project.yml").write_text(PROJECT_YML)
    (root / "fact_tables" / "events.yml").write_text(fact_tables)
    (root / "metrics" / "metrics.yml").write_text(metrics)
    make_warehouse(root / "warehouse.duckdb")
    all_outputs = {"dev": {"type": "duckdb", "path": "warehouse.duckdb"}, **(outputs or {})}
    profiles = {"tiny": {"target": target, "outputs": all_outputs}}
    (root / "profiles.yml").write_text(yaml.safe_dump(profiles, sort_keys=False))
    return root
