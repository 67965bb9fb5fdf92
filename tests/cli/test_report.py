"""`tripl report`: a self-contained HTML page with a chart, band and anomalies per metric."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from tests.cli.conftest import Demo, Invoke
from tests.cli.reference import daily
from tests.cli.test_ls import DEMO_METRICS
from tripl_cli.api.report_chart import build_chart
from tripl_cli.detect import Band
from tripl_cli.timegrid import Interval
from tripl_cli.types import TOTAL, Anomaly, DetectorName, Direction, SeriesPoint

EVIL = "<script>alert('x')</script> & \"quoted\" <b>bold</b>"


@dataclass
class Section:
    name: str
    svgs: int = 0
    polylines: int = 0
    bands: int = 0
    anomalies: int = 0
    text: list[str] = field(default_factory=list)


class Page(HTMLParser):
    """Tags per metric section, and everything that would run or load something."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, Section] = {}
        self.current: Section | None = None
        self.tags: list[str] = []
        self.remote: list[str] = []
        self.catalog_links: list[str] = []
        self.all_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        for key, value in attrs:
            if key in ("src", "href") and value and not value.startswith("#"):
                self.remote.append(value)
            if key.startswith("on"):
                self.remote.append(f"{key}=")
        if tag == "section":
            name = (found.get("id") or "").removeprefix("metric-")
            self.current = self.sections[name] = Section(name)
        elif tag == "a" and (found.get("href") or "").startswith("#metric-"):
            self.catalog_links.append(found["href"] or "")
        elif self.current is not None:
            css = found.get("class") or ""
            self.current.svgs += tag == "svg"
            self.current.polylines += tag == "polyline"
            self.current.bands += tag == "polygon" and css == "band"
            self.current.anomalies += tag == "circle" and css.startswith("anomaly")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.current = None

    def handle_data(self, data: str) -> None:
        self.all_text.append(data)
        if self.current is not None:
            self.current.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def test_report_of_the_collected_demo(invoke: Invoke, demo: Demo, demo_copy: Path) -> None:
    metrics = demo_copy / "metrics" / "commerce.yml"
    text = metrics.read_text()
    old = "description: Orders placed, whatever their final status."
    metrics.write_text(text.replace(old, f"description: {json.dumps(EVIL)}"))  # YAML-safe
    result = invoke(demo_copy, "report")
    assert result.exit_code == 0, result.output
    path = demo_copy / "target" / "report" / "index.html"
    assert result.stdout.strip() == str(path)
    html = path.read_text(encoding="utf-8")
    page = parse(path)

    assert "script" not in page.tags and page.remote == []  # nothing runs, nothing loads
    assert "<script>" not in html
    assert EVIL in "".join(page.sections["orders"].text)  # shown as text, escaped
    assert list(page.sections) == DEMO_METRICS
    assert page.catalog_links == [f"#metric-{m}" for m in DEMO_METRICS]
    for name, section in page.sections.items():
        assert section.svgs == 1, name
        assert section.polylines >= 1, name

    # bands: the detector's, except where detection is off
    assert page.sections["orders"].bands >= 1
    assert page.sections["sessions_hourly"].bands == 0
    assert "detection is disabled" in "".join(page.sections["sessions_hourly"].text)

    # one red marker per recorded anomaly of the total series
    for name in DEMO_METRICS:
        recorded = {a.bucket for a in demo.anomalies if a.metric == name and a.breakdown == TOTAL}
        assert page.sections[name].anomalies == len(recorded), name
    assert sum(s.anomalies for s in page.sections.values()) >= 1

    # the latest value: the last stored day's orders, as in `tripl ls`
    latest = list(daily(demo.orders).values())[-1]
    assert f"latest {latest:,.0f}" in " ".join("".join(page.sections["orders"].text).split())


def test_out_dir_and_selection(invoke: Invoke, demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = invoke(demo.root, "report", "--out", str(out), "-s", "tag:engagement")
    assert result.exit_code == 0, result.output
    page = parse(out / "index.html")
    assert list(page.sections) == ["sessions", "sessions_hourly", "conversion_rate"]


def test_report_before_any_run(invoke: Invoke, fresh_demo: Path) -> None:
    result = invoke(fresh_demo, "report")
    assert result.exit_code == 0, result.output
    page = parse(fresh_demo / "target" / "report" / "index.html")
    assert list(page.sections) == DEMO_METRICS
    for section in page.sections.values():
        assert section.svgs == 0
        assert "no values stored yet" in "".join(section.text)
    assert not (fresh_demo / ".tripl").exists()


def test_chart_geometry() -> None:
    """Gaps split the line, the band is one polygon per run, the marker sits on its bucket."""
    day = datetime(2026, 1, 1, tzinfo=UTC)
    values = [10.0, 12.0, None, 11.0, 30.0, 12.0]
    points = [SeriesPoint(day + timedelta(days=i), v) for i, v in enumerate(values)]
    bands = [Band(day + timedelta(days=i), 11.0, 9.0, 13.0) for i in (3, 4, 5)]
    spike = Anomaly(
        metric="m",
        bucket=day + timedelta(days=4),
        actual=30.0,
        expected=11.0,
        lower=9.0,
        upper=13.0,
        score=9.5,
        direction=Direction.SPIKE,
        detector=DetectorName.SEASONAL,
    )
    chart = build_chart(points, Interval.D1, bands=bands, anomalies=[spike])
    assert chart is not None
    assert len(chart.lines) == 2  # [day0, day1] and [day3 .. day5]
    assert len(chart.lines[0].split()) == 2 and len(chart.lines[1].split()) == 3
    assert len(chart.bands) == 1 and len(chart.bands[0].split()) == 6
    (marker,) = chart.markers
    x4, y4 = (float(v) for v in chart.lines[1].split()[1].split(","))
    assert (round(marker.x, 1), round(marker.y, 1)) == (x4, y4)
    assert marker.y == chart.plot_top  # the maximum is at the top of the plot
    assert "2026-01-05: 30 — expected 11" in marker.title
    assert chart.x_first == "2026-01-01" and chart.x_last == "2026-01-06"
    assert build_chart([SeriesPoint(day, None)], Interval.D1) is None
