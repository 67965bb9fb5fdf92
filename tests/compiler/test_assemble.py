"""`assemble`: "NULL means gap", ratios and breakdown keys, on hand-written results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tripl_cli.compiler.assemble import assemble, assemble_by_metric, distinct_counts
from tripl_cli.compiler.records import (
    CompiledPlan,
    CompiledQuery,
    DistinctOutput,
    MeasureRef,
    MetricOutput,
)
from tripl_cli.project.schema import Aggregation
from tripl_cli.timegrid import Interval, Window
from tripl_cli.types import MetricValue

B0 = datetime(2026, 1, 5, tzinfo=UTC)
B1 = B0 + timedelta(days=1)
WINDOW = Window(B0, B0 + timedelta(days=2))


@dataclass(frozen=True)
class Result:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def _query(query_id: str) -> CompiledQuery:
    return CompiledQuery(
        query_id, "aggregate", "t", Interval.D1, WINDOW, None, "duckdb", "SELECT 1", ()
    )


def _plan(*outputs: MetricOutput, distincts: tuple[DistinctOutput, ...] = ()) -> CompiledPlan:
    ids = {q for o in outputs for q in o.query_ids} | {d.value.query_id for d in distincts}
    return CompiledPlan("duckdb", tuple(_query(i) for i in sorted(ids)), outputs, distincts)


def read_measure(ref: MeasureRef, row: dict[str, Any]) -> float | None:
    """The value `assemble` reads for `ref` from one bucket's `row` (None: a gap)."""
    result = Result(("bucket", *row), ((B0, *row.values()),))
    found = assemble(_plan(MetricOutput("m", ref)), {ref.query_id: result})
    return found[0].value if found else None


@pytest.mark.parametrize(
    ("aggregation", "matches", "value", "expected"),
    [
        (Aggregation.COUNT, 0, 0, None),  # filtered count(*) of no rows: gap, not 0
        (Aggregation.COUNT, 3, 3, 3.0),
        (Aggregation.SUM, 0, None, None),  # no matching row: gap
        (Aggregation.SUM, 0, 0, None),  # ClickHouse sumIf of no rows is 0: still a gap
        (Aggregation.SUM, 2, None, 0.0),  # matching rows, all-NULL measure: 0
        (Aggregation.SUM, 2, 0, 0.0),  # a real zero stays a value
        (Aggregation.COUNT_DISTINCT, 0, 0, None),
        (Aggregation.COUNT_DISTINCT, 2, 0, 0.0),
        (Aggregation.AVG, 2, None, None),  # avg of only NULLs: gap
        (Aggregation.AVG, 2, float("nan"), None),  # ClickHouse avgIf: NaN is no value
        (Aggregation.SUM, 2, float("nan"), None),  # a NaN in the data: a gap, never 0
        (Aggregation.AVG, 2, 1.5, 1.5),
        (Aggregation.MAX, None, 7, None),  # NULL match count is no match
    ],
)
def test_read_measure_gap_rules(
    aggregation: Aggregation, matches: int | None, value: Any, expected: float | None
) -> None:
    ref = MeasureRef("q", "a0", aggregation, matches="a1")
    assert read_measure(ref, {"a0": value, "a1": matches}) == expected


def test_unfiltered_sum_of_nulls_is_zero_and_avg_is_gap() -> None:
    assert read_measure(MeasureRef("q", "a0", Aggregation.SUM), {"a0": None}) == 0.0
    assert read_measure(MeasureRef("q", "a0", Aggregation.MIN), {"a0": None}) is None
    # SQL metric values (aggregation None): NULL is a gap.
    sql_value = MeasureRef("q", "a0", None, row_count="a1")
    assert read_measure(sql_value, {"a0": None, "a1": 1}) is None


def test_assemble_omits_gaps_and_keys_breakdowns() -> None:
    plan = _plan(
        MetricOutput("revenue", MeasureRef("t__1d", "a0", Aggregation.SUM, matches="a1")),
        MetricOutput(
            "revenue",
            MeasureRef("t__1d__country", "a0", Aggregation.SUM, matches="a1"),
            breakdown="country",
        ),
    )
    results = {
        "t__1d": Result(("bucket", "a0", "a1"), ((B0, 10.0, 2), (B1, None, 0))),
        # Snowflake returns upper-case column names; naive datetimes are UTC.
        "t__1d__country": Result(
            ("BUCKET", "BREAKDOWN_VALUE", "A0", "A1"),
            ((B0.replace(tzinfo=None), "", 4.0, 1), (B0, "Other", None, 0), (B1, "US", None, 3)),
        ),
    }
    assert assemble(plan, results) == [
        MetricValue("revenue", B0, 10.0),
        MetricValue("revenue", B0, 4.0, ("country", "")),
        MetricValue("revenue", B1, 0.0, ("country", "US")),
    ]


def test_ratio_gaps_on_zero_or_missing_denominator() -> None:
    num = MeasureRef("orders__1d", "a0", Aggregation.COUNT, matches="a0")
    den = MeasureRef("sessions__1d", "a0", Aggregation.COUNT_DISTINCT)
    plan = _plan(MetricOutput("conv", num, den))
    b2 = B1 + timedelta(days=1)
    results = {
        "orders__1d": Result(("bucket", "a0"), ((B0, 0), (B1, 3), (b2, 5))),
        "sessions__1d": Result(("bucket", "a0"), ((B0, 4), (B1, 0))),  # b2: no sessions
    }
    # B0: no matching orders → 0 / 4 = 0 (additive numerator); B1: den 0 → gap; b2: no den.
    assert assemble(plan, results) == [MetricValue("conv", B0, 0.0, numerator=0.0, denominator=4.0)]


