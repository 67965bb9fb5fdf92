"""`tripl detect`'s alerting step: it gets the command's lock timeout, and runs after the
results are printed (a failing alert step never hides what detection found)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Invoke
from tripl_cli.api import alert_flow
from tripl_cli.errors import StateError


def test_lock_timeout_reaches_the_alert_step(
    invoke: Invoke, demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[float] = []
    real = alert_flow.process

    def spy(*args: Any, **kw: Any) -> alert_flow.AlertOutcome:
        seen.append(kw["lock_timeout_s"])
        return real(*args, **kw)

    monkeypatch.setattr(alert_flow, "process", spy)
    done = invoke(demo_copy, "detect", "--alerts", "--lock-timeout", "7.5")
    assert done.exit_code == 0, done.output
    assert seen == [7.5]


def test_results_are_printed_before_a_failing_alert_step(
    invoke: Invoke, demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_args: Any, **_kw: Any) -> alert_flow.AlertOutcome:
        raise StateError("the state's run lock is held by run x")

    monkeypatch.setattr(alert_flow, "process", locked)
    done = invoke(demo_copy, "detect", "--alerts", "--format", "json")
    assert isinstance(done.exception, StateError)
    doc = json.loads(done.stdout)
    assert doc["series"] and doc["run_id"]
    text = invoke(demo_copy, "detect", "--alerts")
    assert isinstance(text.exception, StateError)
    assert f"scored {len(doc['series'])} series" in text.stderr
