"""Slack incoming webhook: a Block Kit message (https://api.slack.com/messaging/webhooks)."""

from __future__ import annotations

from tripl_cli.alerts.destinations.http import post_json
from tripl_cli.alerts.model import DeliveryResult, Notification
from tripl_cli.alerts.payloads import slack_payload
from tripl_cli.alerts.secrets import secrets_of
from tripl_cli.project.schema import SlackDestination


def send(
    message: Notification, destination: SlackDestination, *, timeout_s: float
) -> DeliveryResult:
    # Slack does not deduplicate incoming-webhook posts; the key is shown in the context
    # line so a human (or a Slack workflow) can recognise a re-send.
    return post_json(
        destination.url,
        slack_payload(message),
        timeout_s=timeout_s,
        secrets=secrets_of(destination),
    )
