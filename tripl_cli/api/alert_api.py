"""`tripl alert list | ack | mute | test`: look at and silence incidents, try a destination."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tripl_cli.alerts import DeliveryResult, build_test_message, deliver
from tripl_cli.api.read_api import metric_or_error, reading_state, state_exists
from tripl_cli.api.run_api import new_run_id, open_target_state
from tripl_cli.api.warehouse import target_of
from tripl_cli.errors import ConfigError, TriplError
from tripl_cli.project.model import Project
from tripl_cli.project.schema_errors import did_you_mean
from tripl_cli.state import MetricMute, StateStore, StoredIncident
from tripl_cli.timegrid import as_utc, iso_utc, parse_duration
from tripl_cli.types import breakdown_json

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncidentView:
    """An open incident as `tripl alert list` shows it."""

    incident: StoredIncident
    muted_until: datetime | None  # the later of the incident's own mute and its metric's

    def as_json(self) -> dict[str, Any]:
        inc = self.incident
        return {
            "id": inc.id,
            "rule": inc.rule,
            "metric": inc.metric,
            "breakdown": breakdown_json(inc.breakdown),
            "direction": inc.direction,
            "opened_at": _iso(inc.opened_at),
            "first_bucket": _iso(inc.first_bucket),
            "last_bucket": _iso(inc.last_anomaly_bucket),
            "peak_score": inc.peak_score,
            "last_notified_at": _iso(inc.last_notified_at),
            "acked": inc.acked,
            "muted_until": _iso(self.muted_until),
        }


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else iso_utc(ts)


@dataclass(frozen=True)
class AlertListing:
    incidents: tuple[IncidentView, ...]
    mutes: tuple[MetricMute, ...]  # metric mutes still in force

    def as_json(self) -> dict[str, Any]:
        return {
            "incidents": [v.as_json() for v in self.incidents],
            "mutes": [
                {"metric": m.metric, "muted_until": _iso(m.muted_until), "reason": m.reason}
                for m in self.mutes
            ],
        }


#: How long `ack`/`mute` wait for a running `tripl run`/`detect` to release the run lock.
WRITE_LOCK_TIMEOUT_S = 10.0


def list_incidents(
    project: Project,
    *,
    profiles_dir: Path | None = None,
    target: str | None = None,
    now: datetime | None = None,
) -> AlertListing:
    """Open incidents and mutes in force; empty when the state does not exist yet (a fresh
    clone: listing creates no database)."""
    at = as_utc(now or datetime.now(UTC))
    with reading_state(project, profiles_dir=profiles_dir, target=target) as store:
        if store is None:
            return AlertListing((), ())
        incidents = store.open_incidents()
        mutes = [m for m in store.metric_mutes() if as_utc(m.muted_until) > at]
    by_metric = {m.metric: m.muted_until for m in mutes}
    views = []
    for inc in incidents:
        ends = [t for t in (inc.muted_until, by_metric.get(inc.metric)) if t and as_utc(t) > at]
        views.append(IncidentView(inc, max(ends) if ends else None))
    return AlertListing(tuple(views), tuple(mutes))


@contextmanager
def _writing_state(
    project: Project, *, profiles_dir: Path | None, target: str | None, lock_timeout_s: float
) -> Iterator[StateStore]:
    """The target's EXISTING state under the run lock.

    The lock keeps a concurrent `detect` from overwriting the change with incidents it read
    before it; a missing state is an error, not a new empty database.
    """
    resolved = target_of(project, profiles_dir=profiles_dir, target=target)
    if not state_exists(project, resolved):
        raise TriplError(
            f"target '{resolved.name}' has no state database yet: nothing was detected, so "
            "there are no incidents or mutes to change",
            hint="run `tripl run` and `tripl detect` first, or pass the `--target` whose "
            "state holds the incidents",
        )
    with (
        open_target_state(project, resolved) as store,
        store.run_lock(new_run_id(datetime.now(UTC)), timeout_s=lock_timeout_s),
    ):
        yield store


def ack(
    project: Project,
    incident_id: int,
    *,
    profiles_dir: Path | None = None,
    target: str | None = None,
    lock_timeout_s: float = WRITE_LOCK_TIMEOUT_S,
) -> StoredIncident:
    """Acknowledge: no more firing messages for the incident; its resolution is still sent.

    A resolved incident is returned unchanged (status `resolved`): there is nothing left to
    silence, and the caller says so.
    """
    with _writing_state(
        project, profiles_dir=profiles_dir, target=target, lock_timeout_s=lock_timeout_s
    ) as store:
        found = store.incident(incident_id)
        if found is not None and found.status == "open":
            found = store.ack_incident(incident_id)
    if found is None:
        raise TriplError(
            f"no incident with id {incident_id}",
            hint="`tripl alert list` shows the open incidents and their ids",
        )
    if found.status == "open":
        logger.info("incident %d (%s) acknowledged", incident_id, found.metric)
    return found


def mute_end(duration: str, now: datetime | None = None) -> datetime:
    """When a mute of `duration` from `now` ends; ValueError for a bad or endless duration."""
    try:
        return as_utc(now or datetime.now(UTC)) + parse_duration(duration)
    except OverflowError:  # `100000000d`: past the calendar's end
        raise ValueError(f"{duration!r} is too long") from None


def mute(
    project: Project,
    metric: str,
    duration: str,
    *,
    reason: str | None = None,
    profiles_dir: Path | None = None,
    target: str | None = None,
    now: datetime | None = None,
    lock_timeout_s: float = WRITE_LOCK_TIMEOUT_S,
) -> datetime:
    """Silence every alert about `metric` (all rules, all series) for `duration`; returns
    when the mute ends."""
    metric_or_error(project, metric)
    try:
        until = mute_end(duration, now)
    except ValueError as exc:
        raise ConfigError(f"--for: {exc}", hint="write it like 30m, 24h, 7d or 2w") from None
    with _writing_state(
        project, profiles_dir=profiles_dir, target=target, lock_timeout_s=lock_timeout_s
    ) as store:
        store.set_metric_mute(metric, until, reason=reason)
    return until


def unmute(
    project: Project,
    metric: str,
    *,
    profiles_dir: Path | None = None,
    target: str | None = None,
    lock_timeout_s: float = WRITE_LOCK_TIMEOUT_S,
) -> bool:
    """Lift a metric mute; False if the metric was not muted."""
    with _writing_state(
        project, profiles_dir=profiles_dir, target=target, lock_timeout_s=lock_timeout_s
    ) as store:
        return store.clear_metric_mute(metric)


def send_test(project: Project, destination: str, *, now: datetime | None = None) -> DeliveryResult:
    """Send a clearly marked test message to one destination right away (no outbox)."""
    found = project.destinations.get(destination)
    if found is None:
        known = ", ".join(project.destinations) or "none"
        raise TriplError(
            f"unknown destination '{destination}'{did_you_mean(destination, project.destinations)}",
            hint=f"destinations of this project: {known} (declared under `destinations:` "
            "in alerts/*.yml)",
        )
    message = build_test_message(destination, now=as_utc(now or datetime.now(UTC)))
    return deliver(message, found, project_root=project.root)
