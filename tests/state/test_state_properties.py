"""Property: a window write leaves exactly the written values, and rewriting changes nothing."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.state.state_testlib import hour, hours, raw_rows
from tripl_cli.state import StateStore
from tripl_cli.types import MetricValue, SeriesPoint

WINDOW = hours(0, 48)
numbers = st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-(10**12), 10**12))
series_keys = st.sampled_from([("", ""), ("country", "US"), ("country", ""), ("country", "ü-ñ")])


@st.composite
def value_sets(draw: st.DrawFn) -> list[MetricValue]:
    keys = draw(st.sets(st.tuples(series_keys, st.integers(0, 47)), max_size=40))
    return [
        MetricValue(
            "m",
            hour(b),
            draw(numbers),
            breakdown,
            numerator=draw(numbers),
            denominator=draw(numbers),
        )
        for breakdown, b in sorted(keys)
    ]


def _expected(values: list[MetricValue]) -> tuple[list[SeriesPoint], dict[str, list[SeriesPoint]]]:
    def point(v: MetricValue) -> SeriesPoint:
        numbers = (v.value, v.numerator, v.denominator)
        # ±inf is a gap, as NaN is (never drawn: NaN != NaN would fail the comparison).
        as_float = [None if n is None or math.isinf(n) else float(n) for n in numbers]
        return SeriesPoint(v.bucket, *as_float)

    totals = sorted((point(v) for v in values if not v.breakdown[0]), key=lambda p: p.bucket)
    parts: dict[str, list[SeriesPoint]] = {}
    for v in sorted(values, key=lambda v: v.bucket):
        if v.breakdown[0]:
            parts.setdefault(v.breakdown[1], []).append(point(v))
    return totals, dict(sorted(parts.items()))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(first=value_sets(), second=value_sets())
def test_write_then_rewrite_holds_exactly_the_last_values(
    store: StateStore, first: list[MetricValue], second: list[MetricValue]
) -> None:
    for values, run_id in ((first, "r1"), (second, "r2")):
        store.replace_window(
            "m", WINDOW, values, definition_hash="h", run_id=run_id, breakdown_columns=["country"]
        )
    totals, parts = _expected(second)
    assert store.read_series("m") == totals
    assert store.read_breakdowns("m", "country") == parts
    dump = [raw_rows(store, t) for t in ("tripl_metric_values", "tripl_breakdown_values")]
    store.replace_window(
        "m", WINDOW, second, definition_hash="h", run_id="r2", breakdown_columns=["country"]
    )
    assert [raw_rows(store, t) for t in ("tripl_metric_values", "tripl_breakdown_values")] == dump
