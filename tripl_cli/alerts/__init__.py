"""Alerts (layer 3): destinations, messages, the incident state machine, the outbox policy.

Pure where possible: `incidents`, `messages` and `outbox` do no I/O and read no clock; only
`destinations` talk to the outside world. The state DB is not imported here: the runner
moves `IncidentState` and `OutboxEntry` records between this package and `tripl_cli.state`.
See docs/alerts.md.
"""

from __future__ import annotations

from tripl_cli.alerts.destinations import SENDERS, deliver
from tripl_cli.alerts.incidents import (
    Evaluation,
    IncidentState,
    IncidentStatus,
    LatestScore,
    PendingNotification,
    ack,
    evaluate_rule,
    mute,
    retire,
)
from tripl_cli.alerts.matching import matches, quiet_until
from tripl_cli.alerts.messages import Outgoing, SeriesContext, build_messages, build_test_message
from tripl_cli.alerts.model import (
    AlertItem,
    AlertStatus,
    DeliveryResult,
    DeliveryStatus,
    Notification,
    RecentPoint,
)
from tripl_cli.alerts.outbox import (
    DEFAULT_POLICY,
    OutboxEntry,
    OutboxStatus,
    RetryPolicy,
    enqueue,
    is_due,
    is_held,
    record_attempt,
)
from tripl_cli.alerts.payloads import slack_payload, webhook_payload
from tripl_cli.alerts.secrets import scrub, secrets_of
from tripl_cli.alerts.templates import check_template

__all__ = [
    "DEFAULT_POLICY",
    "SENDERS",
    "AlertItem",
    "AlertStatus",
    "DeliveryResult",
    "DeliveryStatus",
    "Evaluation",
    "IncidentState",
    "IncidentStatus",
    "LatestScore",
    "Notification",
    "OutboxEntry",
    "OutboxStatus",
    "Outgoing",
    "PendingNotification",
    "RecentPoint",
    "RetryPolicy",
    "SeriesContext",
    "ack",
    "build_messages",
    "build_test_message",
    "check_template",
    "deliver",
    "enqueue",
    "evaluate_rule",
    "is_due",
    "is_held",
    "matches",
    "mute",
    "quiet_until",
    "record_attempt",
    "retire",
    "scrub",
    "secrets_of",
    "slack_payload",
    "webhook_payload",
]
