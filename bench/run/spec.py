"""The benchmark's ~30 metrics, once: as a tripl project on disk and as naive per-metric SQL.

Every metric is an aggregate over `orders` with an optional filter, written twice by hand
here — as tripl YAML (`where`, named `filters`, `conditions`) and as the WHERE clause a person
would write in a standalone query — so the per-metric baseline owes nothing to tripl's compiler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

COMPLETED = "status = 'completed'"


@dataclass(frozen=True)
class Agg:
    """One aggregate: `func` over `column` (None = count(*)) where `sql_filter` holds."""

    func: str  # count | sum | avg | min | max | count_distinct
    column: str | None = None
    sql_filter: str | None = None  # the naive query's WHERE fragment
    yaml_filter: dict[str, Any] = field(default_factory=dict)  # where/filters/conditions keys

    def naive(self) -> str:
        if self.func == "count" and self.column is None:
            return "count(*)"
        if self.func == "count_distinct":
            return f"count(DISTINCT {self.column})"
        return f"{self.func}({self.column})"


@dataclass(frozen=True)
class BenchMetric:
    name: str
    agg: Agg
    denominator: Agg | None = None  # a ratio of two aggregates under the same filter
    breakdowns: tuple[str, ...] = ()

    def yaml(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": self.name, "kind": "fact"}
        if self.denominator is None:
            doc.update(_measure(self.agg))
        else:
            doc["numerator"] = _measure(self.agg)
            doc["denominator"] = _measure(self.denominator)
        if self.breakdowns:
            doc["breakdowns"] = list(self.breakdowns)
        return doc


def _measure(agg: Agg) -> dict[str, Any]:
    doc: dict[str, Any] = {"fact_table": "orders", "aggregation": agg.func}
    if agg.column is not None:
        doc["column"] = agg.column
    doc.update(agg.yaml_filter)
    return doc


def _where(sql: str) -> tuple[str, dict[str, Any]]:
    return sql, {"where": sql}


_C = (COMPLETED, {"filters": ["completed"]})
_US = ("country = 'us'", {"conditions": [{"column": "country", "operator": "eq", "value": "us"}]})
_MOBILE = (
    "platform IN ('ios', 'android')",
    {"conditions": [{"column": "platform", "operator": "in", "value": ["ios", "android"]}]},
)
_US_C = (
    f"{COMPLETED} AND country = 'us'",
    {"filters": ["completed"], **_US[1]},
)
_MOBILE_C = (f"{COMPLETED} AND {_MOBILE[0]}", {"filters": ["completed"], **_MOBILE[1]})
_REFUNDED = _where("status = 'refunded'")
_PENDING = _where("status = 'pending'")
_FLAGGED = _where("flagged")
_BIG = _where("amount >= 300")
_WEB_C = (
    f"{COMPLETED} AND platform = 'web'",
    {"filters": ["completed"], "where": "platform = 'web'"},
)


def _agg(
    func: str, column: str | None = None, flt: tuple[str, dict[str, Any]] | None = None
) -> Agg:
    return Agg(func, column, *(flt or (None, {})))


METRICS: tuple[BenchMetric, ...] = (
    # counts
    BenchMetric("orders", _agg("count"), breakdowns=("country",)),
    BenchMetric("completed_orders", _agg("count", None, _C)),
    BenchMetric("refunded_orders", _agg("count", None, _REFUNDED)),
    BenchMetric("pending_orders", _agg("count", None, _PENDING)),
    BenchMetric("us_orders", _agg("count", None, _US)),
    BenchMetric("mobile_orders", _agg("count", None, _MOBILE)),
    BenchMetric("flagged_orders", _agg("count", None, _FLAGGED)),
    BenchMetric("big_orders", _agg("count", None, _BIG)),
    BenchMetric("priced_orders", _agg("count", "amount")),
    # sums
    BenchMetric("revenue", _agg("sum", "amount", _C), breakdowns=("platform",)),
    BenchMetric("gross_amount", _agg("sum", "amount")),
    BenchMetric("refunded_amount", _agg("sum", "amount", _REFUNDED)),
    BenchMetric("us_revenue", _agg("sum", "amount", _US_C)),
    BenchMetric("mobile_revenue", _agg("sum", "amount", _MOBILE_C)),
    BenchMetric("web_revenue", _agg("sum", "amount", _WEB_C)),
    # averages
    BenchMetric("avg_completed", _agg("avg", "amount", _C)),
    BenchMetric("avg_amount", _agg("avg", "amount")),
    BenchMetric("avg_us", _agg("avg", "amount", _US)),
    BenchMetric("avg_big", _agg("avg", "amount", _BIG)),
    # min / max
    BenchMetric("min_amount", _agg("min", "amount")),
    BenchMetric("max_amount", _agg("max", "amount")),
    BenchMetric("max_completed", _agg("max", "amount", _C)),
    BenchMetric("min_web", _agg("min", "amount", _WEB_C)),
    # distinct counts
    BenchMetric("users", _agg("count_distinct", "user_id")),
    BenchMetric("buyers", _agg("count_distinct", "user_id", _C)),
    BenchMetric("us_users", _agg("count_distinct", "user_id", _US)),
    BenchMetric("mobile_buyers", _agg("count_distinct", "user_id", _MOBILE_C)),
    # ratios (same filter on both sides)
    BenchMetric("aov", _agg("sum", "amount", _C), _agg("count", None, _C)),
    BenchMetric("us_aov", _agg("sum", "amount", _US_C), _agg("count", None, _US_C)),
    BenchMetric("mobile_aov", _agg("sum", "amount", _MOBILE_C), _agg("count", None, _MOBILE_C)),
)


def write_project(
    root: Path,
    profile_output: dict[str, Any],
    table: str,
    *,
    name: str = "bench_run",
    metrics: list[dict[str, Any]] | None = None,
) -> None:
    """A tripl project over `table` with `metrics` (default: METRICS), daily, reaching the
    warehouse in profiles.yml."""
    (root / "fact_tables").mkdir(parents=True, exist_ok=True)
    (root / "metrics").mkdir(exist_ok=True)
    config = {"name": name, "profile": "bench", "defaults": {"interval": "1d"}}
    (root / "tripl_project.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    profiles = {"bench": {"target": "bench", "outputs": {"bench": profile_output}}}
    (root / "profiles.yml").write_text(yaml.safe_dump(profiles, sort_keys=False))
    fact = {
        "name": "orders",
        "sql": f"SELECT ts, user_id, amount, status, country, platform, flagged FROM {table}",
        "timestamp_column": "ts",
        "identifier_columns": ["user_id"],
        "row_filters": [{"name": "completed", "sql": COMPLETED}],
    }
    (root / "fact_tables" / "orders.yml").write_text(
        yaml.safe_dump({"fact_tables": [fact]}, sort_keys=False)
    )
    (root / "metrics" / "metrics.yml").write_text(
        yaml.safe_dump(
            {"metrics": metrics if metrics is not None else [m.yaml() for m in METRICS]},
            sort_keys=False,
        )
    )


def naive_queries(table: str, bucket: str, start: str, end: str) -> list[tuple[str, str]]:
    """(metric, SQL) per metric and per breakdown: what a person would run one by one."""
    out: list[tuple[str, str]] = []
    window = f"ts >= {start} AND ts < {end}"
    for metric in METRICS:
        flt = metric.agg.sql_filter
        where = f"{window} AND {flt}" if flt else window
        value = metric.agg.naive()
        if metric.denominator is not None:
            value = f"{value} / NULLIF({metric.denominator.naive()}, 0)"
        out.append(
            (metric.name, f"SELECT {bucket} AS bucket, {value} AS value FROM {table} "
             f"WHERE {where} GROUP BY 1")
        )  # fmt: skip
        for column in metric.breakdowns:
            out.append(
                (f"{metric.name} by {column}",
                 f"SELECT {bucket} AS bucket, {column}, {value} AS value FROM {table} "
                 f"WHERE {where} GROUP BY 1, 2")
            )  # fmt: skip
    return out
