"""Builders and raw readers shared by the state tests (independent of the store's reads)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tripl_cli.state import StateStore
from tripl_cli.timegrid import Window
from tripl_cli.types import MetricValue

T0 = datetime(2026, 1, 1, tzinfo=UTC)

#: The `make_store` fixture: opens (and later closes) a store on the test's backend.
OpenStore = Callable[[], StateStore]


def hour(n: int) -> datetime:
    return T0 + timedelta(hours=n)


def hours(start: int, end: int) -> Window:
    return Window(hour(start), hour(end))


def value_set(
    metric: str, buckets: Iterable[int], *, base: float, keys: Iterable[str] = ()
) -> list[MetricValue]:
    """Totals `base + b` and, per key k (index i), breakdown values `base + b * 10 + i`."""
    keys = list(keys)
    out: list[MetricValue] = []
    for b in buckets:
        out.append(MetricValue(metric, hour(b), base + b, numerator=base + b, denominator=1.0))
        for i, key in enumerate(keys):
            out.append(MetricValue(metric, hour(b), base + b * 10 + i, ("country", key)))
    return out


def _exact(v: Any) -> Any:
    # float.hex: equal strings <=> identical doubles (repr would hide nothing, but be explicit).
    return v.hex() if isinstance(v, float) else v


def raw_rows(store: StateStore, table: str, *, skip: Iterable[str] = ()) -> list[tuple[Any, ...]]:
    """Every row of a state table exactly as the database returns it (no type processing)."""
    skip = set(skip)
    with store.engine.connect() as conn:
        md = sa.MetaData()
        reflected = sa.Table(table, md, autoload_with=conn)
        cols = [c for c in reflected.c if c.name not in skip]
        result = conn.execute(sa.select(*cols).order_by(*cols))
        return [tuple(_exact(v) for v in row) for row in result]
