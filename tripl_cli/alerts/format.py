"""Human formatting shared by every message: numbers and percent changes.

Sparklines come from `tripl_cli.textfmt`, which the terminal shares.
"""

from __future__ import annotations

import math


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
