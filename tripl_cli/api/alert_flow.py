"""`tripl detect`'s alerting step: anomalies → incidents → outbox → destinations.

For each alert rule: the report's anomalies and latest scores of the rule's series go through
the pure state machine (`tripl_cli.alerts.evaluate_rule`) with the stored incidents and
metric mutes; the changed incidents and the rendered messages are written in ONE state
transaction (pending, before any send). Then every DUE outbox entry — this run's, and older
transient failures whose backoff has passed — is delivered and its attempt recorded. This
runs on every detect, also when nothing is anomalous, so retries never wait for an anomaly.

The whole step holds the state's run lock: two concurrent detects never send one entry twice.
See docs/alerts.md ("One detect run, end to end").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tripl_cli.alerts import (
    DeliveryResult,
    DeliveryStatus,
    IncidentState,
    LatestScore,
    Notification,
    OutboxStatus,
    PendingNotification,
    build_messages,
    deliver,
    enqueue,
    evaluate_rule,
    is_held,
    record_attempt,
    retire,
)
from tripl_cli.api.alert_records import incident_from_row, incident_to_row, outbox_entry
from tripl_cli.api.alert_series import SeriesReader
from tripl_cli.api.detect_api import DetectReport, SeriesDetection, settings_for
from tripl_cli.api.run_api import open_state
from tripl_cli.errors import TriplError
from tripl_cli.project.model import Project
from tripl_cli.project.schema import AlertRule, MetricStatus
from tripl_cli.project.selection import select_metrics
from tripl_cli.state import NewOutboxEntry, StateStore, StoredOutboxEntry
from tripl_cli.timegrid import as_utc
from tripl_cli.types import TOTAL

logger = logging.getLogger(__name__)

SeriesKey = tuple[str, tuple[str, str]]


@dataclass(frozen=True)
class AlertOutcome:
    """What one alerting step did. `tripl detect` exits 1 when `permanent_failures` > 0."""

    sent: int = 0  # entries delivered this run
    failed: int = 0  # attempts that did not deliver (retried + permanent_failures)
    retried: int = 0  # transient failures left pending, retried with backoff later
    held: int = 0  # pending entries held by quiet hours after this run
    #: Entries marked `failed` this run (a permanent failure, or retries exhausted), plus
    #: rules that could not be evaluated: both need a person.
    permanent_failures: int = 0
    enqueued: int = 0  # new outbox entries (notifications) written this run
    opened: int = 0  # incidents opened this run
    resolved: int = 0  # incidents resolved this run
    errors: tuple[str, ...] = ()  # secret-free reasons of the permanent failures


@dataclass
class _Tally:
    sent: int = 0
    retried: int = 0
    failed_for_good: int = 0
    enqueued: int = 0
    opened: int = 0
    resolved: int = 0
    errors: list[str] = field(default_factory=list)

    def outcome(self, held: int) -> AlertOutcome:
        return AlertOutcome(
            sent=self.sent,
            failed=self.retried + self.failed_for_good,
            retried=self.retried,
            held=held,
            permanent_failures=len(self.errors),
            enqueued=self.enqueued,
            opened=self.opened,
            resolved=self.resolved,
            errors=tuple(self.errors),
        )


def process(
    project: Project,
    report: DetectReport,
    *,
    profiles_dir: Path | None = None,
    target: str | None = None,
    now: datetime | None = None,
    lock_timeout_s: float = 60.0,
) -> AlertOutcome:
    """Evaluate every alert rule against `report`, persist, and deliver what is due.

    `now` (default: the report's `as_of`) is the clock of incidents, cooldowns and backoff.
    """
    at = as_utc(now or report.as_of)
    tally = _Tally()
    with (
        open_state(project, profiles_dir=profiles_dir, target=target) as store,
        store.run_lock(report.run_id, timeout_s=lock_timeout_s),
    ):
        mutes = {m.metric: m.muted_until for m in store.metric_mutes()}
        for rule in project.alert_rules.values():
            try:
                _process_rule(project, store, report, rule, mutes, at, tally)
            except TriplError as exc:  # a broken rule never stops the other rules
                logger.error("alert rule '%s' skipped: %s", rule.name, exc.message)
                tally.errors.append(f"rule '{rule.name}': {exc.message}")
        _retire_rules_gone(project, store, at, tally)
        deliver_due(project, store, at, tally)
        pending = store.outbox_entries(status=OutboxStatus.PENDING.value)
        held = sum(1 for row in pending if is_held(outbox_entry(row), at))
    outcome = tally.outcome(held)
    logger.info(
        "alerts: %d incidents opened, %d resolved, %d messages queued; %d sent, "
        "%d to retry, %d failed, %d held",
        outcome.opened,
        outcome.resolved,
        outcome.enqueued,
        outcome.sent,
        outcome.retried,
        outcome.permanent_failures,
        outcome.held,
    )
    return outcome


# ------------------------------------------------------------------------------ evaluation
def rule_metrics(project: Project, rule: AlertRule) -> set[str]:
    return set(select_metrics(project, [rule.select], [rule.exclude] if rule.exclude else []))


def _process_rule(
    project: Project,
    store: StateStore,
    report: DetectReport,
    rule: AlertRule,
    mutes: dict[str, datetime],
    now: datetime,
    tally: _Tally,
) -> None:
    names = rule_metrics(project, rule)
    scored = [s for s in report.series if s.metric in names]
    stored = [incident_from_row(r) for r in store.load_rule_incidents(rule.name)]
    # Open incidents of series this rule no longer watches would never resolve: close them.
    orphans = [
        retire(i, now)
        for i in stored
        if i.is_open and not _still_watched(project, names, i.metric, i.breakdown)
    ]
    retired = {i.key for i in orphans}
    live = [i for i in stored if i.key not in retired]
    reader = SeriesReader(project, store, now)
    for s in scored:
        if s.result.scored_buckets:
            reader.note_latest(s.metric, s.breakdown, s.result.scored_buckets[-1])
    updated: list[IncidentState] = list(orphans)
    notes: list[PendingNotification] = []
    for since, series, incidents in _groups(scored, live):
        ev = evaluate_rule(
            rule,
            incidents,
            [a for s in series for a in s.result.anomalies],
            _latest_scores(reader, series, incidents),
            now=now,
            redetected_from=since,
            metric_mutes=mutes,
        )
        updated += ev.updated
        notes += ev.notifications
    if not updated and not notes:
        return
    announced = {(n.incident.metric, n.incident.breakdown): n.incident for n in notes}
    context = {key: reader.context(inc) for key, inc in announced.items()}
    messages = build_messages(rule, notes, now=now, context=context)
    entries = []
    for out in messages:
        queued = enqueue(out.notification.key, rule.destination, now=now, release_at=out.release_at)
        keys = out.incident_keys
        entries.append(
            NewOutboxEntry(
                key=queued.key,
                destination=queued.destination,
                payload=out.notification.to_dict(),
                created_at=queued.created_at,
                next_attempt_at=queued.next_attempt_at,
                incident_key=keys[0] if len(keys) == 1 else None,
            )
        )
    tally.enqueued += store.save_alert_changes([incident_to_row(i) for i in updated], entries)
    _count_changes(stored, updated, tally)


def _still_watched(
    project: Project, names: set[str], metric: str, breakdown: tuple[str, str]
) -> bool:
    """Whether a full `detect` would still score this series for a rule selecting `names`
    (mirrors which series `detect_api` scores)."""
    found = project.metrics.get(metric)
    if metric not in names or found is None or found.status is not MetricStatus.ACTIVE:
        return False
    try:
        settings = settings_for(project, found)
    except TriplError:
        return True  # unreadable settings: validation reports them; judge nothing here
    if not settings.enabled:
        return False
    return breakdown == TOTAL or (settings.breakdowns and breakdown[0] in found.breakdowns)


def _retire_rules_gone(project: Project, store: StateStore, now: datetime, tally: _Tally) -> None:
    """Open incidents of alert rules no longer in the project: closed silently."""
    gone = [
        retire(incident_from_row(row), now)
        for row in store.open_incidents()
        if row.rule not in project.alert_rules
    ]
    if gone:
        store.save_alert_changes([incident_to_row(i) for i in gone], [])
        tally.resolved += len(gone)
        logger.info("alerts: closed %d incident(s) of removed alert rules", len(gone))


def _groups(
    scored: Sequence[SeriesDetection], incidents: Sequence[IncidentState]
) -> list[tuple[datetime | None, list[SeriesDetection], list[IncidentState]]]:
    """Series (and their incidents) by the start of the window detection re-scored.

    `evaluate_rule` takes one `redetected_from` per call; series whose windows start at
    different buckets are evaluated apart, and incidents of series this run did not score
    (None) can never be judged "gone".
    """
    series: dict[datetime | None, list[SeriesDetection]] = {}
    start_of: dict[SeriesKey, datetime | None] = {}
    for s in scored:
        start = s.result.scored_buckets[0] if s.result.scored_buckets else None
        series.setdefault(start, []).append(s)
        start_of[(s.metric, s.breakdown)] = start
    owned: dict[datetime | None, list[IncidentState]] = {}
    for inc in incidents:
        owned.setdefault(start_of.get((inc.metric, inc.breakdown)), []).append(inc)
    starts = sorted(set(series) | set(owned), key=lambda s: (s is not None, s))
    return [(start, series.get(start, []), owned.get(start, [])) for start in starts]


def _latest_scores(
    reader: SeriesReader, series: Sequence[SeriesDetection], incidents: Sequence[IncidentState]
) -> list[LatestScore]:
    """The newest scored bucket and band of each series that has an anomaly or an open
    incident (the state machine looks at no other)."""
    wanted = {(i.metric, i.breakdown) for i in incidents if i.is_open}
    out: list[LatestScore] = []
    for s in series:
        result = s.result
        if not result.bands or not (result.anomalies or (s.metric, s.breakdown) in wanted):
            continue
        band = result.bands[-1]
        bucket = result.scored_buckets[-1]
        out.append(
            LatestScore(
                metric=s.metric,
                bucket=bucket,
                actual=reader.value_at(s.metric, s.breakdown, bucket),
                expected=band.expected,
                lower=band.lower,
                upper=band.upper,
                breakdown=s.breakdown,
                open_episode=result.open_episode,
            )
        )
    return out


def _count_changes(
    before: Sequence[IncidentState], after: Sequence[IncidentState], tally: _Tally
) -> None:
    was = {i.key: i for i in before}
    for inc in after:
        old = was.get(inc.key)
        if old is None or (inc.is_open and not old.is_open):  # new, or a retired one reopened
            tally.opened += 1
        if not inc.is_open and (old is None or old.is_open):  # resolved or retired
            tally.resolved += 1


# ------------------------------------------------------------------------------ delivery
def deliver_due(project: Project, store: StateStore, now: datetime, tally: _Tally) -> None:
    """Send every due outbox entry, one at a time, recording each attempt as it ends.

    One incident's messages reach a destination in the order they were queued (a grouped
    rule's, its messages): an entry waits while an earlier one of its incident (or grouped
    rule) to that destination is still pending — a `resolved` sent before its `firing`'s
    retry would leave the receiver firing for good.
    """
    due = store.due_outbox(now)
    due_ids = {row.id for row in due}
    #: Per incident (or grouped rule) and destination, its oldest entry still pending.
    oldest_pending: dict[tuple[str, str], int] = {}
    for row in store.outbox_entries(status=OutboxStatus.PENDING.value):
        key = _order_key(project, row)
        if row.id not in due_ids:  # in its retry backoff
            oldest_pending[key] = min(row.id, oldest_pending.get(key, row.id))
    for row in due:
        key = _order_key(project, row)
        if oldest_pending.get(key, row.id) < row.id:
            logger.info("alert %s waits for an earlier message of its incident", row.key)
            continue
        result = _send(project, row)
        after = record_attempt(outbox_entry(row), result, now=now)
        recorded = store.record_delivery(
            row.key,
            previous_attempts=row.attempts,
            status=after.status.value,
            attempts=after.attempts,
            next_attempt_at=after.next_attempt_at,
            last_error=after.last_error,
            sent_at=after.sent_at,
        )
        if not recorded:  # only possible if another writer bypassed the run lock
            logger.warning("alert %s: another process recorded its delivery first", row.key)
            continue
        if after.status is OutboxStatus.SENT:
            tally.sent += 1
        elif after.status is OutboxStatus.FAILED:
            reason = f"alert to '{row.destination}' failed: {after.last_error}"
            logger.warning("%s (key %s)", reason, row.key)
            tally.errors.append(reason)
            tally.failed_for_good += 1
        else:
            when = after.next_attempt_at
            logger.warning(
                "alert to '%s' will be retried from %s on: %s",
                row.destination,
                f"{when:%Y-%m-%d %H:%M:%S} UTC" if when else "the next run",
                after.last_error,
            )
            tally.retried += 1
            oldest_pending[key] = min(row.id, oldest_pending.get(key, row.id))


def _order_key(project: Project, row: StoredOutboxEntry) -> tuple[str, str]:
    """Whose messages must keep their order: one incident's to one destination; those of a
    rule with `group: true` (a message may carry several incidents) all in its rule's order."""
    rule = str(row.payload.get("rule", ""))
    grouped = (found := project.alert_rules.get(rule)) is not None and found.group
    if row.incident_id is not None and not grouped:
        return (row.destination, f"incident {row.incident_id}")
    return (row.destination, f"rule {rule}")


def _send(project: Project, row: StoredOutboxEntry) -> DeliveryResult:
    destination = project.destinations.get(row.destination)
    if destination is None:
        return DeliveryResult(
            DeliveryStatus.PERMANENT,
            f"destination '{row.destination}' is no longer defined in the project",
        )
    unset = project.unset_env.get(row.destination)
    if unset:
        what = f"variable {unset[0]} is" if len(unset) == 1 else f"variables {', '.join(unset)} are"
        return DeliveryResult(
            DeliveryStatus.PERMANENT,
            f"bad configuration: environment {what} not set (read by the destination's YAML):"
            " export it where `tripl detect` runs",
        )
    try:
        message = Notification.from_dict(row.payload)
    except (KeyError, TypeError, ValueError) as exc:
        return DeliveryResult(
            DeliveryStatus.PERMANENT, f"unreadable outbox payload ({type(exc).__name__})"
        )
    return deliver(message, destination, project_root=project.root)
