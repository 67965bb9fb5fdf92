"""Reading stored values back: one metric's series (`tripl show`) and the catalog (`tripl ls`).

Reads never create a state database: before the first run of a target there is nothing to
read, and `tripl ls` in a fresh clone should not leave a `.tripl/` folder behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tripl_cli.api.project_api import select_for_command
from tripl_cli.api.run_api import open_target_state, state_url
from tripl_cli.api.warehouse import target_of
from tripl_cli.errors import TriplError
from tripl_cli.project.model import Project
from tripl_cli.project.profiles import ResolvedTarget
from tripl_cli.project.schema import AnyMetric
from tripl_cli.project.schema import MetricStatus as Lifecycle
from tripl_cli.project.schema_errors import did_you_mean
from tripl_cli.project.semantics import value_kind
from tripl_cli.state.engine import resolve_url
from tripl_cli.state.records import MetricStatus, StoredAnomaly
from tripl_cli.state.store import StateStore
from tripl_cli.timegrid import Interval, iso_utc
from tripl_cli.types import TOTAL, Anomaly, DetectorName, ValueKind

log = logging.getLogger(__name__)

#: Points of the catalog's sparkline.
SPARK_POINTS = 20


# --------------------------------------------------------------------------- opening the store
def state_exists(project: Project, resolved: ResolvedTarget) -> bool:
    """False only for a default (or file) SQLite state that was never created."""
    url = resolve_url(state_url(resolved), project_root=project.root, target=resolved.name)
    if url.get_backend_name() != "sqlite":
        return True  # a server: opening it is the only way to know
    return Path(url.database or "").exists()


@contextmanager
def reading_state(
    project: Project, *, profiles_dir: Path | None, target: str | None
) -> Iterator[StateStore | None]:
    """The target's state store, or None when it does not exist yet (nothing stored)."""
    resolved = target_of(project, profiles_dir=profiles_dir, target=target)
    if not state_exists(project, resolved):
        yield None
        return
    store = open_target_state(project, resolved)
    try:
        yield store
    finally:
        store.close()


def metric_or_error(project: Project, name: str) -> AnyMetric:
    metric = project.metrics.get(name)
    if metric is None:
        raise TriplError(
            f"unknown metric '{name}'{did_you_mean(name, project.metrics)}",
            hint="`tripl ls` lists every metric",
        )
    return metric


# --------------------------------------------------------------------------- one series
@dataclass(frozen=True)
class PointView:
    bucket: datetime
    value: float | None
    anomaly: Anomaly | None = None

    def as_json(self) -> dict[str, Any]:
        a = self.anomaly
        return {
            "bucket": iso_utc(self.bucket),
            "value": self.value,
            "anomaly": None
            if a is None
            else {
                "expected": a.expected,
                "lower": a.lower,
                "upper": a.upper,
                "score": a.score,
                "direction": a.direction.value,
                "detector": a.detector.value,
            },
        }


Points = tuple[PointView, ...]


@dataclass(frozen=True)
class SeriesView:
    """One metric's stored series, its breakdown series, and the anomalies recorded on them."""

    metric: str
    interval: Interval
    unit: str | None
    value_kind: ValueKind
    points: Points
    breakdowns: Mapping[str, Mapping[str, Points]] = field(default_factory=dict)
    display_name: str | None = None
    target: str = ""
    breakdown_columns: tuple[str, ...] = ()  # declared or stored, whether read or not

    def as_json(self) -> dict[str, Any]:
        """The `tripl show --format json` document (SPEC §9)."""
        return {
            "metric": self.metric,
            "interval": self.interval.value,
            "unit": self.unit,
            "value_kind": self.value_kind.value,
            "points": [p.as_json() for p in self.points],
            "breakdowns": {
                column: {value: [p.as_json() for p in points] for value, points in series.items()}
                for column, series in self.breakdowns.items()
            },
        }


def _strongest(found: Sequence[StoredAnomaly]) -> dict[tuple[tuple[str, str], datetime], Anomaly]:
    """One anomaly per (series, bucket): several detectors may flag one bucket; keep the
    one with the largest |score|, which is what a reader wants to see."""
    out: dict[tuple[tuple[str, str], datetime], Anomaly] = {}
    for stored in found:
        a = stored.anomaly
        key = (a.breakdown, a.bucket)
        if key not in out or abs(a.score) > abs(out[key].score):
            out[key] = a
    return out


def _views(
    points: Sequence[Any],
    series: tuple[str, str],
    anomalies: Mapping[tuple[tuple[str, str], datetime], Anomaly],
) -> Points:
    """The stored points, and each anomalous bucket without a stored value (an outage: the
    run stored no row, detection scored a count of 0) as a gap carrying its anomaly."""
    views = {
        p.bucket: PointView(p.bucket, p.value, anomalies.get((series, p.bucket))) for p in points
    }
    for (where, bucket), anomaly in anomalies.items():
        if where == series and bucket not in views:
            views[bucket] = PointView(bucket, None, anomaly)
    return tuple(views[b] for b in sorted(views))


