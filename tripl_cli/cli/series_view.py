"""Rendering one stored series (`tripl show`, `tripl demo`): chart + table, or CSV."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from datetime import datetime

from rich.table import Table
from rich.text import Text

from tripl_cli.api.read_api import PointView, SeriesView
from tripl_cli.cli import console
from tripl_cli.cli.charts import ANOMALY_STYLE, MARKS, line_chart, sparkline
from tripl_cli.cli.console import escape
from tripl_cli.textfmt import fmt_bucket, fmt_number
from tripl_cli.timegrid import iso_utc

#: Rows of the table under the chart when `--last` is not given.
DEFAULT_TABLE_ROWS = 15
CHART_HEIGHT = 8


def _value(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def write_csv(view: SeriesView, *, with_breakdowns: bool) -> None:
    """`bucket,value[,breakdown_column,breakdown_value]` on stdout, total series first."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    extra = with_breakdowns and bool(view.breakdowns)
    writer.writerow(["bucket", "value", *(["breakdown_column", "breakdown_value"] * extra)])
    for p in view.points:
        writer.writerow([iso_utc(p.bucket), _value(p.value), *(["", ""] * extra)])
    if extra:
        for column, series in view.breakdowns.items():
            for key, points in series.items():
                for p in points:
                    writer.writerow([iso_utc(p.bucket), _value(p.value), column, key])


def _describe_anomaly(p: PointView) -> Text:
    a = p.anomaly
    if a is None:
        return Text("")
    return Text(
        f"{MARKS[a.direction.value]} {a.direction.value}: expected {fmt_number(a.expected)} "
        f"[{fmt_number(a.lower)} – {fmt_number(a.upper)}], z {a.score:+.1f}, {a.detector.value}",
        style=ANOMALY_STYLE,
    )


def _chart_width() -> int:
    return max(20, min(console.out().width - 14, 90))


def print_chart(view: SeriesView) -> None:
    points = view.points[-2 * _chart_width() :]
    if not points:
        console.out().print(Text("(no values in this window)", style="dim"))
        return
    lines = line_chart(
        [p.value for p in points],
        width=_chart_width(),
        height=CHART_HEIGHT,
        marks=[p.anomaly.direction.value if p.anomaly else None for p in points],
        first_label=fmt_bucket(points[0].bucket, view.interval),
        last_label=fmt_bucket(points[-1].bucket, view.interval),
    )
    for line in lines:
        console.out().print(line)


def _title(view: SeriesView) -> str:
    name = f"[bold]{escape(view.metric)}[/]"
    if view.display_name and view.display_name != view.metric:
        name += f" — {escape(view.display_name)}"
    facts = [view.interval.value, view.value_kind.value, *([view.unit] if view.unit else [])]
    return f"{name}  [dim]({escape(', '.join(facts))} · target {escape(view.target)})[/]"


def print_table(view: SeriesView, *, rows: int | None) -> None:
    shown = view.points if rows is None else view.points[-rows:]
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("bucket")
    table.add_column("value", justify="right")
    table.add_column("anomaly")
    for p in shown:
        table.add_row(
            fmt_bucket(p.bucket, view.interval), fmt_number(p.value), _describe_anomaly(p)
        )
    console.out().print(table)
    hidden = len(view.points) - len(shown)
    if hidden > 0:
        console.out().print(
            f"[dim]… {hidden} earlier buckets (--last N shows more, --format csv all)[/]"
        )


def _breakdown_table(view: SeriesView, column: str, grid: Sequence[datetime]) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, title_justify="left")
    table.add_column(column)
    table.add_column("latest", justify="right")
    table.add_column("trend")
    table.add_column("anomalies", justify="right")
    for key, points in view.breakdowns[column].items():
        by_bucket = {p.bucket: p for p in points}
        values = [by_bucket[b].value if b in by_bucket else None for b in grid]
        flagged = [b in by_bucket and by_bucket[b].anomaly is not None for b in grid]
        latest = points[-1].value if points else None
        count = sum(flagged)
        table.add_row(
            escape(key) if key else "[dim](empty)[/]",
            fmt_number(latest),
            sparkline(values, flagged),
            Text(str(count), style=ANOMALY_STYLE) if count else "",
        )
    return table


def print_breakdown(view: SeriesView, column: str) -> None:
    series = view.breakdowns.get(column, {})
    if not series:
        console.out().print(f"[dim]no values stored for breakdown '{escape(column)}'[/]")
        return
    buckets = sorted({p.bucket for points in series.values() for p in points})
    grid = buckets[-_chart_width() :]
    console.out().print(f"\n[bold]by {escape(column)}[/]")
    console.out().print(_breakdown_table(view, column, grid))


def print_series(view: SeriesView, *, rows: int | None, breakdown: str | None) -> None:
    """Title, chart with anomalies marked, the latest buckets, then the breakdown's series."""
    out = console.out()
    out.print(_title(view))
    print_chart(view)
    out.print()
    print_table(view, rows=rows)
    if breakdown is not None:
        print_breakdown(view, breakdown)
    elif view.breakdown_columns:
        columns = ", ".join(view.breakdown_columns)
        out.print(f"[dim]breakdowns: {escape(columns)} (--breakdown COLUMN shows them)[/]")
