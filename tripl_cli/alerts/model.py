"""The records alerts hand across boundaries: what a message says and how a delivery went.

A `Notification` is rendered once, when it is enqueued, and stored in the outbox as JSON
(`to_dict` / `from_dict`), so a retry days later sends exactly the same words and key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tripl_cli.timegrid import as_utc, iso_utc
from tripl_cli.types import TOTAL, DetectorName, Direction


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class DeliveryStatus(StrEnum):
    SENT = "sent"
    TRANSIENT = "transient_failure"  # retry later: timeouts, refused connections, 5xx, 429
    PERMANENT = "permanent_failure"  # retrying cannot help: 4xx, bad configuration


@dataclass(frozen=True)
class DeliveryResult:
    """How one send went. `reason` is for humans and never holds a URL, token or password."""

    status: DeliveryStatus
    reason: str = ""
    #: The sink already held this idempotency key: nothing was written again.
    duplicate: bool = False

    @property
    def ok(self) -> bool:
        return self.status is DeliveryStatus.SENT


def sent(reason: str = "", *, duplicate: bool = False) -> DeliveryResult:
    return DeliveryResult(DeliveryStatus.SENT, reason, duplicate)


def transient(reason: str) -> DeliveryResult:
    return DeliveryResult(DeliveryStatus.TRANSIENT, reason)


def permanent(reason: str) -> DeliveryResult:
    return DeliveryResult(DeliveryStatus.PERMANENT, reason)


@dataclass(frozen=True)
class RecentPoint:
    bucket: datetime
    value: float | None


@dataclass(frozen=True)
class AlertItem:
    """One incident as a message shows it (the facts; wording lives in the templates)."""

    incident_key: str
    status: AlertStatus
    rule: str
    metric: str
    display_name: str
    direction: Direction
    detector: DetectorName | None  # None on a resolved item: nothing is anomalous any more
    bucket: datetime  # the anomalous bucket (firing) or the bucket back in band (resolved)
    first_bucket: datetime  # the incident's first anomalous bucket
    actual: float | None
    expected: float
    lower: float
    upper: float
    score: float
    breakdown: tuple[str, str] = TOTAL
    owner: str | None = None
    unit: str | None = None
    resolved_at: datetime | None = None
    recent: tuple[RecentPoint, ...] = ()

    @property
    def percent_change(self) -> float | None:
        """(actual − expected) / |expected| × 100; None when there is no baseline to compare."""
        if self.actual is None or self.expected == 0:
            return None
        return (self.actual - self.expected) / abs(self.expected) * 100.0

    @property
    def series_label(self) -> str:
        """`Orders` or `Orders [country=US]`."""
        column, value = self.breakdown
        if not column:
            return self.display_name
        return f"{self.display_name} [{column}={value if value else '(empty)'}]"

    @property
    def commands(self) -> tuple[str, ...]:
        """What to run to look closer."""
        column, _ = self.breakdown
        look = f"tripl show {self.metric} --last 30"
        if column:
            return (look, f"tripl show {self.metric} --breakdown {column} --last 30")
        return (look,)

    @property
    def severity(self) -> str:
        """Alertmanager-style label: an outage or a very large deviation is critical."""
        if self.status is AlertStatus.RESOLVED:
            return "info"
        if self.detector is DetectorName.OUTAGE or abs(self.score) >= 10:
            return "critical"
        return "warning"


@dataclass(frozen=True)
class Notification:
    """One message to one destination; `key` is its idempotency key (the outbox's identity)."""

    key: str
    rule: str
    destination: str
    title: str
    text: str
    html: str
    created_at: datetime
    items: tuple[AlertItem, ...] = ()
    #: A grouped message lists the top items; this many more were only summarised.
    omitted: int = 0
    is_test: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> AlertStatus:
        if any(i.status is AlertStatus.FIRING for i in self.items) or not self.items:
            return AlertStatus.FIRING
        return AlertStatus.RESOLVED

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for the outbox's `payload` column."""
        return {
            "key": self.key,
            "rule": self.rule,
            "destination": self.destination,
            "title": self.title,
            "text": self.text,
            "html": self.html,
            "created_at": iso_utc(self.created_at),
            "items": [_item_to_dict(i) for i in self.items],
            "omitted": self.omitted,
            "is_test": self.is_test,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notification:
        return cls(
            key=str(data["key"]),
            rule=str(data["rule"]),
            destination=str(data["destination"]),
            title=str(data["title"]),
            text=str(data["text"]),
            html=str(data["html"]),
            created_at=_parse(data["created_at"]),
            items=tuple(_item_from_dict(i) for i in data.get("items", ())),
            omitted=int(data.get("omitted", 0)),
            is_test=bool(data.get("is_test", False)),
            extra=dict(data.get("extra", {})),
        )


def _parse(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def finite_or_none(x: float | None) -> float | None:
    """JSON has no NaN/Infinity: a non-finite number is written as null."""
    return x if x is not None and math.isfinite(x) else None


def _float(x: Any) -> float:
    return math.nan if x is None else float(x)


def _opt_iso(ts: datetime | None) -> str | None:
    return None if ts is None else iso_utc(ts)


def _item_to_dict(item: AlertItem) -> dict[str, Any]:
    return {
        "incident_key": item.incident_key,
        "status": item.status.value,
        "rule": item.rule,
        "metric": item.metric,
        "display_name": item.display_name,
        "direction": item.direction.value,
        "detector": None if item.detector is None else item.detector.value,
        "bucket": iso_utc(item.bucket),
        "first_bucket": iso_utc(item.first_bucket),
        "actual": finite_or_none(item.actual),
        "expected": finite_or_none(item.expected),
        "lower": finite_or_none(item.lower),
        "upper": finite_or_none(item.upper),
        "score": finite_or_none(item.score),
        "breakdown": list(item.breakdown),
        "owner": item.owner,
        "unit": item.unit,
        "resolved_at": _opt_iso(item.resolved_at),
        "recent": [[iso_utc(p.bucket), finite_or_none(p.value)] for p in item.recent],
    }


def _item_from_dict(d: Mapping[str, Any]) -> AlertItem:
    column, value = d.get("breakdown") or TOTAL
    resolved = d.get("resolved_at")
    return AlertItem(
        incident_key=str(d["incident_key"]),
        status=AlertStatus(d["status"]),
        rule=str(d["rule"]),
        metric=str(d["metric"]),
        display_name=str(d["display_name"]),
        direction=Direction(d["direction"]),
        detector=None if d.get("detector") is None else DetectorName(d["detector"]),
        bucket=_parse(d["bucket"]),
        first_bucket=_parse(d["first_bucket"]),
        actual=None if d["actual"] is None else float(d["actual"]),
        expected=_float(d["expected"]),
        lower=_float(d["lower"]),
        upper=_float(d["upper"]),
        score=_float(d["score"]),
        breakdown=(str(column), str(value)),
        owner=d.get("owner"),
        unit=d.get("unit"),
        resolved_at=None if resolved is None else _parse(resolved),
        recent=tuple(
            RecentPoint(_parse(b), None if v is None else float(v)) for b, v in d.get("recent", ())
        ),
    )