def _breakdown_views(
    stored: Mapping[str, Sequence[Any]],
    column: str,
    anomalies: Mapping[tuple[tuple[str, str], datetime], Anomaly],
) -> dict[str, Points]:
    """One column's series: those with stored points (in the store's order), then those with
    only an anomaly in the window (a series whose rows stopped: its outage)."""
    only_anomalous = sorted({v for (c, v), _ in anomalies if c == column} - set(stored))
    values = [*stored, *only_anomalous]
    return {v: _views(stored.get(v, ()), (column, v), anomalies) for v in values}


def _never_collected(
    metric: str,
    target: str,
    status: MetricStatus | None,
    *,
    inactive: str | None = None,
    chosen: bool = False,
) -> TriplError:
    """Why `metric` has no values, and the `tripl run` to change it (on the target the
    user chose with -t, if any: without it, the run would go to the default target)."""
    on = f" -t {target}" if chosen else ""
    if inactive is not None:  # `tripl run -s` would only skip it
        return TriplError(
            f"no values stored for '{metric}' on target '{target}': its status is {inactive}, "
            "so `tripl run` does not collect it",
            hint="set `status: active` in its YAML to collect it",
        )
    hint = f"run `tripl run -s {metric}{on}`"
    if status is not None and status.last_status == "error":
        return TriplError(
            f"no values stored yet for '{metric}' on target '{target}': its last collection "
            f"failed ({status.last_error or 'no error recorded'})",
            hint=f"fix the error, then {hint}",
        )
    if status is not None and status.last_status == "success":
        return TriplError(
            f"no values stored for '{metric}' on target '{target}': its last collection "
            "succeeded but gave no value in the window it read (no row there matched its "
            "filters, or every value was NULL or NaN)",
            hint=(
                f"check the fact table's data, or backfill with"
                f" `tripl run -s {metric}{on} --start …`"
            ),
        )
    return TriplError(f"no values stored yet for '{metric}' on target '{target}'", hint=hint)


def _breakdown_columns(
    metric: AnyMetric, known: Sequence[str], breakdown: str | None, all_breakdowns: bool
) -> list[str]:
    if breakdown is not None:
        if breakdown not in known:
            raise TriplError(
                f"metric '{metric.name}' has no breakdown '{breakdown}'"
                f"{did_you_mean(breakdown, known)}",
                hint=f"its breakdowns: {', '.join(known) or 'none'}",
            )
        return [breakdown]
    return list(known) if all_breakdowns else []


def read_metric(
    project: Project,
    name: str,
    *,
    breakdown: str | None = None,
    last: int | None = None,
    all_breakdowns: bool = True,
    profiles_dir: Path | None = None,
    target: str | None = None,
) -> SeriesView:
    """The stored series of `name` (and its breakdowns), anomalies attached.

    `breakdown` restricts the breakdown series to one column (else all of them, or none with
    `all_breakdowns=False`); `last` keeps the last N buckets ending at the newest one
    (`_shown`: the newest stored, or a later outage).
    """
    metric = metric_or_error(project, name)
    if last is not None and last < 1:
        raise TriplError(f"--last must be at least 1, not {last}")
    resolved = target_of(project, profiles_dir=profiles_dir, target=target)
    interval = project.interval_of(metric)
    with reading_state(project, profiles_dir=profiles_dir, target=target) as store:
        inactive = None if metric.status is Lifecycle.ACTIVE else metric.status.value
        if store is None:
            raise _never_collected(
                name, resolved.name, None, inactive=inactive, chosen=target is not None
            )
        status = store.metric_status(name)
        newest, start, found = _shown(store, name, status, interval, last)
        total = store.read_series(name, start=start)
        if not total and newest is None:
            raise _never_collected(
                name, resolved.name, status, inactive=inactive, chosen=target is not None
            )
        known = tuple(dict.fromkeys([*metric.breakdowns, *store.breakdown_columns(name)]))
        columns = _breakdown_columns(metric, known, breakdown, all_breakdowns)
        anomalies = _strongest(found)
        breakdowns = {
            column: _breakdown_views(
                store.read_breakdowns(name, column, start=start), column, anomalies
            )
            for column in columns
        }
    return SeriesView(
        metric=name,
        interval=interval,
        unit=metric.unit,
        value_kind=value_kind(project, metric),
        points=_views(total, TOTAL, anomalies),
        breakdowns=breakdowns,
        display_name=metric.display_name,
        target=resolved.name,
        breakdown_columns=known,
    )


def _shown(
    store: StateStore,
    name: str,
    status: MetricStatus | None,
    interval: Interval,
    buckets: int | None,
) -> tuple[datetime | None, datetime | None, list[StoredAnomaly]]:
    """(newest, start, anomalies from start), read once: the newest bucket to show — the
    newest stored (the watermark) or a later anomalous one of the total, as an outage stores
    no row yet detection reported its first bucket — and the first of the last `buckets`
    ending there (None: everything)."""
    watermark = status.watermark if status is not None else None
    earliest = (
        None if buckets is None or watermark is None else _first_of(buckets, watermark, interval)
    )
    found = store.read_anomalies(name, start=earliest)
    if watermark is None:
        return None, None, found
    later = [s.anomaly.bucket for s in found if s.anomaly.breakdown == TOTAL]
    newest = max([watermark, *(b for b in later if b > watermark)])
    start = None if buckets is None else _first_of(buckets, newest, interval)
    return newest, start, [s for s in found if start is None or s.anomaly.bucket >= start]


