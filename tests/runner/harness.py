"""Drive `tripl run` on a temp copy of a fixture project, in-process, and read the state back.

chdb and fakesnow only work in this interpreter, so the CLI runs through typer's CliRunner
(global options first: hoisting them is the console script's job, not click's).
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner, Result

from tests.compiler.reference import Key
from tripl_cli.api.project_api import open_project
from tripl_cli.cli.main import app
from tripl_cli.project.model import Project
from tripl_cli.state.store import StateStore, open_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "projects"
CONFORMANCE = FIXTURES / "conformance"
TARGET = "test"
#: A stored value as (value, numerator, denominator).
Stored = tuple[float | None, float | None, float | None]


@dataclass
class Workspace:
    """A fixture project copied to `root`, with a profiles.yml reaching one engine."""

    root: Path
    cli_vars: dict[str, Any] = field(default_factory=dict)

    @property
    def state_path(self) -> Path:
        return self.root / ".tripl" / f"{TARGET}.db"

    def project(self) -> Project:
        return open_project(self.root, self.cli_vars)

    def cli(self, *args: str) -> Result:
        """`tripl --project-dir ROOT --vars … ARGS`, in-process."""
        head = ["--project-dir", str(self.root)]
        if self.cli_vars:
            head += ["--vars", json.dumps(self.cli_vars)]
        try:
            return CliRunner().invoke(app, [*head, *args], catch_exceptions=False)
        finally:
            # The CLI logs to the stderr CliRunner captured (and has closed by now).
            logging.getLogger("tripl_cli").handlers.clear()

    def run(self, *args: str) -> Result:
        return self.cli("run", *args)

    def store(self) -> StateStore:
        return open_store(None, project_root=self.root, target=TARGET)

    def run_results(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.root / "target" / "run_results.json").read_text())
        return data

    def results_by_metric(self) -> dict[str, dict[str, Any]]:
        return {r["metric"]: r for r in self.run_results()["results"]}

    def edit_yaml(self, relative: str, metric: str, **changes: Any) -> None:
        """Change one metric's keys in its YAML file (a user editing the definition)."""
        path = self.root / relative
        doc = yaml.safe_load(path.read_text())
        for entry in doc["metrics"]:
            if entry["name"] == metric:
                entry.update(changes)
        path.write_text(yaml.safe_dump(doc, sort_keys=False))


def make_workspace(
    tmp_path: Path,
    profile_output: dict[str, Any],
    *,
    cli_vars: dict[str, Any] | None = None,
    fixture: Path = CONFORMANCE,
) -> Workspace:
    root = tmp_path / "project"
    shutil.copytree(fixture, root)
    profile = yaml.safe_load((root / "tripl_project.yml").read_text())["profile"]
    profiles = {profile: {"target": TARGET, "outputs": {TARGET: dict(profile_output)}}}
    (root / "profiles.yml").write_text(yaml.safe_dump(profiles, sort_keys=False))
    return Workspace(root, dict(cli_vars or {}))


def stored_values(store: StateStore, metrics: list[str]) -> dict[Key, Stored]:
    """Every stored value of `metrics` as (metric, bucket, breakdown) -> (value, num, den)."""
    out: dict[Key, Stored] = {}
    for name in metrics:
        for p in store.read_series(name):
            out[(name, p.bucket, ("", ""))] = (p.value, p.numerator, p.denominator)
        for column in store.breakdown_columns(name):
            for value, points in store.read_breakdowns(name, column).items():
                for p in points:
                    key = (name, p.bucket, (column, value))
                    out[key] = (p.value, p.numerator, p.denominator)
    return out


def shown_values(ws: Workspace, metrics: list[str]) -> dict[Key, float | None]:
    """Every stored value of `metrics`, read through `tripl show METRIC --format json`."""
    out: dict[Key, float | None] = {}
    for name in metrics:
        result = ws.cli("show", name, "--format", "json", "--last", "100000")
        assert result.exit_code == 0, f"tripl show {name}: {result.output}"
        doc = json.loads(result.stdout)
        for p in doc["points"]:
            out[(name, _bucket(p["bucket"]), ("", ""))] = p["value"]
        for column, series in (doc.get("breakdowns") or {}).items():
            for value, points in series.items():
                for p in points:
                    out[(name, _bucket(p["bucket"]), (column, value))] = p["value"]
    return out


def _bucket(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def value_rows(state_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The raw stored value rows (every column but run_id), exactly as SQLite holds them."""
    tables = {
        "tripl_metric_values": "metric, bucket",
        "tripl_breakdown_values": "metric, breakdown_column, bucket, breakdown_value",
    }
    out: dict[str, list[tuple[Any, ...]]] = {}
    with closing(sqlite3.connect(state_path)) as conn:
        for table, order in tables.items():
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            kept = ", ".join(c for c in columns if c != "run_id")
            rows = conn.execute(
                f"SELECT {', '.join(f'typeof({c}), {c}' for c in columns if c != 'run_id')} "
                f"FROM {table} ORDER BY {order}"
            ).fetchall()
            # repr() of a Python float round-trips its 8 bytes exactly (and tells -0.0 from 0.0).
            rows = [tuple(repr(v) for v in row) for row in rows]
            out[f"{table}({kept})"] = rows
    return out


def project_files(root: Path, *, profile: str, facts: str, metrics: str, config: str) -> Path:
    """A small project on disk: tripl_project.yml (`config`), profiles.yml, one file of fact
    tables (`facts`: the entries under `fact_tables:`) and one of metrics."""
    (root / "fact_tables").mkdir(parents=True)
    (root / "metrics").mkdir()
    (root / "tripl_project.yml").write_text(config)
    (root / "profiles.yml").write_text(profile)
    (root / "fact_tables" / "f.yml").write_text("fact_tables:\n" + facts)
    (root / "metrics" / "m.yml").write_text(metrics)
    return root
