"""Session-wide pytest options and the real-engine fixtures (see tests/support/engines.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.engines import (
    ENGINES,
    POSTGRES,
    Engine,
    EngineSession,
    EngineUnavailable,
    unavailable,
)
from tripl_cli.adapters import Adapter, connect


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files (tests/golden/) from the current output instead of comparing",
    )


def pytest_configure(config: pytest.Config) -> None:
    # fakesnow's own cursor warns about an internal Arrow copy on every fetch: not our concern.
    config.addinivalue_line(
        "filterwarnings", "ignore:Arrow output on a DB-API result:UserWarning:fakesnow"
    )


@pytest.fixture(scope="session")
def engine_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineSession]:
    session = EngineSession(tmp_path_factory.mktemp("engines"))
    yield session
    session.close()


@pytest.fixture(scope="session")
def engine_factory(engine_session: EngineSession) -> Callable[[str], Engine]:
    """`engine_factory("postgres")` → that engine (shared by the session), or skip/fail."""

    def get(name: str) -> Engine:
        try:
            return engine_session.get(name)
        except EngineUnavailable as exc:
            unavailable(str(exc))

    return get


@pytest.fixture
def postgres_admin(tmp_path: Path, engine_factory: Callable[[str], Engine]) -> Iterator[Adapter]:
    """An adapter on the test PostgreSQL for setting up roles, schemas and tables."""
    engine_factory("postgres")  # reachable, or fail/skip as every engine test does
    admin = connect("admin", {"type": "postgres", **POSTGRES}, project_root=tmp_path)
    try:
        yield admin
    finally:
        admin.close()


@pytest.fixture(params=[pytest.param(n, id=n, marks=pytest.mark.engine(n)) for n in ENGINES])
def engine(request: pytest.FixtureRequest, engine_factory: Callable[[str], Engine]) -> Engine:
    """Each real engine in turn, with the same harness API."""
    return engine_factory(request.param)


@pytest.fixture(autouse=True)
def _reset_tripl_logging() -> Iterator[None]:
    """In-process CLI runs install tripl's own log handler (propagate=False); undo it so
    later tests' `caplog` sees tripl's records again."""
    import logging

    yield
    logger = logging.getLogger("tripl_cli")
    logger.handlers.clear()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
