"""What messages say: every fact the issue lists, grouping, templates, the test message."""

from __future__ import annotations

import json
import math
from datetime import time

from tests.alerts.alerts_testlib import CONTEXT, HOUR, T0, drop, firing_notification, normal, rule
from tripl_cli.alerts import (
    AlertStatus,
    Notification,
    build_messages,
    build_test_message,
    check_template,
    evaluate_rule,
    quiet_until,
    webhook_payload,
)
from tripl_cli.alerts.format import number, percent
from tripl_cli.project.schema import QuietHours
from tripl_cli.textfmt import sparkline
from tripl_cli.types import TOTAL


def test_sparkline_scales_min_to_max_and_marks_gaps() -> None:
    assert sparkline([0, 7, None, 3.5]) == "▁█·▅"  # 3.5/7*7 = 3.5 → rounds to index 4 (▅)
    assert sparkline([5, 5, 5]) == "▄▄▄"
    assert sparkline([None, None]) == "··"
    assert sparkline([]) == ""


def test_number_and_percent_formatting() -> None:
    assert number(12345.0) == "12,345"
    assert number(1234.56) == "1,234.6"
    assert number(0.012345) == "0.0123"
    assert number(None) == "n/a"
    assert number(3.0, "EUR") == "3 EUR"
    assert percent(-60.0) == "-60%"
    assert percent(12.345) == "+12.3%"
    assert percent(None) == "no baseline"


def test_a_firing_message_carries_every_fact() -> None:
    note = firing_notification()
    text = note.text
    for fact in (
        "Orders placed",  # display name
        "2026-03-02 00:00 UTC",  # bucket
        "actual 40",
        "expected 100",
        "band 80 to 120",
        "-60%",
        "drop",
        "detector seasonal",
        "owner commerce-team",
        "▇█·██▁",  # recent points 98, 103, gap, 99, 101, 40
        "tripl show orders --last 30",
    ):
        assert fact in text, fact
    assert "Orders placed" in note.html and "commerce-team" in note.html


def test_no_baseline_when_expected_is_zero() -> None:
    r = rule()
    ev = evaluate_rule(r, [], [drop(T0, actual=7, expected=0)], [], now=T0 + HOUR)
    (out,) = build_messages(r, ev.notifications, now=T0 + HOUR)
    assert "no baseline" in out.notification.text
    assert webhook_payload(out.notification)["tripl"]["alerts"][0]["percent_change"] is None


def test_breakdown_series_label_and_commands() -> None:
    r = rule()
    ev = evaluate_rule(r, [], [drop(T0, breakdown=("country", "US"))], [], now=T0 + HOUR)
    (out,) = build_messages(r, ev.notifications, now=T0 + HOUR, context=CONTEXT)
    text = out.notification.text
    assert "Orders placed [country=US]" in text  # display name from the total's context
    assert "tripl show orders --breakdown country --last 30" in text
    labels = webhook_payload(out.notification)["alerts"][0]["labels"]
    assert labels["breakdown"] == "country=US"


def test_resolved_message() -> None:
    r = rule()
    ev1 = evaluate_rule(r, [], [drop(T0)], [], now=T0 + HOUR)
    ev2 = evaluate_rule(r, ev1.updated, [], [normal(T0 + HOUR, actual=97)], now=T0 + 2 * HOUR)
    (out,) = build_messages(r, ev2.notifications, now=T0 + 2 * HOUR, context=CONTEXT)
    note = out.notification
    assert note.status is AlertStatus.RESOLVED
    assert note.title == "[tripl] RESOLVED Orders placed"
    assert "back inside the band at 2026-03-02 01:00 UTC" in note.text
    assert "latest 97 vs expected 100" in note.text
    (alert,) = webhook_payload(note)["alerts"]
    assert alert["status"] == "resolved" and alert["endsAt"] == "2026-03-02T02:00:00Z"
    assert alert["fingerprint"] == ev1.updated[0].key


