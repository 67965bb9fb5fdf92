"""Shared builders for the alert tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tripl_cli.alerts import (
    LatestScore,
    Notification,
    RecentPoint,
    SeriesContext,
    build_messages,
    evaluate_rule,
)
from tripl_cli.project.schema import AlertRule
from tripl_cli.types import TOTAL, Anomaly, DetectorName, Direction

T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
HOUR = timedelta(hours=1)


def rule(**overrides: Any) -> AlertRule:
    fields: dict[str, Any] = {"name": "commerce", "destination": "team", "cooldown": "6h"}
    fields.update(overrides)
    return AlertRule(**fields)


def drop(
    bucket: datetime,
    *,
    metric: str = "orders",
    actual: float | None = 40.0,
    expected: float = 100.0,
    score: float = -7.5,
    breakdown: tuple[str, str] = TOTAL,
    detector: DetectorName = DetectorName.SEASONAL,
) -> Anomaly:
    return Anomaly(
        metric=metric,
        bucket=bucket,
        actual=actual,
        expected=expected,
        lower=80.0,
        upper=120.0,
        score=score,
        direction=Direction.DROP,
        detector=detector,
        breakdown=breakdown,
    )


def spike(bucket: datetime, *, metric: str = "orders", actual: float = 180.0) -> Anomaly:
    return Anomaly(
        metric, bucket, actual, 100.0, 80.0, 120.0, 8.0, Direction.SPIKE, DetectorName.ROLLING
    )


def normal(
    bucket: datetime,
    *,
    metric: str = "orders",
    actual: float | None = 101.0,
    breakdown: tuple[str, str] = TOTAL,
) -> LatestScore:
    return LatestScore(metric, bucket, actual, 100.0, 80.0, 120.0, breakdown)


CONTEXT = {
    ("orders", TOTAL): SeriesContext(
        display_name="Orders placed",
        owner="commerce-team",
        unit=None,
        recent=tuple(
            RecentPoint(T0 - HOUR * (5 - i), v)
            for i, v in enumerate([98.0, 103.0, None, 99.0, 101.0, 40.0])
        ),
    )
}


def firing_notification(now: datetime = T0 + HOUR) -> Notification:
    """A real firing message produced by the state machine and the renderer."""
    r = rule()
    ev = evaluate_rule(r, [], [drop(T0)], [], now=now)
    (out,) = build_messages(r, ev.notifications, now=now, context=CONTEXT)
    return out.notification
