"""`command`, `file` and `apprise`: real processes and real files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.alerts.alerts_testlib import HOUR, T0, firing_notification
from tripl_cli.alerts import DeliveryStatus, deliver
from tripl_cli.alerts.destinations import command, file_sink
from tripl_cli.project.schema import AppriseDestination, CommandDestination, FileDestination

# A receiver script that dedupes by key, as docs/alerts.md recommends for commands.
RECEIVER_SCRIPT = """
import json, os, sys
out = sys.argv[1]
payload = json.load(sys.stdin)
key = os.environ["TRIPL_IDEMPOTENCY_KEY"]
assert payload["tripl"]["idempotency_key"] == key
seen = open(out).read().split() if os.path.exists(out) else []
if key not in seen:
    with open(out, "a") as f:
        f.write(key + "\\n")
    with open(out + ".json", "a") as f:
        f.write(json.dumps(payload) + "\\n")
"""


def _command(*argv: str) -> CommandDestination:
    return CommandDestination(name="cmd", type="command", command=list(argv))


def test_command_receives_the_json_on_stdin(tmp_path: Path) -> None:
    script = tmp_path / "receive.py"
    script.write_text(RECEIVER_SCRIPT)
    out = tmp_path / "received.txt"
    message = firing_notification()
    dest = _command(sys.executable, str(script), str(out))
    first = command.send(message, dest, timeout_s=20)
    again = command.send(message, dest, timeout_s=20)  # a re-send after a "crash"
    assert first.status is DeliveryStatus.SENT and again.status is DeliveryStatus.SENT
    assert out.read_text().split() == [message.key]
    (payload,) = [
        json.loads(line) for line in (tmp_path / "received.txt.json").read_text().splitlines()
    ]
    assert payload["version"] == "4"
    assert payload["alerts"][0]["labels"]["metric"] == "orders"
    assert payload["tripl"]["alerts"][0]["expected"] == 100.0


def test_command_failures(tmp_path: Path) -> None:
    message = firing_notification()
    failing = _command(
        sys.executable, "-c", "import sys; sys.stderr.write('quota exceeded'); sys.exit(3)"
    )
    result = command.send(message, failing, timeout_s=20)
    assert result.status is DeliveryStatus.PERMANENT
    assert "exited 3" in result.reason and "quota exceeded" in result.reason

    tempfail = _command(sys.executable, "-c", "import sys; sys.exit(75)")
    assert command.send(message, tempfail, timeout_s=20).status is DeliveryStatus.TRANSIENT

    missing = _command(str(tmp_path / "no-such-program"))
    result = command.send(message, missing, timeout_s=20)
    assert result.status is DeliveryStatus.PERMANENT and "not found" in result.reason


def test_command_timeout_is_transient() -> None:
    slow = _command(sys.executable, "-c", "import time; time.sleep(30)")
    result = command.send(firing_notification(), slow, timeout_s=0.5)
    assert result.status is DeliveryStatus.TRANSIENT
    assert "did not finish within 0.5s" in result.reason


def test_command_credentials_in_arguments_stay_out_of_reasons() -> None:
    token = "tok-9f8e7d6c5b4a"
    echo = _command(
        sys.executable,
        "-c",
        "import sys; sys.stderr.write(sys.argv[2]); sys.exit(1)",
        "--token",
        token,
    )
    result = deliver(firing_notification(), echo)
    assert result.status is DeliveryStatus.PERMANENT
    assert token not in result.reason


def test_file_appends_json_lines_and_dedupes_by_key(tmp_path: Path) -> None:
    sink = tmp_path / "alerts" / "out.jsonl"  # the folder does not exist yet
    dest = FileDestination(name="ci", type="file", path=str(sink))
    first, second = firing_notification(T0 + HOUR), firing_notification(T0 + 2 * HOUR)
    assert first.key == second.key  # the same incident bucket: the same key
    r1 = file_sink.send(first, dest, timeout_s=1)
    r2 = file_sink.send(second, dest, timeout_s=1)
    assert r1.status is DeliveryStatus.SENT and not r1.duplicate
    assert r2.status is DeliveryStatus.SENT and r2.duplicate
    from tripl_cli.alerts import build_test_message

    other = build_test_message("ci", now=T0)
    assert not file_sink.send(other, dest, timeout_s=1).duplicate
    lines = sink.read_text().splitlines()
    assert [json.loads(line)["tripl"]["idempotency_key"] for line in lines] == [
        first.key,
        other.key,
    ]


def test_file_ignores_a_torn_last_line(tmp_path: Path) -> None:
    sink = tmp_path / "out.jsonl"
    message = firing_notification()
    # A crash mid-write left half a record with this key: it must not count as delivered.
    sink.write_text('{"tripl": {"idempotency_key": "' + message.key + '", "tex')
    dest = FileDestination(name="ci", type="file", path=str(sink))
    assert not file_sink.send(message, dest, timeout_s=1).duplicate
    assert file_sink.send(message, dest, timeout_s=1).duplicate


def test_relative_file_path_resolves_against_the_project(tmp_path: Path) -> None:
    dest = FileDestination(name="ci", type="file", path="target/alerts.jsonl")
    result = deliver(firing_notification(), dest, project_root=tmp_path)
    assert result.ok
    assert (tmp_path / "target" / "alerts.jsonl").is_file()


def test_file_in_an_unwritable_place_is_permanent(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    dest = FileDestination(name="ci", type="file", path=str(blocker / "out.jsonl"))
    assert (
        file_sink.send(firing_notification(), dest, timeout_s=1).status is DeliveryStatus.PERMANENT
    )


def test_apprise_missing_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # makes `import apprise` fail
    dest = AppriseDestination(name="ap", type="apprise", url="mailto://user:pw@example.com")
    result = deliver(firing_notification(), dest)
    assert result.status is DeliveryStatus.PERMANENT
    assert "pip install apprise" in result.reason
