"""Alert state rows (schema v3): incidents, the outbox and metric mutes, on both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.state.state_testlib import hour
from tripl_cli.state import NewOutboxEntry, StateStore, StoredIncident


def incident(key: str, **kw: Any) -> StoredIncident:
    fields: dict[str, Any] = {
        "key": key,
        "rule": "r",
        "metric": "orders",
        "breakdown": ("", ""),
        "direction": "drop",
        "status": "open",
        "opened_at": hour(10),
        "first_bucket": hour(1),
        "last_anomaly_bucket": hour(2),
        "peak_score": -8.0,
    }
    fields.update(kw)
    return StoredIncident(**fields)


def entry(key: str, *, incident_key: str | None = None, due: int = 10) -> NewOutboxEntry:
    return NewOutboxEntry(
        key=key,
        destination="team",
        payload={"key": key, "text": "héllo"},
        created_at=hour(10),
        next_attempt_at=hour(due),
        incident_key=incident_key,
    )


def test_save_upserts_incidents_by_key_and_enqueues_new_keys_once(store: StateStore) -> None:
    first = incident("a", last_notified_at=hour(10), last_notified_bucket=hour(2))
    assert store.save_alert_changes([first], [entry("n1", incident_key="a")]) == 1
    (stored,) = store.open_incidents()
    assert stored.id is not None
    assert replace(stored, id=None, updated_at=None) == first
    # The same facts again: nothing new; a changed incident keeps its row id.
    moved = replace(first, last_anomaly_bucket=hour(5), peak_score=-12.5, acked=True)
    assert store.save_alert_changes([moved], [entry("n1", incident_key="a")]) == 0
    (again,) = store.open_incidents()
    assert again.id == stored.id and again.last_anomaly_bucket == hour(5)
    assert again.peak_score == -12.5 and again.acked is True
    (queued,) = store.outbox_entries()
    assert (queued.key, queued.incident_id, queued.status, queued.attempts) == (
        "n1",
        stored.id,
        "pending",
        0,
    )
    assert queued.payload == {"key": "n1", "text": "héllo"}


def test_one_save_writes_many_incidents_and_entries_at_once(store: StateStore) -> None:
    """Batched writes: several incidents, new and known outbox keys, a key twice."""
    store.save_alert_changes([incident("a")], [entry("old", incident_key="a")])
    many = [incident(k, metric=f"m{k}") for k in ("a", "b", "c")]
    entries = [entry(k, incident_key=k) for k in ("old", "b", "c")] + [entry("c", incident_key="c")]
    assert store.save_alert_changes(many, entries) == 2  # "old" and the second "c" are known
    stored = {i.key: i for i in store.open_incidents()}
    assert {k: i.metric for k, i in stored.items()} == {"a": "ma", "b": "mb", "c": "mc"}
    queued = {e.key: e.incident_id for e in store.outbox_entries()}
    assert queued == {"old": stored["a"].id, "b": stored["b"].id, "c": stored["c"].id}


@pytest.mark.parametrize("size", [3, 40])
def test_a_save_takes_the_same_few_statements_whatever_its_size(
    store: StateStore, size: int
) -> None:
    """Batched, not row by row: one upsert, one id lookup and one insert per save (the
    upsert is one executemany call; SQLAlchemy may page a large insert, not at 40 rows)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    keys = [f"k{i}" for i in range(size)]
    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        store.save_alert_changes(
            [incident(k, metric=f"m{k}") for k in keys], [entry(k, incident_key=k) for k in keys]
        )
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "SELECT"))]
    assert len(writes) == 3, writes
    assert len(store.open_incidents()) == size and len(store.outbox_entries()) == size


def test_an_existing_outbox_key_is_never_overwritten(store: StateStore) -> None:
    store.save_alert_changes([], [entry("n1")])
    assert [e.key for e in store.due_outbox(hour(10))] == ["n1"]
    assert store.record_delivery(
        "n1",
        previous_attempts=0,
        status="sent",
        attempts=1,
        next_attempt_at=None,
        last_error=None,
        sent_at=hour(10),
    )
    assert store.save_alert_changes([], [entry("n1")]) == 0
    (sent,) = store.outbox_entries()
    assert (sent.status, sent.sent_at) == ("sent", hour(10))
    assert store.due_outbox(hour(99)) == []


