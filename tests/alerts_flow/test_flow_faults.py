"""Delivery faults through the real store: retries, permanent failures, a crash mid-send."""

from __future__ import annotations

import multiprocessing
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.alerts.conftest import Receiver
from tests.alerts_flow.flow_testlib import (
    at,
    read_lines,
    report,
    series,
    store_series,
    write_files,
)
from tests.alerts_flow.flow_testlib import write_project as write
from tripl_cli.api.alert_flow import process
from tripl_cli.api.detect_api import DetectReport
from tripl_cli.api.project_api import load, open_project
from tripl_cli.api.run_api import open_state
from tripl_cli.errors import Severity
from tripl_cli.project.model import Project
from tripl_cli.state import StateStore, StoredOutboxEntry

FILE_RULE = """\
      - name: to_file
        destination: sink
        select: orders
        direction: down
"""


def alerts_yml(hook_url: str, *, with_file_rule: bool = False) -> str:
    rules = """\
      - name: to_hook
        destination: hook
        select: orders
        direction: down
"""
    return f"""\
    destinations:
      - name: hook
        type: webhook
        url: {hook_url}
        timeout_seconds: 5
      - name: sink
        type: file
        path: target/alerts.jsonl
    alert_rules:
{rules}{FILE_RULE if with_file_rule else ""}"""


def outbox(project: Project) -> dict[str, StoredOutboxEntry]:
    with open_state(project, profiles_dir=None, target=None) as store:
        return {e.destination: e for e in store.outbox_entries()}


def nothing_detected(project: Project, hour: float) -> DetectReport:
    return DetectReport("run-empty", at(hour), ())


def test_a_500_is_retried_on_a_later_run_and_delivered_once(
    tmp_path: Path, receiver: Receiver
) -> None:
    receiver.script["/hook"] = [500, 200]
    project = write(tmp_path / "shop", alerts_yml(receiver.url("/hook")))
    store_series(project, [9])
    first = process(project, report(10, series(10, [9])), now=at(10))
    assert (first.sent, first.retried, first.failed, first.permanent_failures) == (0, 1, 1, 0)
    row = outbox(project)["hook"]
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, at(10) + _MINUTE)
    assert row.last_error is not None and "500" in row.last_error

    # Before the backoff has passed nothing is sent, even by a run with nothing to report.
    assert process(project, nothing_detected(project, 10), now=at(10) + _MINUTE / 2).sent == 0
    assert len(receiver.received) == 1
    # After it, a run WITHOUT any anomaly delivers it.
    retried = process(project, nothing_detected(project, 10), now=at(10) + 2 * _MINUTE)
    assert (retried.sent, retried.retried, retried.permanent_failures) == (1, 0, 0)
    row = outbox(project)["hook"]
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, at(10) + 2 * _MINUTE)
    # Exactly one successful delivery, byte for byte the message first tried, same key.
    failed_try, delivered = receiver.received
    assert failed_try.body == delivered.body
    assert failed_try.headers["Idempotency-Key"] == delivered.headers["Idempotency-Key"]
    assert delivered.json["tripl"]["idempotency_key"] == row.key
    assert process(project, nothing_detected(project, 11), now=at(11)).sent == 0
    assert len(receiver.received) == 2


_MINUTE = timedelta(minutes=1)


def test_a_resolved_message_waits_for_its_firing_messages_retry(
    tmp_path: Path, receiver: Receiver
) -> None:
    receiver.script["/hook"] = [503, 200]
    project = write(tmp_path / "shop", alerts_yml(receiver.url("/hook")))
    store_series(project, [9])
    first = process(project, report(10, series(10, [9])), now=at(10))
    assert (first.opened, first.retried) == (1, 1)  # firing: 503, retried in a minute
    # The series recovers before that retry is due: `resolved` is queued, but waits.
    recovered = process(project, report(11, series(11, [])), now=at(10) + _MINUTE / 2)
    assert (recovered.resolved, recovered.sent) == (1, 0)
    assert len(receiver.received) == 1
    later = process(project, nothing_detected(project, 11), now=at(10) + 2 * _MINUTE)
    assert later.sent == 2
    statuses = [r.json["status"] for r in receiver.received]
    assert statuses == ["firing", "firing", "resolved"]  # the receiver ends resolved


