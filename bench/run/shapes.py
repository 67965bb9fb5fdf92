"""Why (a) is where it is on DuckDB: the benchmark's 4 filtered distinct counts, 4 SQL shapes.

tripl's aggregate query computes the 4 `count_distinct` metrics in the same scan as the other
26 metrics. This times those 4 alone, per shape, on the same table (same rows, same window):
  filter    COUNT(DISTINCT user_id) FILTER (WHERE cond) ×4 in one query
  case      COUNT(DISTINCT CASE WHEN cond THEN user_id END) ×4 in one query
  preagg    one GROUP BY (bucket, user_id) with max(CASE WHEN cond THEN 1 ELSE 0 END) flags,
            then SUM(flag) per bucket
  separate  4 queries, one per metric, the filter in WHERE
and checks that every shape returns the same counts.
"""

from __future__ import annotations

import time
from typing import Any

from bench.run import spec
from tripl_cli.adapters import Adapter

SHAPES = ("filter", "case", "preagg", "separate")


def _conditions() -> list[str]:
    distinct = [m for m in spec.METRICS if m.agg.func == "count_distinct"]
    return [m.agg.sql_filter or "TRUE" for m in distinct]


def shape_queries(table: str, bucket: str, window: str) -> dict[str, list[str]]:
    conds = _conditions()
    head = f"SELECT {bucket} AS bucket"
    src = f"FROM {table} WHERE {window}"
    flags = ", ".join(f"max(CASE WHEN {c} THEN 1 ELSE 0 END) AS f{i}" for i, c in enumerate(conds))
    return {
        "filter": [
            f"{head}, "
            + ", ".join(f"count(DISTINCT user_id) FILTER (WHERE {c})" for c in conds)
            + f" {src} GROUP BY 1 ORDER BY 1"
        ],
        "case": [
            f"{head}, "
            + ", ".join(f"count(DISTINCT CASE WHEN {c} THEN user_id END)" for c in conds)
            + f" {src} GROUP BY 1 ORDER BY 1"
        ],
        "preagg": [
            "SELECT bucket, "
            + ", ".join(f"sum(f{i})" for i in range(len(conds)))
            + f" FROM ({head}, user_id, {flags} {src} AND user_id IS NOT NULL GROUP BY 1, 2) AS p"
            " GROUP BY 1 ORDER BY 1"
        ],
        "separate": [
            f"{head}, count(DISTINCT user_id) {src} AND {c} GROUP BY 1 ORDER BY 1" for c in conds
        ],
    }


def measure_shapes(
    adapter: Adapter, table: str, bucket: str, window: str, repeat: int
) -> tuple[dict[str, list[float]], bool]:
    """Wall times per shape (round-robin, `repeat` each) and whether all shapes agree."""
    queries = shape_queries(table, bucket, window)
    timings: dict[str, list[float]] = {s: [] for s in SHAPES}
    answers: dict[str, Any] = {}
    for _ in range(repeat):
        for shape in SHAPES:
            began = time.perf_counter()
            results = [adapter.execute(q).rows for q in queries[shape]]
            timings[shape].append(time.perf_counter() - began)
            answers[shape] = _normalize(results)
    reference = answers["filter"]
    return timings, all(answer == reference for answer in answers.values())


def _normalize(results: list[Any]) -> list[tuple[Any, ...]]:
    """Rows of one query, or the columns of several single-metric queries, as one table."""
    if len(results) == 1:
        return [(r[0], *(int(v or 0) for v in r[1:])) for r in results[0]]
    by_bucket: dict[Any, list[int]] = {}
    for i, rows in enumerate(results):
        for bucket, value in rows:
            by_bucket.setdefault(bucket, [0] * len(results))[i] = int(value)
    return [(b, *vals) for b, vals in sorted(by_bucket.items())]
