"""Reporting gates: statistically unusual is necessary, not sufficient, to alert.

The walk flags, excludes and re-bases on statistics alone (so the baseline does not depend on
`direction` or `min_expected`); these gates decide only what is *reported*.
"""

from __future__ import annotations

import math

from tripl_cli.detect.settings import DetectionSettings
from tripl_cli.types import Direction


def direction_of(actual: float, expected: float) -> Direction:
    return Direction.SPIKE if actual > expected else Direction.DROP


def passes_gates(
    settings: DetectionSettings,
    *,
    actual: float,
    expected: float,
    is_count: bool,
    denominator: float | None,
) -> bool:
    """Whether a statistically flagged bucket (or window mean) is worth reporting."""
    if not settings.allows(direction_of(actual, expected)):
        return False
    if is_count and expected < settings.min_expected:
        return False
    if (
        denominator is not None
        and not math.isnan(denominator)
        and denominator < settings.min_denominator
    ):
        return False
    if settings.min_percent_delta is not None:
        if expected == 0:
            return actual != 0
        if abs(actual - expected) / abs(expected) * 100.0 < settings.min_percent_delta:
            return False
    return True
