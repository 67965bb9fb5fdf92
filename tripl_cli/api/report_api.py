"""`tripl report`: one static, self-contained HTML page of every metric (SPEC §9).

A catalog table, then one section per metric with its stored series as an inline SVG chart,
the detector's band (the detector replayed over the stored series with the metric's settings,
as `tripl backtest` does) and the anomalies `tripl detect` recorded as red markers. No
JavaScript, no network: the file can be mailed or published as a CI artifact. Every text
reaches the page through Jinja's autoescaping (descriptions are user input).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from tripl_cli.api.detect_api import complete_until, settings_for
from tripl_cli.api.project_api import atomic_write, select_for_command
from tripl_cli.api.read_api import reading_state
from tripl_cli.api.report_chart import Chart, build_chart
from tripl_cli.api.warehouse import target_of
from tripl_cli.detect import Band, backtest_series
from tripl_cli.errors import TriplError
from tripl_cli.project.model import Project
from tripl_cli.project.schema import AnyMetric, MetricStatus
from tripl_cli.project.semantics import value_kind
from tripl_cli.state.records import MetricStatus as CollectionStatus
from tripl_cli.state.store import StateStore
from tripl_cli.textfmt import fmt_bucket, fmt_number
from tripl_cli.timegrid import iso_utc
from tripl_cli.types import TOTAL, Anomaly, SeriesPoint

log = logging.getLogger(__name__)

#: Buckets drawn per chart (the newest); the band is replayed over all stored history.
MAX_POINTS = 366
#: Anomalies listed under a chart (newest first).
LISTED_ANOMALIES = 10
TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class AnomalyRow:
    bucket: str
    actual: str
    expected: str
    band: str
    direction: str
    detector: str


@dataclass(frozen=True)
class MetricSection:
    name: str
    title: str  # display name, else the name
    description: str | None
    owner: str | None
    unit: str | None
    kind: str
    interval: str
    tags: tuple[str, ...]
    status: str  # the definition's status, or the last collection's
    latest_value: str
    last_bucket: str
    anomaly_count: int  # recorded on the drawn range of the total series
    anomalies: tuple[AnomalyRow, ...]
    chart: Chart | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    project: str
    target: str
    generated_at: str
    sections: tuple[MetricSection, ...]


def _strongest(anomalies: Sequence[Anomaly]) -> list[Anomaly]:
    """One per bucket (the largest |score| when several detectors flagged it), newest first."""
    by_bucket: dict[datetime, Anomaly] = {}
    for a in anomalies:
        if a.bucket not in by_bucket or abs(a.score) > abs(by_bucket[a.bucket].score):
            by_bucket[a.bucket] = a
    return sorted(by_bucket.values(), key=lambda a: a.bucket, reverse=True)


def _bands(
    project: Project,
    metric: AnyMetric,
    points: list[SeriesPoint],
    status: CollectionStatus | None,
    as_of: datetime,
) -> tuple[list[Band], str | None]:
    """The detector's band over the stored series, or why there is none."""
    if metric.status is not MetricStatus.ACTIVE:
        return [], None
    try:
        settings = settings_for(project, metric)
    except TriplError as exc:
        return [], f"no band: {exc.message}"
    if not settings.enabled:
        return [], "detection is disabled for this metric"
    interval = project.interval_of(metric)
    result = backtest_series(
        points,
        metric=metric.name,
        interval=interval,
        value_kind=value_kind(project, metric),
        settings=settings,
        as_of=as_of,
        complete_until=complete_until(status, interval),
    )
    if result.status == "learning":
        return [], "no band yet: not enough history for the detector"
    return list(result.bands), None


def _anomaly_row(a: Anomaly, metric: AnyMetric, project: Project) -> AnomalyRow:
    return AnomalyRow(
        bucket=fmt_bucket(a.bucket, project.interval_of(metric)),
        actual=fmt_number(a.actual),
        expected=fmt_number(a.expected),
        band=f"{fmt_number(a.lower)} … {fmt_number(a.upper)}",
        direction=a.direction.value,
        detector=a.detector.value,
    )


def _status(metric: AnyMetric, status: CollectionStatus | None) -> str:
    if metric.status is not MetricStatus.ACTIVE:
        return metric.status.value
    if status is None or status.last_status is None:
        return "never collected"
    return {"success": "ok"}.get(status.last_status, status.last_status)


def _section(
    project: Project,
    metric: AnyMetric,
    store: StateStore | None,
    status: CollectionStatus | None,
    as_of: datetime,
) -> MetricSection:
    interval = project.interval_of(metric)
    points = store.read_series(metric.name) if store is not None else []
    drawn = points[-MAX_POINTS:]
    notes: list[str] = []
    bands: list[Band] = []
    anomalies: list[Anomaly] = []
    if drawn and store is not None:
        bands, why = _bands(project, metric, points, status, as_of)
        notes += [why] if why else []
        stored = store.read_anomalies(metric.name, breakdown=TOTAL, start=drawn[0].bucket)
        anomalies = _strongest([s.anomaly for s in stored])
    else:
        notes.append("no values stored yet: run `tripl run`")
    newest = drawn[-1] if drawn else None
    return MetricSection(
        name=metric.name,
        title=metric.display_name or metric.name,
        description=metric.description,
        owner=metric.owner,
        unit=metric.unit,
        kind=metric.kind,
        interval=interval.value,
        tags=tuple(metric.tags),
        status=_status(metric, status),
        latest_value=fmt_number(newest.value) if newest else "",
        last_bucket=fmt_bucket(newest.bucket, interval) if newest else "",
        anomaly_count=len(anomalies),
        anomalies=tuple(_anomaly_row(a, metric, project) for a in anomalies[:LISTED_ANOMALIES]),
        chart=build_chart(drawn, interval, bands=bands, anomalies=anomalies),
        notes=tuple(notes),
    )


def build_report(
    project: Project,
    *,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    profiles_dir: Path | None = None,
    target: str | None = None,
    as_of: datetime | None = None,
) -> Report:
    """Everything the page shows (reads the state database; never creates it)."""
    now = as_of or datetime.now(UTC)
    resolved = target_of(project, profiles_dir=profiles_dir, target=target)
    names = select_for_command(project, select, exclude)
    with reading_state(project, profiles_dir=profiles_dir, target=target) as store:
        statuses = store.metric_statuses() if store is not None else {}
        sections = tuple(
            _section(project, project.metrics[n], store, statuses.get(n), now) for n in names
        )
    stamp = iso_utc(now.replace(microsecond=0))
    return Report(project.name, resolved.name, stamp, sections)


def render_html(report: Report) -> str:
    """The page: Jinja with autoescaping on, so no stored or declared text is markup."""
    import jinja2

    source = resources.files("tripl_cli.api").joinpath("templates", TEMPLATE).read_text("utf-8")
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return env.from_string(source).render(report=report)


def write_report(
    project: Project,
    *,
    out_dir: Path | None = None,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    profiles_dir: Path | None = None,
    target: str | None = None,
    as_of: datetime | None = None,
) -> tuple[Path, Report]:
    """Build and write `index.html` into `out_dir` (default `target/report/`)."""
    report = build_report(
        project,
        select=select,
        exclude=exclude,
        profiles_dir=profiles_dir,
        target=target,
        as_of=as_of,
    )
    path = (out_dir or project.target_dir / "report") / "index.html"
    atomic_write(path, render_html(report))
    log.info("wrote %s (%d metrics)", path, len(report.sections))
    return path, report
