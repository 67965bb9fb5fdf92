"""Slack, webhook and Telegram against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import pydantic
import pytest

from tests.alerts.alerts_testlib import T0, firing_notification
from tests.alerts.conftest import Receiver
from tripl_cli.alerts import DeliveryStatus, deliver
from tripl_cli.alerts.destinations import slack, telegram, webhook
from tripl_cli.project.schema import SlackDestination, TelegramDestination, WebhookDestination

SLACK_TOKEN_PATH = "/services/T0001/B0002/SuperSecretSlackToken123"
BOT_TOKEN = "123456:ABCdefSecretBotToken"


def _slack(url: str) -> SlackDestination:
    return SlackDestination(name="team", type="slack", url=url)


def _hook(url: str, **headers: str) -> WebhookDestination:
    return WebhookDestination(name="hook", type="webhook", url=url, headers=headers)


def test_slack_posts_block_kit_with_the_message(receiver: Receiver) -> None:
    message = firing_notification()
    result = slack.send(message, _slack(receiver.url(SLACK_TOKEN_PATH)), timeout_s=5)
    assert result.status is DeliveryStatus.SENT
    (got,) = receiver.received
    assert got.path == SLACK_TOKEN_PATH
    assert got.headers["Content-Type"].startswith("application/json")
    body = got.json
    assert body["text"] == "[tripl] Orders placed dropped (-60%)"
    header, section, context = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": body["text"]}}
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert "actual 40 vs expected 100 (band 80 to 120), -60%" in section["text"]["text"]
    assert "tripl show orders --last 30" in section["text"]["text"]
    assert message.key in context["elements"][0]["text"]


def test_webhook_payload_is_alertmanager_v4_with_tripl_numbers(receiver: Receiver) -> None:
    message = firing_notification()
    dest = _hook(receiver.url("/alerts"), Authorization="Bearer s3cr3t-header-token")
    assert webhook.send(message, dest, timeout_s=5).status is DeliveryStatus.SENT
    (got,) = receiver.received
    assert got.headers["Authorization"] == "Bearer s3cr3t-header-token"
    assert got.headers["Idempotency-Key"] == message.key
    body = got.json
    assert body["version"] == "4"
    assert body["status"] == "firing"
    assert body["receiver"] == "team"
    assert body["groupKey"] == '{}:{rule="commerce"}'
    (alert,) = body["alerts"]
    assert alert["status"] == "firing"
    assert alert["labels"] == {
        "alertname": "TriplAnomaly",
        "metric": "orders",
        "breakdown": "",
        "direction": "drop",
        "rule": "commerce",
        "severity": "warning",
    }
    assert alert["startsAt"] == "2026-03-02T00:00:00Z"
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert alert["fingerprint"] == message.items[0].incident_key
    assert set(alert["annotations"]) == {"summary", "description"}
    tripl = body["tripl"]
    assert tripl["idempotency_key"] == message.key
    assert tripl["test"] is False
    (numbers,) = tripl["alerts"]
    assert numbers["actual"] == 40.0 and numbers["expected"] == 100.0
    assert numbers["lower"] == 80.0 and numbers["upper"] == 120.0
    assert numbers["z"] == -7.5
    assert numbers["percent_change"] == -60.0
    assert numbers["detector"] == "seasonal"
    assert numbers["bucket"] == "2026-03-02T00:00:00Z"
    assert numbers["owner"] == "commerce-team"
    assert [p["value"] for p in numbers["recent"]] == [98.0, 103.0, None, 99.0, 101.0, 40.0]


def test_5xx_and_429_are_transient(receiver: Receiver) -> None:
    receiver.script["/down"] = [503]
    receiver.script["/busy"] = [429]
    message = firing_notification()
    down = webhook.send(message, _hook(receiver.url("/down")), timeout_s=5)
    busy = webhook.send(message, _hook(receiver.url("/busy")), timeout_s=5)
    assert down.status is DeliveryStatus.TRANSIENT and "HTTP 503" in down.reason
    assert busy.status is DeliveryStatus.TRANSIENT and "HTTP 429" in busy.reason


def test_4xx_is_permanent_with_a_reason_that_hides_the_url(receiver: Receiver) -> None:
    receiver.script[SLACK_TOKEN_PATH] = [400]
    url = receiver.url(SLACK_TOKEN_PATH)
    result = deliver(firing_notification(), _slack(url))
    assert result.status is DeliveryStatus.PERMANENT
    assert "HTTP 400" in result.reason
    assert "127.0.0.1" in result.reason  # where it went, for the human
    # The server echoed the path in its error body; none of the token may survive.
    for secret in (url, SLACK_TOKEN_PATH, "SuperSecretSlackToken123"):
        assert secret not in result.reason


def test_a_hanging_endpoint_times_out_as_transient(receiver: Receiver) -> None:
    result = webhook.send(firing_notification(), _hook(receiver.url("/hang")), timeout_s=0.3)
    assert result.status is DeliveryStatus.TRANSIENT
    assert "timed out" in result.reason


def test_connection_refused_is_transient(refused_url: str) -> None:
    result = webhook.send(firing_notification(), _hook(refused_url), timeout_s=2)
    assert result.status is DeliveryStatus.TRANSIENT
    assert "refused" in result.reason


def test_redirects_are_not_followed(receiver: Receiver) -> None:
    result = webhook.send(firing_notification(), _hook(receiver.url("/redirect")), timeout_s=5)
    assert result.status is DeliveryStatus.PERMANENT and "HTTP 302" in result.reason
    assert [r.path for r in receiver.received] == ["/redirect"]


def test_a_url_that_is_not_http_is_bad_config() -> None:
    # Empty is "not configured here" (`env_var('SLACK_URL', '')`): valid, failing only if used.
    assert _slack("").url == ""
    result = deliver(firing_notification(), _slack(""))
    assert result.status is DeliveryStatus.PERMANENT and "URL is empty" in result.reason
    for url in ("ftp://example.com/x", "hooks.slack.com/services/x", "http://h:99999/"):
        # `tripl validate` refuses it (the schema) …
        refused = r"https:// and name a host|port is not a number"
        with pytest.raises(pydantic.ValidationError, match=refused):
            _slack(url)
        # … and a sender given one anyway fails for good, without a request.
        unchecked = SlackDestination.model_construct(name="s", type="slack", url=url)
        result = deliver(firing_notification(), unchecked)
        assert result.status is DeliveryStatus.PERMANENT
        assert "bad configuration" in result.reason


def test_telegram_send_message(receiver: Receiver) -> None:
    message = firing_notification()
    dest = TelegramDestination(name="tg", type="telegram", bot_token=BOT_TOKEN, chat_id="-100200")
    result = telegram.send(message, dest, timeout_s=5, api_base=receiver.base)
    assert result.status is DeliveryStatus.SENT
    (got,) = receiver.received
    assert got.path == f"/bot{BOT_TOKEN}/sendMessage"
    body = got.json
    assert body["chat_id"] == "-100200"
    assert body["text"].startswith(message.title)
    assert "Orders placed: drop at 2026-03-02 00:00 UTC" in body["text"]


def test_telegram_errors_never_show_the_bot_token(receiver: Receiver) -> None:
    receiver.script[f"/bot{BOT_TOKEN}/sendMessage"] = [401]
    dest = TelegramDestination(name="tg", type="telegram", bot_token=BOT_TOKEN, chat_id="1")
    result = telegram.send(firing_notification(), dest, timeout_s=5, api_base=receiver.base)
    assert result.status is DeliveryStatus.PERMANENT and "HTTP 401" in result.reason
    assert BOT_TOKEN not in result.reason and "SecretBotToken" not in result.reason


def test_the_test_message_is_marked_as_a_test(receiver: Receiver) -> None:
    from tripl_cli.alerts import build_test_message

    message = build_test_message("hook", now=T0)
    assert webhook.send(message, _hook(receiver.url("/t")), timeout_s=5).ok
    body = receiver.received[0].json
    assert body["tripl"]["test"] is True
    assert body["alerts"][0]["labels"]["alertname"] == "TriplTest"
    assert "TEST" in body["tripl"]["title"]
    assert body["tripl"]["text"].startswith("THIS IS A TEST MESSAGE")


def test_user_info_in_the_url_becomes_basic_auth(receiver: Receiver) -> None:
    import base64

    url = receiver.url("/secured").replace("http://", "http://ops%40corp:p%3Ass@")
    assert webhook.send(firing_notification(), _hook(url), timeout_s=5).ok
    (got,) = receiver.received
    assert got.path == "/secured"
    assert got.headers["Authorization"] == "Basic " + base64.b64encode(b"ops@corp:p:ss").decode()
