"""Fixtures for the CLI tests: one collected (and scored) demo project per session, a CLI
runner, and a pure-Python reading of the demo warehouse's raw rows for expectations."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner, Result

from tripl_cli.api import detect_api, run_api
from tripl_cli.api.project_api import open_project
from tripl_cli.cli.main import app
from tripl_cli.scaffold import init_project

#: The demo's data ends at 13:00 on this Sunday; a run collects the 90 days before Mar 15.
AS_OF = datetime(2026, 3, 15, 13, 37, tzinfo=UTC)

Invoke = Callable[..., Result]


@dataclass(frozen=True)
class Demo:
    root: Path
    orders: list[dict[str, Any]]  # raw.orders rows, timestamps as aware UTC datetimes
    anomalies: tuple[Any, ...]  # what `detect` reported (Anomaly records)


def read_orders(warehouse: Path) -> list[dict[str, Any]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(
            "SELECT created_at, user_id, amount, status, country, platform FROM raw.orders"
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    for row in rows:
        row["created_at"] = row["created_at"].replace(tzinfo=UTC)  # naive UTC in the warehouse
        row["amount"] = float(row["amount"])
    return rows


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo project after `run` and `detect` at AS_OF (read-only: copy it to change it)."""
    root = tmp_path_factory.mktemp("cli") / "shop"
    init_project(root, demo=True, as_of=AS_OF)
    project = open_project(root)
    report = run_api.run(project, run_api.RunOptions(as_of=AS_OF))
    assert not report.failed, report.failed
    detected = detect_api.detect(project, as_of=AS_OF)
    return Demo(root, read_orders(root / "warehouse.duckdb"), tuple(detected.anomalies))


@pytest.fixture
def demo_copy(demo: Demo, tmp_path: Path) -> Path:
    """A private copy of the collected demo project (state included) a test may change."""
    dest = tmp_path / "shop"
    shutil.copytree(demo.root, dest)
    return dest


@pytest.fixture
def fresh_demo(tmp_path: Path) -> Path:
    """A demo project that was never run."""
    root = tmp_path / "fresh"
    init_project(root, demo=True, as_of=AS_OF)
    return root


@pytest.fixture
def invoke() -> Iterator[Invoke]:
    """Run the tripl app in-process: `invoke(root, "show", "orders")`."""
    runner = CliRunner()

    def call(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, ["--project-dir", str(root), *args], env=env)

    yield call


@pytest.fixture(autouse=True)
def _forget_registered_secrets() -> Iterator[None]:
    """The CLI registers env_var() values for the life of its process; a test is one command."""
    from tripl_cli.cli.logs import secret_filter

    yield
    secret_filter.secrets.clear()
