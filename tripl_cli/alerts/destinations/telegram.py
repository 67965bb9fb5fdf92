"""Telegram Bot API `sendMessage` (https://core.telegram.org/bots/api#sendmessage)."""

from __future__ import annotations

from tripl_cli.alerts.destinations.http import post_json
from tripl_cli.alerts.model import DeliveryResult, Notification, permanent
from tripl_cli.alerts.secrets import secrets_of
from tripl_cli.project.schema import TelegramDestination

API_BASE = "https://api.telegram.org"
#: Telegram rejects longer messages.
_MAX_TEXT = 4096


def send(
    message: Notification,
    destination: TelegramDestination,
    *,
    timeout_s: float,
    api_base: str = API_BASE,
) -> DeliveryResult:
    if not destination.bot_token or not destination.chat_id:
        return permanent("bad configuration: bot_token and chat_id are required")
    text = f"{message.title}\n\n{message.text}"
    if len(text) > _MAX_TEXT:
        text = text[: _MAX_TEXT - 2] + "\n…"
    # Plain text on purpose: Markdown/HTML modes reject unescaped metric names like `a_b`.
    body = {"chat_id": destination.chat_id, "text": text, "disable_web_page_preview": True}
    url = f"{api_base.rstrip('/')}/bot{destination.bot_token}/sendMessage"
    return post_json(url, body, timeout_s=timeout_s, secrets=secrets_of(destination))
