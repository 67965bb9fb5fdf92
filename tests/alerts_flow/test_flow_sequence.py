"""The incident state machine through the real store and a `file` destination, run by run."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.alerts_flow.flow_testlib import (
    T0,
    H,
    at,
    read_lines,
    report,
    series,
    store_series,
    write_project,
)
from tripl_cli.api import alert_api
from tripl_cli.api.alert_flow import AlertOutcome, process
from tripl_cli.api.run_api import open_state
from tripl_cli.cli.main import app
from tripl_cli.project.model import Project

ALERTS = """\
    destinations:
      - name: sink
        type: file
        path: target/alerts.jsonl
    alert_rules:
      - name: drops
        destination: sink
        select: orders
        direction: down
        cooldown: 6h
        notify_resolved: true
    """
LOW_HOURS = [9, 11, 17, 22]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = write_project(tmp_path / "shop", ALERTS)
    store_series(project, LOW_HOURS)
    return project


def run(project: Project, now_hour: int, low: list[int] = LOW_HOURS) -> AlertOutcome:
    return process(project, report(now_hour, series(now_hour, low)), now=at(now_hour))


def test_open_renotify_after_cooldown_resolve_and_mute(project: Project) -> None:
    sink = project.root / "target" / "alerts.jsonl"

    # Hour 9 is anomalous and is the newest scored bucket: the incident opens, one message.
    first = run(project, 10)
    assert (first.opened, first.enqueued, first.sent, first.permanent_failures) == (1, 1, 1, 0)
    (opened,) = read_lines(sink)
    assert opened["status"] == "firing"
    (item,) = opened["tripl"]["alerts"]
    assert (item["metric"], item["bucket"], item["actual"], item["expected"]) == (
        "orders",
        "2026-03-02T09:00:00Z",
        40.0,
        100.0,
    )
    assert item["display_name"] == "Orders placed" and item["owner"] == "commerce-team"
    # The sparkline's points are the stored values, ending at the newest scored bucket.
    recent = item["recent"]
    assert recent[0] == {"bucket": "2026-03-02T00:00:00Z", "value": 100.0}
    assert recent[-1] == {"bucket": "2026-03-02T09:00:00Z", "value": 40.0}
    assert len(recent) == 10

    # The same facts again (a re-run a minute later): nothing new.
    again = process(project, report(10, series(10, LOW_HOURS)), now=at(10) + H / 60)
    assert (again.opened, again.enqueued, again.sent) == (0, 0, 0)
    assert len(read_lines(sink)) == 1

    # A newer anomalous bucket (11) two hours after the message: inside the cooldown.
    inside = run(project, 12)
    assert (inside.enqueued, inside.sent) == (0, 0)
    with open_state(project, profiles_dir=None, target=None) as store:
        (inc,) = store.open_incidents()
    assert inc.last_anomaly_bucket == T0 + H * 11  # recorded, not announced
    assert inc.last_notified_bucket == T0 + H * 9

    # Hour 17, eight hours after the first message: past the cooldown, one message.
    after = run(project, 18)
    assert (after.enqueued, after.sent) == (1, 1)
    assert read_lines(sink)[-1]["tripl"]["alerts"][0]["bucket"] == "2026-03-02T17:00:00Z"

    # Hour 18 is back inside the band: resolved, one message.
    back = run(project, 19)
    assert (back.resolved, back.enqueued, back.sent) == (1, 1, 1)
    resolved = read_lines(sink)[-1]
    assert resolved["status"] == "resolved"
    assert resolved["alerts"][0]["fingerprint"] == opened["alerts"][0]["fingerprint"]

    # `tripl alert mute orders --for 24h`: the next drop opens an incident, silently.
    alert_api.mute(project, "orders", "24h", reason="migration", now=at(20))
    muted = run(project, 23)
    assert (muted.opened, muted.enqueued, muted.sent) == (1, 0, 0)
    assert len(read_lines(sink)) == 3
    listing = alert_api.list_incidents(project, now=at(23))
    (view,) = listing.incidents
    assert view.incident.first_bucket == T0 + H * 22
    assert view.muted_until == at(44)
    assert [m.metric for m in listing.mutes] == ["orders"]


def test_an_acked_incident_stays_quiet_until_it_resolves(project: Project) -> None:
    sink = project.root / "target" / "alerts.jsonl"
    run(project, 10)
    (view,) = alert_api.list_incidents(project, now=at(10)).incidents
    assert view.incident.id is not None
    alert_api.ack(project, view.incident.id)
    assert run(project, 18).enqueued == 0  # past the cooldown, but acknowledged
    assert run(project, 19).enqueued == 1  # the resolution is still announced
    assert [line["status"] for line in read_lines(sink)] == ["firing", "resolved"]


def test_quiet_hours_hold_the_message_until_the_window_ends(tmp_path: Path) -> None:
    quiet = (
        ALERTS.rstrip() + "\n        quiet_hours: {start: '08:00', end: '12:00', timezone: UTC}\n"
    )
    project = write_project(tmp_path / "shop", quiet)
    store_series(project, [9])
    sink = project.root / "target" / "alerts.jsonl"
    held = run(project, 10, [9])
    assert (held.enqueued, held.sent, held.held) == (1, 0, 1)
    assert read_lines(sink) == []
    assert process(project, report(10, series(10, [9])), now=at(11)).sent == 0  # still quiet
    # At noon the window has ended: the held message goes out, then the resolution
    # (hour 11 is back in band), oldest first.
    released = run(project, 12, [9])
    assert (released.sent, released.held) == (2, 0)
    assert [line["status"] for line in read_lines(sink)] == ["firing", "resolved"]


def test_alert_commands_list_ack_and_mute(project: Project) -> None:
    run(project, 10)
    runner = CliRunner()

    def tripl(*args: str) -> Result:
        done = runner.invoke(app, ["--no-color", "--project-dir", str(project.root), *args])
        logging.getLogger("tripl_cli").handlers[:] = []  # the runner's stream is closed now
        return done

    listed = json.loads(tripl("alert", "list", "--format", "json").stdout)
    (inc,) = listed["incidents"]
    assert (inc["rule"], inc["metric"], inc["breakdown"], inc["direction"]) == (
        "drops",
        "orders",
        None,
        "drop",
    )
    assert (inc["first_bucket"], inc["last_bucket"], inc["peak_score"]) == (
        "2026-03-02T09:00:00Z",
        "2026-03-02T09:00:00Z",
        -7.5,
    )
    assert inc["acked"] is False and inc["muted_until"] is None
    table = tripl("alert", "list").stdout
    assert "drops" in table and "total" in table and "-7.5" in table

    assert tripl("alert", "ack", str(inc["id"])).exit_code == 0
    assert tripl("alert", "mute", "orders", "--for", "2h", "--reason", "deploy").exit_code == 0
    again = json.loads(tripl("alert", "list", "--format", "json").stdout)
    assert again["incidents"][0]["acked"] is True
    assert again["incidents"][0]["muted_until"] is not None
    assert [m["reason"] for m in again["mutes"]] == ["deploy"]
    assert tripl("alert", "mute", "orders", "--clear").exit_code == 0
    assert json.loads(tripl("alert", "list", "--format", "json").stdout)["mutes"] == []

    missing = tripl("alert", "ack", "999")
    assert missing.exit_code == 1 and "no incident with id 999" in str(missing.exception)
    assert tripl("alert", "mute", "ordrs").exit_code == 1
    assert tripl("alert", "mute", "orders", "--for", "soon").exit_code == 1
