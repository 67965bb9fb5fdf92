"""`tripl detect` and `tripl backtest`: score stored series with the pure detector.

The detector (`tripl_cli.detect`) does no I/O; this module reads series from the state store,
hands them over with the metric's settings, and records what comes back. Alerting hooks in
after `detect` returns (see `tripl_cli.api.alert_flow`), never inside scoring.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tripl_cli.api.project_api import atomic_write, select_for_command
from tripl_cli.api.run_api import new_run_id, open_state
from tripl_cli.detect import (
    DetectionSettings,
    SeriesResult,
    backtest_series,
    detect_series,
    history_needed,
)
from tripl_cli.detect.backtest import BacktestSummary, summarize
from tripl_cli.errors import ConfigError
from tripl_cli.project.model import Project
from tripl_cli.project.schema import AnyMetric, MetricStatus
from tripl_cli.project.semantics import value_kind
from tripl_cli.state.records import AnomalyWrite
from tripl_cli.state.records import MetricStatus as CollectionStatus
from tripl_cli.state.store import StateStore
from tripl_cli.timegrid import Interval, Window, floor_to_bucket, iso_utc
from tripl_cli.types import TOTAL, Anomaly, SeriesPoint, breakdown_json


@dataclass(frozen=True)
class SeriesDetection:
    metric: str
    breakdown: tuple[str, str]
    result: SeriesResult
    #: Of its anomalies, how many this detect recorded for the first time.
    new_anomalies: int = 0

    @property
    def gates(self) -> bool:
        """Whether `--fail-on-anomaly` fails on it: an anomaly found for the first time, or
        the series anomalous now (an outage going on stays red; a spike a week back, once
        recorded, is history)."""
        return self.new_anomalies > 0 or self.result.anomalous_now


@dataclass(frozen=True)
class DetectReport:
    run_id: str
    as_of: datetime
    series: tuple[SeriesDetection, ...]
    skipped: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (metric, reason)
    #: No scored metric has any value stored (never collected): say to run first.
    nothing_stored: bool = False

    @property
    def anomalies(self) -> list[Anomaly]:
        found = [a for s in self.series for a in s.result.anomalies]
        return sorted(found, key=lambda a: (a.bucket, a.metric, a.breakdown), reverse=True)

    @property
    def failing(self) -> tuple[SeriesDetection, ...]:
        """The series `--fail-on-anomaly` fails on (`SeriesDetection.gates`)."""
        return tuple(s for s in self.series if s.gates)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": iso_utc(self.as_of),
            "anomalies": [anomaly_json(a) for a in self.anomalies],
            "series": [
                {
                    "metric": s.metric,
                    "breakdown": breakdown_json(s.breakdown),
                    "status": s.result.status,
                    "scored_buckets": len(s.result.scored_buckets),
                    "anomalies": len(s.result.anomalies),
                    "new_anomalies": s.new_anomalies,
                    "anomalous_now": s.result.anomalous_now,
                    "warnings": list(s.result.warnings),
                }
                for s in self.series
            ],
            "skipped": [{"metric": m, "reason": r} for m, r in self.skipped],
        }


def anomaly_json(a: Anomaly) -> dict[str, Any]:
    return {
        "metric": a.metric,
        "breakdown": breakdown_json(a.breakdown),
        "bucket": iso_utc(a.bucket),
        "actual": a.actual,
        "expected": a.expected,
        "lower": a.lower,
        "upper": a.upper,
        "score": a.score,
        "direction": a.direction.value,
        "detector": a.detector.value,
    }


def settings_for(
    project: Project, metric: AnyMetric, overrides: dict[str, Any] | None = None
) -> DetectionSettings:
    """Project `detection:` defaults, then the metric's, then command-line overrides."""
    try:
        base = DetectionSettings.from_mapping(project.config.detection)
        merged = DetectionSettings.from_mapping(metric.detection or {}, base=base)
        return DetectionSettings.from_mapping(overrides or {}, base=merged)
    except ValueError as exc:
        raise ConfigError(
            f"detection settings of metric '{metric.name}': {exc}",
            location=project.location_of("metric", metric.name, "detection"),
        ) from None


def complete_until(status: CollectionStatus | None, interval: Interval) -> datetime | None:
    """Until when a metric's data is known complete: the end of the windows it collected.

    Not when the status row was last written: a backfill of an old window (`--end` in the
    past) writes it too, and zero-filling up to "now" would report the buckets no run
    collected as outages.
    """
    if status is None or status.collected_until is None:
        return None
    return floor_to_bucket(status.collected_until, interval)


@dataclass(frozen=True)
class _Series:
    metric: AnyMetric
    breakdown: tuple[str, str]
    points: list[SeriesPoint]
    settings: DetectionSettings
    interval: Interval
    complete_until: datetime | None
    #: Its metric has values stored, in this window or before it (the watermark).
    collected: bool


