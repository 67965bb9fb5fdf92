"""The benchmark's 20 metrics, written three times: tripl YAML, naive SQL, MetricFlow YAML.

Each metric is one aggregate over `orders` under an optional row filter. The per-metric
baseline is the query a person would write for it (filter in WHERE); the MetricFlow
definition is the semantic-layer equivalent (a simple metric over a measure, with a
`filter:` on dimensions). None of them is derived from tripl's compiler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.run import spec as run_spec

COMPLETED = "status = 'completed'"
#: The one breakdown: `orders` by `country` (top 10 + Other).
BREAKDOWN = ("orders", "country")


@dataclass(frozen=True)
class Filter:
    """One row filter in the three spellings."""

    sql: str  # the naive query's WHERE fragment
    tripl: dict[str, Any]  # where / filters / conditions keys of a tripl metric
    metricflow: str  # a MetricFlow `filter:` (Jinja over dimensions)


def _dim(name: str) -> str:
    return "{{ Dimension('order__" + name + "') }}"


_C = Filter(COMPLETED, {"filters": ["completed"]}, f"{_dim('status')} = 'completed'")
_REFUNDED = Filter(
    "status = 'refunded'", {"where": "status = 'refunded'"}, f"{_dim('status')} = 'refunded'"
)
_US = Filter(
    "country = 'us'",
    {"conditions": [{"column": "country", "operator": "eq", "value": "us"}]},
    f"{_dim('country')} = 'us'",
)
_MOBILE = Filter(
    "platform IN ('ios', 'android')",
    {"conditions": [{"column": "platform", "operator": "in", "value": ["ios", "android"]}]},
    f"{_dim('platform')} IN ('ios', 'android')",
)
_FLAGGED = Filter("flagged", {"where": "flagged"}, f"{_dim('flagged')}")
_BIG = Filter("amount >= 300", {"where": "amount >= 300"}, f"{_dim('amount_value')} >= 300")


def _and(a: Filter, b: Filter) -> Filter:
    tripl: dict[str, Any] = {}
    for part in (a.tripl, b.tripl):
        for key, value in part.items():
            tripl[key] = [*tripl.get(key, []), *value] if isinstance(value, list) else value
    return Filter(f"{a.sql} AND {b.sql}", tripl, f"{a.metricflow} AND {b.metricflow}")


_US_C = _and(_C, _US)
_MOBILE_C = _and(_C, _MOBILE)


@dataclass(frozen=True)
class BenchMetric:
    name: str
    func: str  # count | sum | avg | count_distinct
    column: str | None = None  # None: count(*)
    filter: Filter | None = None
    breakdowns: tuple[str, ...] = field(default=())

    def naive_value(self) -> str:
        if self.func == "count_distinct":
            return f"count(DISTINCT {self.column})"
        return f"{self.func}({self.column or '*'})"

    def tripl_yaml(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": self.name, "kind": "fact", "fact_table": "orders"}
        doc["aggregation"] = self.func
        if self.column is not None:
            doc["column"] = self.column
        if self.filter is not None:
            doc.update(self.filter.tripl)
        if self.breakdowns:
            doc["breakdowns"] = list(self.breakdowns)
        return doc

    @property
    def measure(self) -> str:
        """The MetricFlow measure this metric reads."""
        if self.column is None:
            return "order_count"
        return {"count": "priced_count", "sum": "amount_sum", "avg": "amount_avg"}.get(
            self.func, "distinct_users"
        )


METRICS: tuple[BenchMetric, ...] = (
    # 7 counts
    BenchMetric("orders", "count", breakdowns=("country",)),
    BenchMetric("completed_orders", "count", None, _C),
    BenchMetric("refunded_orders", "count", None, _REFUNDED),
    BenchMetric("us_orders", "count", None, _US),
    BenchMetric("mobile_orders", "count", None, _MOBILE),
    BenchMetric("flagged_orders", "count", None, _FLAGGED),
    BenchMetric("priced_orders", "count", "amount"),
    # 5 sums
    BenchMetric("gross_amount", "sum", "amount"),
    BenchMetric("revenue", "sum", "amount", _C),
    BenchMetric("refunded_amount", "sum", "amount", _REFUNDED),
    BenchMetric("us_revenue", "sum", "amount", _US_C),
    BenchMetric("mobile_revenue", "sum", "amount", _MOBILE_C),
    # 4 averages
    BenchMetric("avg_amount", "avg", "amount"),
    BenchMetric("avg_completed", "avg", "amount", _C),
    BenchMetric("avg_us", "avg", "amount", _US),
    BenchMetric("avg_big", "avg", "amount", _BIG),
    # 4 distinct counts
    BenchMetric("users", "count_distinct", "user_id"),
    BenchMetric("buyers", "count_distinct", "user_id", _C),
    BenchMetric("us_users", "count_distinct", "user_id", _US),
    BenchMetric("mobile_buyers", "count_distinct", "user_id", _MOBILE_C),
)


def write_tripl_project(root: Path, profile_output: dict[str, Any], table: str) -> None:
    """A tripl project over `table` with METRICS, daily, its profile in profiles.yml."""
    run_spec.write_project(
        root, profile_output, table, name="bench_collect", metrics=[m.tripl_yaml() for m in METRICS]
    )


def naive_queries(table: str, bucket: str, window: str) -> list[tuple[str, str]]:
    """(label, SQL) per metric and per breakdown: what a person would run one by one."""
    out: list[tuple[str, str]] = []
    for metric in METRICS:
        where = f"{window} AND {metric.filter.sql}" if metric.filter else window
        value = metric.naive_value()
        out.append(
            (metric.name,
             f"SELECT {bucket} AS bucket, {value} AS value FROM {table} WHERE {where} GROUP BY 1")
        )  # fmt: skip
        for col in metric.breakdowns:
            out.append(
                (f"{metric.name} by {col}",
                 f"SELECT {bucket} AS bucket, {col}, {value} AS value FROM {table} "
                 f"WHERE {where} GROUP BY 1, 2")
            )  # fmt: skip
    return out