def test_a_grouped_rules_messages_keep_their_order_too(tmp_path: Path, receiver: Receiver) -> None:
    receiver.script["/hook"] = [503, 200]
    grouped = (
        alerts_yml(receiver.url("/hook"))
        .replace("        direction: down\n", "        direction: down\n        group: true\n", 1)
        .replace("select: orders", "select: orders sessions", 1)
    )
    project = write(tmp_path / "shop", grouped)
    store_series(project, [9])
    store_series(project, [9], metric="sessions")
    both = report(10, series(10, [9]), series(10, [9], metric="sessions"))
    assert process(project, both, now=at(10)).retried == 1  # one message, two incidents: 503
    # Both recover before the retry is due: the grouped `resolved` waits for it.
    recovered = report(11, series(11, []), series(11, [], metric="sessions"))
    assert process(project, recovered, now=at(10) + _MINUTE / 2).sent == 0
    assert process(project, recovered, now=at(10) + 2 * _MINUTE).sent == 2
    sent = [[a["status"] for a in r.json["alerts"]] for r in receiver.received]
    assert sent == [["firing", "firing"], ["firing", "firing"], ["resolved", "resolved"]]


def test_a_400_fails_at_once_with_its_reason_and_other_destinations_still_get_theirs(
    tmp_path: Path, receiver: Receiver
) -> None:
    receiver.script["/hook"] = [400]
    project = write(tmp_path / "shop", alerts_yml(receiver.url("/hook"), with_file_rule=True))
    store_series(project, [9])
    outcome = process(project, report(10, series(10, [9])), now=at(10))
    assert (outcome.sent, outcome.permanent_failures, outcome.retried) == (1, 1, 0)
    (reason,) = outcome.errors
    assert reason.startswith("alert to 'hook' failed: ") and "400" in reason
    rows = outbox(project)
    assert rows["hook"].status == "failed" and rows["hook"].last_error is not None
    assert "400" in rows["hook"].last_error
    assert rows["sink"].status == "sent"
    assert len(read_lines(project.root / "target" / "alerts.jsonl")) == 1
    # A failed entry is not retried, and a later run has no new failure to report.
    later = process(project, nothing_detected(project, 12), now=at(12))
    assert (later.sent, later.permanent_failures) == (0, 0)
    assert len(receiver.received) == 1


def _crash_after_sending(root: str, now_hour: int, low: list[int]) -> None:
    """In a child process: send, then die before the attempt is recorded (like a kill)."""

    def die(self: StateStore, *args: Any, **kwargs: Any) -> bool:
        os._exit(70)

    StateStore.record_delivery = die  # type: ignore[method-assign]
    project = open_project(Path(root))
    process(project, report(now_hour, series(now_hour, low)), now=at(now_hour))
    os._exit(0)  # not reached when a delivery happened


def _killed_run(project: Project, now_hour: int, low: list[int]) -> None:
    child = multiprocessing.get_context("fork").Process(
        target=_crash_after_sending, args=(str(project.root), now_hour, low)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 70


def test_a_crash_between_send_and_record_never_duplicates_the_file_line(
    tmp_path: Path, receiver: Receiver
) -> None:
    alerts = alerts_yml(receiver.url("/hook")).replace("destination: hook", "destination: sink")
    project = write(tmp_path / "shop", alerts)
    store_series(project, [9])
    sink = project.root / "target" / "alerts.jsonl"
    _killed_run(project, 10, [9])
    (line,) = read_lines(sink)  # the receiver got it ...
    row = outbox(project)["sink"]
    assert (row.status, row.attempts) == ("pending", 0)  # ... but the outbox never knew
    assert line["tripl"]["idempotency_key"] == row.key

    # The next run (its lock taken over from the dead process) sends the entry again with
    # the same key; the file sink finds the key and writes nothing.
    outcome = process(project, report(10, series(10, [9])), now=at(10) + _MINUTE)
    assert (outcome.sent, outcome.enqueued, outcome.permanent_failures) == (1, 0, 0)
    assert read_lines(sink) == [line]
    assert outbox(project)["sink"].status == "sent"


def test_a_crash_before_a_webhook_is_recorded_resends_the_same_key(
    tmp_path: Path, receiver: Receiver
) -> None:
    """The documented at-least-once case: the receiver sees the key twice, identically."""
    project = write(tmp_path / "shop", alerts_yml(receiver.url("/hook")))
    store_series(project, [9])
    _killed_run(project, 10, [9])
    process(project, report(10, series(10, [9])), now=at(10) + _MINUTE)
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert outbox(project)["hook"].status == "sent"


def test_validate_reports_a_broken_alert_template(tmp_path: Path) -> None:
    alerts = alerts_yml("http://127.0.0.1:1/x").rstrip() + "\n        template: '{% for %}'\n"
    root = write_files(tmp_path / "shop", alerts)
    (issue,) = [i for i in load(root).issues if i.severity is Severity.ERROR]
    assert issue.rule == "alert-template"
    lines = (root / "alerts" / "alerts.yml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "template:" in text)
    assert issue.render().startswith(f"alerts/alerts.yml:{line}:")
    assert "alert rule 'to_hook': template: " in issue.message
