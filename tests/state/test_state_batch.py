"""Many metrics in one `replace_windows`: the same rows as one write per metric, in a
bounded number of statements (both backends)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from tests.state.state_testlib import hours, raw_rows, value_set
from tripl_cli.state import StateStore, WindowWrite
from tripl_cli.state.values import IN_LIST

#: More metrics than two `IN (…)` lists hold.
METRICS = 2 * IN_LIST + 7


def _writes(round_: int, prefix: str = "m") -> list[WindowWrite]:
    """Metrics of every shape: three windows, totals with and without a breakdown,
    breakdown-only, declared breakdown columns without values, with and without a status;
    the second round drops some buckets and keys (of declared columns), which must vanish."""
    writes = []
    for i in range(METRICS):
        name = f"{prefix}{i:04d}"
        window = hours(24 * (i % 3), 24 * (i % 3) + 6)
        first = window.start.hour + 24 * (i % 3)
        buckets = range(first, first + (6 if round_ == 1 else 3 + i % 3))
        keys = ["US", "DE", "FR"][: i % 4] if round_ == 1 else ["US", "DE", "FR"][: i % 3]
        values = value_set(name, buckets, base=1000 * i + round_, keys=keys)
        breakdown_only = i % 5 == 0
        if breakdown_only:
            values = [v for v in values if v.breakdown[0]]
        writes.append(
            WindowWrite(
                name,
                window,
                values,
                definition_hash="h",
                run_id=f"r{round_}",
                breakdown_columns=(("country",) if i % 4 else ())
                + (("platform",) if i % 7 == 0 else ()),
                include_total=not breakdown_only,
                status="success" if i % 2 else None,
            )
        )
    return writes


@contextmanager
def _counted(store: StateStore) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)


def _rows(store: StateStore, prefix: str) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of `prefix`'s metrics, named without it (the metric is the first column)."""
    tables = {
        "values": raw_rows(store, "tripl_metric_values"),
        "breakdowns": raw_rows(store, "tripl_breakdown_values"),
        "status": raw_rows(store, "tripl_metric_status", skip={"updated_at"}),
    }
    return {
        name: [(row[0][len(prefix) :], *row[1:]) for row in rows if row[0].startswith(prefix)]
        for name, rows in tables.items()
    }


def test_one_batch_stores_what_one_write_per_metric_stores(store: StateStore) -> None:
    for round_ in (1, 2):
        writes = _writes(round_, "batch_")
        with _counted(store) as statements:
            written = store.replace_windows(writes)
        for write in _writes(round_, "alone_"):
            store.replace_windows([write])
        assert written == [len(w.values) for w in writes]
        # Per (window, breakdown columns) shape and per IN list, not per metric: one
        # write per metric took ~7 statements each (7,000 round trips for 1,000 metrics).
        assert len(statements) < 60, len(statements)
        assert _rows(store, "batch_") == _rows(store, "alone_")
    # The second round's shorter series and fewer keys replaced the first's.
    rows = _rows(store, "batch_")
    assert len(rows["status"]) == METRICS
    stale = [r for r in rows["values"] + rows["breakdowns"] + rows["status"] if "r2" not in r]
    assert not stale, stale[:3]
    status = store.metric_status("batch_0001")
    assert status is not None and status.watermark == hours(27, 28).start
    assert status.last_status == "success"


def test_a_bad_value_in_one_write_stores_none_of_the_batch(store: StateStore) -> None:
    good, bad = _writes(1)[1:3]
    bad = WindowWrite(
        bad.metric, hours(0, 1), value_set(bad.metric, [5], base=1), "h", "r1"
    )  # a bucket outside its window
    with pytest.raises(ValueError, match="outside the window"):
        store.replace_windows([good, bad])
    assert store.read_series(good.metric) == []
    assert store.metric_status(good.metric) is None


def test_two_writes_of_one_metric_in_a_batch_are_refused(store: StateStore) -> None:
    write = _writes(1)[1]
    with pytest.raises(ValueError, match="one write per metric"):
        store.replace_windows([write, write])
