"""The terminal charts: levels, gaps, anomaly marks and axis labels."""

from __future__ import annotations

from tripl_cli.cli.charts import line_chart, sparkline
from tripl_cli.textfmt import fmt_number


def test_sparkline_levels_gaps_and_flags() -> None:
    text = sparkline([0.0, None, 7.0, 3.5, 14.0], [False, False, False, True, False])
    assert text.plain == "▁ ▅▃█"  # levels 0, 3.5→4, 1.75→2, 7 of 0..7
    flagged = [span for span in text.spans if span.style]
    assert [(s.start, s.end) for s in flagged] == [(3, 4)]
    assert sparkline([5.0, 5.0]).plain == "▄▄"
    assert sparkline([None, None]).plain == "  "


def test_line_chart_marks_and_labels() -> None:
    values: list[float | None] = [10.0] * 20
    values[12] = 2.0
    values[5] = None
    marks: list[str | None] = [None] * 20
    marks[12] = "drop"
    lines = [
        t.plain
        for t in line_chart(
            values, width=20, height=4, marks=marks, first_label="first", last_label="last"
        )
    ]
    chart, mark_row, axis, labels = lines[:4], lines[4], lines[5], lines[6]
    assert chart[0].startswith("10 ┤ ") and chart[-1].startswith(" 2 ┤ ")
    plot = [row[5:] for row in chart]
    assert all(len(row) == 20 for row in plot)
    assert all(0x2800 <= ord(ch) <= 0x28FF for row in plot for ch in row)
    # 20 points over 40 dots: point i sits in character column round(i * 39 / 19) // 2.
    column = round(12 * 39 / 19) // 2
    assert mark_row[5:].index("▼") == column and mark_row.count("▼") == 1
    assert plot[-1][column] != "\u2800"  # the dip reaches the bottom row
    gap = round(5 * 39 / 19) // 2
    assert all(row[gap] == "\u2800" for row in plot[1:])  # nothing drawn below the line there
    assert axis.strip().startswith("└") and labels.strip().startswith("first")
    assert labels.rstrip().endswith("last")


def test_empty_series_and_numbers() -> None:
    assert line_chart([None, None])[0].plain == "(no values to chart)"
    assert fmt_number(1234.0) == "1,234"
    assert fmt_number(0.125678) == "0.1257"
    assert fmt_number(88985.94) == "88,985.9"
    assert fmt_number(None) == ""
    assert fmt_number(12_345_678.0) == "12.3M"
