"""Terminal charts without a plotting dependency: sparklines and a braille line chart.

Braille cells hold 2×4 dots, so a chart `width` characters wide draws `2 × width` points and
`4 × height` levels: enough to see a 20% dent in a 90-day series in 70 columns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text

from tripl_cli import textfmt
from tripl_cli.textfmt import fmt_number

ANOMALY_STYLE = "bold red"
#: The dot bit of braille cell position (x in 0..1, y in 0..3 from the top), Unicode order.
_DOT_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
_BRAILLE_BASE = 0x2800
MARKS = {"spike": "▲", "drop": "▼"}
#: A gap in a terminal sparkline: blank, unlike messages' `·`.
_SPARK_GAP = " "


def _finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def sparkline(values: Sequence[float | None], flagged: Sequence[bool] = ()) -> Text:
    """One block character per value (a gap is a space); flagged positions in red."""
    text = Text()
    for i, char in enumerate(textfmt.sparkline(values, gap=_SPARK_GAP)):
        flag = char != _SPARK_GAP and i < len(flagged) and flagged[i]
        text.append(char, style=ANOMALY_STYLE if flag else "")
    return text


class _Canvas:
    """A grid of braille cells addressed in dots, origin at the bottom left."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.cells = [[0] * cols for _ in range(rows)]

    def dot(self, x: int, y: int) -> None:
        from_top = self.rows * 4 - 1 - y
        self.cells[from_top // 4][x // 2] |= _DOT_BITS[x % 2][from_top % 4]

    def line(self, x0: int, y0: int, x1: int, y1: int) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for s in range(steps + 1):
            self.dot(round(x0 + (x1 - x0) * s / steps), round(y0 + (y1 - y0) * s / steps))

    def lines(self) -> list[str]:
        return ["".join(chr(_BRAILLE_BASE + bits) for bits in row) for row in self.cells]


def line_chart(
    values: Sequence[float | None],
    *,
    width: int = 60,
    height: int = 8,
    marks: Sequence[str | None] = (),
    first_label: str = "",
    last_label: str = "",
) -> list[Text]:
    """A line chart of `values` (None breaks the line) with a y axis, anomaly marks under
    the line (`marks[i]` is 'spike', 'drop' or None) and the first/last bucket labels.

    At most `2 × width` values fit; callers pass the most recent ones.
    """
    values = list(values)[-2 * width :]
    marks = list(marks)[-len(values) :] if marks else [None] * len(values)
    known = _finite(values)
    if not known:
        return [Text("(no values to chart)", style="dim")]
    lo, hi = min(known), max(known)
    cols = min(width, max(8, len(values)))
    canvas = _Canvas(cols, height)
    span_x, span_y = cols * 2 - 1, height * 4 - 1

    def xy(i: int, v: float) -> tuple[int, int]:
        x = round(i * span_x / (len(values) - 1)) if len(values) > 1 else 0
        y = span_y // 2 if hi == lo else round((v - lo) / (hi - lo) * span_y)
        return x, y

    previous: tuple[int, int] | None = None
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            previous = None
            continue
        here = xy(i, v)
        if previous is None:
            canvas.dot(*here)
        else:
            canvas.line(*previous, *here)
        previous = here
    marked = {xy(i, 0.0)[0] // 2: m for i, m in enumerate(marks) if m}
    return _frame(canvas.lines(), marked, lo, hi, first_label, last_label)


def _frame(
    rows: list[str],
    marked: dict[int, str],
    lo: float,
    hi: float,
    first_label: str,
    last_label: str,
) -> list[Text]:
    labels = {0: fmt_number(hi), len(rows) - 1: fmt_number(lo)}
    pad = max(len(s) for s in labels.values())
    out: list[Text] = []
    for r, row in enumerate(rows):
        tick = " ┤ " if r in labels else " │ "
        line = Text(labels.get(r, "").rjust(pad) + tick, style="dim")
        start = len(line)
        line.append(row)
        for col in marked:
            line.stylize(ANOMALY_STYLE, start + col, start + col + 1)
        out.append(line)
    cols = len(rows[0])
    if marked:
        mark_row = Text(" " * (pad + 3))
        mark_row.append("".join(MARKS.get(marked.get(c, ""), " ") for c in range(cols)))
        mark_row.stylize(ANOMALY_STYLE, pad + 3)
        out.append(mark_row)
    axis = Text(" " * (pad + 1) + "└" + "─" * (cols + 1), style="dim")
    out.append(axis)
    gap = max(1, cols + 2 - len(first_label) - len(last_label))
    out.append(Text(" " * (pad + 3) + first_label + " " * gap + last_label, style="dim"))
    return out
