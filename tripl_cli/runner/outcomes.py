"""What a run reports, per metric and as a whole (the shape of run_results.json)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from tripl_cli.compiler.records import CompiledQuery, QueryVariant
from tripl_cli.runner.execute import QueryOutcome
from tripl_cli.timegrid import Window, iso_utc

MetricRunStatus = Literal["success", "error", "skipped"]


@dataclass(frozen=True)
class MetricOutcome:
    metric: str
    status: MetricRunStatus
    window: Window | None = None
    buckets_written: int = 0
    seconds: float = 0.0
    error: str | None = None
    note: str | None = None  # e.g. "definition changed: history dropped"

    def as_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "status": self.status,
            "window": None
            if self.window is None
            else {"start": iso_utc(self.window.start), "end": iso_utc(self.window.end)},
            "buckets_written": self.buckets_written,
            "rows_scanned": None,  # not reported by every warehouse; null = unknown
            "duration_s": round(self.seconds, 4),
            "error": self.error,
            "note": self.note,
        }


@dataclass(frozen=True)
class PlannedQuery:
    id: str
    kind: str
    metrics: tuple[str, ...]
    window: Window
    sql: str
    #: The form run instead where its probe answers true (compiler/bitmap.py).
    variant: QueryVariant | None = None
    #: How the query went, once sent (None in a dry run).
    ok: bool | None = None
    seconds: float | None = None
    retry: bool = False  # a one-metric retry of a failed query (whose id it may share)

    @classmethod
    def of(
        cls, query: CompiledQuery, sent: QueryOutcome | None = None, *, retry: bool = False
    ) -> PlannedQuery:
        planned = cls(query.id, query.kind, query.metrics, query.window, query.sql, query.variant)
        if sent is None:
            return planned
        return dataclasses.replace(
            planned, ok=sent.error is None, seconds=sent.seconds, retry=retry
        )


def run_status(outcomes: Sequence[MetricOutcome]) -> str:
    """success, partial (some metrics failed) or error (every collected metric failed)."""
    attempted = [o for o in outcomes if o.status != "skipped"]
    failed = [o for o in attempted if o.status == "error"]
    if not failed:
        return "success"
    return "error" if len(failed) == len(attempted) else "partial"


@dataclass(frozen=True)
class DefinitionChange:
    """A dry run's metric whose definition changed: a run would drop its stored history
    (only its breakdown series, when only its breakdowns changed) and recollect `window`."""

    metric: str
    window: Window
    breakdowns_only: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "recollect": _window_json(self.window),
            "drops": "breakdowns" if self.breakdowns_only else "history",
        }

    def describe(self) -> str:
        what = (
            "breakdowns changed; a run drops its stored breakdown values (totals kept)"
            if self.breakdowns_only
            else "definition changed; a run drops its stored history"
        )
        return (
            f"{what} and recollects {self.window.start:%Y-%m-%d %H:%M} .. "
            f"{self.window.end:%Y-%m-%d %H:%M}"
        )


@dataclass(frozen=True)
class RunReport:
    run_id: str
    started_at: datetime
    finished_at: datetime
    dry_run: bool
    outcomes: tuple[MetricOutcome, ...]
    queries: tuple[PlannedQuery, ...] = field(default_factory=tuple)
    #: A dry run's metrics whose definition changed (a real run says so in each outcome's
    #: note).
    changed: tuple[DefinitionChange, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> list[MetricOutcome]:
        return [o for o in self.outcomes if o.status == "error"]

    @property
    def status(self) -> str:
        return run_status(self.outcomes)

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "run_id": self.run_id,
            "status": self.status,
            "dry_run": self.dry_run,
            "started_at": iso_utc(self.started_at),
            "finished_at": iso_utc(self.finished_at),
            "elapsed_s": round((self.finished_at - self.started_at).total_seconds(), 4),
            "results": [o.as_json() for o in self.outcomes],
            "queries": [self._query_json(q) for q in self.queries],
        }
        if self.dry_run:
            doc["definition_changed"] = [change.as_json() for change in self.changed]
        return doc

    def _query_json(self, query: PlannedQuery) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": query.id,
            "kind": query.kind,
            "metrics": list(query.metrics),
            "window": _window_json(query.window),
        }
        if query.ok is not None and query.seconds is not None:
            doc["status"] = "success" if query.ok else "error"
            doc["duration_s"] = round(query.seconds, 4)
            if query.retry:
                doc["retry"] = True
        if self.dry_run:  # what would run is the point of a dry run; run_results stay small
            doc["sql"] = query.sql
            if query.variant is not None:
                doc["variant"] = {
                    "shape": query.variant.shape,
                    "probe_sql": query.variant.probe_sql,
                    "sql": query.variant.sql,
                }
        return doc


def _window_json(window: Window) -> dict[str, str]:
    return {"start": iso_utc(window.start), "end": iso_utc(window.end)}
