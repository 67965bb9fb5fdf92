"""Fixtures of the alerting-flow tests: the alerts tests' real HTTP receiver, and a clean
`tripl_cli` logger (the CLI's `setup_logging` stops propagation for the whole session)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.alerts.conftest import Receiver, receiver

__all__ = ["Receiver", "receiver"]


@pytest.fixture(autouse=True)
def tripl_logger() -> Iterator[None]:
    logger = logging.getLogger("tripl_cli")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logger.handlers[:], logger.propagate = [], True
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


@pytest.fixture(autouse=True)
def _forget_registered_secrets() -> Iterator[None]:
    """The CLI registers env_var() values for the life of its process; a test is one command."""
    from tripl_cli.cli.logs import secret_filter

    yield
    secret_filter.secrets.clear()
