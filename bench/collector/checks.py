"""Do the numbers agree? tripl's stored values vs the per-metric queries and MetricFlow."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.collector import metricflow as mf
from bench.collector import spec
from tripl_cli.api import run_api
from tripl_cli.project.model import Project
from tripl_cli.types import MetricValue

Key = tuple[str, datetime, str]  # (metric, day, breakdown value or '')


def stored_values(project: Project, root: Path) -> dict[Key, float]:
    """Every value the last `tripl run` wrote, read back from its state database."""
    out: dict[Key, float] = {}
    store = run_api.open_state(project, profiles_dir=root, target=None)
    try:
        for metric in spec.METRICS:
            for point in store.read_series(metric.name):
                if point.value is not None:
                    out[(metric.name, _utc(point.bucket), "")] = point.value
            for col in metric.breakdowns:
                for value, points in store.read_breakdowns(metric.name, col).items():
                    for point in points:
                        if point.value is not None:
                            out[(metric.name, _utc(point.bucket), value)] = point.value
    finally:
        store.close()
    return out


def computed_values(values: list[MetricValue]) -> dict[Key, float]:
    out: dict[Key, float] = {}
    for v in values:
        if v.value is None:
            continue
        value = "" if v.breakdown is None or v.breakdown == ("", "") else v.breakdown[1]
        out[(v.metric, _utc(v.bucket), value)] = v.value
    return out


def naive_values(results: Mapping[str, Any]) -> dict[Key, float]:
    """The per-metric queries' answers, keyed like tripl's (breakdown rows by their value)."""
    out: dict[Key, float] = {}
    for label, result in results.items():
        metric, _, col = label.partition(" by ")
        for row in result.rows:
            value = row[-1]
            if value is None:
                continue
            country = "" if not col else ("" if row[1] is None else str(row[1]))
            out[(metric, _utc(row[0]), country)] = float(value)
    return out


def metricflow_values(out_dir: Path) -> dict[Key, float]:
    values = mf.read_csv(out_dir / "day.csv")
    values.update(mf.read_csv(out_dir / "country.csv"))
    return values


def compare(ours: Mapping[Key, float], theirs: Mapping[Key, float], what: str) -> str:
    """'N/N equal' over the keys both have (tripl folds breakdown values past the top
    into 'Other', which the peers do not have), plus what only one side has."""
    common = [k for k in theirs if k in ours]
    bad = [k for k in common if not math.isclose(ours[k], theirs[k], rel_tol=1e-9, abs_tol=1e-9)]
    totals_only = [k for k in theirs if k[2] == "" and k not in ours]
    text = f"{len(common) - len(bad)}/{len(common)} values equal to {what}"
    if bad:
        sample = ", ".join(
            f"{k[0]} {k[1]:%Y-%m-%d} {k[2]}: {ours[k]} vs {theirs[k]}" for k in bad[:3]
        )
        text += f" — MISMATCHES: {len(bad)} (e.g. {sample})"
    if totals_only:
        text += f"; {len(totals_only)} total values only in {what}"
    return text


def _utc(ts: datetime) -> datetime:
    if not isinstance(ts, datetime):  # a DATE bucket
        ts = datetime(ts.year, ts.month, ts.day)
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
