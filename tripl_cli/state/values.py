"""Metric and breakdown values: window replacement, reset, and series reads.

Functions take a `Connection` already inside a transaction; `StateStore` owns transactions.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tripl_cli.state import bulk
from tripl_cli.state.schema import anomalies, breakdown_values, metric_status, metric_values
from tripl_cli.state.upsert import upsert
from tripl_cli.timegrid import Window, as_utc
from tripl_cli.types import TOTAL, MetricValue, SeriesPoint

logger = logging.getLogger(__name__)

#: Rows per executemany/COPY batch: bounds memory on million-value windows.
BATCH_ROWS = 20_000


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


def _insert_values(
    conn: sa.Connection,
    metric: str,
    window: Window,
    values: Sequence[MetricValue],
    *,
    definition_hash: str,
    run_id: str,
) -> int:
    """Validate, bind and insert in one pass (a bad value aborts the whole transaction)."""
    bind_ts = bulk.timestamp_binder(conn.dialect)
    totals = _Batcher(conn, metric_values, _TOTAL_COLUMNS)
    parts = _Batcher(conn, breakdown_values, _BREAKDOWN_COLUMNS)
    warned = False  # about an infinite value, once per write
    for v in values:
        if v.metric != metric:
            raise ValueError(f"value of metric {v.metric!r} passed to a write of {metric!r}")
        ts = v.bucket if v.bucket.tzinfo is UTC else as_utc(v.bucket)
        if not window.start <= ts < window.end:
            raise ValueError(
                f"{metric}: bucket {ts.isoformat()} is outside the window "
                f"[{window.start.isoformat()}, {window.end.isoformat()})"
            )
        numbers = (_clean(v.value), _clean(v.numerator), _clean(v.denominator))
        if not warned and v.value is not None and math.isinf(v.value):
            warned = True
            logger.warning("%s: an infinite value (bucket %s) is stored as a gap", metric, ts)
        column, key = v.breakdown
        if column:
            parts.add((metric, column, bind_ts(ts), key, *numbers, run_id))
        elif key:
            raise ValueError(f"{metric}: breakdown {v.breakdown!r} has no column name")
        else:
            totals.add((metric, bind_ts(ts), *numbers, definition_hash, run_id))
    totals.flush()
    parts.flush()
    return totals.written + parts.written


def stored_hash(conn: sa.Connection, metric: str) -> str | None:
    query = sa.select(metric_status.c.definition_hash).where(metric_status.c.metric == metric)
    return conn.execute(query).scalar_one_or_none()


def replace_window(
    conn: sa.Connection,
    metric: str,
    window: Window,
    values: Sequence[MetricValue],
    *,
    definition_hash: str,
    run_id: str,
    breakdown_columns: Sequence[str],
    include_total: bool,
    now: datetime,
    status: str | None = None,
) -> int:
    """Delete the window's rows, insert `values`, move the watermark (and, given a `status`,
    record it as the metric's last collection status, its last error cleared); returns rows
    written."""
    columns = _present_columns(values, include_total=include_total)
    columns |= set(breakdown_columns)
    previous = stored_hash(conn, metric)
    if previous is not None and previous != definition_hash:
        raise ValueError(
            f"{metric}: stored history has definition hash {previous}, this write has "
            f"{definition_hash}; write with reset=True (or call reset_metric() first)"
        )
    in_window = sa.and_(
        metric_values.c.metric == metric,
        metric_values.c.bucket >= window.start,
        metric_values.c.bucket < window.end,
    )
    if include_total:
        conn.execute(sa.delete(metric_values).where(in_window))
    if columns:
        conn.execute(
            sa.delete(breakdown_values).where(
                breakdown_values.c.metric == metric,
                breakdown_values.c.breakdown_column.in_(sorted(columns)),
                breakdown_values.c.bucket >= window.start,
                breakdown_values.c.bucket < window.end,
            )
        )
    written = _insert_values(
        conn, metric, window, values, definition_hash=definition_hash, run_id=run_id
    )
    _move_watermark(
        conn, metric, window, definition_hash=definition_hash, run_id=run_id, now=now,
        status=status,
    )  # fmt: skip
    return written


def _move_watermark(
    conn: sa.Connection,
    metric: str,
    window: Window,
    *,
    definition_hash: str,
    run_id: str,
    now: datetime,
    status: str | None,
) -> None:
    """watermark = the newest stored bucket (totals; breakdowns when no totals are stored).

    collected_until = max(its old value, window.end): rewriting an old window (a bounded
    `--start/--end` backfill) never moves it, so detection never zero-fills buckets no run
    collected.
    """
    watermark = conn.execute(
        sa.select(sa.func.max(metric_values.c.bucket)).where(metric_values.c.metric == metric)
    ).scalar_one()
    if watermark is None:
        watermark = conn.execute(
            sa.select(sa.func.max(breakdown_values.c.bucket)).where(
                breakdown_values.c.metric == metric
            )
        ).scalar_one()
    collected = conn.execute(
        sa.select(metric_status.c.collected_until).where(metric_status.c.metric == metric)
    ).scalar_one_or_none()
    until: datetime | None = collected
    if not window.empty:  # an empty window collected nothing: it teaches nothing
        until = as_utc(window.end) if collected is None else max(collected, as_utc(window.end))
    row: dict[str, object] = {
        "metric": metric,
        "definition_hash": definition_hash,
        "watermark": watermark,
        "last_run_id": run_id,
        "updated_at": now,
        "collected_until": until,
    }
    if status is not None:
        row |= {"last_status": status, "last_error": None}
    upsert(conn, metric_status, row, keys=["metric"])


def relabel_hash(conn: sa.Connection, metric: str, old: str, new: str) -> None:
    """The same definition under its newer hash: the status and every stored row agree."""
    for table in (metric_status, metric_values):
        conn.execute(
            sa.update(table)
            .where(table.c.metric == metric, table.c.definition_hash == old)
            .values(definition_hash=new)
        )


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
