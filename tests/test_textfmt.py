"""The shared plain-text formatters, including the variants each caller relies on."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from tripl_cli.cli import charts
from tripl_cli.textfmt import fmt_bucket, fmt_number, sparkline
from tripl_cli.timegrid import Interval

TS = datetime(2024, 3, 5, 14, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234.0, "1,234"),
        (0.125678, "0.1257"),
        (88985.94, "88,985.9"),
        (12_345_678.0, "12.3M"),
        (9_999_999_999.0, "10,000.0M"),
        (1e12, "1,000.0B"),
        (-2.5e10, "-25.0B"),
        (1e300, "1e+300"),
        (-1.234e16, "-1.23e+16"),
        (-12.5, "-12.5"),
        (None, ""),
        (math.nan, ""),
    ],
)
def test_fmt_number(value: float | None, text: str) -> None:
    assert fmt_number(value) == text


def test_infinities_are_blank_everywhere() -> None:
    # The terminal's own copy used to print 'infM' (1e7 and up got the M suffix).
    assert fmt_number(math.inf) == fmt_number(-math.inf) == ""


@pytest.mark.parametrize(
    ("interval", "text"),
    [
        (Interval.M15, "2024-03-05 14:15"),
        (Interval.H1, "2024-03-05 14:15"),
        (Interval.H6, "2024-03-05 14:15"),
        (Interval.D1, "2024-03-05"),
        (Interval.W1, "2024-03-05"),
    ],
)
def test_fmt_bucket_shows_the_time_below_a_day(interval: Interval, text: str) -> None:
    assert fmt_bucket(TS, interval) == text


def test_sparkline_gap_character() -> None:
    assert sparkline([0.0, None, 7.0, math.inf]) == "▁·█·"
    assert sparkline([0.0, None, 7.0, math.nan], gap=" ") == "▁ █ "
    assert sparkline([None], gap=" ") == " "


def test_terminal_sparkline_never_flags_a_gap() -> None:
    text = charts.sparkline([None, 1.0, None], [True, True, True])
    assert text.plain == " ▄ "
    assert [(s.start, s.end) for s in text.spans] == [(1, 2)]
    assert charts.sparkline([None, None], [True, True]).spans == []
