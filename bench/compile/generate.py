"""Generate a large synthetic tripl project for the compile benchmark.

The project mixes every metric kind, row filters of both forms, inline `where` and
`conditions`, breakdowns and every interval, in proportions a real team might have:
mostly single aggregates, some ratios, a few SQL metrics and compositions. It is seeded,
so two runs time the same project.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

INTERVALS = ("15m", "1h", "6h", "1d", "1d", "1d", "1w")  # daily is the common case
AGGREGATIONS = ("count", "sum", "avg", "min", "max", "count_distinct")
NUMBER_COLUMNS = ("amount", "qty", "duration_ms")
BREAKDOWN_COLUMNS = ("country", "platform", "device", "channel")
IDENTIFIERS = ("user_id", "session_id")
METRICS_PER_FILE = 50


@dataclass(frozen=True)
class GeneratedProject:
    root: Path
    fact_tables: int
    metrics: int
    kinds: dict[str, int]


def generate_project(
    dest: Path, *, metrics: int = 1000, fact_tables: int = 20, seed: int = 0
) -> GeneratedProject:
    """Write `tripl_project.yml`, `profiles.yml`, `fact_tables/` and `metrics/` into `dest`."""
    rng = random.Random(seed)
    tables = [f"events_{i:02d}" for i in range(fact_tables)]
    _write(dest / "tripl_project.yml", {"name": "compile_bench", "profile": "bench"})
    _write(
        dest / "profiles.yml",
        {"bench": {"target": "dev", "outputs": {"dev": {"type": "duckdb", "path": ":memory:"}}}},
    )
    _write(dest / "fact_tables" / "events.yml", {"fact_tables": [_fact_table(t) for t in tables]})
    defined: list[dict[str, Any]] = []
    kinds: dict[str, int] = {}
    for index in range(metrics):
        metric = _metric(rng, index, tables, defined)
        kind = metric.pop("_shape")
        kinds[kind] = kinds.get(kind, 0) + 1
        defined.append(metric)
    for start in range(0, len(defined), METRICS_PER_FILE):
        chunk = defined[start : start + METRICS_PER_FILE]
        _write(dest / "metrics" / f"group_{start // METRICS_PER_FILE:03d}.yml", {"metrics": chunk})
    return GeneratedProject(dest, fact_tables, metrics, kinds)


class _Dumper(yaml.SafeDumper):
    """Writes multi-line strings (SQL) as `|` blocks, as a person would."""


def _str_representer(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str_representer)


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


def _fact_table(name: str) -> dict[str, Any]:
    columns = ["ts", *IDENTIFIERS, *NUMBER_COLUMNS, "status", *BREAKDOWN_COLUMNS, "is_test"]
    types = {"ts": "timestamp", "is_test": "bool", **dict.fromkeys(NUMBER_COLUMNS, "number")}
    return {
        "name": name,
        "sql": f"SELECT {', '.join(columns)} FROM raw.{name}\nWHERE ts >= {{{{ start }}}}",
        "timestamp_column": "ts",
        "columns": [{"name": c, "type": types.get(c, "string")} for c in columns],
        "identifier_columns": list(IDENTIFIERS),
        "row_filters": [
            {"name": "completed", "sql": "status = 'completed'"},
            {"name": "not_test", "conditions": [{"column": "is_test", "operator": "is_false"}]},
            {
                "name": "us_only",
                "conditions": [{"column": "country", "operator": "eq", "value": "US"}],
            },
            {
                "name": "mobile",
                "conditions": [
                    {"column": "platform", "operator": "in", "value": ["ios", "android"]}
                ],
            },
            {"name": "big", "conditions": [{"column": "amount", "operator": "gte", "value": 100}]},
        ],
        "tags": ["bench"],
        "owner": "bench",
    }


def _measure(rng: random.Random, table: str, aggregation: str | None = None) -> dict[str, Any]:
    agg = aggregation or rng.choice(AGGREGATIONS)
    measure: dict[str, Any] = {"fact_table": table, "aggregation": agg}
    if agg == "count_distinct":
        measure["column"] = rng.choice(IDENTIFIERS)
    elif agg != "count":
        measure["column"] = rng.choice(NUMBER_COLUMNS)
    filters = rng.sample(["completed", "not_test", "us_only", "mobile", "big"], rng.randint(0, 2))
    if filters:
        measure["filters"] = filters
    if rng.random() < 0.15:
        measure["where"] = f"qty > {rng.randint(0, 5)}"
    if rng.random() < 0.15:
        measure["conditions"] = [
            {"column": "channel", "operator": "ne", "value": rng.choice(["ads", "email", "seo"])}
        ]
    return measure


def _metric(
    rng: random.Random, index: int, tables: list[str], defined: list[dict[str, Any]]
) -> dict[str, Any]:
    name = f"m_{index:04d}"
    interval = rng.choice(INTERVALS)
    table = tables[index % len(tables)]
    roll = rng.random()
    singles = [m for m in defined if m.get("aggregation") and m.get("interval") == interval]
    if roll < 0.08 and len(singles) >= 2:
        return _composition(rng, name, interval, singles)
    if roll < 0.13:
        return _sql_metric(rng, name, table)
    if roll < 0.30:
        other = table if roll < 0.25 else rng.choice(tables)
        metric = {
            "name": name,
            "kind": "fact",
            "interval": interval,
            "numerator": _measure(rng, table),
            "denominator": _measure(rng, other, "count"),
            "_shape": "ratio" if other == table else "cross_table_ratio",
        }
        if other == table and rng.random() < 0.3:
            metric["breakdowns"] = [rng.choice(BREAKDOWN_COLUMNS)]
        return metric
    metric = {"name": name, "kind": "fact", "interval": interval, **_measure(rng, table)}
    metric["_shape"] = f"fact_{metric['aggregation']}"
    if rng.random() < 0.3:
        metric["breakdowns"] = rng.sample(BREAKDOWN_COLUMNS, rng.randint(1, 2))
    metric["tags"] = [rng.choice(["finance", "growth", "product"])]
    return metric


def _composition(
    rng: random.Random, name: str, interval: str, singles: list[dict[str, Any]]
) -> dict[str, Any]:
    numerator, denominator = rng.sample(singles, 2)
    if rng.random() < 0.5:
        return {
            "name": name,
            "kind": "composition",
            "numerator": numerator["name"],
            "denominator": denominator["name"],
            "_shape": "composition",
        }
    return {
        "name": name,
        "kind": "composition",
        "numerator": numerator["name"],
        "per_distinct": {"fact_table": numerator["fact_table"], "column": "user_id"},
        "_shape": "composition_per_distinct",
    }


def _sql_metric(rng: random.Random, name: str, table: str) -> dict[str, Any]:
    # Daily: `date_trunc('day', …)` is the one bucket expression every dialect transpiles.
    return {
        "name": name,
        "kind": "sql",
        "interval": "1d",
        "sql": (
            "SELECT date_trunc('day', ts) AS bucket, "
            f"count(DISTINCT user_id) * {rng.randint(1, 3)} AS value\n"
            f"FROM raw.{table}\nWHERE ts >= {{{{ start }}}} AND ts < {{{{ end }}}}\nGROUP BY 1"
        ),
        "_shape": "sql",
    }