def test_ratio_with_a_nan_numerator_is_a_gap_not_zero() -> None:
    num = MeasureRef("t", "a0", Aggregation.SUM, matches="a1")
    den = MeasureRef("t", "a2", Aggregation.COUNT)
    plan = _plan(MetricOutput("r", num, den))
    nan = float("nan")
    inf = float("inf")
    b2 = B1 + timedelta(days=1)
    rows = ((B0, nan, 2, 2), (B1, None, 0, 2), (b2, 3.0, 1, inf))
    results = {"t": Result(("bucket", "a0", "a1", "a2"), rows)}
    # B0: the sum is NaN → gap; B1: no matching rows → additive 0 / 2; b2: den inf → gap.
    assert assemble(plan, results) == [MetricValue("r", B1, 0.0, numerator=0.0, denominator=2.0)]


def test_ratio_with_avg_numerator_without_rows_is_gap() -> None:
    num = MeasureRef("t", "a0", Aggregation.AVG, matches="a1")
    den = MeasureRef("t", "a2", Aggregation.COUNT)
    plan = _plan(MetricOutput("r", num, den))
    results = {"t": Result(("bucket", "a0", "a1", "a2"), ((B0, None, 0, 2), (B1, 3.0, 1, 2)))}
    assert assemble(plan, results) == [MetricValue("r", B1, 1.5, numerator=3.0, denominator=2.0)]


def test_missing_results_skip_only_their_outputs() -> None:
    plan = _plan(
        MetricOutput("a", MeasureRef("q1", "a0", Aggregation.COUNT)),
        MetricOutput("b", MeasureRef("q2", "a0", Aggregation.COUNT)),
        MetricOutput("r", MeasureRef("q1", "a0", Aggregation.COUNT), MeasureRef("q2", "a0", None)),
    )
    results = {"q1": Result(("bucket", "a0"), ((B0, 1),))}
    assert assemble(plan, results) == [MetricValue("a", B0, 1.0)]


def test_sql_metric_several_rows_warns(caplog: pytest.LogCaptureFixture) -> None:
    plan = _plan(MetricOutput("s", MeasureRef("q", "a0", None, row_count="a1")))
    results = {"q": Result(("bucket", "a0", "a1"), ((B0, 5.0, 2), (B1, None, 1)))}
    assert assemble(plan, results) == [MetricValue("s", B0, 5.0)]
    assert "1 bucket(s) had several rows" in caplog.text


def test_an_infinite_value_is_a_gap_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    plan = _plan(MetricOutput("s", MeasureRef("q", "a0", None)))
    results = {"q": Result(("bucket", "a0"), ((B0, float("inf")), (B1, float("nan"))))}
    assert assemble(plan, results) == []
    assert "metric s: 1 bucket(s) had an infinite value; stored as gaps" in caplog.text
    ratio = _plan(
        MetricOutput("r", MeasureRef("q", "a0", Aggregation.SUM), MeasureRef("q", "a1", None))
    )
    rows = ((B0, float("inf"), 2.0), (B1, 3.0, float("-inf")))
    assert assemble(ratio, {"q": Result(("bucket", "a0", "a1"), rows)}) == []
    assert "metric r: 2 bucket(s) had an infinite value; stored as gaps" in caplog.text


def test_distinct_counts() -> None:
    ref = MeasureRef("d", "a0", Aggregation.COUNT_DISTINCT)
    plan = _plan(distincts=(DistinctOutput("per_user", "t", "user_id", ref),))
    results = {"d": Result(("bucket", "a0"), ((B0, 3), (B1, 0)))}
    assert distinct_counts(plan, results) == {"per_user": {B0: 3.0, B1: 0.0}}


def test_an_empty_result_without_columns_reads_as_no_values() -> None:
    plan = _plan(
        MetricOutput("revenue", MeasureRef("q", "a0", Aggregation.SUM)),
        MetricOutput(
            "share",
            MeasureRef("q", "a1", Aggregation.SUM),
            denominator=MeasureRef("q", "a2", Aggregation.SUM),
        ),
    )
    assert assemble_by_metric(plan, {"q": Result((), ())}) == ({"revenue": [], "share": []}, {})


def test_a_missing_column_makes_only_its_metric_unreadable() -> None:
    plan = _plan(
        MetricOutput("revenue", MeasureRef("q", "a0", Aggregation.SUM)),
        MetricOutput("orders", MeasureRef("q", "a1", Aggregation.COUNT)),
    )
    values, unreadable = assemble_by_metric(plan, {"q": Result(("bucket", "a1"), ((B0, 4),))})
    assert values == {"orders": [MetricValue("orders", B0, 4.0)]}
    assert list(unreadable) == ["revenue"] and "no column 'a0'" in str(unreadable["revenue"])


def test_rows_without_a_bucket_column_make_their_metrics_unreadable() -> None:
    plan = _plan(MetricOutput("orders", MeasureRef("q", "a0", Aggregation.COUNT)))
    values, unreadable = assemble_by_metric(plan, {"q": Result(("a0",), ((4,),))})
    assert values == {} and "no column 'bucket'" in str(unreadable["orders"])
