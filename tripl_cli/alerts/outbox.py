"""The delivery policy of the alert outbox: pure transitions, the state DB stores them.

Life of an entry (the guarantee is spelled out in docs/alerts.md):

1. `enqueue` — written as `pending` with its idempotency key in the same transaction as the
   incident change that caused it, BEFORE anything is sent. A quiet-hours message is
   pending with `next_attempt_at` = the end of the window ("held").
2. When `is_due`, the runner sends it and records `record_attempt(entry, result)`:
   sent → `sent`; a transient failure → still `pending`, retried after an exponential
   backoff (1m, 5m, 30m, 2h, 6h) on this or a later run, until `max_attempts` → `failed`;
   a permanent failure → `failed` at once, with the (secret-free) reason.
3. A crash after sending but before recording leaves the entry `pending`: the next run
   sends it again with the SAME key, which receivers use to drop the duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from tripl_cli.alerts.model import DeliveryResult, DeliveryStatus
from tripl_cli.timegrid import as_utc


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class OutboxEntry:
    """One row of the outbox (`tripl_alert_outbox`), minus its payload."""

    key: str
    destination: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    last_error: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class RetryPolicy:
    #: The wait after the 1st, 2nd, … failed attempt; the last one repeats.
    backoff: tuple[timedelta, ...] = (
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
    )
    #: Attempts before a transiently failing entry is given up as `failed`.
    max_attempts: int = 6

    def delay(self, attempts: int) -> timedelta:
        """The wait after `attempts` failed attempts (≥ 1)."""
        return self.backoff[min(max(attempts, 1), len(self.backoff)) - 1]


DEFAULT_POLICY = RetryPolicy()


def enqueue(
    key: str, destination: str, *, now: datetime, release_at: datetime | None = None
) -> OutboxEntry:
    """A new pending entry; `release_at` (quiet hours) holds it until then."""
    now = as_utc(now)
    due = now if release_at is None else max(now, as_utc(release_at))
    return OutboxEntry(key, destination, OutboxStatus.PENDING, 0, due, now)


def is_due(entry: OutboxEntry, now: datetime) -> bool:
    if entry.status is not OutboxStatus.PENDING:
        return False
    return entry.next_attempt_at is None or as_utc(entry.next_attempt_at) <= as_utc(now)


def is_held(entry: OutboxEntry, now: datetime) -> bool:
    """Held by quiet hours: pending, never tried, and not due yet."""
    return entry.status is OutboxStatus.PENDING and entry.attempts == 0 and not is_due(entry, now)


def record_attempt(
    entry: OutboxEntry,
    result: DeliveryResult,
    *,
    now: datetime,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> OutboxEntry:
    """The entry after one delivery attempt that ended with `result`."""
    now = as_utc(now)
    attempts = entry.attempts + 1
    if result.status is DeliveryStatus.SENT:
        return replace(
            entry,
            status=OutboxStatus.SENT,
            attempts=attempts,
            next_attempt_at=None,
            sent_at=now,
            last_error=None,
        )
    if result.status is DeliveryStatus.PERMANENT or attempts >= policy.max_attempts:
        reason = result.reason
        if result.status is DeliveryStatus.TRANSIENT:
            reason = f"gave up after {attempts} attempts: {reason}"
        return replace(
            entry,
            status=OutboxStatus.FAILED,
            attempts=attempts,
            next_attempt_at=None,
            last_error=reason,
        )
    return replace(
        entry,
        attempts=attempts,
        next_attempt_at=now + policy.delay(attempts),
        last_error=result.reason,
    )
