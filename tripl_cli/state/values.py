"""Metric and breakdown values: window replacement, reset, and series reads.

Functions take a `Connection` already inside a transaction; `StateStore` owns transactions.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tripl_cli.state import bulk
from tripl_cli.state.records import WindowWrite
from tripl_cli.state.schema import anomalies, breakdown_values, metric_status, metric_values
from tripl_cli.state.upsert import upsert, upsert_many
from tripl_cli.timegrid import Window, as_utc
from tripl_cli.types import TOTAL, MetricValue, SeriesPoint

logger = logging.getLogger(__name__)

#: Rows per executemany/COPY batch: bounds memory on million-value windows.
BATCH_ROWS = 20_000
#: Metric names per `IN (…)` list: below SQLite's oldest bound-parameter limit (999).
IN_LIST = 500


def _clean(number: float | None) -> float | None:
    # NaN is not a value (SQLite would store NULL, PostgreSQL NaN), nor is ±inf (a division
    # by zero in a SQL metric; JSON has no word for it): a gap everywhere.
    return None if number is None or not math.isfinite(number) else float(number)


def _present_columns(values: Sequence[MetricValue], *, include_total: bool) -> set[str]:
    """The breakdown columns among `values` (whose old rows the write must delete)."""
    columns = {v.breakdown[0] for v in values}
    if "" in columns and not include_total:
        raise ValueError("a total value passed to a breakdown-only write")
    columns.discard("")
    return columns


_TOTAL_COLUMNS = (
    "metric",
    "bucket",
    "value",
    "numerator",
    "denominator",
    "definition_hash",
    "run_id",
)
_BREAKDOWN_COLUMNS = (
    "metric",
    "breakdown_column",
    "bucket",
    "breakdown_value",
    "value",
    "numerator",
    "denominator",
    "run_id",
)


class _Batcher:
    """Collects insert tuples for one table and sends them in `BATCH_ROWS`-sized batches."""

    def __init__(self, conn: sa.Connection, table: sa.Table, names: tuple[str, ...]) -> None:
        self.conn, self.table, self.names = conn, table, names
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        bulk.insert_rows(self.conn, self.table, self.names, self.rows)
        self.written += len(self.rows)
        self.rows = []


def _bound_rows(
    write: WindowWrite, bind_ts: Callable[[datetime], Any]
) -> Iterator[tuple[bool, tuple[Any, ...]]]:
    """Validate and bind one write's values: (is a total, row) in insert column order.

    Written for speed (a backfill binds millions): fields unpacked once, `_clean` inlined.
    """
    metric, start, end = write.metric, write.window.start, write.window.end
    definition_hash, run_id = write.definition_hash, write.run_id
    isfinite = math.isfinite
    warned = False  # about an infinite value, once per write
    for name, bucket, value, (column, key), numerator, denominator in write.values:
        if name != metric:
            raise ValueError(f"value of metric {name!r} passed to a write of {metric!r}")
        ts = bucket if bucket.tzinfo is UTC else as_utc(bucket)
        if not start <= ts < end:
            raise ValueError(
                f"{metric}: bucket {ts.isoformat()} is outside the window "
                f"[{start.isoformat()}, {end.isoformat()})"
            )
        if value is not None:
            value = float(value)
            if not isfinite(value):
                if not warned and math.isinf(value):
                    warned = True
                    logger.warning(
                        "%s: an infinite value (bucket %s) is stored as a gap", metric, ts
                    )
                value = None
        if numerator is not None or denominator is not None:
            numerator, denominator = _clean(numerator), _clean(denominator)
        if column:
            yield False, (metric, column, bind_ts(ts), key, value, numerator, denominator, run_id)
        elif key:
            raise ValueError(f"{metric}: breakdown {(column, key)!r} has no column name")
        else:
            yield (
                True,
                (metric, bind_ts(ts), value, numerator, denominator, definition_hash, run_id),
            )


def _in_chunks(names: Sequence[str]) -> Iterator[list[str]]:
    """`IN (…)` lists short enough for every backend's bound-parameter limit."""
    for i in range(0, len(names), IN_LIST):
        yield list(names[i : i + IN_LIST])


def _statuses(
    conn: sa.Connection, metrics: Sequence[str]
) -> dict[str, tuple[str, datetime | None]]:
    """metric → (stored definition hash, collected_until), for metrics that have a status."""
    t = metric_status
    found: dict[str, tuple[str, datetime | None]] = {}
    for chunk in _in_chunks(metrics):
        query = sa.select(t.c.metric, t.c.definition_hash, t.c.collected_until)
        for metric, stored, until in conn.execute(query.where(t.c.metric.in_(chunk))):
            found[metric] = (stored, until)
    return found


