"""The execution test's data and project: deterministic rows, metrics of every kind.

Rows include timestamps exactly on bucket boundaries and in the last microsecond of a
bucket, rows just outside the window, NULL measures, NULL breakdown values, values with
quotes and LIKE metacharacters, and filters that match nothing in most buckets.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from tripl_cli.project.model import Project
from tripl_cli.project.schema import FactTable, Metric, ProjectConfig
from tripl_cli.timegrid import Interval, Window

from .reference import Predicate, Row

WINDOW = Window(datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC))
#: Weekly metrics look three Monday-aligned weeks back.
WEEKS = Window(datetime(2025, 12, 22, tzinfo=UTC), WINDOW.end)
US = timedelta(microseconds=1)

ORDER_COLUMNS = [
    ("ts", "timestamp"), ("user_id", "int"), ("amount", "number"), ("status", "string"),
    ("country", "string"), ("platform", "string"), ("note", "string"), ("flagged", "bool"),
]  # fmt: skip
SESSION_COLUMNS = [("ts", "timestamp"), ("user_id", "int"), ("platform", "string")]

# Distinct weights keep the top-N cut-off free of ties (collations order ties differently).
COUNTRIES = [("us", 40), ("de", 22), ("fr", 13), ("o'hare", 8), ("it", 5), (None, 9), ("es", 3)]
PLATFORMS = [("ios", 30), ("android", 25), ("web", 20), (None, 10)]
NOTES = [("plain", 60), ("50% off", 8), ("50_off", 6), ("O'Brien", 2), (None, 20), ("dé'jà", 4)]
STATUSES = [("completed", 60), ("refunded", 15), ("pending", 25)]


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _boundary_times() -> Iterator[datetime]:
    """Bucket starts of every interval in the window, their last microsecond, and the edges."""
    t = WINDOW.start
    while t <= WINDOW.end:
        yield t
        yield t - US
        t += timedelta(hours=6)
    for t in (WEEKS.start, WEEKS.start - US, WINDOW.start + timedelta(minutes=15) - US):
        yield t


def order_rows(seed: int = 20260105, n: int = 2500) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    span = (WINDOW.end - WEEKS.start).total_seconds() + 2 * 86400
    times = [
        WEEKS.start - timedelta(days=1) + timedelta(seconds=rng.random() * span) for _ in range(n)
    ]
    times = [t.replace(microsecond=rng.randrange(1_000_000)) for t in times]
    rows = []
    for ts in [*times, *_boundary_times()]:
        status = _pick(rng, STATUSES)
        # Pending orders never have an amount: their filtered sum is 0, their average a gap.
        amount = None if status == "pending" or rng.random() < 0.08 else rng.randrange(1, 2400) / 4
        user = None if rng.random() < 0.05 else rng.randrange(1, 300)
        flagged = None if rng.random() < 0.1 else rng.random() < 0.3
        rows.append((ts, user, amount, status, _pick(rng, COUNTRIES), _pick(rng, PLATFORMS),
                     _pick(rng, NOTES), flagged))  # fmt: skip
    return rows


def session_rows(seed: int = 7, n: int = 900) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        ts = WINDOW.start - timedelta(hours=12) + timedelta(seconds=rng.random() * 8 * 86400)
        rows.append((ts, rng.randrange(1, 200), _pick(rng, PLATFORMS)))
    # A day with orders but no sessions: the cross-table ratio's denominator is missing there.
    return [
        r
        for r in rows
        if not (datetime(2026, 1, 8, tzinfo=UTC) <= r[0] < datetime(2026, 1, 9, tzinfo=UTC))
    ]


def as_dicts(rows: Iterable[tuple[Any, ...]], columns: list[tuple[str, str]]) -> list[Row]:
    return [dict(zip([c for c, _ in columns], r, strict=True)) for r in rows]


#: Each SQL fragment used below and its meaning in Python, for the reference.
FRAGMENTS: dict[str, Predicate] = {
    "status = 'completed'": lambda r: r["status"] == "completed",
    "status = 'pending'": lambda r: r["status"] == "pending",
    "amount > 0": lambda r: r["amount"] is not None and r["amount"] > 0,
}

_METRICS: list[dict[str, Any]] = [
    {"name": "orders_count", "kind": "fact", "fact_table": "orders", "aggregation": "count",
     "breakdowns": ["country", "platform"], "breakdown_limit": 3},
    {"name": "orders_15m", "kind": "fact", "fact_table": "orders", "aggregation": "count",
     "interval": "15m"},
    # Breakdowns by a bool and by a number (quarters: '12', '12.25'; ties ranked by text).
    {"name": "orders_by_flag", "kind": "fact", "fact_table": "orders", "aggregation": "count",
     "breakdowns": ["flagged"], "breakdown_limit": None},
    {"name": "orders_by_amount", "kind": "fact", "fact_table": "orders", "aggregation": "count",
     "breakdowns": ["amount"], "breakdown_limit": 4},
    {"name": "revenue", "kind": "fact", "fact_table": "orders", "aggregation": "sum",
     "column": "amount", "filters": ["completed"], "interval": "1h", "breakdowns": ["country"],
     "breakdown_limit": 3},
    {"name": "revenue_daily", "kind": "fact", "fact_table": "orders", "aggregation": "sum",
     "column": "amount", "filters": ["completed"], "breakdowns": ["country"], "breakdown_limit": 3},
    {"name": "avg_mobile", "kind": "fact", "fact_table": "orders", "aggregation": "avg",
     "column": "amount", "where": "amount > 0", "interval": "6h",
     "conditions": [{"column": "platform", "operator": "in", "value": ["ios", "android"]}]},
    {"name": "max_obrien", "kind": "fact", "fact_table": "orders", "aggregation": "max",
     "column": "amount", "conditions": [{"column": "note", "operator": "eq", "value": "O'Brien"}]},
    {"name": "min_amount", "kind": "fact", "fact_table": "orders", "aggregation": "min",
     "column": "amount", "interval": "15m"},
    {"name": "buyers_big_us", "kind": "fact", "fact_table": "orders",
     "aggregation": "count_distinct", "column": "user_id", "filters": ["big_us"], "interval": "1w"},
    {"name": "buyers_weekly", "kind": "fact", "fact_table": "orders",
     "aggregation": "count_distinct", "column": "user_id", "interval": "1w",
     "breakdowns": ["platform"], "breakdown_limit": None},
    # Distinct counts of three columns in one daily scan, filtered and not, one with a
    # top-N breakdown: every piece of the PREAGGREGATE shape (docs/compiler.md).
    {"name": "buyers_completed", "kind": "fact", "fact_table": "orders",
     "aggregation": "count_distinct", "column": "user_id", "filters": ["completed"],
     "breakdowns": ["country"], "breakdown_limit": 3},
    {"name": "users_positive", "kind": "fact", "fact_table": "orders",
     "aggregation": "count_distinct", "column": "user_id", "where": "amount > 0",
     "breakdowns": ["country"], "breakdown_limit": 3},
    # Re-aggregated partials when breakdown groups are folded into Other (FOLD_GROUPS).
    {"name": "avg_by_platform", "kind": "fact", "fact_table": "orders", "aggregation": "avg",
     "column": "amount", "filters": ["completed"], "breakdowns": ["platform"],
     "breakdown_limit": 3},
    {"name": "max_by_platform", "kind": "fact", "fact_table": "orders", "aggregation": "max",
     "column": "amount", "where": "amount > 0", "breakdowns": ["platform"], "breakdown_limit": 3},
    {"name": "priced_by_platform", "kind": "fact", "fact_table": "orders",
     "aggregation": "count", "column": "amount", "breakdowns": ["platform"],
     "breakdown_limit": 3},
    {"name": "countries_pending", "kind": "fact", "fact_table": "orders",
     "aggregation": "count_distinct", "column": "country", "filters": ["pending"]},
    {"name": "platforms_seen", "kind": "fact", "fact_table": "orders",
     "aggregation": "count_distinct", "column": "platform"},
    {"name": "amounts_50pct", "kind": "fact", "fact_table": "orders", "aggregation": "count",
     "column": "amount",
     "conditions": [{"column": "note", "operator": "contains", "value": "50%"}]},
    {"name": "like_metric", "kind": "fact", "fact_table": "orders", "aggregation": "count",
     "interval": "6h", "conditions": [
         {"column": "country", "operator": "like", "value": "_e%"},
         {"column": "note", "operator": "not_like", "value": "%off%"}]},
    {"name": "misc_conditions", "kind": "fact", "fact_table": "orders", "aggregation": "sum",
     "column": "amount", "conditions": [
         {"column": "status", "operator": "ne", "value": "refunded"},
         {"column": "platform", "operator": "not_in", "value": ["web"]},
         {"column": "note", "operator": "not_contains", "value": "_"},
         {"column": "amount", "operator": "lt", "value": 500},
         {"column": "amount", "operator": "lte", "value": 400},
         {"column": "amount", "operator": "gt", "value": 1},
         {"column": "user_id", "operator": "is_not_null"},
         {"column": "flagged", "operator": "is_true"}]},
    {"name": "unflagged", "kind": "fact", "fact_table": "orders", "aggregation": "count",
     "interval": "1h", "conditions": [{"column": "flagged", "operator": "is_false"}]},
    {"name": "null_platform", "kind": "fact", "fact_table": "orders", "aggregation": "count",
     "conditions": [{"column": "platform", "operator": "is_null"}],
     "breakdowns": ["country"], "breakdown_limit": None},
    {"name": "quoted_note", "kind": "fact", "fact_table": "orders", "aggregation": "count",
     "conditions": [{"column": "note", "operator": "in", "value": ["dé'jà", "O'Brien"]}]},
    {"name": "pending_sum", "kind": "fact", "fact_table": "orders", "aggregation": "sum",
     "column": "amount", "filters": ["pending"], "interval": "6h"},
    {"name": "pending_avg", "kind": "fact", "fact_table": "orders", "aggregation": "avg",
     "column": "amount", "filters": ["pending"], "interval": "6h"},
    {"name": "aov", "kind": "fact", "breakdowns": ["platform"], "breakdown_limit": 2,
     "numerator": {"fact_table": "orders", "aggregation": "sum", "column": "amount",
                   "filters": ["completed"]},
     "denominator": {"fact_table": "orders", "aggregation": "count", "filters": ["completed"]}},
    {"name": "obrien_share", "kind": "fact", "interval": "6h",
     "numerator": {"fact_table": "orders", "aggregation": "count", "conditions": [
         {"column": "note", "operator": "eq", "value": "O'Brien"}]},
     "denominator": {"fact_table": "orders", "aggregation": "count"}},
    {"name": "conversion", "kind": "fact",
     "numerator": {"fact_table": "orders", "aggregation": "count", "filters": ["completed"]},
     "denominator": {"fact_table": "sessions", "aggregation": "count_distinct",
                     "column": "user_id"}},
    # Same table, but SEPARATE puts the distinct numerator in a query of its own.
    {"name": "buyers_per_order", "kind": "fact",
     "numerator": {"fact_table": "orders", "aggregation": "count_distinct", "column": "user_id",
                   "filters": ["completed"]},
     "denominator": {"fact_table": "orders", "aggregation": "count"}},
    {"name": "orders_chunked", "kind": "fact", "fact_table": "orders", "aggregation": "count",
     "filters": ["completed"], "chunk": "2d", "breakdowns": ["country"], "breakdown_limit": 3},
    {"name": "refunds_sql", "kind": "sql", "interval": "1h", "sql": ""},  # sql set per engine
    {"name": "orders_per_user", "kind": "composition", "numerator": "orders_count",
     "per_distinct": {"fact_table": "orders", "column": "user_id"}},
]  # fmt: skip

REFUNDS_SQL = (
    "SELECT ts AS bucket, amount AS value FROM {orders} "
    "WHERE status = 'refunded' AND ts >= {{{{ start }}}} AND ts < {{{{ end }}}}"
)


def window_for(name: str) -> Window:
    return WEEKS if name in ("buyers_big_us", "buyers_weekly") else WINDOW


def build_project(orders: str, sessions: str) -> Project:
    """The project with fact tables reading the loaded tables' qualified names."""
    facts = [
        FactTable.model_validate({
            "name": "orders", "timestamp_column": "ts",
            "sql": f"SELECT * FROM {orders} WHERE ts < {{{{ end }}}}",
            # Declared types: their breakdown values are spelled alike on every engine.
            "columns": [{"name": "flagged", "type": "bool"}, {"name": "amount", "type": "number"}],
            "row_filters": [
                {"name": "completed", "sql": "status = 'completed'"},
                {"name": "pending", "sql": "status = 'pending'"},
                {"name": "big_us", "conditions": [
                    {"column": "country", "operator": "eq", "value": "us"},
                    {"column": "amount", "operator": "gte", "value": 100}]},
            ],
        }),
        # A CTE of the user's own: hoisted to the top of tripl's WITH.
        FactTable(
            name="sessions",
            sql=f"WITH s AS (SELECT * FROM {sessions} WHERE ts >= {{{{ start }}}}) SELECT * FROM s",
            timestamp_column="ts",
        ),
    ]  # fmt: skip
    adapter: TypeAdapter[Any] = TypeAdapter(Metric)
    metrics = {}
    for raw in _METRICS:
        data = dict(raw)
        if data["kind"] == "sql":
            data["sql"] = REFUNDS_SQL.format(orders=orders)
        metrics[data["name"]] = adapter.validate_python(data)
    return Project(
        root=Path(),
        config=ProjectConfig(name="conformance"),
        fact_tables={f.name: f for f in facts},
        metrics=metrics,
    )


def refunds(rows: list[Row]) -> Any:
    """The SQL metric's rows for a window, in Python."""

    def run(window: Window) -> list[tuple[datetime, Any]]:
        return [
            (r["ts"], r["amount"])
            for r in rows
            if r["status"] == "refunded" and window.contains(r["ts"])
        ]

    return run


INTERVALS = {Interval(m.get("interval", "1d")) for m in _METRICS}
