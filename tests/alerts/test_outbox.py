"""The delivery policy, and the fault scenarios of the issue against real endpoints.

`Outbox` below stands in for the state DB's table (a dict of rows): it persists exactly
what `enqueue`/`record_attempt` return, in the order the runner will (row before send).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from tests.alerts.alerts_testlib import HOUR, T0, drop, firing_notification, rule
from tests.alerts.conftest import Receiver
from tripl_cli.alerts import (
    DeliveryResult,
    DeliveryStatus,
    Notification,
    OutboxEntry,
    OutboxStatus,
    RetryPolicy,
    build_messages,
    deliver,
    enqueue,
    evaluate_rule,
    is_due,
    is_held,
    record_attempt,
)
from tripl_cli.alerts.secrets import AnyDestination
from tripl_cli.project.schema import FileDestination, WebhookDestination

MINUTE = timedelta(minutes=1)


@dataclass
class Outbox:
    destinations: dict[str, AnyDestination]
    rows: dict[str, tuple[OutboxEntry, Notification]] = field(default_factory=dict)

    def add(self, note: Notification, now: datetime, release_at: datetime | None = None) -> None:
        if note.key not in self.rows:  # the key is unique in the table
            self.rows[note.key] = (
                enqueue(note.key, note.destination, now=now, release_at=release_at),
                note,
            )

    def run(self, now: datetime, *, crash_after_send: bool = False) -> list[DeliveryResult]:
        results = []
        for key, (entry, note) in list(self.rows.items()):
            if not is_due(entry, now):
                continue
            result = deliver(note, self.destinations[note.destination])
            results.append(result)
            if crash_after_send:
                continue  # killed before the outcome was written: the row stays pending
            self.rows[key] = (record_attempt(entry, result, now=now), note)
        return results

    def entry(self, key: str) -> OutboxEntry:
        return self.rows[key][0]


def test_backoff_then_give_up() -> None:
    policy = RetryPolicy(backoff=(MINUTE, 5 * MINUTE, 30 * MINUTE), max_attempts=4)
    entry = enqueue("k", "d", now=T0)
    assert entry.status is OutboxStatus.PENDING and is_due(entry, T0)
    blip = DeliveryResult(DeliveryStatus.TRANSIENT, "HTTP 503")
    now = T0
    waits = []
    while entry.status is OutboxStatus.PENDING:
        entry = record_attempt(entry, blip, now=now, policy=policy)
        if entry.next_attempt_at is not None:
            waits.append(entry.next_attempt_at - now)
            assert not is_due(entry, entry.next_attempt_at - timedelta(seconds=1))
            now = entry.next_attempt_at
    assert waits == [MINUTE, 5 * MINUTE, 30 * MINUTE]
    assert entry.status is OutboxStatus.FAILED and entry.attempts == 4
    assert entry.last_error == "gave up after 4 attempts: HTTP 503"


def test_permanent_fails_at_once_and_sent_is_final() -> None:
    entry = enqueue("k", "d", now=T0)
    failed = record_attempt(entry, DeliveryResult(DeliveryStatus.PERMANENT, "HTTP 400"), now=T0)
    assert failed.status is OutboxStatus.FAILED and failed.last_error == "HTTP 400"
    assert not is_due(failed, T0 + HOUR)
    done = record_attempt(entry, DeliveryResult(DeliveryStatus.SENT), now=T0)
    assert done.status is OutboxStatus.SENT and done.sent_at == T0 and not is_due(done, T0 + HOUR)


def test_held_until_release() -> None:
    entry = enqueue("k", "d", now=T0, release_at=T0 + 7 * HOUR)
    assert is_held(entry, T0) and not is_due(entry, T0 + 6 * HOUR)
    assert is_due(entry, T0 + 7 * HOUR) and not is_held(entry, T0 + 7 * HOUR)


def _note_to(destination: str) -> Notification:
    """The same incident's firing message, routed by a rule to `destination`."""
    r = rule(destination=destination)
    ev = evaluate_rule(r, [], [drop(T0)], [], now=T0 + HOUR)
    return build_messages(r, ev.notifications, now=T0 + HOUR)[0].notification


def _hook(receiver: Receiver, path: str) -> WebhookDestination:
    return WebhookDestination(
        name="team", type="webhook", url=receiver.url(path), timeout_seconds=2
    )


