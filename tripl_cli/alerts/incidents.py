"""The incident state machine: pure, deterministic, no I/O and no clock.

One incident per (rule, metric, breakdown series, direction). Given a rule, the incidents
recorded so far, the anomalies detection reports now and the latest scored bucket of each
series, `evaluate_rule` returns the incidents that changed and the notifications to enqueue.
Every notification carries a deterministic idempotency key, so evaluating the same facts
twice (a re-run, a crash and retry) asks for the same messages, never new ones.

The rules, in order, for each series:
- no open incident: a matching anomaly newer than the series' last incident opens one and
  notifies (an old anomaly re-detected after its incident resolved reopens nothing);
- open: a newer anomalous bucket updates the incident and notifies only if `cooldown` has
  passed since the last notification (an anomaly inside the cooldown is recorded, not sent);
- open: it resolves when the latest scored bucket is newer than its last anomaly and back
  inside the band on the incident's side, or when re-detection no longer finds its anomaly;
  one resolved message follows if `notify_resolved` and the opening was actually announced;
- retired (its rule stopped watching the series: `retire`, no message): reopened as it was
  when the rule watches the series again and its anomaly is still reported;
- silenced (rule `muted_until`, a metric mute, an incident mute): no message at all; an
  incident that opened silenced is announced once the silence is over, if its anomaly is
  still reported and it has not resolved;
  acknowledged: no further firing messages, the resolved message is still sent;
- quiet hours: messages are still produced but held until the window ends (`release_at`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from tripl_cli.alerts.keys import incident_key, notification_key
from tripl_cli.alerts.matching import cooldown_of, is_muted, matches, quiet_until
from tripl_cli.alerts.model import AlertStatus
from tripl_cli.project.schema import AlertRule
from tripl_cli.timegrid import as_utc
from tripl_cli.types import Anomaly, Direction

#: (metric, breakdown): one scored series.
SeriesKey = tuple[str, tuple[str, str]]
#: (metric, breakdown, direction): what one incident is about.
IncidentSeries = tuple[str, tuple[str, str], Direction]


class IncidentStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    #: Closed because its rule stopped watching the series, not because it recovered
    #: (`retire`): reopened if the rule watches the series again while its anomaly lasts.
    RETIRED = "retired"


@dataclass(frozen=True)
class IncidentState:
    """One incident as recorded (the state DB stores exactly these fields)."""

    key: str  # deterministic: rule, series, direction and first bucket
    rule: str
    metric: str
    breakdown: tuple[str, str]
    direction: Direction
    status: IncidentStatus
    opened_at: datetime
    first_bucket: datetime
    last_anomaly_bucket: datetime
    peak_score: float
    last_notified_at: datetime | None = None
    last_notified_bucket: datetime | None = None
    acked: bool = False
    muted_until: datetime | None = None
    resolved_at: datetime | None = None
    #: The state DB's row id, carried through untouched (None until stored).
    id: int | None = None

    @property
    def series(self) -> IncidentSeries:
        return (self.metric, self.breakdown, self.direction)

    @property
    def is_open(self) -> bool:
        return self.status is IncidentStatus.OPEN


@dataclass(frozen=True)
class LatestScore:
    """The newest bucket detection scored for one series, with its band."""

    metric: str
    bucket: datetime
    actual: float | None
    expected: float
    lower: float
    upper: float
    breakdown: tuple[str, str] = ("", "")
    #: Detection's episode of this direction is still open (`SeriesResult.open_episode`).
    open_episode: Direction | None = None

    def back_inside(self, direction: Direction) -> bool:
        """Recovered on the incident's side of the band (a missing value is not recovery),
        and out of detection's episode: one quiet bucket between two drops is not recovery."""
        if self.actual is None or self.open_episode is direction:
            return False
        if direction is Direction.DROP:
            return self.actual >= self.lower
        return self.actual <= self.upper


@dataclass(frozen=True)
class PendingNotification:
    """A message the outbox must deliver, with its idempotency key."""

    key: str
    kind: AlertStatus
    incident: IncidentState  # the incident as it is after this evaluation
    anomaly: Anomaly | None = None  # firing: the anomalous bucket announced
    score: LatestScore | None = None  # resolved: the bucket back in band (None if it vanished)
    release_at: datetime | None = None  # quiet hours: hold until this instant (UTC)


@dataclass(frozen=True)
class Evaluation:
    #: New or changed incidents: upsert them by `key`.
    updated: tuple[IncidentState, ...]
    notifications: tuple[PendingNotification, ...]


@dataclass(frozen=True)
class _Context:
    rule: AlertRule
    now: datetime
    cooldown: timedelta
    hold_until: datetime | None
    metric_mutes: Mapping[str, datetime]

    def silenced(self, incident: IncidentState) -> bool:
        return (
            is_muted(self.rule.muted_until, self.now)
            or is_muted(incident.muted_until, self.now)
            or is_muted(self.metric_mutes.get(incident.metric), self.now)
        )


