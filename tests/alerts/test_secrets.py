"""Secrets (webhook URLs, tokens, SMTP passwords) never reach reasons, logs or messages."""

from __future__ import annotations

import base64
import logging
import sys
from typing import Any

import pytest

from tests.alerts.alerts_testlib import firing_notification
from tests.alerts.conftest import Receiver, free_port
from tripl_cli.alerts import DeliveryResult, deliver, scrub, secrets_of
from tripl_cli.project.schema import (
    AppriseDestination,
    CommandDestination,
    EmailDestination,
    SlackDestination,
    TelegramDestination,
    WebhookDestination,
)

SECRETS = (
    "SlackTokenXyz987654321",
    "hunter2-webhook-basic-pw",
    "query-token-5f4e3d2c1b",
    "Bearer header-secret-0a9b8c",
    "999888:TelegramSecretToken",
    "smtp-password-q1w2e3r4",
    "cli-password-z9y8x7",
    "apprise-pw-m5n6b7v8",
    "user-only-token-4k3j2h",
)


def _destinations(receiver: Receiver) -> list[Any]:
    return [
        SlackDestination(name="s", type="slack", url=receiver.url(f"/services/T1/B2/{SECRETS[0]}")),
        WebhookDestination(
            name="w",
            type="webhook",
            url=receiver.url(f"/hook?token={SECRETS[2]}").replace(
                "http://", f"http://bot:{SECRETS[1]}@"
            ),
            headers={"Authorization": SECRETS[3]},
        ),
        WebhookDestination(  # user info only: sent as a Basic credential
            name="basic",
            type="webhook",
            url=receiver.url("/basic").replace("http://", f"http://bot:{SECRETS[1]}@"),
        ),
        WebhookDestination(  # a token as the user name, no password: Basic "token:"
            name="user_only",
            type="webhook",
            url=receiver.url("/user_only").replace("http://", f"http://{SECRETS[8]}@"),
        ),
        WebhookDestination(
            name="refused",
            type="webhook",
            url=f"http://127.0.0.1:{free_port()}/h?token={SECRETS[2]}",
        ),
        TelegramDestination(name="t", type="telegram", bot_token=SECRETS[4], chat_id="1"),
        EmailDestination(
            name="e",
            type="email",
            host="127.0.0.1",
            port=free_port(),
            security="none",
            username="u",
            password=SECRETS[5],
            **{"from": "a@example.com"},
            to=["b@example.com"],
        ),
        CommandDestination(
            name="c",
            type="command",
            command=[
                sys.executable,
                "-c",
                "import sys; print(sys.argv, file=sys.stderr); sys.exit(2)",
                "--password",
                SECRETS[6],
            ],
        ),
        AppriseDestination(name="a", type="apprise", url=f"mailto://me:{SECRETS[7]}@example.com"),
    ]


def test_no_secret_in_any_reason_or_log_line(
    receiver: Receiver, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every HTTP endpoint fails with a body echoing the request path (and its token).
    for path in (
        f"/services/T1/B2/{SECRETS[0]}",
        f"/hook?token={SECRETS[2]}",
        f"/bot{SECRETS[4]}/sendMessage",
        "/basic",
        "/user_only",
    ):
        receiver.script[path] = [403]
    monkeypatch.setitem(sys.modules, "apprise", None)
    caplog.set_level(logging.DEBUG, logger="tripl_cli")
    results: list[DeliveryResult] = []
    for dest in _destinations(receiver):
        if dest.type == "telegram":
            from tripl_cli.alerts.destinations import telegram

            results.append(
                telegram.send(firing_notification(), dest, timeout_s=3, api_base=receiver.base)
            )
        else:
            results.append(deliver(firing_notification(), dest, timeout_s=3))
    assert all(not r.ok for r in results), results
    # The custom header wins over the URL's user info.
    hook = next(r for r in receiver.received if r.path.startswith("/hook"))
    assert hook.headers["Authorization"] == SECRETS[3]
    basic = base64.b64encode(f"bot:{SECRETS[1]}".encode()).decode()
    assert next(r for r in receiver.received if r.path == "/basic").headers["Authorization"] == (
        f"Basic {basic}"
    )
    haystack = "\n".join([*(r.reason for r in results), caplog.text])
    assert "invalid credential ***" in haystack  # the echoed credentials were there to leak
    for secret in SECRETS:
        for fragment in {secret, secret.split(":")[-1], secret.removeprefix("Bearer ")}:
            assert fragment not in haystack, f"{fragment!r} leaked"
    assert basic not in haystack and basic.rstrip("=") not in haystack
    user_only = base64.b64encode(f"{SECRETS[8]}:".encode()).decode()
    assert user_only not in haystack and user_only.rstrip("=") not in haystack
    # And nothing is empty: every failure still explains itself.
    assert all(len(r.reason) > 10 for r in results)


def test_scrub_and_secrets_of() -> None:
    dest = SlackDestination(
        name="s", type="slack", url="https://hooks.slack.com/services/T1/B2/abcdEFGH1234"
    )
    found = secrets_of(dest)
    assert "abcdEFGH1234" in found
    text = (
        "posting to https://hooks.slack.com/services/T1/B2/abcdEFGH1234 failed; token abcdEFGH1234"
    )
    assert scrub(text, found) == "posting to *** failed; token ***"
    assert scrub("nothing to hide", found) == "nothing to hide"
    # A query parameter's value or a bearer token quoted alone, whatever the whitespace.
    hook = WebhookDestination(
        name="w",
        type="webhook",
        url="https://h.example.com/in?token=q-secret-99&x=1",
        headers={"Authorization": "Bearer\ttab-token-77"},
    )
    said = "invalid token q-secret-99; invalid bearer tab-token-77"
    assert scrub(said, secrets_of(hook)) == "invalid token ***; invalid bearer ***"


def test_messages_never_contain_destination_secrets(receiver: Receiver) -> None:
    note = firing_notification()
    blob = note.text + note.html + str(note.to_dict())
    for secret in SECRETS:
        assert secret not in blob


def test_a_crashing_sender_logs_a_scrubbed_traceback(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tripl_cli.alerts import destinations

    token = "crash-token-7u6y5t4r"
    url = f"https://hooks.example.com/services/{token}"

    def crashing(message: Any, destination: Any, *, timeout_s: float) -> DeliveryResult:
        raise RuntimeError(f"library bug while posting to {destination.url}")

    monkeypatch.setitem(destinations.SENDERS, "slack", crashing)
    caplog.set_level(logging.DEBUG, logger="tripl_cli")
    dest = SlackDestination(name="s", type="slack", url=url)
    result = deliver(firing_notification(), dest, timeout_s=3)
    assert not result.ok and result.reason == "internal error in the slack sender: RuntimeError"
    (crash,) = [r for r in caplog.records if "crashed" in r.getMessage()]
    # Rendered the way every handler renders it (message plus any exception text).
    text = logging.Formatter().format(crash)
    assert "RuntimeError: library bug while posting to" in text
    assert "Traceback (most recent call last)" in text
    assert token not in text and token not in caplog.text
