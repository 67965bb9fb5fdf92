"""Detection settings: project defaults merged with per-metric overrides (SPEC §7)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from tripl_cli.timegrid import parse_minutes
from tripl_cli.types import Direction

DirectionSetting = Literal["up", "down", "both"]

#: `sensitivity:` is a friendlier spelling of `sigma`.
SENSITIVITY_SIGMA: dict[str, float] = {"low": 5.0, "medium": 4.0, "high": 3.0}

_DIRECTIONS = ("up", "down", "both")
_FLOAT_KEYS = ("sigma", "min_expected", "min_denominator")
_INT_KEYS = ("baseline_window", "min_history", "settling_minutes")
_BOOL_KEYS = ("enabled", "breakdowns")
_OTHER_KEYS = ("sensitivity", "min_percent_delta", "direction", "settling")
_KNOWN_KEYS = frozenset((*_FLOAT_KEYS, *_INT_KEYS, *_BOOL_KEYS, *_OTHER_KEYS))


@dataclass(frozen=True)
class DetectionSettings:
    """How one series is scored. Defaults are SPEC §7's."""

    enabled: bool = True
    sigma: float = 4.0
    #: Count-shaped series only: buckets expected below this never alert (noise, not news).
    min_expected: float = 50.0
    baseline_window: int = 14
    min_history: int = 7
    #: Percent (10 = 10 %); an anomaly must also move this far from the expected value.
    min_percent_delta: float | None = None
    direction: DirectionSetting = "both"
    settling_minutes: int = 120
    breakdowns: bool = False
    #: Ratios: a bucket whose denominator is below this never alerts.
    min_denominator: float = 50.0

    def __post_init__(self) -> None:
        problems = _validate(self)
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], base: DetectionSettings | None = None
    ) -> DetectionSettings:
        """`base` (project defaults, else SPEC defaults) overridden by the keys in `data`.

        Raises ValueError naming the offending key for unknown keys or bad values.
        """
        unknown = sorted(set(data) - _KNOWN_KEYS)
        if unknown:
            allowed = ", ".join(sorted(_KNOWN_KEYS))
            raise ValueError(f"unknown detection setting(s) {', '.join(unknown)}; use: {allowed}")
        if "sigma" in data and "sensitivity" in data:
            raise ValueError("set either detection.sigma or detection.sensitivity, not both")
        if "settling" in data and "settling_minutes" in data:
            raise ValueError("set either detection.settling or detection.settling_minutes")
        changes: dict[str, Any] = {}
        for key, raw in data.items():
            name, value = _coerce(key, raw)
            changes[name] = value
        return dataclasses.replace(base or cls(), **changes)

    def allows(self, direction: Direction) -> bool:
        """Whether anomalies in `direction` are reported under `direction:`."""
        if self.direction == "both":
            return True
        return (self.direction == "up") == (direction is Direction.SPIKE)


def _coerce(key: str, raw: Any) -> tuple[str, Any]:
    if key == "sensitivity":
        if raw not in SENSITIVITY_SIGMA:
            raise ValueError(f"detection.sensitivity must be low, medium or high, not {raw!r}")
        return "sigma", SENSITIVITY_SIGMA[raw]
    if key == "settling":
        return "settling_minutes", parse_minutes(raw, "detection.settling")
    if key in _BOOL_KEYS:
        if not isinstance(raw, bool):
            raise ValueError(f"detection.{key} must be true or false, not {raw!r}")
        return key, raw
    if key in _INT_KEYS:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"detection.{key} must be a whole number, not {raw!r}")
        return key, raw
    if key == "direction":
        if raw not in _DIRECTIONS:
            raise ValueError(f"detection.direction must be up, down or both, not {raw!r}")
        return key, raw
    if key == "min_percent_delta" and raw is None:
        return key, None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(f"detection.{key} must be a number, not {raw!r}")
    return key, float(raw)


def _validate(s: DetectionSettings) -> list[str]:
    problems: list[str] = []
    if not s.sigma > 0:
        problems.append(f"detection.sigma must be positive, not {s.sigma}")
    if s.min_expected < 0:
        problems.append(f"detection.min_expected must be >= 0, not {s.min_expected}")
    if s.baseline_window < 3:
        problems.append(f"detection.baseline_window must be >= 3, not {s.baseline_window}")
    if not 1 <= s.min_history <= s.baseline_window:
        problems.append(
            f"detection.min_history must be between 1 and baseline_window "
            f"({s.baseline_window}), not {s.min_history}"
        )
    if s.min_percent_delta is not None and s.min_percent_delta < 0:
        problems.append(f"detection.min_percent_delta must be >= 0, not {s.min_percent_delta}")
    if cast(str, s.direction) not in _DIRECTIONS:
        problems.append(f"detection.direction must be up, down or both, not {s.direction!r}")
    if s.settling_minutes < 0:
        problems.append(f"detection.settling must be >= 0, not {s.settling_minutes}")
    if s.min_denominator < 0:
        problems.append(f"detection.min_denominator must be >= 0, not {s.min_denominator}")
    return problems
