"""The documented JSON bodies: Alertmanager-compatible webhook v4, and Slack Block Kit.

The webhook body is also what `command` reads on stdin and what `file` appends, so every
machine-facing destination speaks one format (documented in docs/alerts.md).
"""

from __future__ import annotations

from typing import Any

from tripl_cli.alerts.model import (
    AlertItem,
    AlertStatus,
    Notification,
    finite_or_none,
)
from tripl_cli.timegrid import iso_utc
from tripl_cli.types import Direction, breakdown_json

WEBHOOK_VERSION = "4"
#: Alertmanager's "not resolved yet" endsAt.
ZERO_TIME = "0001-01-01T00:00:00Z"
#: Slack rejects section text over 3,000 characters and headers over 150.
_SLACK_SECTION_LIMIT = 3000
_SLACK_HEADER_LIMIT = 150


def webhook_payload(message: Notification) -> dict[str, Any]:
    """Alertmanager webhook v4 shape plus a `tripl` object with the numbers."""
    alerts = [_am_alert(i, message.is_test) for i in message.items]
    common_labels = _common([a["labels"] for a in alerts])
    return {
        "version": WEBHOOK_VERSION,
        "groupKey": f'{{}}:{{rule="{message.rule}"}}',
        "truncatedAlerts": message.omitted,
        "status": message.status.value,
        "receiver": message.destination,
        "groupLabels": {"rule": message.rule},
        "commonLabels": common_labels,
        "commonAnnotations": _common([a["annotations"] for a in alerts]),
        "externalURL": "",
        "alerts": alerts,
        "tripl": {
            "idempotency_key": message.key,
            "test": message.is_test,
            "rule": message.rule,
            "title": message.title,
            "text": message.text,
            "created_at": iso_utc(message.created_at),
            "omitted": message.omitted,
            # Parallel to `alerts`: the numbers behind each one.
            "alerts": [_tripl_item(i) for i in message.items],
        },
    }


def slack_payload(message: Notification) -> dict[str, Any]:
    """An incoming-webhook message: header, body, and the key in a context line."""
    body = _slack_escape(message.text)
    if len(body) > _SLACK_SECTION_LIMIT - 8:
        body = body[: _SLACK_SECTION_LIMIT - 12] + "\n…"
    return {
        "text": message.title,  # the notification/fallback text
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": message.title[:_SLACK_HEADER_LIMIT]},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": f"```{body}```"}},
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"tripl · rule `{message.rule}` · key {message.key}"}
                ],
            },
        ],
    }


# ------------------------------------------------------------------------------ internals
def _am_alert(item: AlertItem, is_test: bool) -> dict[str, Any]:
    column, value = item.breakdown
    resolved = item.status is AlertStatus.RESOLVED
    ends = item.resolved_at or item.bucket
    labels = {
        "alertname": "TriplTest" if is_test else "TriplAnomaly",
        "metric": item.metric,
        "breakdown": f"{column}={value}" if column else "",
        "direction": item.direction.value,
        "rule": item.rule,
        "severity": item.severity,
    }
    return {
        "status": item.status.value,
        "labels": labels,
        "annotations": {
            "summary": _summary(item),
            "description": f"{item.display_name}: look closer with `{item.commands[0]}`",
        },
        "startsAt": iso_utc(item.first_bucket),
        "endsAt": iso_utc(ends) if resolved else ZERO_TIME,
        "generatorURL": "",
        "fingerprint": item.incident_key,
    }


def _tripl_item(item: AlertItem) -> dict[str, Any]:
    return {
        "fingerprint": item.incident_key,
        "status": item.status.value,
        "metric": item.metric,
        "display_name": item.display_name,
        "breakdown": breakdown_json(item.breakdown),
        "bucket": iso_utc(item.bucket),
        "first_bucket": iso_utc(item.first_bucket),
        "actual": finite_or_none(item.actual),
        "expected": finite_or_none(item.expected),
        "lower": finite_or_none(item.lower),
        "upper": finite_or_none(item.upper),
        "z": finite_or_none(item.score),
        "percent_change": finite_or_none(item.percent_change),
        "direction": item.direction.value,
        "detector": item.detector.value if item.detector else None,
        "owner": item.owner,
        "unit": item.unit,
        "recent": [
            {"bucket": iso_utc(p.bucket), "value": finite_or_none(p.value)} for p in item.recent
        ],
        "commands": list(item.commands),
    }


def _summary(item: AlertItem) -> str:
    if item.status is AlertStatus.RESOLVED:
        return f"{item.series_label} is back to normal"
    verb = "dropped" if item.direction is Direction.DROP else "spiked"
    return f"{item.series_label} {verb} at {iso_utc(item.bucket)}"


def _common(dicts: list[dict[str, str]]) -> dict[str, str]:
    """Key/value pairs every dict shares (Alertmanager's commonLabels/commonAnnotations)."""
    if not dicts:
        return {}
    first = dicts[0]
    return {k: v for k, v in first.items() if all(d.get(k) == v for d in dicts[1:])}


def _slack_escape(text: str) -> str:
    # Slack mrkdwn treats these three as control characters.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("```", "'''")
