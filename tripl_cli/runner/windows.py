"""Which window each metric collects in a run (SPEC §4).

A run collects from `last stored bucket − lookback` (or `initial_buckets` back on the first run,
after `--full-refresh`, or when the definition changed) up to the start of the current,
incomplete bucket. `--start/--end` override both ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from tripl_cli.timegrid import Interval, Window, floor_to_bucket


@dataclass(frozen=True)
class WindowRequest:
    """What the user asked for on the command line."""

    as_of: datetime
    start: datetime | None = None
    end: datetime | None = None
    full_refresh: bool = False


@dataclass(frozen=True)
class MetricHistory:
    """What the state DB knows of a metric before this run."""

    watermark: datetime | None  # newest stored bucket
    hash_changed: bool  # stored definition hash differs from the current one
    #: Only its breakdowns changed: its totals are kept, so it resumes from the watermark
    #: as usual, and its new breakdowns reach `initial_buckets` back.
    breakdowns_changed: bool = False


def metric_window(
    interval: Interval,
    history: MetricHistory,
    request: WindowRequest,
    *,
    lookback: int,
    initial_buckets: int,
) -> Window:
    """The aligned window one metric should collect (possibly empty)."""
    current = floor_to_bucket(request.as_of, interval)
    end = current if request.end is None else min(_ceil(request.end, interval), current)
    if request.start is not None:
        start = floor_to_bucket(request.start, interval)
    elif request.full_refresh or history.watermark is None or history.hash_changed:
        start = end - interval.delta * initial_buckets
    else:
        start = floor_to_bucket(history.watermark, interval) - interval.delta * lookback
    if history.hash_changed or history.breakdowns_changed:
        # Its history is dropped: recollect what a first run would, as well as the window
        # asked for — a bounded backfill alone would leave every other bucket missing. (Kept
        # totals resume from their watermark too: starting later would leave a hole.)
        start = min(start, current - interval.delta * initial_buckets)
        end = current
    return Window(min(start, end), end)


def _ceil(ts: datetime, interval: Interval) -> datetime:
    floored = floor_to_bucket(ts, interval)
    return floored if floored == ts else floored + interval.delta


def widen_to_shared_scans(
    windows: Mapping[str, Window], scan_groups: Iterable[Iterable[str]]
) -> dict[str, Window]:
    """Give metrics that share a scan one window, so one query serves them all.

    `scan_groups` lists the metrics read by one (fact table, interval) scan; a metric in
    several groups (a cross-table ratio) joins them. Recomputing a few more buckets for a
    metric is harmless — a run replaces whole windows — while a second scan is not.
    """
    parent: dict[str, str] = {name: name for name in windows}

    def find(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for group in scan_groups:
        members = [m for m in group if m in parent]
        for other in members[1:]:
            parent[find(other)] = find(members[0])
    merged: dict[str, Window] = {}
    for name, window in windows.items():
        if window.empty:
            continue
        root = find(name)
        seen = merged.get(root)
        merged[root] = (
            window
            if seen is None
            else Window(min(seen.start, window.start), max(seen.end, window.end))
        )
    return {name: merged[find(name)] for name, w in windows.items() if not w.empty}
