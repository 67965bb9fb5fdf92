"""The incident state machine over scripted sequences of detect runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.alerts.alerts_testlib import HOUR, T0, drop, normal, rule, spike
from tripl_cli.alerts import (
    AlertStatus,
    IncidentState,
    IncidentStatus,
    LatestScore,
    PendingNotification,
    ack,
    evaluate_rule,
    mute,
    retire,
)
from tripl_cli.errors import TriplError
from tripl_cli.project.schema import AlertRule, QuietHours
from tripl_cli.types import Anomaly


@dataclass
class Store:
    """What the state DB does for the state machine: keep incidents, upsert by key."""

    rule: AlertRule
    incidents: dict[str, IncidentState] = field(default_factory=dict)
    sent: list[PendingNotification] = field(default_factory=list)

    def run(
        self,
        now: datetime,
        anomalies: Iterable[Anomaly],
        latest: Iterable[LatestScore] = (),
        **kw: object,
    ) -> list[PendingNotification]:
        ev = evaluate_rule(
            self.rule,
            self.incidents.values(),
            anomalies,
            latest,
            now=now,
            **kw,  # type: ignore[arg-type]
        )
        for inc in ev.updated:
            self.incidents[inc.key] = inc
        self.sent += ev.notifications
        return list(ev.notifications)

    @property
    def only(self) -> IncidentState:
        (inc,) = self.incidents.values()
        return inc


def test_the_full_lifecycle_notifies_exactly_when_it_should() -> None:
    s = Store(rule(cooldown="6h"))
    # Run 1: a drop at T0 opens an incident and notifies once.
    (note,) = s.run(T0 + 2 * HOUR, [drop(T0)], [LatestScore("orders", T0, 40, 100, 80, 120)])
    assert note.kind is AlertStatus.FIRING and note.anomaly is not None
    assert note.anomaly.bucket == T0 and note.release_at is None
    assert s.only.status is IncidentStatus.OPEN and s.only.first_bucket == T0
    # Run 2: the same anomaly re-detected: no new message, nothing changes.
    assert s.run(T0 + 3 * HOUR, [drop(T0)], [LatestScore("orders", T0, 40, 100, 80, 120)]) == []
    # Run 3: a newer anomalous bucket inside the cooldown: recorded, not announced.
    assert s.run(T0 + 4 * HOUR, [drop(T0), drop(T0 + 2 * HOUR)]) == []
    assert s.only.last_anomaly_bucket == T0 + 2 * HOUR
    # Run 4: cooldown over, but no NEWER bucket: still nothing.
    assert s.run(T0 + 9 * HOUR, [drop(T0), drop(T0 + 2 * HOUR)]) == []
    # Run 5: a newer anomalous bucket after the cooldown: exactly one message.
    (again,) = s.run(T0 + 10 * HOUR, [drop(T0 + 2 * HOUR), drop(T0 + 9 * HOUR, score=-9.0)])
    assert again.kind is AlertStatus.FIRING and again.anomaly is not None
    assert again.anomaly.bucket == T0 + 9 * HOUR
    assert again.incident.key == note.incident.key  # the same incident
    assert s.only.peak_score == -9.0
    # Run 6: back inside the band: one resolved message.
    (resolved,) = s.run(T0 + 12 * HOUR, [drop(T0 + 9 * HOUR)], [normal(T0 + 11 * HOUR)])
    assert resolved.kind is AlertStatus.RESOLVED
    assert resolved.score is not None and resolved.score.bucket == T0 + 11 * HOUR
    closed = s.only
    assert closed.status is IncidentStatus.RESOLVED and closed.resolved_at == T0 + 12 * HOUR
    # Run 7: old anomalies re-detected after resolution reopen nothing.
    assert s.run(T0 + 13 * HOUR, [drop(T0 + 9 * HOUR)], [normal(T0 + 12 * HOUR)]) == []
    assert len(s.incidents) == 1
    assert [n.kind for n in s.sent] == [
        AlertStatus.FIRING,
        AlertStatus.FIRING,
        AlertStatus.RESOLVED,
    ]
    assert len({n.key for n in s.sent}) == 3


def test_a_new_anomaly_after_resolution_opens_a_new_incident() -> None:
    s = Store(rule())
    s.run(T0 + HOUR, [drop(T0)])
    s.run(T0 + 3 * HOUR, [drop(T0)], [normal(T0 + 2 * HOUR)])
    (note,) = s.run(T0 + 6 * HOUR, [drop(T0), drop(T0 + 5 * HOUR)])
    assert note.kind is AlertStatus.FIRING
    statuses = sorted((i.first_bucket, i.status) for i in s.incidents.values())
    assert statuses == [(T0, IncidentStatus.RESOLVED), (T0 + 5 * HOUR, IncidentStatus.OPEN)]


def test_keys_are_deterministic_and_distinct() -> None:
    a = evaluate_rule(rule(), [], [drop(T0)], [], now=T0 + HOUR)
    b = evaluate_rule(rule(), [], [drop(T0)], [], now=T0 + 5 * HOUR)  # a re-run, later
    assert a.notifications[0].key == b.notifications[0].key
    assert a.updated[0].key == b.updated[0].key
    c = evaluate_rule(rule(), [], [drop(T0 + HOUR)], [], now=T0 + 5 * HOUR)
    other_rule = evaluate_rule(rule(name="other"), [], [drop(T0)], [], now=T0 + HOUR)
    keys = {a.notifications[0].key, c.notifications[0].key, other_rule.notifications[0].key}
    assert len(keys) == 3
    assert all(len(k) == 32 and int(k, 16) >= 0 for k in keys)


def test_one_incident_per_series_and_direction() -> None:
    s = Store(rule())
    us, de = ("country", "US"), ("country", "DE")
    notes = s.run(
        T0 + HOUR,
        [
            drop(T0),
            spike(T0),
            drop(T0, breakdown=us),
            drop(T0, breakdown=de),
            drop(T0, metric="visits"),
        ],
    )
    assert len(notes) == 5 and len(s.incidents) == 5
    assert len({(i.metric, i.breakdown, i.direction) for i in s.incidents.values()}) == 5


def test_two_detectors_on_one_bucket_are_one_anomaly() -> None:
    from tripl_cli.types import DetectorName

    notes = Store(rule()).run(
        T0 + HOUR, [drop(T0, score=-5), drop(T0, score=-12, detector=DetectorName.OUTAGE)]
    )
    (note,) = notes
    assert note.anomaly is not None and note.anomaly.detector is DetectorName.OUTAGE


@pytest.mark.parametrize(
    ("overrides", "anomaly", "opens"),
    [
        ({"direction": "up"}, drop(T0), False),
        ({"direction": "down"}, drop(T0), True),
        ({"direction": "down"}, spike(T0), False),
        ({"min_percent_delta": 61}, drop(T0, actual=40, expected=100), False),  # -60%
        ({"min_percent_delta": 60}, drop(T0, actual=40, expected=100), True),
        ({"min_absolute_delta": 61}, drop(T0, actual=40, expected=100), False),
        ({"min_absolute_delta": 60}, drop(T0, actual=40, expected=100), True),
        ({"min_expected": 101}, drop(T0, expected=100), False),
        ({"min_expected": 100}, drop(T0, expected=100), True),
        ({"min_percent_delta": 500}, drop(T0, actual=3, expected=0), True),  # from zero
        ({"min_percent_delta": 90}, drop(T0, actual=None, expected=100), True),  # no data
    ],
)
def test_rule_filters(overrides: dict[str, object], anomaly: Anomaly, opens: bool) -> None:
    ev = evaluate_rule(rule(**overrides), [], [anomaly], [], now=T0 + HOUR)
    assert (len(ev.notifications) == 1) is opens
    assert (len(ev.updated) == 1) is opens


def test_a_muted_rule_tracks_incidents_but_sends_nothing() -> None:
    s = Store(rule(muted_until=T0 + 24 * HOUR))
    assert s.run(T0 + HOUR, [drop(T0)]) == []
    assert s.only.is_open
    assert s.run(T0 + 2 * HOUR, [drop(T0)], [normal(T0 + HOUR)]) == []  # no resolved either
    assert s.only.status is IncidentStatus.RESOLVED
    # After the mute expires, a new incident notifies again.
    assert len(s.run(T0 + 30 * HOUR, [drop(T0 + 29 * HOUR)])) == 1


def test_an_incident_opened_while_muted_is_announced_when_the_mute_ends() -> None:
    mutes = {"orders": T0 + 25 * HOUR}
    s = Store(rule(cooldown="1h"))
    outage = drop(T0)  # one anomaly: detection reports it again every run, nothing newer
    assert s.run(T0 + HOUR, [outage], metric_mutes=mutes) == []
    assert s.run(T0 + 24 * HOUR, [outage], metric_mutes=mutes) == []  # still muted
    (late,) = s.run(T0 + 26 * HOUR, [outage], metric_mutes=mutes)  # the mute is over
    assert late.kind is AlertStatus.FIRING and late.anomaly == outage
    assert s.only.last_notified_at == T0 + 26 * HOUR
    assert s.run(T0 + 27 * HOUR, [outage], metric_mutes=mutes) == []  # announced once
    # One that recovered while muted is never announced.
    quiet = Store(rule())
    quiet.run(T0 + HOUR, [drop(T0)], metric_mutes=mutes)
    assert quiet.run(T0 + 26 * HOUR, [drop(T0)], [normal(T0 + 25 * HOUR)], metric_mutes=mutes) == []
    assert quiet.only.status is IncidentStatus.RESOLVED


def test_a_metric_mute_silences_new_incidents_of_that_metric_only() -> None:
    mutes = {"orders": T0 + 24 * HOUR}
    s = Store(rule())
    notes = s.run(T0 + HOUR, [drop(T0), drop(T0, metric="visits")], metric_mutes=mutes)
    assert [n.incident.metric for n in notes] == ["visits"]


def test_an_incident_mute_silences_firing_and_resolved() -> None:
    s = Store(rule(cooldown="1h"))
    s.run(T0 + HOUR, [drop(T0)])
    s.incidents[s.only.key] = mute(s.only, T0 + 10 * HOUR)
    assert s.run(T0 + 5 * HOUR, [drop(T0 + 4 * HOUR)]) == []
    assert s.run(T0 + 6 * HOUR, [], [normal(T0 + 5 * HOUR)]) == []
    assert s.only.status is IncidentStatus.RESOLVED


def test_ack_silences_until_the_incident_resolves() -> None:
    s = Store(rule(cooldown="1h"))
    s.run(T0 + HOUR, [drop(T0)])
    s.incidents[s.only.key] = ack(s.only)
    assert s.run(T0 + 5 * HOUR, [drop(T0 + 4 * HOUR)]) == []
    assert s.run(T0 + 9 * HOUR, [drop(T0 + 8 * HOUR)]) == []
    (resolved,) = s.run(T0 + 11 * HOUR, [], [normal(T0 + 10 * HOUR)])
    assert resolved.kind is AlertStatus.RESOLVED
    # The next incident of the same series is not acknowledged.
    assert len(s.run(T0 + 13 * HOUR, [drop(T0 + 12 * HOUR)])) == 1


def test_resolved_is_not_sent_when_not_asked_or_never_announced() -> None:
    s = Store(rule(notify_resolved=False))
    s.run(T0 + HOUR, [drop(T0)])
    assert s.run(T0 + 2 * HOUR, [], [normal(T0 + HOUR)]) == []
    assert s.only.status is IncidentStatus.RESOLVED


def test_still_outside_the_band_keeps_it_open() -> None:
    s = Store(rule())
    s.run(T0 + HOUR, [drop(T0)])
    # A later scored bucket below the band (but not reported as anomalous) is not recovery.
    assert s.run(T0 + 2 * HOUR, [drop(T0)], [normal(T0 + HOUR, actual=70)]) == []
    assert s.run(T0 + 3 * HOUR, [drop(T0)], [normal(T0 + 2 * HOUR, actual=None)]) == []
    assert s.only.is_open
    # A spike incident recovers when the value comes back under the upper bound.
    sp = Store(rule())
    sp.run(T0 + HOUR, [spike(T0)])
    assert sp.run(T0 + 2 * HOUR, [], [normal(T0 + HOUR, actual=125)]) == []
    assert len(sp.run(T0 + 3 * HOUR, [], [normal(T0 + 2 * HOUR, actual=119)])) == 1


def test_an_anomaly_gone_after_redetection_resolves() -> None:
    s = Store(rule())
    s.run(T0 + 5 * HOUR, [drop(T0 + 4 * HOUR)])
    # Detection re-ran from T0 (e.g. late data arrived) and no longer finds it.
    assert s.run(T0 + 6 * HOUR, [], redetected_from=T0 + 6 * HOUR) == []  # not covered
    (note,) = s.run(T0 + 6 * HOUR, [], redetected_from=T0)
    assert note.kind is AlertStatus.RESOLVED and note.score is None


def test_an_old_anomaly_already_back_in_band_opens_and_resolves_in_one_run() -> None:
    s = Store(rule())
    notes = s.run(T0 + 30 * HOUR, [drop(T0)], [normal(T0 + 29 * HOUR)])
    assert [n.kind for n in notes] == [AlertStatus.FIRING, AlertStatus.RESOLVED]
    assert s.run(T0 + 31 * HOUR, [drop(T0)], [normal(T0 + 30 * HOUR)]) == []


def test_quiet_hours_hold_messages_until_the_window_ends() -> None:
    quiet = QuietHours(start=time(22, 0), end=time(7, 0), timezone="Europe/Berlin")
    s = Store(rule(quiet_hours=quiet))
    # 2026-03-02 23:30 UTC = 00:30 in Berlin (CET, UTC+1): inside; the window ends 06:00 UTC.
    (held,) = s.run(datetime.fromisoformat("2026-03-02T23:30:00+00:00"), [drop(T0 + 22 * HOUR)])
    assert held.release_at == datetime.fromisoformat("2026-03-03T06:00:00+00:00")
    # Outside quiet hours nothing is held.
    (now_note,) = Store(rule(quiet_hours=quiet)).run(T0 + 12 * HOUR, [drop(T0)])
    assert now_note.release_at is None


def test_other_rules_incidents_are_left_alone() -> None:
    s = Store(rule(name="a"))
    s.run(T0 + HOUR, [drop(T0)])
    other = rule(name="b")
    ev = evaluate_rule(
        other, s.incidents.values(), [drop(T0)], [normal(T0 + HOUR)], now=T0 + 2 * HOUR
    )
    (opened,) = ev.updated  # b opens (and resolves) its own; a's incident is not touched
    assert opened.rule == "b"


def test_a_bad_cooldown_is_a_user_error() -> None:
    with pytest.raises(TriplError, match="cooldown"):
        evaluate_rule(rule(cooldown="soon"), [], [drop(T0)], [], now=T0)


@settings(max_examples=60, deadline=None)
@given(
    runs=st.lists(
        st.tuples(
            st.sets(st.integers(0, 12), max_size=4),  # anomalous buckets (hours after T0)
            st.one_of(st.none(), st.integers(0, 12)),  # latest scored bucket, back in band
        ),
        min_size=1,
        max_size=6,
    ),
    cooldown=st.sampled_from(["1h", "3h", "24h"]),
)
def test_evaluating_the_same_facts_twice_changes_nothing(
    runs: list[tuple[set[int], int | None]], cooldown: str
) -> None:
    """Idempotence: a re-run of detect with the same anomalies asks for no new message."""
    s = Store(rule(cooldown=cooldown))
    seen_keys: set[str] = set()
    for step, (hours, latest) in enumerate(runs):
        now = T0 + (13 + step) * HOUR
        anomalies = [drop(T0 + h * HOUR) for h in sorted(hours)]
        scores = [] if latest is None else [normal(T0 + latest * HOUR)]
        notes = s.run(now, anomalies, scores)
        keys = [n.key for n in notes]
        assert len(set(keys)) == len(keys) and not seen_keys & set(keys)
        seen_keys |= set(keys)
        assert s.run(now, anomalies, scores) == []  # the same run again: nothing new
        assert sum(i.is_open for i in s.incidents.values()) <= 1


def test_a_retired_incident_reopens_only_while_its_anomaly_is_reported() -> None:
    s = Store(rule(cooldown="6h"))
    s.run(T0 + 2 * HOUR, [drop(T0)])
    key = s.only.key
    s.incidents[key] = retire(s.only, T0 + 3 * HOUR)
    assert s.only.status is IncidentStatus.RETIRED
    # Watched again, nothing reported: it stays closed.
    assert s.run(T0 + 4 * HOUR, []) == [] and s.only.status is IncidentStatus.RETIRED
    # Its anomaly still reported: the same incident, open, nothing sent again.
    assert s.run(T0 + 5 * HOUR, [drop(T0)]) == []
    assert s.only.key == key and s.only.status is IncidentStatus.OPEN
    assert s.only.resolved_at is None and s.only.last_notified_at == T0 + 2 * HOUR
    # A newer anomalous bucket after the cooldown notifies, as for any open incident.
    (note,) = s.run(T0 + 9 * HOUR, [drop(T0), drop(T0 + 8 * HOUR)])
    assert note.kind is AlertStatus.FIRING and len(s.incidents) == 1
