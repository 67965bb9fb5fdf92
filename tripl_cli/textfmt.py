"""Plain-text formatting shared by the terminal and the HTML report, and the sparklines of
alert messages (which keep their own number format: full values, `12,345`, not `12.3k`).

Layer 0 and free of rich or markup, so that `alerts` (layer 3), `api` and `cli` share one copy
of each formatter; callers add their own styling on top.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from tripl_cli.timegrid import Interval

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
#: A missing bucket in a message's sparkline: visible, but clearly not a value.
SPARK_GAP = "·"


def fmt_number(value: float | None) -> str:
    """Short, human numbers: 1,234 · 12.35 · 0.1256 · 34.0M (from 10M) · 12.5B (from 10B) ·
    1.23e+15 (from 1e15); '' for a gap (and for ±inf, which a ratio over 0 can never store but
    an engine's float column can hold)."""
    if value is None or not math.isfinite(value):
        return ""
    magnitude = abs(value)
    if magnitude >= 1e15:
        return f"{value:.3g}"
    if magnitude >= 1e10:
        return f"{value / 1e9:,.1f}B"
    if magnitude >= 1e7:
        return f"{value / 1e6:,.1f}M"
    if float(value).is_integer():
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:,.1f}"
    return f"{value:.4g}"


def counted(n: int, word: str) -> str:
    """`1 metric`, `2 metrics`: a count with its noun (regular plurals only)."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def fmt_bucket(bucket: datetime, interval: Interval) -> str:
    """A bucket's start: the date for daily and weekly buckets, date and time below a day."""
    return f"{bucket:%Y-%m-%d}" if interval.delta.days >= 1 else f"{bucket:%Y-%m-%d %H:%M}"


def sparkline(values: Sequence[float | None], *, gap: str = SPARK_GAP) -> str:
    """`▁▂▅█▇·▃`: min→▁, max→█, each gap (None, NaN, ±inf) as `gap`; a flat series sits in
    the middle."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return gap * len(values)
    low, high = min(finite), max(finite)
    top = len(SPARK_BLOCKS) - 1
    chars: list[str] = []
    for v in values:
        if v is None or not math.isfinite(v):
            chars.append(gap)
        elif high == low:
            chars.append(SPARK_BLOCKS[top // 2])
        else:
            chars.append(SPARK_BLOCKS[round((v - low) / (high - low) * top)])
    return "".join(chars)