def evaluate_rule(
    rule: AlertRule,
    incidents: Iterable[IncidentState],
    anomalies: Iterable[Anomaly],
    latest: Iterable[LatestScore],
    *,
    now: datetime,
    redetected_from: datetime | None = None,
    metric_mutes: Mapping[str, datetime] | None = None,
) -> Evaluation:
    """Advance every incident of `rule` by one detect run.

    `anomalies` are this run's anomalies of the rule's selected series (the caller applied
    the selector); `latest` holds the newest scored bucket per series. `redetected_from`:
    detection re-ran over buckets ≥ this and `anomalies` holds all it found there, so an
    open incident whose anomaly is no longer among them has gone away (None: unknown).
    `metric_mutes` maps a metric to the end of its mute (`tripl alert mute`).
    """
    ctx = _Context(
        rule=rule,
        now=as_utc(now),
        cooldown=cooldown_of(rule),
        hold_until=quiet_until(rule.quiet_hours, now),
        metric_mutes=metric_mutes or {},
    )
    found = _matching_by_series(rule, anomalies)
    scores = {(s.metric, s.breakdown): replace(s, bucket=as_utc(s.bucket)) for s in latest}
    open_now, previous = _index(rule.name, incidents)
    updated: list[IncidentState] = []
    notes: list[PendingNotification] = []
    for series in sorted(set(found) | set(open_now), key=_series_order):
        series_found = found.get(series, [])
        before = open_now.get(series)
        retired = None if before else _still_anomalous_retired(previous.get(series), series_found)
        if retired is not None:  # watched again, and its anomaly lasts: the same incident
            before = retired
            incident, advanced = _advance(ctx, _reopened(retired), series_found)
            notes += advanced
        elif before is None:
            opening, opened = _open(ctx, series, series_found, previous.get(series))
            if opening is None:
                continue
            incident = opening
            notes += opened
        else:
            incident, advanced = _advance(ctx, before, series_found)
            notes += advanced
        score = scores.get((series[0], series[1]))
        incident, resolved = _resolve(ctx, incident, series_found, score, redetected_from)
        notes += resolved
        incident, late = _announce_late(ctx, incident, series_found)
        notes += late
        if incident != before:
            updated.append(incident)
    return Evaluation(tuple(updated), tuple(notes))


def ack(incident: IncidentState) -> IncidentState:
    """`tripl alert ack`: no more firing messages for this incident until it resolves."""
    return replace(incident, acked=True)


def retire(incident: IncidentState, now: datetime) -> IncidentState:
    """Close an incident whose series its rule no longer watches, without a message.

    The metric was removed or archived, its detection (or breakdown detection) turned off,
    or the rule no longer selects it, or the rule is gone: nothing will ever score the
    series again for this rule, so the incident could never resolve by itself. Nothing
    recovered either, so announcing "resolved" would be false; it is closed silently.
    """
    if not incident.is_open:
        return incident
    return replace(incident, status=IncidentStatus.RETIRED, resolved_at=as_utc(now))


def mute(incident: IncidentState, until: datetime) -> IncidentState:
    """Silence one incident entirely (firing and resolved) until `until`."""
    return replace(incident, muted_until=as_utc(until))


# ------------------------------------------------------------------------------ internals
def _series_order(series: IncidentSeries) -> tuple[str, str, str, str]:
    return (series[0], series[1][0], series[1][1], series[2].value)


def _matching_by_series(
    rule: AlertRule, anomalies: Iterable[Anomaly]
) -> dict[IncidentSeries, list[Anomaly]]:
    """Matching anomalies per series, oldest first, the strongest one per bucket."""
    strongest: dict[tuple[IncidentSeries, datetime], Anomaly] = {}
    for raw in anomalies:
        if not matches(rule, raw):
            continue
        a = replace(raw, bucket=as_utc(raw.bucket))
        slot = ((a.metric, a.breakdown, a.direction), a.bucket)
        kept = strongest.get(slot)
        if kept is None or abs(a.score) > abs(kept.score):
            strongest[slot] = a
    grouped: dict[IncidentSeries, list[Anomaly]] = {}
    for (series, _), a in sorted(strongest.items(), key=lambda kv: kv[0][1]):
        grouped.setdefault(series, []).append(a)
    return grouped


def _index(
    rule: str, incidents: Iterable[IncidentState]
) -> tuple[dict[IncidentSeries, IncidentState], dict[IncidentSeries, IncidentState]]:
    """This rule's open incident per series, and its most recent incident of any status."""
    open_now: dict[IncidentSeries, IncidentState] = {}
    latest: dict[IncidentSeries, IncidentState] = {}
    for inc in incidents:
        if inc.rule != rule:
            continue
        kept = latest.get(inc.series)
        if kept is None or inc.last_anomaly_bucket > kept.last_anomaly_bucket:
            latest[inc.series] = inc
        if inc.is_open:
            open_now[inc.series] = inc
    return open_now, latest


def _peak(current: float, found: Sequence[Anomaly]) -> float:
    return max([current, *(a.score for a in found)], key=abs)


