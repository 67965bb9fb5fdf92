"""Small frozen records that cross package boundaries (layer 0)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class ValueKind(StrEnum):
    """How detection treats a series (SPEC §3.5)."""

    COUNT = "count"  # fact count / count_distinct: missing buckets are zeros
    FRACTIONAL = "fractional"  # everything else: missing buckets are gaps


class Direction(StrEnum):
    SPIKE = "spike"
    DROP = "drop"


class DetectorName(StrEnum):
    SEASONAL = "seasonal"
    ROLLING = "rolling"
    TREND = "trend"
    OUTAGE = "outage"


#: The breakdown key of a metric's total series (no breakdown).
TOTAL = ("", "")


def breakdown_json(breakdown: tuple[str, str]) -> dict[str, str] | None:
    """A series' breakdown in every JSON document: `{"column", "value"}`, None for the total."""
    return None if breakdown == TOTAL else {"column": breakdown[0], "value": breakdown[1]}


class MetricValue(NamedTuple):
    """One bucket of one metric series, as collected from the warehouse.

    A named tuple, not a frozen dataclass: a big run makes millions, and a frozen
    dataclass's `__init__` (one `object.__setattr__` per field) took 3.5× as long.

    `breakdown` is `("", "")` for the total series, else `(column, value)`;
    `numerator`/`denominator` are kept for ratios so detection can weigh the spread.
    """

    metric: str
    bucket: datetime
    value: float | None
    breakdown: tuple[str, str] = TOTAL
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    bucket: datetime
    value: float | None
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True)
class Anomaly:
    """One anomalous bucket of one series, as the detector reports it."""

    metric: str
    bucket: datetime
    actual: float | None
    expected: float
    lower: float
    upper: float
    score: float
    direction: Direction
    detector: DetectorName
    breakdown: tuple[str, str] = TOTAL
