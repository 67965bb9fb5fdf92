"""Aggregate deduplication and match counts."""

from __future__ import annotations

import pytest
from sqlglot import exp

from tripl_cli.compiler.aggregates import AggregateSet, MeasureColumns
from tripl_cli.compiler.filters import RowCondition, node
from tripl_cli.project.schema import Aggregation

A = RowCondition(node(exp.condition("status = 'completed'")), "sql:status = 'completed'")
B = RowCondition(node(exp.condition("country = 'US'")), "sql:country = 'US'")


def test_identical_aggregates_share_a_column() -> None:
    aggs = AggregateSet()
    assert aggs.add(Aggregation.SUM, "amount", A) == "a0"
    same = RowCondition(node(exp.condition("status='completed'")), A.key)
    assert aggs.add(Aggregation.SUM, "amount", same) == "a0"
    assert aggs.add(Aggregation.SUM, "amount", B) == "a1"  # other filter
    assert aggs.add(Aggregation.AVG, "amount", A) == "a2"  # other function
    assert aggs.add(Aggregation.SUM, "tax", A) == "a3"  # other argument
    assert aggs.add(Aggregation.SUM, "amount", None) == "a4"  # unfiltered
    assert aggs.add(Aggregation.COUNT, None, None) == "a5"
    assert aggs.add(Aggregation.COUNT, "amount", None) == "a6"  # count(col) != count(*)
    assert len(aggs) == 7


def test_filtered_measures_get_a_shared_match_count() -> None:
    aggs = AggregateSet()
    assert aggs.add_measure(Aggregation.SUM, "amount", A) == MeasureColumns("a0", "a1")
    assert aggs.add_measure(Aggregation.AVG, "amount", A) == MeasureColumns("a2", "a1")
    # A filtered count(*) is its own match count, and the same column as the others'.
    assert aggs.add_measure(Aggregation.COUNT, None, A) == MeasureColumns("a1", "a1")
    assert aggs.add_measure(Aggregation.COUNT_DISTINCT, "user_id", B) == MeasureColumns("a3", "a4")
    # Unfiltered: the group exists only if a row does, so no match count.
    assert aggs.add_measure(Aggregation.MAX, "amount", None) == MeasureColumns("a5", None)
    kinds = [(a.aggregation, a.column) for a in aggs.aggregates()]
    assert kinds[1] == (Aggregation.COUNT, None) and kinds[4] == (Aggregation.COUNT, None)


def test_aggregate_without_column_is_rejected() -> None:
    with pytest.raises(ValueError, match="needs a column"):
        AggregateSet().add(Aggregation.SUM, None, None)