def test_a_drop_resolved_by_a_jump_above_the_band_does_not_say_inside() -> None:
    r = rule()
    ev1 = evaluate_rule(r, [], [drop(T0)], [], now=T0 + HOUR)
    ev2 = evaluate_rule(r, ev1.updated, [], [normal(T0 + HOUR, actual=150)], now=T0 + 2 * HOUR)
    (out,) = build_messages(r, ev2.notifications, now=T0 + 2 * HOUR, context=CONTEXT)
    text = out.notification.text
    assert out.notification.status is AlertStatus.RESOLVED
    assert "no longer below the band at 2026-03-02 01:00 UTC" in text, text
    assert "inside the band" not in text and "latest 150 vs expected 100" in text


def test_grouped_message_lists_top_n_by_score_and_summarises_the_rest() -> None:
    r = rule(group=True, group_limit=2)
    anomalies = [drop(T0, metric=f"m{i}", score=-(i + 5.0)) for i in range(4)]
    ev = evaluate_rule(r, [], anomalies, [], now=T0 + HOUR)
    assert len(ev.notifications) == 4
    (out,) = build_messages(r, ev.notifications, now=T0 + HOUR)
    note = out.notification
    assert [i.metric for i in note.items] == ["m3", "m2"]  # |score| 8 and 7
    assert note.omitted == 2
    assert note.title == "[tripl] commerce: 4 firing"
    assert "... and 2 more (2 firing)" in note.text
    assert len(out.incident_keys) == 4
    payload = webhook_payload(note)
    assert payload["truncatedAlerts"] == 2 and len(payload["alerts"]) == 2
    # Same members → same key; the key is not one of the members'.
    (again,) = build_messages(r, tuple(reversed(ev.notifications)), now=T0 + 2 * HOUR)
    assert again.notification.key == note.key
    assert note.key not in {n.key for n in ev.notifications}


def test_an_incident_opened_and_resolved_in_one_run_is_one_grouped_entry() -> None:
    r = rule(group=True)
    old_drop, other = drop(T0, metric="m0"), drop(T0 + HOUR, metric="m1")
    back = normal(T0 + HOUR, metric="m0")  # m0 is back inside the band already
    ev = evaluate_rule(r, [], [old_drop, other], [back], now=T0 + 2 * HOUR)
    assert [n.kind.value for n in ev.notifications] == ["firing", "resolved", "firing"]
    (out,) = build_messages(r, ev.notifications, now=T0 + 2 * HOUR)
    note = out.notification
    assert [(i.metric, i.status.value) for i in note.items] == [
        ("m1", "firing"),
        ("m0", "resolved"),
    ]
    assert note.title == "[tripl] commerce: 1 firing, 1 resolved"
    fingerprints = [a["fingerprint"] for a in webhook_payload(note)["alerts"]]
    assert len(fingerprints) == len(set(fingerprints)) == 2
    assert len(out.incident_keys) == 2
    # Its key still names every notification it carries (the same facts, the same key).
    (again,) = build_messages(r, tuple(reversed(ev.notifications)), now=T0 + 3 * HOUR)
    assert again.notification.key == note.key
    assert [(i.metric, i.status.value) for i in again.notification.items] == [
        ("m1", "firing"),
        ("m0", "resolved"),
    ]


def test_custom_template_replaces_the_text_body() -> None:
    template = "{{ item.label }} is {{ item.change }} off ({{ item.actual }}/{{ item.expected }})"
    r = rule(template=template)
    ev = evaluate_rule(r, [], [drop(T0)], [], now=T0 + HOUR)
    (out,) = build_messages(r, ev.notifications, now=T0 + HOUR, context=CONTEXT)
    assert out.notification.text == "Orders placed is -60% off (40/100)\n"
    assert "<h3>Orders placed</h3>" in out.notification.html  # HTML keeps the default


def test_a_broken_custom_template_falls_back_to_the_default() -> None:
    assert check_template("{{ item.label }") is not None
    assert check_template("{{ item.label }}") is None
    r = rule(template="{{ no_such_variable.x }}")
    ev = evaluate_rule(r, [], [drop(T0)], [], now=T0 + HOUR)
    (out,) = build_messages(r, ev.notifications, now=T0 + HOUR, context=CONTEXT)
    assert "Orders placed: drop at 2026-03-02 00:00 UTC" in out.notification.text


