"""Which anomalies a rule cares about, and when it is silenced (pure functions of the rule)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tripl_cli.errors import TriplError
from tripl_cli.project.schema import AlertRule, QuietHours
from tripl_cli.timegrid import as_utc, parse_duration
from tripl_cli.types import Anomaly, Direction

_RULE_DIRECTIONS: dict[str, frozenset[Direction]] = {
    "up": frozenset({Direction.SPIKE}),
    "down": frozenset({Direction.DROP}),
    "both": frozenset({Direction.SPIKE, Direction.DROP}),
}


def matches(rule: AlertRule, anomaly: Anomaly) -> bool:
    """Direction, `min_expected`, `min_absolute_delta` and `min_percent_delta` all hold.

    An anomaly without an actual value (the bucket has no data at all) cannot be measured
    against the delta thresholds; it passes them, because "no data" is exactly what an
    on-call person wants to hear about.
    """
    if anomaly.direction not in _RULE_DIRECTIONS[rule.direction]:
        return False
    if rule.min_expected is not None and anomaly.expected < rule.min_expected:
        return False
    if anomaly.actual is None:
        return True
    delta = abs(anomaly.actual - anomaly.expected)
    if delta < rule.min_absolute_delta:
        return False
    if rule.min_percent_delta > 0:
        if anomaly.expected == 0:
            return delta > 0  # any change from a zero baseline is an infinite percentage
        return delta / abs(anomaly.expected) * 100.0 >= rule.min_percent_delta
    return True


def cooldown_of(rule: AlertRule) -> timedelta:
    try:
        return parse_duration(rule.cooldown)
    except ValueError as exc:
        raise TriplError(
            f"alert rule '{rule.name}': cooldown: {exc}",
            hint="write the cooldown as e.g. 30m, 24h, 7d",
        ) from exc


def is_muted(muted_until: datetime | None, now: datetime) -> bool:
    return muted_until is not None and as_utc(now) < as_utc(muted_until)


def quiet_until(quiet: QuietHours | None, now: datetime) -> datetime | None:
    """The UTC end of the quiet window `now` falls in, or None outside quiet hours.

    Windows are local wall-clock times in `quiet.timezone` (DST-aware via zoneinfo) and may
    cross midnight (`22:00`–`07:00`). `start == end` is an empty window.
    """
    if quiet is None or quiet.start.replace(tzinfo=None) == quiet.end.replace(tzinfo=None):
        return None
    try:
        zone = ZoneInfo(quiet.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TriplError(
            f"unknown time zone {quiet.timezone!r} in quiet_hours",
            hint="use an IANA name such as Europe/Berlin or America/New_York",
        ) from exc
    start, end = quiet.start.replace(tzinfo=None), quiet.end.replace(tzinfo=None)
    local = as_utc(now).astimezone(zone)
    clock, today = local.time(), local.date()
    if start < end:
        if not start <= clock < end:
            return None
        end_day = today
    elif clock >= start:
        end_day = today + timedelta(days=1)
    elif clock < end:
        end_day = today
    else:
        return None
    until = as_utc(datetime.combine(end_day, end, tzinfo=zone))
    if until <= as_utc(now):
        # DST fall-back: the end's wall time happens twice that night and `now` is in the
        # repeated hour, past its first occurrence; the window ends at the second one.
        until = as_utc(datetime.combine(end_day, end, tzinfo=zone).replace(fold=1))
    return until