def _open(
    ctx: _Context,
    series: IncidentSeries,
    found: Sequence[Anomaly],
    previous: IncidentState | None,
) -> tuple[IncidentState | None, list[PendingNotification]]:
    fresh = [a for a in found if previous is None or a.bucket > previous.last_anomaly_bucket]
    if not fresh:
        return None, []
    metric, breakdown, direction = series
    first, newest = fresh[0], fresh[-1]
    incident = IncidentState(
        key=incident_key(ctx.rule.name, metric, breakdown, direction.value, first.bucket),
        rule=ctx.rule.name,
        metric=metric,
        breakdown=breakdown,
        direction=direction,
        status=IncidentStatus.OPEN,
        opened_at=ctx.now,
        first_bucket=as_utc(first.bucket),
        last_anomaly_bucket=as_utc(newest.bucket),
        peak_score=_peak(newest.score, fresh),
    )
    if ctx.silenced(incident):
        return incident, []
    return _fire(ctx, incident, newest)


def _still_anomalous_retired(
    previous: IncidentState | None, found: Sequence[Anomaly]
) -> IncidentState | None:
    """The series' last incident, if it was retired and detection still reports its anomaly
    (an outage is one anomaly: no newer one would come to open another incident)."""
    if previous is None or previous.status is not IncidentStatus.RETIRED:
        return None
    return previous if any(a.bucket >= previous.first_bucket for a in found) else None


def _reopened(incident: IncidentState) -> IncidentState:
    """A retired incident open again, as it was: announced (or not), acknowledged (or not)."""
    return replace(incident, status=IncidentStatus.OPEN, resolved_at=None)


def _advance(
    ctx: _Context, incident: IncidentState, found: Sequence[Anomaly]
) -> tuple[IncidentState, list[PendingNotification]]:
    newer = [a for a in found if a.bucket > incident.last_anomaly_bucket]
    if not newer:
        return incident, []
    newest = newer[-1]
    incident = replace(
        incident,
        last_anomaly_bucket=as_utc(newest.bucket),
        peak_score=_peak(incident.peak_score, newer),
    )
    if incident.acked or ctx.silenced(incident):
        return incident, []
    last = incident.last_notified_at
    if last is not None and ctx.now - as_utc(last) < ctx.cooldown:
        return incident, []  # inside the cooldown: recorded on the incident, not announced
    return _fire(ctx, incident, newest)


def _announce_late(
    ctx: _Context, incident: IncidentState, found: Sequence[Anomaly]
) -> tuple[IncidentState, list[PendingNotification]]:
    """An open incident never announced — it opened while silenced — is announced once the
    silence is over and detection still reports its anomaly. An outage is one anomaly: no
    newer one would ever come to announce it, and a short mute would hide it for days."""
    if not incident.is_open or incident.last_notified_at is not None or incident.acked:
        return incident, []
    if ctx.silenced(incident):
        return incident, []
    still = [a for a in found if a.bucket >= incident.first_bucket]
    if not still:
        return incident, []
    return _fire(ctx, incident, still[-1])


def _fire(
    ctx: _Context, incident: IncidentState, anomaly: Anomaly
) -> tuple[IncidentState, list[PendingNotification]]:
    incident = replace(
        incident, last_notified_at=ctx.now, last_notified_bucket=as_utc(anomaly.bucket)
    )
    key = notification_key(
        ctx.rule.name,
        ctx.rule.destination,
        incident.metric,
        incident.breakdown,
        incident.direction.value,
        anomaly.bucket,
        AlertStatus.FIRING.value,
    )
    note = PendingNotification(
        key, AlertStatus.FIRING, incident, anomaly=anomaly, release_at=ctx.hold_until
    )
    return incident, [note]


def _resolve(
    ctx: _Context,
    incident: IncidentState,
    found: Sequence[Anomaly],
    score: LatestScore | None,
    redetected_from: datetime | None,
) -> tuple[IncidentState, list[PendingNotification]]:
    if not incident.is_open:
        return incident, []
    back = (
        score is not None
        and score.bucket > incident.last_anomaly_bucket
        and score.back_inside(incident.direction)
    )
    vanished = (
        redetected_from is not None
        and incident.last_anomaly_bucket >= as_utc(redetected_from)
        and not any(a.bucket >= incident.first_bucket for a in found)
    )
    if not (back or vanished):
        return incident, []
    incident = replace(incident, status=IncidentStatus.RESOLVED, resolved_at=ctx.now)
    announced = incident.last_notified_at is not None
    if not ctx.rule.notify_resolved or not announced or ctx.silenced(incident):
        return incident, []
    key = notification_key(
        ctx.rule.name,
        ctx.rule.destination,
        incident.metric,
        incident.breakdown,
        incident.direction.value,
        incident.first_bucket,
        AlertStatus.RESOLVED.value,
    )
    note = PendingNotification(
        key,
        AlertStatus.RESOLVED,
        incident,
        score=score if back else None,
        release_at=ctx.hold_until,
    )
    return incident, [note]
