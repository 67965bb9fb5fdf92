"""The incident state machine through the real store and a `file` destination, run by run."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.alerts_flow.flow_testlib import (
    DROPS_RULE,
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
from tripl_cli.api.project_api import open_project
from tripl_cli.api.run_api import open_state
from tripl_cli.cli.main import app
from tripl_cli.errors import StateError, TriplError
from tripl_cli.project.model import Project

LOW_HOURS = [9, 11, 17, 22]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = write_project(tmp_path / "shop", DROPS_RULE)
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
        DROPS_RULE.rstrip()
        + "\n        quiet_hours: {start: '08:00', end: '12:00', timezone: UTC}\n"
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
    bad = tripl("alert", "mute", "orders", "--for", "soon")  # a bad flag value: usage, exit 2
    assert bad.exit_code == 2 and "bad duration 'soon'" in bad.output
    endless = tripl("alert", "mute", "orders", "--for", "100000000d")
    assert endless.exit_code == 2 and "too long" in endless.output


def test_ack_waits_for_the_run_lock_and_a_detect_in_flight_never_undoes_it(
    project: Project,
) -> None:
    run(project, 10)
    (view,) = alert_api.list_incidents(project, now=at(10)).incidents
    assert view.incident.id is not None
    # A detect holds the run lock: ack (and mute) refuse rather than race it.
    with (
        open_state(project, profiles_dir=None, target=None) as store,
        store.run_lock("detect-in-flight"),
    ):
        with pytest.raises(StateError, match="detect-in-flight"):
            alert_api.ack(project, view.incident.id, lock_timeout_s=0)
        with pytest.raises(StateError, match="detect-in-flight"):
            alert_api.mute(project, "orders", "1h", lock_timeout_s=0)
        with pytest.raises(StateError, match="detect-in-flight"):
            alert_api.unmute(project, "orders", lock_timeout_s=0)
        # The CLI's --lock-timeout, which the lock message's hint names, reaches the lock.
        for args in (
            ("ack", str(view.incident.id)),
            ("mute", "orders"),
            ("mute", "orders", "--clear"),
        ):
            done = CliRunner().invoke(
                app, ["--project-dir", str(project.root), "alert", *args, "--lock-timeout", "0"]
            )
            logging.getLogger("tripl_cli").handlers[:] = []
            assert done.exit_code == 1 and isinstance(done.exception, StateError), done.output
            assert "gave up after waiting 0s" in done.exception.message
    listing = alert_api.list_incidents(project, now=at(10))
    assert listing.incidents[0].incident.acked is False and listing.mutes == ()
    alert_api.ack(project, view.incident.id)
    # The next detect's alert step rewrites the incident (a newer anomalous bucket): the
    # acknowledgement stays.
    run(project, 12)
    (after,) = alert_api.list_incidents(project, now=at(12)).incidents
    assert after.incident.acked is True and after.incident.last_anomaly_bucket == T0 + H * 11


def test_alert_commands_on_a_fresh_clone_create_no_state(tmp_path: Path) -> None:
    project = write_project(tmp_path / "shop", DROPS_RULE)
    state = project.root / ".tripl"
    runner = CliRunner()

    def tripl(*args: str) -> Result:
        done = runner.invoke(app, ["--no-color", "--project-dir", str(project.root), *args])
        logging.getLogger("tripl_cli").handlers[:] = []
        return done

    listed = tripl("alert", "list", "--format", "json")
    assert listed.exit_code == 0 and json.loads(listed.stdout) == {"incidents": [], "mutes": []}
    for args in (
        ("alert", "ack", "1"),
        ("alert", "mute", "orders"),
        ("alert", "mute", "orders", "--clear"),
    ):
        done = tripl(*args)
        assert done.exit_code == 1
        assert isinstance(done.exception, TriplError)
        assert "target 'dev' has no state database yet" in done.exception.message
    assert not state.exists()


def test_acking_a_resolved_incident_says_so_and_changes_nothing(project: Project) -> None:
    run(project, 10)
    (view,) = alert_api.list_incidents(project, now=at(10)).incidents
    run(project, 19, [9])  # back in band: resolved
    assert alert_api.list_incidents(project, now=at(19)).incidents == ()
    done = CliRunner().invoke(
        app,
        ["--no-color", "--project-dir", str(project.root), "alert", "ack", str(view.incident.id)],
    )
    logging.getLogger("tripl_cli").handlers[:] = []
    assert done.exit_code == 0
    assert f"incident {view.incident.id} (orders) is already resolved" in done.stderr
    with open_state(project, profiles_dir=None, target=None) as store:
        stored = store.incident(view.incident.id or 0)
    assert stored is not None and stored.status == "resolved" and stored.acked is False


@pytest.mark.parametrize(
    "change",
    ["rule selects another metric", "metric archived", "detection disabled", "rule removed"],
)
def test_incidents_of_series_no_longer_watched_are_retired_silently(
    project: Project, change: str
) -> None:
    sink = project.root / "target" / "alerts.jsonl"
    assert run(project, 10).opened == 1
    metrics = project.root / "metrics" / "orders.yml"
    alerts = project.root / "alerts" / "alerts.yml"
    if change == "rule selects another metric":
        alerts.write_text(alerts.read_text().replace("select: orders", "select: sessions"))
    elif change == "metric archived":
        metrics.write_text(
            metrics.read_text().replace("unit: orders", "unit: orders\n    status: archived")
        )
    elif change == "detection disabled":
        metrics.write_text(
            metrics.read_text().replace(
                "unit: orders", "unit: orders\n    detection: {enabled: false}"
            )
        )
    else:
        alerts.write_text(alerts.read_text().split("alert_rules:")[0])
    changed = open_project(project.root)
    # A detect that scored nothing of `orders` (it is no longer monitored or selected).
    outcome = process(changed, report(12), now=at(12))
    assert (outcome.resolved, outcome.enqueued, outcome.sent) == (1, 0, 0)
    assert alert_api.list_incidents(changed, now=at(12)).incidents == ()
    with open_state(changed, profiles_dir=None, target=None) as store:
        (inc,) = store.load_rule_incidents("drops")
    assert (inc.status, inc.resolved_at) == ("retired", at(12))
    assert [line["status"] for line in read_lines(sink)] == ["firing"]  # no "resolved" message


def test_a_retired_incident_watched_again_is_reopened_while_its_anomaly_lasts(
    project: Project,
) -> None:
    sink = project.root / "target" / "alerts.jsonl"
    assert run(project, 10).opened == 1  # hour 9 is low: one incident, one message
    alerts = project.root / "alerts" / "alerts.yml"
    original = alerts.read_text()
    alerts.write_text(original.replace("select: orders", "select: sessions"))
    assert process(open_project(project.root), report(11), now=at(11)).resolved == 1  # retired
    alerts.write_text(original)  # watched again; hour 9's anomaly is still reported
    again = process(open_project(project.root), report(12, series(12, [9])), now=at(12))
    assert (again.opened, again.enqueued) == (1, 0)  # the same incident: nothing re-sent
    (view,) = alert_api.list_incidents(project, now=at(12)).incidents
    assert view.incident.first_bucket == at(9)
    # Back in band later: it resolves, and says so, since its opening was announced.
    back = run(project, 20, [])
    assert back.resolved == 1
    assert [line["status"] for line in read_lines(sink)] == ["firing", "resolved"]


def test_a_detect_of_other_metrics_leaves_open_incidents_alone(project: Project) -> None:
    assert run(project, 10).opened == 1
    outcome = process(project, report(12), now=at(12))  # e.g. `tripl detect -s sessions`
    assert outcome.resolved == 0
    assert len(alert_api.list_incidents(project, now=at(12)).incidents) == 1
