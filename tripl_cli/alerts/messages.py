"""Turn the state machine's pending notifications into rendered `Notification`s.

One message per notification, or with `group: true` one message per rule per run listing
its incidents: the top `group_limit` by |score| (firing before resolved), the rest counted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tripl_cli.alerts.format import percent
from tripl_cli.alerts.incidents import PendingNotification
from tripl_cli.alerts.keys import group_key, test_message_key
from tripl_cli.alerts.model import AlertItem, AlertStatus, Notification, RecentPoint
from tripl_cli.alerts.templates import message_context, render_html, render_text
from tripl_cli.project.schema import AlertRule
from tripl_cli.timegrid import as_utc
from tripl_cli.types import TOTAL, DetectorName, Direction


@dataclass(frozen=True)
class SeriesContext:
    """What the project knows about a series, for the message (the caller looks it up)."""

    display_name: str | None = None
    owner: str | None = None
    unit: str | None = None
    recent: tuple[RecentPoint, ...] = ()


#: (metric, breakdown) → context; a metric's total-series entry serves its breakdowns too.
ContextMap = Mapping[tuple[str, tuple[str, str]], SeriesContext]


@dataclass(frozen=True)
class Outgoing:
    """A rendered message ready for the outbox."""

    notification: Notification
    #: Quiet hours: do not send before this instant (None: send now).
    release_at: datetime | None
    #: The incidents it announces (for the outbox's incident link).
    incident_keys: tuple[str, ...]


def build_messages(
    rule: AlertRule,
    pending: Sequence[PendingNotification],
    *,
    now: datetime,
    context: ContextMap | None = None,
) -> list[Outgoing]:
    """Render `pending` (all from `rule`, one detect run) as messages to its destination."""
    context = context or {}
    items = [(p, _item(p, context)) for p in pending]
    if not rule.group or len(items) <= 1:
        return [_single(rule, p, item, now) for p, item in items]
    return [_grouped(rule, items, now)]


def build_test_message(destination: str, *, now: datetime) -> Notification:
    """`tripl alert test DEST`: a sample firing alert, marked as a test in title and body."""
    start = as_utc(now).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    values = [100.0, 104.0, 98.0, 101.0, 97.0, 103.0, 99.0, 41.0]
    recent = tuple(
        RecentPoint(start - timedelta(hours=len(values) - 1 - i), v) for i, v in enumerate(values)
    )
    item = AlertItem(
        incident_key=test_message_key(destination, now),
        status=AlertStatus.FIRING,
        rule="tripl_test",
        metric="tripl_test_metric",
        display_name="tripl test metric",
        direction=Direction.DROP,
        detector=DetectorName.SEASONAL,
        bucket=start,
        first_bucket=start,
        actual=41.0,
        expected=100.0,
        lower=80.0,
        upper=120.0,
        score=-11.8,
        recent=recent,
    )
    title = f"[tripl] TEST message to '{destination}'"
    ctx = message_context(
        title=title,
        rule="tripl_test",
        items=(item,),
        omitted=0,
        omitted_summary="",
        is_test=True,
    )
    return Notification(
        key=test_message_key(destination, now),
        rule="tripl_test",
        destination=destination,
        title=title,
        text=render_text(ctx),
        html=render_html(ctx),
        created_at=as_utc(now),
        items=(item,),
        is_test=True,
    )


# ------------------------------------------------------------------------------ internals
def _single(rule: AlertRule, p: PendingNotification, item: AlertItem, now: datetime) -> Outgoing:
    title = _title(item)
    note = _render(rule, p.key, title, (item,), 0, "", now)
    return Outgoing(note, p.release_at, (p.incident.key,))


def _grouped(
    rule: AlertRule, items: list[tuple[PendingNotification, AlertItem]], now: datetime
) -> Outgoing:
    # An incident that opened and resolved in this run is one entry, as it ends: a receiver
    # keyed by fingerprint must not read it as both firing and resolved in one message.
    ends: dict[str, tuple[PendingNotification, AlertItem]] = {}
    for p, i in items:
        if p.incident.key not in ends or i.status is AlertStatus.RESOLVED:
            ends[p.incident.key] = (p, i)
    members = list(ends.values())
    ranked = sorted(members, key=lambda pi: (pi[1].status is not AlertStatus.FIRING, -_size(pi[1])))
    shown = ranked[: rule.group_limit]
    rest = [i for _, i in ranked[rule.group_limit :]]
    firing = sum(1 for _, i in members if i.status is AlertStatus.FIRING)
    resolved = len(members) - firing
    title = f"[tripl] {rule.name}: {_counts(firing, resolved)}"
    rest_firing = sum(1 for i in rest if i.status is AlertStatus.FIRING)
    summary = _counts(rest_firing, len(rest) - rest_firing) if rest else ""
    key = group_key(rule.name, [p.key for p, _ in items])
    note = _render(rule, key, title, tuple(i for _, i in shown), len(rest), summary, now)
    # Members share the rule's quiet hours; hold the whole message until the latest release.
    releases = [p.release_at for p, _ in items if p.release_at is not None]
    return Outgoing(
        note, max(releases) if releases else None, tuple(p.incident.key for p, _ in members)
    )


def _render(
    rule: AlertRule,
    key: str,
    title: str,
    items: tuple[AlertItem, ...],
    omitted: int,
    summary: str,
    now: datetime,
) -> Notification:
    ctx = message_context(
        title=title,
        rule=rule.name,
        items=items,
        omitted=omitted,
        omitted_summary=summary,
        is_test=False,
    )
    return Notification(
        key=key,
        rule=rule.name,
        destination=rule.destination,
        title=title,
        text=render_text(ctx, rule.template),
        html=render_html(ctx),
        created_at=as_utc(now),
        items=items,
        omitted=omitted,
    )


def _size(item: AlertItem) -> float:
    return abs(item.score) if math.isfinite(item.score) else 0.0


def _counts(firing: int, resolved: int) -> str:
    parts = [f"{firing} firing"] if firing else []
    parts += [f"{resolved} resolved"] if resolved else []
    return ", ".join(parts)


def _title(item: AlertItem) -> str:
    if item.status is AlertStatus.RESOLVED:
        return f"[tripl] RESOLVED {item.series_label}"
    verb = "dropped" if item.direction is Direction.DROP else "spiked"
    return f"[tripl] {item.series_label} {verb} ({percent(item.percent_change)})"


def _lookup(context: ContextMap, metric: str, breakdown: tuple[str, str]) -> SeriesContext:
    own = context.get((metric, breakdown))
    total = context.get((metric, TOTAL))
    if own is None:
        return SeriesContext(
            display_name=total.display_name if total else None,
            owner=total.owner if total else None,
            unit=total.unit if total else None,
        )
    if total is not None and own.display_name is None:
        return SeriesContext(
            total.display_name, own.owner or total.owner, own.unit or total.unit, own.recent
        )
    return own


def _item(p: PendingNotification, context: ContextMap) -> AlertItem:
    inc = p.incident
    ctx = _lookup(context, inc.metric, inc.breakdown)
    bucket, actual, expected, lower, upper, score, detector = _facts(p)
    return AlertItem(
        incident_key=inc.key,
        status=p.kind,
        rule=inc.rule,
        metric=inc.metric,
        display_name=ctx.display_name or inc.metric,
        direction=inc.direction,
        detector=detector,
        bucket=bucket,
        first_bucket=inc.first_bucket,
        actual=actual,
        expected=expected,
        lower=lower,
        upper=upper,
        score=score,
        breakdown=inc.breakdown,
        owner=ctx.owner,
        unit=ctx.unit,
        resolved_at=inc.resolved_at if p.kind is AlertStatus.RESOLVED else None,
        recent=ctx.recent,
    )


_Facts = tuple[datetime, float | None, float, float, float, float, DetectorName | None]


def _facts(p: PendingNotification) -> _Facts:
    """Firing: the anomaly. Resolved: the bucket back in band, or nothing if it vanished."""
    a, s, inc = p.anomaly, p.score, p.incident
    if p.kind is AlertStatus.FIRING and a is not None:
        return (a.bucket, a.actual, a.expected, a.lower, a.upper, a.score, a.detector)
    if s is not None:
        return (s.bucket, s.actual, s.expected, s.lower, s.upper, inc.peak_score, None)
    nan = math.nan
    return (inc.last_anomaly_bucket, None, nan, nan, nan, inc.peak_score, None)
