"""How fast the state store writes values: `python bench/state_write.py [--values N]`.

Writes N values (20 metrics; per metric hourly buckets with a total and 9 breakdown values)
through `StateStore.replace_window`, twice: the first pass inserts into an empty store, the
second replaces the same windows (delete + insert), as every re-run does. Prints values/second
for SQLite (a temp file) and PostgreSQL (a throwaway database on --pg-admin-url; skipped with a
note when unreachable).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from tripl_cli.state import StateStore, open_store
from tripl_cli.timegrid import Window
from tripl_cli.types import MetricValue

METRICS = 20
BREAKDOWN_VALUES = 9
START = datetime(2024, 1, 1, tzinfo=UTC)


def make_values(total: int) -> dict[str, tuple[Window, list[MetricValue]]]:
    per_bucket = 1 + BREAKDOWN_VALUES
    buckets = max(1, total // (METRICS * per_bucket))
    window = Window(START, START + timedelta(hours=buckets))
    out: dict[str, tuple[Window, list[MetricValue]]] = {}
    for m in range(METRICS):
        name = f"metric_{m:02d}"
        rows: list[MetricValue] = []
        for b in range(buckets):
            bucket = START + timedelta(hours=b)
            rows.append(MetricValue(name, bucket, float(b * 7 % 1000) + 0.25, numerator=b))
            for k in range(BREAKDOWN_VALUES):
                rows.append(MetricValue(name, bucket, float(k + b % 13), ("country", f"c{k}")))
        out[name] = (window, rows)
    return out


def run_pass(store: StateStore, data: dict[str, tuple[Window, list[MetricValue]]]) -> float:
    began = time.perf_counter()
    for name, (window, rows) in data.items():
        store.replace_window(
            name, window, rows, definition_hash="h", run_id="bench", breakdown_columns=["country"]
        )
    return time.perf_counter() - began


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str | None]:
    name = f"tripl_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        print(f"postgresql: unreachable ({type(exc).__name__}), skipped", file=sys.stderr)
        yield None
        return
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def bench(label: str, store: StateStore, data: dict[str, tuple[Window, list[MetricValue]]]) -> None:
    count = sum(len(rows) for _w, rows in data.values())
    first = run_pass(store, data)
    second = run_pass(store, data)
    print(
        f"{label:<11} {count:>9,} values   insert {first:6.2f}s = {count / first:>9,.0f} values/s"
        f"   replace {second:6.2f}s = {count / second:>9,.0f} values/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument(
        "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    data = make_values(args.values)
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_store(None, project_root=Path(tmp), target="bench") as store,
    ):
        bench("sqlite", store, data)
    with postgres_database(args.pg_admin_url) as url:
        if url is not None:
            with open_store(url, project_root=Path(), target="bench") as store:
                bench("postgresql", store, data)


if __name__ == "__main__":
    main()
