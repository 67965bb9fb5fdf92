"""End to end on the demo project: collect, detect, alert — and secrets kept out of sight."""

from __future__ import annotations

import json
import logging
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.alerts.conftest import Receiver
from tests.alerts_flow.flow_testlib import read_lines
from tripl_cli.api import alert_api, detect_api, run_api
from tripl_cli.api.alert_flow import AlertOutcome, process
from tripl_cli.api.project_api import open_project
from tripl_cli.api.run_api import open_state
from tripl_cli.cli.main import app
from tripl_cli.scaffold import DemoIncident, init_project
from tripl_cli.state import StoredIncident

AS_OF = datetime(2026, 3, 15, 13, 37, tzinfo=UTC)  # as tests/cli: data ends 13:00 that day
SINK = Path("target") / "alerts.jsonl"  # the demo's `file` destination


def _demo(root: Path, as_of: datetime | None) -> DemoIncident:
    init = init_project(root, demo=True, as_of=as_of)
    assert init.warehouse is not None
    return init.warehouse.incident


def _score_breakdowns_of_orders(root: Path) -> None:
    """Let detection score `orders`' platform/country series (it scores totals by default)."""
    path = root / "metrics" / "commerce.yml"
    text = path.read_text()
    if "breakdowns: true" not in text:
        anchor = "    owner: commerce-analytics\n    tags: [commerce, kpi]\n"
        assert text.count(anchor) >= 1
        text = text.replace(anchor, anchor + "    detection: {breakdowns: true}\n", 1)
        path.write_text(text)


def _detect_and_alert(root: Path) -> AlertOutcome:
    project = open_project(root)
    return process(project, detect_api.detect(project, as_of=AS_OF))


def _incidents(root: Path) -> list[StoredIncident]:
    project = open_project(root)
    with open_state(project, profiles_dir=None, target=None) as store:
        return [i for rule in project.alert_rules for i in store.load_rule_incidents(rule)]


def _collect(root: Path) -> None:
    report = run_api.run(open_project(root), run_api.RunOptions(as_of=AS_OF))
    assert not report.failed


def test_the_demo_incident_opens_exactly_one_incident_and_a_rerun_adds_nothing(
    tmp_path: Path,
) -> None:
    root = tmp_path / "shop"
    incident = _demo(root, AS_OF)
    _score_breakdowns_of_orders(root)
    _collect(root)

    first = _detect_and_alert(root)
    (found,) = _incidents(root)
    assert (found.rule, found.metric, found.breakdown, found.direction) == (
        "order_drops",
        "orders",
        ("platform", incident.platform),
        "drop",
    )
    assert found.first_bucket == incident.start
    # Ten days old and long back in band: it opens and resolves in the same run.
    assert found.status == "resolved"
    lines = read_lines(root / SINK)
    assert [line["status"] for line in lines] == ["firing", "resolved"]
    (item,) = lines[0]["tripl"]["alerts"]
    assert item["breakdown"] == {"column": "platform", "value": "android"}
    assert item["percent_change"] < -40 and item["display_name"] == "Orders"
    assert (first.opened, first.resolved, first.sent, first.permanent_failures) == (1, 1, 2, 0)

    again = _detect_and_alert(root)
    assert (again.opened, again.enqueued, again.sent) == (0, 0, 0)
    assert len(_incidents(root)) == 1 and read_lines(root / SINK) == lines
    assert alert_api.list_incidents(open_project(root), now=AS_OF).incidents == ()


