"""Human formatting shared by every message: numbers, percent changes, sparklines."""

from __future__ import annotations

import math
from collections.abc import Sequence

SPARK_CHARS = "▁▂▃▄▅▆▇█"
#: A missing bucket in a sparkline: visible, but clearly not a value.
SPARK_GAP = "·"


def sparkline(values: Sequence[float | None]) -> str:
    """`▁▂▅█▇·▃`: min→▁, max→█, gaps as `·`; a flat series sits in the middle."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return SPARK_GAP * len(values)
    low, high = min(finite), max(finite)
    top = len(SPARK_CHARS) - 1
    chars: list[str] = []
    for v in values:
        if v is None or not math.isfinite(v):
            chars.append(SPARK_GAP)
        elif high == low:
            chars.append(SPARK_CHARS[top // 2])
        else:
            chars.append(SPARK_CHARS[round((v - low) / (high - low) * top)])
    return "".join(chars)


def number(x: float | None, unit: str | None = None) -> str:
    """`12,345`, `1,234.5`, `0.0123`, `n/a`; the unit follows when given."""
    if x is None or math.isnan(x):
        text = "n/a"
    elif math.isinf(x):
        text = "∞" if x > 0 else "-∞"
    elif x == int(x) and abs(x) < 1e15:
        text = f"{int(x):,}"
    elif abs(x) >= 100:
        text = f"{x:,.1f}"
    else:
        text = f"{x:.3g}"
    return f"{text} {unit}" if unit and text != "n/a" else text


def percent(change: float | None) -> str:
    """`+23.5%`, `-40%`, or `no baseline` when the expected value is zero or unknown."""
    if change is None or not math.isfinite(change):
        return "no baseline"
    rounded = round(change, 1)
    text = f"{rounded:+,.1f}".rstrip("0").rstrip(".")
    return f"{text}%"