def _monitored(
    project: Project,
    store: StateStore,
    names: Sequence[str],
    as_of: datetime,
    overrides: dict[str, Any] | None,
    *,
    full_history: bool = False,
) -> Iterator[_Series | tuple[str, str]]:
    statuses = store.metric_statuses()
    for name in names:
        metric = project.metrics[name]
        if metric.status is not MetricStatus.ACTIVE:
            yield (name, f"status is {metric.status.value}")
            continue
        settings = settings_for(project, metric, overrides)
        if not settings.enabled:
            yield (name, "detection disabled")
            continue
        interval = project.interval_of(metric)
        # detect reads only what the detector needs; backtest replays everything stored.
        start = None if full_history else as_of - history_needed(interval, settings)
        status = statuses.get(name)
        until = complete_until(status, interval)
        collected = status is not None and status.watermark is not None
        total = store.read_series(name, start=start)
        yield _Series(metric, TOTAL, total, settings, interval, until, collected)
        if settings.breakdowns:
            for column in metric.breakdowns:
                for value, points in store.read_breakdowns(name, column, start=start).items():
                    series = (column, value)
                    yield _Series(metric, series, points, settings, interval, until, collected)


def detect(
    project: Project,
    *,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    profiles_dir: Path | None = None,
    target: str | None = None,
    as_of: datetime | None = None,
    lock_timeout_s: float = 60.0,
    state_manifest: Mapping[str, Any] | None = None,
) -> DetectReport:
    """Re-score each monitored series' trailing window and replace its recorded anomalies."""
    now = as_of or datetime.now(UTC)
    run_id = new_run_id(now)
    names = select_for_command(project, select, exclude, state_manifest)
    found: list[tuple[_Series, SeriesResult, AnomalyWrite | None]] = []
    skipped: list[tuple[str, str]] = []
    collected = False
    with (
        open_state(project, profiles_dir=profiles_dir, target=target) as store,
        store.run_lock(run_id, timeout_s=lock_timeout_s),
    ):
        for item in _monitored(project, store, names, now, None):
            if isinstance(item, tuple):
                skipped.append(item)
                continue
            collected |= item.collected
            result = detect_series(
                item.points,
                metric=item.metric.name,
                interval=item.interval,
                value_kind=value_kind(project, item.metric),
                settings=item.settings,
                as_of=now,
                breakdown=item.breakdown,
                complete_until=item.complete_until,
            )
            write = None
            if result.scored_buckets:
                scored = Window(
                    result.scored_buckets[0], result.scored_buckets[-1] + item.interval.delta
                )
                write = AnomalyWrite(
                    item.metric.name, scored, result.anomalies, item.breakdown, run_id
                )
            found.append((item, result, write))
        # Recorded at once, in one transaction: a commit per series cost more (docs/detection.md).
        new = iter(store.replace_anomalies_of([w for _, _, w in found if w is not None]))
    detections = [
        SeriesDetection(item.metric.name, item.breakdown, result, 0 if w is None else next(new))
        for item, result, w in found
    ]
    report = DetectReport(run_id, now, tuple(detections), tuple(skipped), not collected)
    atomic_write(
        project.target_dir / "anomalies.json", json.dumps(report.as_json(), indent=2, default=str)
    )
    return report


@dataclass(frozen=True)
class BacktestRow:
    metric: str
    breakdown: tuple[str, str]
    summary: BacktestSummary
    anomalies: tuple[Anomaly, ...]

    def as_json(self) -> dict[str, Any]:
        """One series of `tripl backtest --format json`."""
        return {
            "metric": self.metric,
            "breakdown": breakdown_json(self.breakdown),
            "status": self.summary.status,
            "scored_buckets": self.summary.scored_buckets,
            "anomalies": self.summary.anomalies,
            "by_detector": dict(self.summary.by_detector),
            "spikes": self.summary.spikes,
            "drops": self.summary.drops,
            "buckets": [iso_utc(a.bucket) for a in self.anomalies],
        }


def backtest(
    project: Project,
    *,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    overrides: dict[str, Any] | None = None,
    profiles_dir: Path | None = None,
    target: str | None = None,
    as_of: datetime | None = None,
    state_manifest: Mapping[str, Any] | None = None,
) -> list[BacktestRow]:
    """Replay the detector over stored history (read-only: records nothing)."""
    now = as_of or datetime.now(UTC)
    names = select_for_command(project, select, exclude, state_manifest)
    rows: list[BacktestRow] = []
    with open_state(project, profiles_dir=profiles_dir, target=target) as store:
        for item in _monitored(project, store, names, now, overrides, full_history=True):
            if isinstance(item, tuple):
                continue
            result = backtest_series(
                item.points,
                metric=item.metric.name,
                interval=item.interval,
                value_kind=value_kind(project, item.metric),
                settings=item.settings,
                start=start,
                end=end,
                breakdown=item.breakdown,
                as_of=now,
                complete_until=item.complete_until,
            )
            rows.append(
                BacktestRow(item.metric.name, item.breakdown, summarize(result), result.anomalies)
            )
    return rows
