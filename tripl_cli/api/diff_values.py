"""How a modified metric's recent values would change: stored (old definition) vs recomputed.

The new definition is compiled with `compile_plan` over the last N buckets up to the metric's
stored watermark, run on the target's warehouse and `assemble`d — the same path as
`tripl run`, but nothing is written to the state database. Compositions are recomputed from
their parts: freshly computed parts when those changed too, stored series otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tripl_cli.api.read_api import reading_state
from tripl_cli.api.warehouse import connector, target_of
from tripl_cli.compiler.assemble import QueryResultLike, assemble, distinct_counts
from tripl_cli.compiler.plan import compile_plan
from tripl_cli.compiler.records import CompiledPlan
from tripl_cli.errors import TriplError
from tripl_cli.project.model import Project
from tripl_cli.project.schema import CompositionMetric
from tripl_cli.project.semantics import is_known_hash, metrics_in_dependency_order
from tripl_cli.runner.compose import compose
from tripl_cli.runner.execute import execute_query
from tripl_cli.state.store import StateStore
from tripl_cli.timegrid import Window, floor_to_bucket, iso_utc
from tripl_cli.types import TOTAL, SeriesPoint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValueRow:
    bucket: datetime
    old: float | None  # stored, from the old definition
    new: float | None  # recomputed with the new definition

    @property
    def change_pct(self) -> float | None:
        if self.old is None or self.new is None or self.old == 0:
            return None
        return (self.new - self.old) / abs(self.old) * 100.0

    def as_json(self) -> dict[str, Any]:
        pct = self.change_pct
        return {
            "bucket": iso_utc(self.bucket),
            "old": self.old,
            "new": self.new,
            "change_pct": None if pct is None else round(pct, 4),
        }


@dataclass(frozen=True)
class ValueComparison:
    metric: str
    rows: tuple[ValueRow, ...] = ()
    note: str | None = None  # why there is nothing (or something odd) to compare

    def as_json(self) -> dict[str, Any]:
        return {"note": self.note, "points": [r.as_json() for r in self.rows]}


def _hull(a: Window, b: Window) -> Window:
    return Window(min(a.start, b.start), max(a.end, b.end))


def _windows(
    project: Project, store: StateStore, names: Sequence[str], last: int
) -> tuple[dict[str, Window], dict[str, Window]]:
    """(shown, computed): the last N buckets up to each metric's stored watermark; parts of
    a recomputed composition are computed over its window too."""
    statuses = store.metric_statuses()
    shown: dict[str, Window] = {}
    for name in names:
        status = statuses.get(name)
        if status is None or status.watermark is None:
            continue
        interval = project.interval_of(project.metrics[name])
        newest = floor_to_bucket(status.watermark, interval)
        shown[name] = Window(newest - interval.delta * (last - 1), newest + interval.delta)
    computed = dict(shown)
    wanted = set(names)
    for name in reversed(metrics_in_dependency_order(project, names)):
        metric = project.metrics[name]
        if isinstance(metric, CompositionMetric) and name in computed:
            for part in metric.parts:
                if part in wanted:
                    window = computed[name]
                    computed[part] = _hull(computed[part], window) if part in computed else window
    return shown, computed


def _execute(
    project: Project, plan: CompiledPlan, profiles_dir: Path | None, target: str | None
) -> tuple[dict[str, QueryResultLike], dict[str, str]]:
    """Every query of the plan; a failing one is reported for its metrics, not raised."""
    resolved = target_of(project, profiles_dir=profiles_dir, target=target)
    results: dict[str, QueryResultLike] = {}
    failed: dict[str, str] = {}
    if not plan.queries:
        return results, failed
    adapter = connector(project, resolved)()
    try:
        for query in plan.queries:
            try:
                results[query.id] = execute_query(adapter, query, timeout_s=None)
            except TriplError as exc:
                for metric in query.metrics:
                    failed.setdefault(metric, " ".join(exc.message.split()))
    finally:
        adapter.close()
    return results, failed


def _as_points(values: Mapping[datetime, float]) -> list[SeriesPoint]:
    return [SeriesPoint(bucket, value) for bucket, value in sorted(values.items())]


class _Recompute:
    def __init__(self, project: Project, store: StateStore, computed: dict[str, Window]) -> None:
        self.project, self.store, self.computed = project, store, computed
        self.fresh: dict[str, dict[datetime, float]] = {}
        self.failed: dict[str, str] = {}

    def collect(self, profiles_dir: Path | None, target: str | None, dialect: str) -> None:
        names = list(self.computed)
        plan = compile_plan(
            self.project, names, dialect=dialect, window_for=lambda m: self.computed[m]
        )
        results, self.failed = _execute(self.project, plan, profiles_dir, target)
        for value in assemble(plan, results):
            if value.breakdown == TOTAL and value.value is not None:
                self.fresh.setdefault(value.metric, {})[value.bucket] = value.value
        distincts = distinct_counts(plan, results)
        for name in metrics_in_dependency_order(self.project, names):
            metric = self.project.metrics[name]
            if isinstance(metric, CompositionMetric):
                self._compose(metric, distincts.get(name, {}))

    def _series(self, name: str, window: Window) -> list[SeriesPoint]:
        if name in self.computed:  # changed too: its new values, not the stored ones
            return _as_points(self.fresh.get(name, {}))
        return self.store.read_series(name, start=window.start, end=window.end)

    def _compose(self, metric: CompositionMetric, distincts: Mapping[datetime, float]) -> None:
        broken = [p for p in metric.parts if p in self.failed]
        if broken:
            self.failed[metric.name] = f"input metric {', '.join(broken)} failed"
            return
        window = self.computed[metric.name]
        numerator = self._series(metric.numerator, window)
        divisor: list[SeriesPoint] | Mapping[datetime, float] = (
            self._series(metric.denominator, window) if metric.denominator else distincts
        )
        values = compose(metric, window, numerator, divisor)
        self.fresh[metric.name] = {v.bucket: v.value for v in values if v.value is not None}


def _comparison(
    project: Project, store: StateStore, name: str, window: Window, run: _Recompute
) -> ValueComparison:
    if name in run.failed:
        return ValueComparison(name, note=f"the new definition failed: {run.failed[name]}")
    interval = project.interval_of(project.metrics[name])
    stored = {
        p.bucket: p.value for p in store.read_series(name, start=window.start, end=window.end)
    }
    fresh = run.fresh.get(name, {})
    count = round((window.end - window.start) / interval.delta)
    grid = [window.start + interval.delta * i for i in range(count)]
    rows = tuple(ValueRow(b, stored.get(b), fresh.get(b)) for b in grid)
    status = store.metric_status(name)
    note = None
    if status is not None and is_known_hash(project, project.metrics[name], status.definition_hash):
        note = "the stored values were already collected with the new definition"
    return ValueComparison(name, rows, note)


def _regridded_note(change: str) -> str:
    return (
        f"interval changed ({change}): the stored values are another interval's buckets, "
        "not comparable; `tripl run` recollects this metric"
    )


def recent_values(
    project: Project,
    names: Sequence[str],
    *,
    last: int,
    profiles_dir: Path | None = None,
    target: str | None = None,
    regridded: Mapping[str, str] | None = None,
) -> tuple[str, list[ValueComparison]]:
    """(target name, one comparison per metric in `names`) — nothing is written anywhere.

    `regridded`: metrics whose interval changed (name → "old → new"): their stored buckets
    are another interval's, so they get a note instead of a comparison.
    """
    resolved = target_of(project, profiles_dir=profiles_dir, target=target)
    nothing = f"nothing stored yet on target '{resolved.name}'"
    regridded = regridded or {}
    with reading_state(project, profiles_dir=profiles_dir, target=target) as store:
        if store is None:
            return resolved.name, [ValueComparison(n, note=nothing) for n in names]
        comparable = [n for n in names if n not in regridded]
        shown, computed = _windows(project, store, comparable, last)
        run = _Recompute(project, store, computed)
        if computed:
            run.collect(profiles_dir, target, resolved.dialect)
        out = [
            ValueComparison(n, note=_regridded_note(regridded[n]))
            if n in regridded
            else _comparison(project, store, n, shown[n], run)
            if n in shown
            else ValueComparison(n, note=nothing)
            for n in names
        ]
    log.debug("compared recent values of %d metrics", len(out))
    return resolved.name, out
