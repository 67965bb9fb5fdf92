from __future__ import annotations

import pytest

from tripl_cli.detect import DetectionSettings
from tripl_cli.types import Direction


def test_defaults_follow_the_spec() -> None:
    s = DetectionSettings()
    assert (s.sigma, s.min_expected, s.baseline_window, s.min_history) == (4.0, 50.0, 14, 7)
    assert (s.settling_minutes, s.direction, s.enabled, s.breakdowns) == (120, "both", True, False)
    assert s.min_percent_delta is None


@pytest.mark.parametrize(("word", "sigma"), [("low", 5.0), ("medium", 4.0), ("high", 3.0)])
def test_sensitivity_maps_to_sigma(word: str, sigma: float) -> None:
    assert DetectionSettings.from_mapping({"sensitivity": word}).sigma == sigma


def test_per_metric_overrides_merge_onto_project_defaults() -> None:
    project = DetectionSettings.from_mapping({"sigma": 3.5, "min_expected": 10, "settling": "3h"})
    metric = DetectionSettings.from_mapping({"direction": "down", "min_percent_delta": 5}, project)
    assert metric.sigma == 3.5
    assert metric.min_expected == 10.0
    assert metric.settling_minutes == 180
    assert metric.direction == "down"
    assert metric.min_percent_delta == 5.0
    assert DetectionSettings.from_mapping({}, project) == project


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"sigma": -1}, "sigma"),
        ({"sigma": "4"}, "sigma"),
        ({"sensitivity": "extreme"}, "sensitivity"),
        ({"direction": "sideways"}, "direction"),
        ({"baseline_window": 14.5}, "baseline_window"),
        ({"min_history": 30}, "min_history"),
        ({"enabled": "yes"}, "enabled"),
        ({"settling": "soon"}, "duration"),
        ({"sigma": 3, "sensitivity": "high"}, "either"),
        ({"sigmaa": 3}, "unknown"),
    ],
)
def test_bad_values_are_rejected_with_the_key_named(data: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        DetectionSettings.from_mapping(data)


def test_direction_setting_filters_directions() -> None:
    up = DetectionSettings(direction="up")
    assert up.allows(Direction.SPIKE)
    assert not up.allows(Direction.DROP)
    assert DetectionSettings(direction="down").allows(Direction.DROP)
    assert DetectionSettings().allows(Direction.DROP)
