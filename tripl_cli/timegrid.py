"""The time grid: intervals, bucket flooring, half-open windows and chunking.

Everything is UTC. Buckets are anchored at the Unix epoch, except weeks, which start on
Monday (1970-01-05). Every dialect's bucket SQL must agree with `floor_to_bucket`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The first Monday after the epoch: the origin of weekly buckets.
WEEK_ORIGIN = datetime(1970, 1, 5, tzinfo=UTC)
_MICROS_PER_SECOND = 1_000_000


class Interval(StrEnum):
    """A bucket width tripl collects at."""

    M15 = "15m"
    H1 = "1h"
    H6 = "6h"
    D1 = "1d"
    W1 = "1w"

    @property
    def seconds(self) -> int:
        return _INTERVAL_SECONDS[self]

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    @property
    def origin(self) -> datetime:
        """Where bucket boundaries are anchored."""
        return WEEK_ORIGIN if self is Interval.W1 else EPOCH

    @classmethod
    def parse(cls, text: str) -> Interval:
        try:
            return cls(text)
        except ValueError:
            allowed = " ".join(i.value for i in cls)
            raise ValueError(f"unknown interval {text!r}; use one of: {allowed}") from None


_INTERVAL_SECONDS = {
    Interval.M15: 15 * 60,
    Interval.H1: 3600,
    Interval.H6: 6 * 3600,
    Interval.D1: 86400,
    Interval.W1: 7 * 86400,
}

#: The longest duration anything takes (chunk, lookback, cooldown, mute): a century.
MAX_DURATION = timedelta(days=36_525)
_DURATION_RE = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_DURATION_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """Parse `30m`, `24h`, `7d`, `2w` into a timedelta (ValueError if malformed or zero)."""
    match = _DURATION_RE.match(text)
    if not match:
        raise ValueError(f"bad duration {text!r}; write a number and a unit, e.g. 30m, 24h, 7d")
    amount = int(match.group(1))
    if amount <= 0:
        raise ValueError(f"duration {text!r} must be positive")
    seconds = amount * _DURATION_UNIT_SECONDS[match.group(2)]
    if seconds > MAX_DURATION.total_seconds():
        # Past this, windows and cooldowns would run beyond the calendar (year 9999).
        raise ValueError(f"duration {text!r} is too long; at most {MAX_DURATION.days}d")
    return timedelta(seconds=seconds)


def parse_minutes(raw: object, what: str) -> int:
    """`2h` (a duration) or a plain number of minutes, as `what` (detection's `settling`)
    is written; ValueError if it is neither."""
    if isinstance(raw, bool):
        raise ValueError(f"{what} must be a duration like 120m, not {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        if raw.strip() in ("0", "0m"):
            return 0
        return int(parse_duration(raw).total_seconds() // 60)
    raise ValueError(f"{what} must be a duration like 120m, not {raw!r}")


def as_utc(ts: datetime) -> datetime:
    """A timezone-aware UTC datetime; naive values are taken as UTC."""
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def iso_utc(ts: datetime) -> str:
    """`2026-01-02T00:00:00Z`: the one timestamp format of every JSON document and payload."""
    return as_utc(ts).isoformat().replace("+00:00", "Z")


def micros_between(start: datetime, end: datetime) -> int:
    """`end - start` in integer microseconds: exact for every timestamp (floats are not)."""
    delta = as_utc(end) - as_utc(start)
    return (delta.days * 86400 + delta.seconds) * _MICROS_PER_SECOND + delta.microseconds


def floor_to_bucket(ts: datetime, interval: Interval) -> datetime:
    """The start of the bucket holding `ts` (the reference every dialect's SQL must match)."""
    micros = micros_between(interval.origin, ts)
    width = interval.seconds * _MICROS_PER_SECOND
    floored = (micros // width) * width  # floor division also floors pre-origin values
    return interval.origin + timedelta(microseconds=floored)


def is_aligned(ts: datetime, interval: Interval) -> bool:
    return floor_to_bucket(ts, interval) == as_utc(ts)


@dataclass(frozen=True, order=True)
class Window:
    """A half-open UTC time range `[start, end)`."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_utc(self.start))
        object.__setattr__(self, "end", as_utc(self.end))
        if self.end < self.start:
            raise ValueError(f"window end {self.end} is before its start {self.start}")

    @property
    def empty(self) -> bool:
        return self.end <= self.start

    def contains(self, ts: datetime) -> bool:
        return self.start <= as_utc(ts) < self.end


def aligned_window(start: datetime, end: datetime, interval: Interval) -> Window:
    """The window of whole buckets touching `[start, end)`: start floored, end rounded up."""
    lo = floor_to_bucket(start, interval)
    hi = floor_to_bucket(end, interval)
    if hi < as_utc(end):
        hi += interval.delta
    return Window(lo, hi)


def bucket_starts(window: Window, interval: Interval) -> list[datetime]:
    """Every bucket start in an aligned window, oldest first."""
    out: list[datetime] = []
    current = floor_to_bucket(window.start, interval)
    if current < window.start:
        current += interval.delta
    while current < window.end:
        out.append(current)
        current += interval.delta
    return out


def split_window(window: Window, interval: Interval, chunk: timedelta | None) -> list[Window]:
    """Split an aligned window into consecutive chunks no bucket spans.

    Each chunk covers a whole number of buckets (at least one, even when `chunk` is
    shorter than the interval), so a bucket is always computed by exactly one query.
    """
    if window.empty:
        return []
    if chunk is None:
        return [window]
    buckets_per_chunk = max(1, int(chunk.total_seconds()) // interval.seconds)
    step = interval.delta * buckets_per_chunk
    chunks: list[Window] = []
    start = window.start
    while start < window.end:
        end = min(start + step, window.end)
        chunks.append(Window(start, end))
        start = end
    return chunks


def current_bucket_start(now: datetime, interval: Interval) -> datetime:
    """Start of the incomplete bucket at `now`: collection stops before it."""
    return floor_to_bucket(now, interval)
