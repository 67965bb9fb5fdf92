"""Fixtures for the scaffold tests: one demo warehouse per session, at a fixed `as_of`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tripl_cli.scaffold import DemoWarehouse, generate_demo_warehouse

#: A Sunday afternoon, not on an hour boundary: the data must end at 13:00.
AS_OF = datetime(2026, 3, 15, 13, 37, 21, tzinfo=UTC)


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> DemoWarehouse:
    path = tmp_path_factory.mktemp("demo_wh") / "warehouse.duckdb"
    return generate_demo_warehouse(path, as_of=AS_OF)


@pytest.fixture(scope="session")
def demo_path(demo_warehouse: DemoWarehouse) -> Path:
    return demo_warehouse.path
