"""Deterministic identities: the same facts always give the same key, on any machine.

Parts are joined as a JSON list (not with a separator) so a breakdown value containing `|`
cannot make two different incidents collide.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from tripl_cli.timegrid import as_utc

#: 128 bits of sha256 in hex: short enough to read, far too long to collide.
KEY_LENGTH = 32


def digest(*parts: str) -> str:
    raw = json.dumps(list(parts), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def stamp(ts: datetime) -> str:
    return as_utc(ts).isoformat()


def incident_key(
    rule: str, metric: str, breakdown: tuple[str, str], direction: str, first_bucket: datetime
) -> str:
    """One incident: its series, its direction, and the bucket it opened on."""
    return digest("incident", rule, metric, *breakdown, direction, stamp(first_bucket))


def notification_key(
    rule: str,
    destination: str,
    metric: str,
    breakdown: tuple[str, str],
    direction: str,
    bucket: datetime,
    kind: str,
) -> str:
    """One notification of one incident to one destination: firing for a bucket, or resolved."""
    return digest("notify", rule, destination, metric, *breakdown, direction, stamp(bucket), kind)


def group_key(rule: str, member_keys: list[str]) -> str:
    """A grouped message is identified by exactly the notifications it carries."""
    return digest("group", rule, *sorted(member_keys))


def test_message_key(destination: str, now: datetime) -> str:
    return digest("test", destination, stamp(now))
