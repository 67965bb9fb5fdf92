"""Run history and per-metric collection status."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa

from tripl_cli.state.records import MetricStatus, RunRecord, RunStatus
from tripl_cli.state.schema import metric_status, runs
from tripl_cli.state.upsert import upsert


def start_run(
    conn: sa.Connection, run_id: str, *, command: str, tripl_version: str, started_at: datetime
) -> None:
    conn.execute(
        sa.insert(runs).values(
            run_id=run_id,
            started_at=started_at,
            status=RunStatus.RUNNING.value,
            command=command,
            tripl_version=tripl_version,
        )
    )


def finish_run(
    conn: sa.Connection,
    run_id: str,
    *,
    status: str,
    summary: Mapping[str, object] | None,
    finished_at: datetime,
) -> None:
    result = conn.execute(
        sa.update(runs)
        .where(runs.c.run_id == run_id)
        .values(status=status, finished_at=finished_at, summary=dict(summary or {}))
    )
    if result.rowcount == 0:
        raise ValueError(f"finish_run: no run {run_id!r} was started")


def list_runs(conn: sa.Connection, *, limit: int) -> list[RunRecord]:
    """The newest runs first."""
    query = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.run_id).limit(limit)
    return [
        RunRecord(
            run_id=row.run_id,
            started_at=row.started_at,
            finished_at=row.finished_at,
            status=row.status,
            command=row.command,
            tripl_version=row.tripl_version,
            summary=row.summary,
        )
        for row in conn.execute(query)
    ]


def record_status(
    conn: sa.Connection,
    metric: str,
    *,
    status: str,
    run_id: str,
    error: str | None,
    definition_hash: str | None,
    now: datetime,
) -> None:
    """The outcome of collecting one metric in one run (error None clears the last error)."""
    row: dict[str, object] = {
        "metric": metric,
        "last_status": status,
        "last_error": error,
        "last_run_id": run_id,
        "updated_at": now,
    }
    if definition_hash is not None:
        row["definition_hash"] = definition_hash
    upsert(conn, metric_status, row, keys=["metric"])


def metric_statuses(conn: sa.Connection, metric: str | None = None) -> dict[str, MetricStatus]:
    query = sa.select(metric_status).order_by(metric_status.c.metric)
    if metric is not None:
        query = query.where(metric_status.c.metric == metric)
    return {
        row.metric: MetricStatus(
            metric=row.metric,
            definition_hash=row.definition_hash,
            watermark=row.watermark,
            last_status=row.last_status,
            last_error=row.last_error,
            last_run_id=row.last_run_id,
            updated_at=row.updated_at,
            collected_until=row.collected_until,
            breakdown_spec=row.breakdown_spec,
        )
        for row in conn.execute(query)
    }