def _first_of(last: int, newest: datetime, interval: Interval) -> datetime | None:
    """The first bucket of the `last` ending at `newest`; None when it is before year 1."""
    try:
        return newest - interval.delta * (last - 1)
    except OverflowError:  # `--last 1000000`: further back than any date, so everything
        return None


# --------------------------------------------------------------------------- the catalog
@dataclass(frozen=True)
class CatalogRow:
    name: str
    kind: str
    interval: Interval
    value_kind: ValueKind
    status: str  # active / draft / archived (the definition's)
    unit: str | None
    last_bucket: datetime | None = None
    latest_value: float | None = None
    collection_status: str | None = None  # success / error / … of the last run (None: never)
    collection_error: str | None = None
    open_anomaly: bool = False  # the newest bucket is anomalous (any series), or an outage goes on
    last_anomaly: datetime | None = None  # newest anomalous bucket within the recent points
    recent: tuple[float | None, ...] = ()  # the last SPARK_POINTS buckets (None: a gap)
    recent_anomalous: tuple[bool, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "metric": self.name,
            "kind": self.kind,
            "interval": self.interval.value,
            "value_kind": self.value_kind.value,
            "status": self.status,
            "unit": self.unit,
            "last_bucket": iso_utc(self.last_bucket) if self.last_bucket else None,
            "latest_value": self.latest_value,
            "collection": {"status": self.collection_status, "error": self.collection_error},
            "open_anomaly": self.open_anomaly,
            "last_anomaly": iso_utc(self.last_anomaly) if self.last_anomaly else None,
            "recent": list(self.recent),
        }


@dataclass(frozen=True)
class Catalog:
    target: str
    rows: tuple[CatalogRow, ...]

    def as_json(self) -> dict[str, Any]:
        return {"target": self.target, "metrics": [r.as_json() for r in self.rows]}


def _recent(
    store: StateStore, name: str, interval: Interval, status: MetricStatus
) -> dict[str, Any]:
    """Sparkline points on the bucket grid (gaps as None) ending at the newest bucket
    (`_shown`: the watermark, or a later outage)."""
    newest, start, found = _shown(store, name, status, interval, SPARK_POINTS)
    assert newest is not None and start is not None
    by_bucket = {p.bucket: p.value for p in store.read_series(name, start=start)}
    grid = [start + interval.delta * i for i in range(SPARK_POINTS)]
    flagged = {s.anomaly.bucket for s in found}
    return {
        "last_bucket": newest,
        "latest_value": by_bucket.get(newest),
        "open_anomaly": newest in flagged or _outage_goes_on(found, by_bucket),
        "last_anomaly": max(flagged) if flagged else None,
        "recent": tuple(by_bucket.get(b) for b in grid),
        "recent_anomalous": tuple(b in flagged for b in grid),
    }


def _outage_goes_on(found: Sequence[StoredAnomaly], values: Mapping[datetime, Any]) -> bool:
    """The total's last outage is still on: no value since it but gaps and zeros (an outage
    is reported at its first bucket only)."""
    starts = [
        s.anomaly.bucket
        for s in found
        if s.anomaly.detector is DetectorName.OUTAGE and s.anomaly.breakdown == TOTAL
    ]
    if not starts:
        return False
    since = max(starts)
    return not any(value for bucket, value in values.items() if bucket >= since)


def _row(
    project: Project, store: StateStore | None, metric: AnyMetric, status: MetricStatus | None
) -> CatalogRow:
    interval = project.interval_of(metric)
    extra: dict[str, Any] = {}
    if status is not None:
        extra = {"collection_status": status.last_status, "collection_error": status.last_error}
        if store is not None and status.watermark is not None:
            extra |= _recent(store, metric.name, interval, status)
    return CatalogRow(
        name=metric.name,
        kind=metric.kind,
        interval=interval,
        value_kind=value_kind(project, metric),
        status=metric.status.value,
        unit=metric.unit,
        **extra,
    )


def catalog(
    project: Project,
    *,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    profiles_dir: Path | None = None,
    target: str | None = None,
    state_manifest: Mapping[str, Any] | None = None,
) -> Catalog:
    """Every selected metric with its latest stored value (empty before any run).

    Unlike `run`, `ls` lists draft and archived metrics too: the catalog is everything declared.
    """
    resolved = target_of(project, profiles_dir=profiles_dir, target=target)
    # project (declaration) order
    names = select_for_command(project, select, exclude, state_manifest)
    with reading_state(project, profiles_dir=profiles_dir, target=target) as store:
        statuses = store.metric_statuses() if store is not None else {}
        rows = tuple(_row(project, store, project.metrics[n], statuses.get(n)) for n in names)
    return Catalog(resolved.name, rows)