def test_the_shipped_demo_opens_exactly_one_incident(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    _demo(root, AS_OF)
    _collect(root)
    first = _detect_and_alert(root)
    assert len(_incidents(root)) == 1
    assert first.permanent_failures == 0
    lines = read_lines(root / SINK)
    second = _detect_and_alert(root)
    assert (second.opened, second.enqueued, second.sent) == (0, 0, 0)
    assert read_lines(root / SINK) == lines


SECRET_PATH = "/hooks/T0KEN-9f8e7d6c5b4a3921/deliver"
SECRET_TOKEN = "bearer-s3cr3t-77aa41"

ALERTS = """\
    destinations:
      - name: alerts_file
        type: file
        path: target/alerts.jsonl
      - name: hook
        type: webhook
        url: "{{ env_var('TRIPL_TEST_HOOK_URL') }}"
        headers:
          Authorization: "Bearer {{ env_var('TRIPL_TEST_HOOK_TOKEN') }}"
    alert_rules:
      - name: to_file
        destination: alerts_file
        select: orders
        direction: down
      - name: to_hook
        destination: hook
        select: orders
        direction: down
    """


def test_tripl_detect_exits_1_on_a_permanent_failure_and_never_shows_secrets(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "shop"
    _demo(root, None)  # data up to now: `tripl detect` scores the newest buckets
    (root / "alerts" / "alerts.yml").write_text(textwrap.dedent(ALERTS))
    receiver.script[SECRET_PATH] = [400]  # its error body echoes the path, like real services
    hook_url = receiver.url(SECRET_PATH)
    monkeypatch.setenv("TRIPL_TEST_HOOK_URL", hook_url)
    monkeypatch.setenv("TRIPL_TEST_HOOK_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("CI", "true")
    runner = CliRunner()
    results: list[Result] = []

    def tripl(*args: str) -> Result:
        # --debug: every log line, down to DEBUG, lands in the captured output.
        done = runner.invoke(app, ["--debug", "--project-dir", str(root), *args])
        results.append(done)
        # The CLI's log handler wrote to the runner's stream, closed now: detach it.
        logging.getLogger("tripl_cli").handlers[:] = []
        return done

    assert tripl("run").exit_code == 0
    assert tripl("compile").exit_code == 0
    # CI=true: detection scores but sends nothing unless --alerts is given.
    ci = tripl("detect")
    assert ci.exit_code == 0
    assert "alerts: not sent, since CI=true (pass --alerts to send them)" in ci.output
    assert not (root / SINK).exists() and receiver.received == []

    # With JSON logs, the failure is a JSON record (no plain-text copy of it on stderr).
    failed = runner.invoke(
        app, ["--log-format", "json", "--project-dir", str(root), "detect", "--alerts"]
    )
    results.append(failed)
    logging.getLogger("tripl_cli").handlers[:] = []
    assert failed.exit_code == 1, failed.output
    records = [json.loads(line) for line in failed.stderr.splitlines() if line.startswith("{")]
    assert any("alert to 'hook' failed: HTTP 400" in r["message"] for r in records), records
    assert "alert delivery failed" not in failed.stderr
    assert len(receiver.received) >= 1 and read_lines(root / SINK) != []  # file still served
    assert receiver.received[0].headers["Authorization"] == f"Bearer {SECRET_TOKEN}"
    # The failure was recorded: a rerun neither retries it nor fails again.
    posts = len(receiver.received)
    assert tripl("detect", "--alerts").exit_code == 0
    assert len(receiver.received) == posts

    listed = tripl("alert", "list", "--format", "json")
    assert listed.exit_code == 0 and "incidents" in json.loads(listed.stdout)
    test_send = tripl("alert", "test", "hook")
    assert test_send.exit_code == 1
    assert "test message to hook failed permanently" in test_send.output

    with open_state(open_project(root), profiles_dir=None, target=None) as store:
        reasons = [e.last_error or "" for e in store.outbox_entries()]
    assert any("400" in r for r in reasons)
    texts = {f"output #{i}": r.output for i, r in enumerate(results)}
    texts["outbox reasons"] = "\n".join(reasons)
    for path in [*(root / "target").rglob("*"), *(root / ".tripl").rglob("*")]:
        if path.is_file():
            texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    for secret in (hook_url, SECRET_PATH, "T0KEN-9f8e7d6c5b4a3921", SECRET_TOKEN):
        leaks = [where for where, text in texts.items() if secret in text]
        assert leaks == [], f"{secret!r} leaked into {leaks}"


def test_an_unset_destination_secret_only_fails_its_deliveries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SPEC §8's `url: "{{ env_var('HOOK') }}"`, in a CI job without the secret: every command
    # loads (a warning at the value); only the alerts to that destination fail, naming it.
    root = tmp_path / "shop"
    _demo(root, None)
    (root / "alerts" / "alerts.yml").write_text(textwrap.dedent(ALERTS))
    monkeypatch.delenv("TRIPL_TEST_HOOK_URL", raising=False)
    monkeypatch.delenv("TRIPL_TEST_HOOK_TOKEN", raising=False)
    runner = CliRunner()

    def tripl(*args: str) -> Result:
        done = runner.invoke(app, ["--project-dir", str(root), *args])
        logging.getLogger("tripl_cli").handlers[:] = []
        return done

    checked = tripl("validate")
    assert checked.exit_code == 0, checked.output
    said = " ".join(checked.output.split())
    assert "warning[env-var-missing]: environment variable 'TRIPL_TEST_HOOK_URL' is not set" in said
    assert tripl("run").exit_code == 0
    detected = tripl("detect", "--alerts")
    assert detected.exit_code == 1, detected.output
    assert (
        "environment variables TRIPL_TEST_HOOK_URL, TRIPL_TEST_HOOK_TOKEN are not set"
        in " ".join(detected.output.split())
    )
    assert read_lines(root / SINK) != []  # the file destination still served
