"""MetricFlow, the peer a dbt user would pick, on the same DuckDB file (issue 3, (d)).

dbt-metricflow + dbt-duckdb live in a venv of their own (`ensure_venv`, under
bench/out/collect/, which .gitignore's `bench/**/out/` already ignores): `dbt-core>=1.11,<1.12`
is the pin that installs from the offline index, and a separate venv keeps dbt's pins out of
tripl's environment. `write_dbt_project` generates the dbt project: a view over the fact table,
the semantic model (5 measures, dimensions for every filter), the 20 metrics as simple
metrics with `filter:`s, and a daily time spine. `mf query` answers all 20 by day in one
command (plus `orders` by day and country, the breakdown); its SQL (`--explain`) is then
timed alone, and its CSV compared with tripl's values.
"""

from __future__ import annotations

import csv
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench.collector import spec
from bench.collector.child import run_child

log = logging.getLogger(__name__)

PACKAGES = ("dbt-core>=1.11,<1.12", "dbt-metricflow", "dbt-duckdb")
MODEL = "bench_orders"


def ensure_venv(venv: Path) -> Path:
    """The venv's `mf` executable, creating the venv (one pip install) if needed."""
    mf = venv / "bin" / "mf"
    if mf.exists():
        return mf
    print(f"[metricflow] creating {venv} ({', '.join(PACKAGES)})", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *PACKAGES], check=True)
    return mf


def _semantic_model() -> dict[str, Any]:
    dims = [
        {"name": "ts", "type": "time", "type_params": {"time_granularity": "day"}},
        *({"name": n, "type": "categorical"} for n in ("status", "country", "platform")),
        {"name": "flagged", "type": "categorical"},
        {"name": "amount_value", "type": "categorical", "expr": "amount"},
    ]
    measures = [
        {"name": "order_count", "agg": "sum", "expr": "1"},
        {"name": "priced_count", "agg": "count", "expr": "amount"},
        {"name": "amount_sum", "agg": "sum", "expr": "amount"},
        {"name": "amount_avg", "agg": "average", "expr": "amount"},
        {"name": "distinct_users", "agg": "count_distinct", "expr": "user_id"},
    ]
    return {
        "name": "order",
        "model": f"ref('{MODEL}')",
        "defaults": {"agg_time_dimension": "ts"},
        "primary_entity": "order",
        "entities": [{"name": "user", "type": "foreign", "expr": "user_id"}],
        "dimensions": dims,
        "measures": measures,
    }


def _metrics() -> list[dict[str, Any]]:
    out = []
    for m in spec.METRICS:
        doc: dict[str, Any] = {
            "name": m.name,
            "label": m.name,
            "type": "simple",
            "type_params": {"measure": m.measure},
        }
        if m.filter is not None:
            doc["filter"] = m.filter.metricflow
        out.append(doc)
    return out


def write_dbt_project(root: Path, duckdb_path: Path, table: str) -> None:
    """A dbt project (and profiles.yml) over `table` in the DuckDB file."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    project = {
        "name": "bench_metricflow",
        "version": "1.0.0",
        "profile": "bench_metricflow",
        "model-paths": ["models"],
        "flags": {"send_anonymous_usage_stats": False},
    }
    (root / "dbt_project.yml").write_text(yaml.safe_dump(project, sort_keys=False))
    profiles = {
        "bench_metricflow": {
            "target": "bench",
            "outputs": {"bench": {"type": "duckdb", "path": str(duckdb_path), "threads": 1}},
        }
    }
    (root / "profiles.yml").write_text(yaml.safe_dump(profiles, sort_keys=False))
    # A view: MetricFlow reads the very table tripl reads, not a copy.
    (root / "models" / f"{MODEL}.sql").write_text(
        "{{ config(materialized='view') }}\n"
        f"SELECT ts, user_id, amount, status, country, platform, flagged FROM {table}\n"
    )
    (root / "models" / "metricflow_time_spine.sql").write_text(
        "{{ config(materialized='table') }}\n"
        "SELECT CAST(range AS DATE) AS date_day\n"
        "FROM range(DATE '2025-01-01', DATE '2027-01-01', INTERVAL 1 DAY)\n"
    )
    schema = {
        "version": 2,
        "models": [
            {"name": MODEL},
            {
                "name": "metricflow_time_spine",
                "time_spine": {"standard_granularity_column": "date_day"},
                "columns": [{"name": "date_day", "granularity": "day"}],
            },
        ],
        "semantic_models": [_semantic_model()],
        "metrics": _metrics(),
    }
    (root / "models" / "semantic.yml").write_text(yaml.safe_dump(schema, sort_keys=False))


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DBT_PROFILES_DIR"] = str(root)
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env.pop("VIRTUAL_ENV", None)
    return env


def build(root: Path, venv: Path) -> None:
    """`dbt build`: the view, the time spine and the semantic manifest mf reads."""
    dbt = venv / "bin" / "dbt"
    proc = subprocess.run(
        [str(dbt), "build", "--quiet"], cwd=root, env=_env(root), capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"dbt build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


@dataclass(frozen=True)
class MfRun:
    seconds: float
    peak_mb: float
    csv_path: Path


def _mf_args(metrics: list[str], group_by: str) -> list[str]:
    return ["query", "--metrics", ",".join(metrics), "--group-by", group_by, "--quiet"]


def query(root: Path, mf: Path, metrics: list[str], group_by: str, out: Path) -> MfRun:
    """Run `mf query … --csv out` once: wall seconds and the process's peak RSS."""
    args = [str(mf), *_mf_args(metrics, group_by), "--csv", str(out)]
    done = run_child(args, cwd=root, env=_env(root))
    if done.code != 0 or not out.exists():
        raise RuntimeError(f"mf query failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return MfRun(done.seconds, done.peak_mb, out)


def explain_sql(root: Path, mf: Path, metrics: list[str], group_by: str) -> str:
    """The SQL `mf query` runs (from `--explain`), to time it alone on the warehouse."""
    args = [str(mf), *_mf_args(metrics, group_by)[:-1], "--explain"]
    proc = subprocess.run(args, cwd=root, env=_env(root), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"mf query --explain failed:\n{proc.stdout[-3000:]}")
    # The SQL follows the "🔎 SQL (…):" line and a blank line.
    lines = proc.stdout.splitlines()
    marker = next((i for i, line in enumerate(lines) if line.lstrip().startswith("🔎")), None)
    if marker is None:
        raise RuntimeError(f"no SQL in mf --explain output:\n{proc.stdout[-2000:]}")
    return "\n".join(lines[marker + 1 :]).strip()


def read_csv(path: Path) -> dict[tuple[str, datetime, str], float]:
    """(metric, day, breakdown value or '') → value, from an `mf query --csv` file."""
    out: dict[tuple[str, datetime, str], float] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            day = _day(row.pop("metric_time__day"))
            country = row.pop("order__country", "")
            for name, value in row.items():
                if value not in ("", None, "None", "nan"):
                    out[(name, day, country)] = float(value)
    return out


def _day(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