def _newest(conn: sa.Connection, table: sa.Table, metrics: Sequence[str]) -> dict[str, datetime]:
    """metric → its newest bucket in `table` (metrics without rows there are absent)."""
    newest: dict[str, datetime] = {}
    for chunk in _in_chunks(metrics):
        query = (
            sa.select(table.c.metric, sa.func.max(table.c.bucket))
            .where(table.c.metric.in_(chunk))
            .group_by(table.c.metric)
        )
        newest.update((metric, bucket) for metric, bucket in conn.execute(query))
    return newest


def _delete_windows(conn: sa.Connection, writes: Sequence[WindowWrite]) -> None:
    """Delete every write's old rows: one statement per (window, breakdown columns) shape,
    not per metric (a run of 1,000 metrics shares a handful of windows)."""
    totals: dict[Window, list[str]] = defaultdict(list)
    parts: dict[tuple[Window, tuple[str, ...]], list[str]] = defaultdict(list)
    for w in writes:
        if w.include_total:
            totals[w.window].append(w.metric)
        present = _present_columns(w.values, include_total=w.include_total)
        present |= set(w.breakdown_columns)
        if present:
            parts[(w.window, tuple(sorted(present)))].append(w.metric)
    for window, metrics in totals.items():
        t = metric_values
        for chunk in _in_chunks(metrics):
            conn.execute(
                sa.delete(t).where(
                    t.c.metric.in_(chunk), t.c.bucket >= window.start, t.c.bucket < window.end
                )
            )
    for (window, columns), metrics in parts.items():
        b = breakdown_values
        for chunk in _in_chunks(metrics):
            conn.execute(
                sa.delete(b).where(
                    b.c.metric.in_(chunk),
                    b.c.breakdown_column.in_(columns),
                    b.c.bucket >= window.start,
                    b.c.bucket < window.end,
                )
            )


def _insert(conn: sa.Connection, writes: Sequence[WindowWrite]) -> list[int]:
    """Insert every write's values in shared batches; returns rows written per write."""
    binder = bulk.timestamp_binder(conn.dialect)
    bound: dict[datetime, Any] = {}  # metrics and breakdown values share a few buckets

    def bind_ts(ts: datetime) -> Any:
        if ts not in bound:
            bound[ts] = binder(ts)
        return bound[ts]

    totals = _Batcher(conn, metric_values, _TOTAL_COLUMNS)
    parts = _Batcher(conn, breakdown_values, _BREAKDOWN_COLUMNS)
    written: list[int] = []
    for w in writes:
        count = 0
        for is_total, row in _bound_rows(w, bind_ts):
            (totals if is_total else parts).add(row)
            count += 1
        written.append(count)
    totals.flush()
    parts.flush()
    return written


def replace_windows(
    conn: sa.Connection, writes: Sequence[WindowWrite], *, now: datetime
) -> list[int]:
    """Delete each write's window, insert its values, move its watermark (and, given a
    `status`, record it as the metric's last collection status, its last error cleared);
    returns rows written per write. A few statements serve all the writes (one metric
    each): statements per metric made 1,000 metrics cost ~7,000 round trips."""
    metrics = [w.metric for w in writes]
    repeated = sorted(m for m, n in Counter(metrics).items() if n > 1)
    if repeated:
        raise ValueError(f"one write per metric, got several of {', '.join(repeated)}")
    statuses = _statuses(conn, metrics)
    for w in writes:
        previous = statuses.get(w.metric, (None, None))[0]
        if previous is not None and previous != w.definition_hash:
            raise ValueError(
                f"{w.metric}: stored history has definition hash {previous}, this write has "
                f"{w.definition_hash}; write with reset=True (or call reset_metric() first)"
            )
    _delete_windows(conn, writes)
    written = _insert(conn, writes)
    _move_watermarks(conn, writes, statuses, now=now)
    return written


def _move_watermarks(
    conn: sa.Connection,
    writes: Sequence[WindowWrite],
    statuses: Mapping[str, tuple[str, datetime | None]],
    *,
    now: datetime,
) -> None:
    """watermark = the newest stored bucket (totals; breakdowns when no totals are stored).

    collected_until = max(its old value, window.end): rewriting an old window (a bounded
    `--start/--end` backfill) never moves it, so detection never zero-fills buckets no run
    collected.
    """
    metrics = [w.metric for w in writes]
    watermarks = _newest(conn, metric_values, metrics)
    without_totals = [m for m in metrics if m not in watermarks]
    watermarks |= _newest(conn, breakdown_values, without_totals)
    rows: list[dict[str, object]] = []
    for w in writes:
        until = statuses.get(w.metric, ("", None))[1]
        if not w.window.empty:  # an empty window collected nothing: it teaches nothing
            end = as_utc(w.window.end)
            until = end if until is None else max(until, end)
        row: dict[str, object] = {
            "metric": w.metric,
            "definition_hash": w.definition_hash,
            "watermark": watermarks.get(w.metric),
            "last_run_id": w.run_id,
            "updated_at": now,
            "collected_until": until,
            "breakdown_spec": w.breakdown_spec,
        }
        if w.status is not None:
            row |= {"last_status": w.status, "last_error": None}
        rows.append(row)
    upsert_many(conn, metric_status, rows, keys=["metric"])