def test_a_failing_save_changes_nothing(store: StateStore) -> None:
    broken = replace(entry("n2"), destination=None)  # type: ignore[arg-type]
    with pytest.raises(sa.exc.IntegrityError):
        store.save_alert_changes([incident("a")], [entry("n1"), broken])
    assert store.open_incidents() == [] and store.outbox_entries() == []


def test_rule_incidents_are_open_ones_and_the_latest_per_series(store: StateStore) -> None:
    old = incident("old", status="resolved", last_anomaly_bucket=hour(2), resolved_at=hour(3))
    newer = incident(
        "newer",
        status="resolved",
        first_bucket=hour(5),
        last_anomaly_bucket=hour(6),
        resolved_at=hour(7),
    )
    spike = incident("spike", direction="spike", first_bucket=hour(1))
    country = incident("de", breakdown=("country", "DE"), status="resolved")
    other_rule = incident("x", rule="other")
    store.save_alert_changes([old, newer, spike, country, other_rule], [])
    found = {i.key for i in store.load_rule_incidents("r")}
    assert found == {"newer", "spike", "de"}
    assert {i.key for i in store.open_incidents()} == {"spike", "x"}


def test_due_entries_and_guarded_delivery_records(store: StateStore) -> None:
    store.save_alert_changes([], [entry("now"), entry("held", due=20)])
    assert [e.key for e in store.due_outbox(hour(10))] == ["now"]
    assert [e.key for e in store.due_outbox(hour(20))] == ["now", "held"]
    retry_at = hour(10) + timedelta(minutes=1)

    def record(status: str) -> bool:
        return store.record_delivery(
            "now",
            previous_attempts=0,
            status=status,
            attempts=1,
            sent_at=None,
            next_attempt_at=retry_at,
            last_error="HTTP 503",
        )

    assert record("pending")
    # A second recorder that read the row before that attempt writes nothing.
    assert not record("failed")
    (row,) = [e for e in store.outbox_entries() if e.key == "now"]
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 503")
    assert store.due_outbox(hour(10)) == []


def test_ack_and_metric_mutes(store: StateStore) -> None:
    store.save_alert_changes([incident("a")], [])
    (inc,) = store.open_incidents()
    assert inc.id is not None
    acked = store.ack_incident(inc.id)
    assert acked is not None and acked.acked is True and acked.key == "a"
    assert store.ack_incident(inc.id + 1000) is None
    store.set_metric_mute("orders", hour(30), reason="migration")
    store.set_metric_mute("orders", hour(40))
    (mute,) = store.metric_mutes()
    assert (mute.metric, mute.muted_until, mute.reason) == ("orders", hour(40), None)
    assert store.clear_metric_mute("orders") is True
    assert store.clear_metric_mute("orders") is False
    assert store.metric_mutes() == []


def test_a_save_computed_before_an_ack_never_clears_it(store: StateStore) -> None:
    store.save_alert_changes([incident("a")], [])
    (inc,) = store.open_incidents()
    assert inc.id is not None
    # A detect read the incident (acked=False), then `tripl alert ack` ran, then the
    # detect saves its update computed from the stale row.
    stale = replace(inc, id=None, updated_at=None)
    store.ack_incident(inc.id)
    store.save_alert_changes([replace(stale, last_anomaly_bucket=hour(6))], [])
    (after,) = store.open_incidents()
    assert after.acked is True and after.last_anomaly_bucket == hour(6)
    # Resolving keeps the acknowledgement on the incident's record.
    store.save_alert_changes([replace(stale, status="resolved", resolved_at=hour(7))], [])
    done = store.incident(inc.id)
    assert done is not None and done.status == "resolved" and done.acked is True
    # Reopened as a new incident under the same key: it starts unacknowledged.
    store.save_alert_changes([replace(stale, last_anomaly_bucket=hour(9))], [])
    (reopened,) = store.open_incidents()
    assert reopened.id == inc.id and reopened.acked is False


@pytest.mark.parametrize("incident_id", [0, -1, 2**31, 10**23])
def test_an_id_no_incident_can_have_finds_none(store: StateStore, incident_id: int) -> None:
    # `tripl alert ack 99999999999999999999999` overflowed the driver (an internal error).
    assert store.incident(incident_id) is None
    assert store.ack_incident(incident_id) is None