def test_the_sandbox_refuses_unsafe_templates() -> None:
    r = rule(template="{{ item.__class__.__mro__ }}")
    ev = evaluate_rule(r, [], [drop(T0)], [], now=T0 + HOUR)
    (out,) = build_messages(r, ev.notifications, now=T0 + HOUR)
    assert "mro" not in out.notification.text and "class" not in out.notification.text


def test_test_message_is_clearly_marked() -> None:
    note = build_test_message("team_slack", now=T0)
    assert note.is_test and "TEST" in note.title and "team_slack" in note.title
    assert note.text.startswith("THIS IS A TEST MESSAGE from tripl")
    assert "THIS IS A TEST MESSAGE" in note.html
    assert note.key != build_test_message("team_slack", now=T0 + HOUR).key


def test_notification_round_trips_through_json() -> None:
    r = rule()
    ev1 = evaluate_rule(r, [], [drop(T0)], [], now=T0 + HOUR)
    gone = evaluate_rule(r, ev1.updated, [], [], now=T0 + 2 * HOUR, redetected_from=T0)
    (resolved,) = build_messages(r, gone.notifications, now=T0 + 2 * HOUR)
    for note in (firing_notification(), build_test_message("x", now=T0), resolved.notification):
        stored = json.loads(json.dumps(note.to_dict(), allow_nan=False))
        back = Notification.from_dict(stored)
        assert back.key == note.key and back.text == note.text and back.html == note.html
        assert len(back.items) == len(note.items)
        for a, b in zip(back.items, note.items, strict=True):
            assert a.incident_key == b.incident_key and a.bucket == b.bucket
            assert a.actual == b.actual and a.recent == b.recent and a.breakdown == b.breakdown
            assert a.expected == b.expected or (math.isnan(a.expected) and math.isnan(b.expected))
    assert "no longer detected" in resolved.notification.text


def test_context_lookup_defaults_to_the_metric_name() -> None:
    r = rule()
    ev = evaluate_rule(r, [], [drop(T0, metric="visits")], [], now=T0 + HOUR)
    (out,) = build_messages(r, ev.notifications, now=T0 + HOUR, context=CONTEXT)
    assert out.notification.items[0].display_name == "visits"
    assert out.notification.items[0].breakdown == TOTAL
    assert "recent (no data)" in out.notification.text


def test_quiet_hours_windows() -> None:
    from datetime import UTC, datetime

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).astimezone(UTC)

    night = QuietHours(start=time(22), end=time(7), timezone="America/New_York")
    # 2026-03-08: DST starts in New York at 02:00 (UTC-5 → UTC-4).
    assert quiet_until(night, at("2026-03-08T03:00:00+00:00")) == at("2026-03-08T07:00:00-04:00")
    assert quiet_until(night, at("2026-03-07T23:00:00-05:00")) == at("2026-03-08T07:00:00-04:00")
    assert quiet_until(night, at("2026-03-08T12:00:00-04:00")) is None
    day = QuietHours(start=time(9), end=time(17), timezone="UTC")
    assert quiet_until(day, at("2026-03-08T08:59:00+00:00")) is None
    assert quiet_until(day, at("2026-03-08T09:00:00+00:00")) == at("2026-03-08T17:00:00+00:00")
    assert quiet_until(day, at("2026-03-08T17:00:00+00:00")) is None


def test_quiet_hours_ending_in_the_repeated_hour_of_a_dst_fall_back() -> None:
    from datetime import UTC, datetime

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).astimezone(UTC)

    # 2026-11-01: New York falls back at 02:00 EDT to 01:00 EST; 01:00-02:00 happens twice.
    night = QuietHours(start=time(22), end=time(1, 30), timezone="America/New_York")
    # In the first 01:10 (EDT), the window ends at the first 01:30.
    assert quiet_until(night, at("2026-11-01T01:10:00-04:00")) == at("2026-11-01T01:30:00-04:00")
    # In the second 01:10 (EST), the first 01:30 is past: it ends at the second one, later.
    assert quiet_until(night, at("2026-11-01T01:10:00-05:00")) == at("2026-11-01T01:30:00-05:00")
    # Between the first 01:30 and the second 01:00 the wall clock is past the end.
    assert quiet_until(night, at("2026-11-01T01:45:00-04:00")) is None