def relabel_hash(conn: sa.Connection, metric: str, old: str, new: str) -> None:
    """The same definition under its newer hash: the status and every stored row agree."""
    for table in (metric_status, metric_values):
        conn.execute(
            sa.update(table)
            .where(table.c.metric == metric, table.c.definition_hash == old)
            .values(definition_hash=new)
        )


def reset_breakdowns(conn: sa.Connection, metric: str, new_hash: str) -> int:
    """Only the metric's breakdowns changed: drop its breakdown series (values and
    anomalies), keep its total series under `new_hash`; returns rows dropped."""
    dropped = conn.execute(
        sa.delete(breakdown_values).where(breakdown_values.c.metric == metric)
    ).rowcount
    dropped += conn.execute(
        sa.delete(anomalies).where(
            anomalies.c.metric == metric, anomalies.c.breakdown_column != TOTAL[0]
        )
    ).rowcount
    for table in (metric_status, metric_values):
        conn.execute(
            sa.update(table).where(table.c.metric == metric).values(definition_hash=new_hash)
        )
    return dropped


def reset_metric(conn: sa.Connection, metric: str, new_hash: str, *, now: datetime) -> int:
    """Drop a metric's stored history (values, breakdowns, anomalies); returns rows dropped."""
    dropped = 0
    for table in (metric_values, breakdown_values, anomalies):
        dropped += conn.execute(sa.delete(table).where(table.c.metric == metric)).rowcount
    upsert(
        conn,
        metric_status,
        {
            "metric": metric,
            "definition_hash": new_hash,
            "watermark": None,
            "collected_until": None,
            "updated_at": now,
        },
        keys=["metric"],
    )
    return dropped


def _range(
    column: sa.ColumnElement[datetime], start: datetime | None, end: datetime | None
) -> list[sa.ColumnElement[bool]]:
    clauses: list[sa.ColumnElement[bool]] = []
    if start is not None:
        clauses.append(column >= as_utc(start))
    if end is not None:
        clauses.append(column < as_utc(end))
    return clauses


def read_series(
    conn: sa.Connection,
    metric: str,
    *,
    breakdown: tuple[str, str],
    start: datetime | None,
    end: datetime | None,
) -> list[SeriesPoint]:
    if breakdown == TOTAL:
        t = metric_values
        where = [t.c.metric == metric, *_range(t.c.bucket, start, end)]
    else:
        t = breakdown_values
        where = [
            t.c.metric == metric,
            t.c.breakdown_column == breakdown[0],
            t.c.breakdown_value == breakdown[1],
            *_range(t.c.bucket, start, end),
        ]
    query = (
        sa.select(t.c.bucket, t.c.value, t.c.numerator, t.c.denominator)
        .where(*where)
        .order_by(t.c.bucket)
    )
    return [SeriesPoint(*row) for row in conn.execute(query)]


def read_breakdowns(
    conn: sa.Connection,
    metric: str,
    column: str,
    *,
    start: datetime | None,
    end: datetime | None,
) -> dict[str, list[SeriesPoint]]:
    """Every value of one breakdown column: `{value: series}`, values sorted."""
    t = breakdown_values
    query = (
        sa.select(t.c.breakdown_value, t.c.bucket, t.c.value, t.c.numerator, t.c.denominator)
        .where(t.c.metric == metric, t.c.breakdown_column == column)
        .where(*_range(t.c.bucket, start, end))
        .order_by(t.c.breakdown_value, t.c.bucket)
    )
    out: dict[str, list[SeriesPoint]] = {}
    for key, bucket, value, numerator, denominator in conn.execute(query):
        out.setdefault(key, []).append(SeriesPoint(bucket, value, numerator, denominator))
    # Sorted here, not by the database: collations differ between backends.
    return dict(sorted(out.items()))


def breakdown_columns(conn: sa.Connection, metric: str) -> list[str]:
    t = breakdown_values
    query = (
        sa.select(t.c.breakdown_column)
        .where(t.c.metric == metric)
        .distinct()
        .order_by(t.c.breakdown_column)
    )
    return list(conn.execute(query).scalars())