def test_a_500_is_retried_on_the_next_run_and_delivered_once(receiver: Receiver) -> None:
    receiver.script["/hook"] = [500, 200]
    box = Outbox({"team": _hook(receiver, "/hook")})
    note = firing_notification()
    box.add(note, T0)
    (first,) = box.run(T0)
    assert first.status is DeliveryStatus.TRANSIENT
    assert box.run(T0 + 30 * 1 * timedelta(seconds=1)) == []  # backing off: not due yet
    (second,) = box.run(T0 + 2 * MINUTE)
    assert second.ok and box.entry(note.key).status is OutboxStatus.SENT
    assert box.run(T0 + HOUR) == []  # sent is final
    keys = [r.headers["Idempotency-Key"] for r in receiver.received]
    assert keys == [note.key, note.key]  # one failed attempt, one delivery, same key


def test_a_hanging_endpoint_is_retried_and_delivered_once(receiver: Receiver) -> None:
    dest = _hook(receiver, "/hang").model_copy(update={"timeout_seconds": 0.3})
    box = Outbox({"team": dest})
    note = firing_notification()
    box.add(note, T0)
    (first,) = box.run(T0)
    assert first.status is DeliveryStatus.TRANSIENT
    box.destinations["team"] = _hook(receiver, "/hook")  # the endpoint recovers
    (second,) = box.run(T0 + 2 * MINUTE)
    assert second.ok
    assert [r.path for r in receiver.received] == ["/hook"]


def test_a_400_fails_with_a_reason_and_the_other_destinations_still_deliver(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.script["/hook"] = [400]
    sink = tmp_path / "alerts.jsonl"
    box = Outbox(
        {
            "team": _hook(receiver, "/hook"),
            "ci": FileDestination(name="ci", type="file", path=str(sink)),
        }
    )
    note = firing_notification()
    box.add(note, T0)
    ci_note = _note_to("ci")
    box.add(ci_note, T0)
    results = box.run(T0)
    assert sorted(r.status.value for r in results) == ["permanent_failure", "sent"]
    failed = box.entry(note.key)
    assert failed.status is OutboxStatus.FAILED and failed.last_error is not None
    assert "HTTP 400" in failed.last_error and receiver.url("/hook") not in failed.last_error
    assert box.entry(ci_note.key).status is OutboxStatus.SENT
    assert len(sink.read_text().splitlines()) == 1


def test_killed_between_send_and_record_resends_the_same_key(
    receiver: Receiver, tmp_path: Path
) -> None:
    sink = tmp_path / "alerts.jsonl"
    box = Outbox(
        {
            "team": _hook(receiver, "/hook"),
            "ci": FileDestination(name="ci", type="file", path=str(sink)),
        }
    )
    note = firing_notification()
    ci_note = _note_to("ci")
    box.add(note, T0)
    box.add(ci_note, T0)
    assert all(r.ok for r in box.run(T0, crash_after_send=True))  # delivered, then killed
    assert box.entry(note.key).status is OutboxStatus.PENDING
    results = box.run(T0 + MINUTE)  # the next run finds them pending and sends again
    assert all(r.ok for r in results)
    assert all(e.status is OutboxStatus.SENT for e, _ in box.rows.values())
    assert box.run(T0 + HOUR) == []
    # The webhook saw the same key twice: a receiver deduping on it acts once.
    bodies = [r.json for r in receiver.received]
    assert len(bodies) == 2
    assert {r.headers["Idempotency-Key"] for r in receiver.received} == {note.key}
    assert {b["tripl"]["idempotency_key"] for b in bodies} == {note.key}
    assert bodies[0] == bodies[1]  # byte-for-byte the same message
    # The file sink deduped locally: one line, and the re-send reported it.
    assert len(sink.read_text().splitlines()) == 1
    assert any(r.duplicate for r in results)


def test_quiet_hours_message_is_held_then_sent(receiver: Receiver) -> None:
    from datetime import time

    from tripl_cli.project.schema import QuietHours

    quiet_rule = rule(quiet_hours=QuietHours(start=time(22), end=time(7), timezone="UTC"))
    now = T0 + 23 * HOUR
    ev = evaluate_rule(quiet_rule, [], [drop(T0 + 22 * HOUR)], [], now=now)
    (out,) = build_messages(quiet_rule, ev.notifications, now=now)
    box = Outbox({"team": _hook(receiver, "/hook")})
    box.add(out.notification, now, out.release_at)
    assert is_held(box.entry(out.notification.key), now)
    assert box.run(now) == [] and box.run(T0 + 30 * HOUR + 59 * MINUTE) == []
    assert receiver.received == []
    (result,) = box.run(T0 + 31 * HOUR)  # 07:00 the next day
    assert result.ok and len(receiver.received) == 1
