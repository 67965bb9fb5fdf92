"""Generic webhook: the documented Alertmanager-v4-compatible JSON, POSTed with headers."""

from __future__ import annotations

from tripl_cli.alerts.destinations.http import post_json
from tripl_cli.alerts.model import DeliveryResult, Notification
from tripl_cli.alerts.payloads import webhook_payload
from tripl_cli.alerts.secrets import secrets_of
from tripl_cli.project.schema import WebhookDestination

IDEMPOTENCY_HEADER = "Idempotency-Key"


def send(
    message: Notification, destination: WebhookDestination, *, timeout_s: float
) -> DeliveryResult:
    headers = dict(destination.headers)
    # The key is in the body too; the header lets a proxy or API gateway dedupe unread.
    headers[IDEMPOTENCY_HEADER] = message.key
    return post_json(
        destination.url,
        webhook_payload(message),
        timeout_s=timeout_s,
        headers=headers,
        secrets=secrets_of(destination),
    )
