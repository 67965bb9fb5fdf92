"""Query results → `MetricValue`s, applying "NULL means gap" (SPEC §5).

Rules (docs/compiler.md):
- A filtered operand whose match count is 0 (or NULL) in a bucket has no value there.
- With matching rows, an all-NULL measure gives 0 for count / count_distinct / sum and no
  value for avg / min / max. NaN and ±inf are no value, never 0: ClickHouse's `avgIf` of no
  rows, a sum over a NaN in the data, an infinite denominator.
- A ratio has no value where its denominator has none or is 0; a numerator with no matching
  rows counts as 0 when additive (count, count_distinct, sum), else the bucket has no value.
- An SQL metric's NULL value is no value; several rows in one bucket were summed (warned).
- A bucket with no value is not emitted at all: no `MetricValue` ever has `value=None`.
Outputs whose queries are missing from `results` (a failed query) are skipped.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

from tripl_cli.compiler.records import (
    BREAKDOWN_COLUMN,
    BUCKET_COLUMN,
    CompiledPlan,
    MeasureRef,
    MetricOutput,
)
from tripl_cli.timegrid import as_utc
from tripl_cli.types import TOTAL, MetricValue

log = logging.getLogger(__name__)

Row = Sequence[Any]
RowKey = tuple[datetime, str]


class QueryResultLike(Protocol):
    @property
    def columns(self) -> Sequence[str]: ...

    @property
    def rows(self) -> Sequence[Sequence[Any]]: ...


class _Indexed:
    """One query's rows keyed by (bucket, breakdown value) ('' when the query has no
    breakdown), and each column's position in them. Rows stay tuples: a dict per row cost
    more than all the reading (a 1,000-metric run indexes 2M rows)."""

    __slots__ = ("position", "rows")

    def __init__(self, result: QueryResultLike) -> None:
        names = [c.lower() for c in result.columns]  # Snowflake upper-cases unquoted aliases
        self.position = {name: i for i, name in enumerate(names)}
        self.rows: dict[RowKey, Row] = {}
        if not result.rows:
            return
        at_bucket = self.position.get(BUCKET_COLUMN)
        if at_bucket is None:
            raise ValueError(f"the query's result has no column {BUCKET_COLUMN!r}")
        at_breakdown = self.position.get(BREAKDOWN_COLUMN)
        for row in result.rows:
            if len(row) != len(names):
                raise ValueError(f"a row of {len(row)} values for {len(names)} columns")
            breakdown = None if at_breakdown is None else row[at_breakdown]
            key = (_as_bucket(row[at_bucket]), "" if breakdown is None else str(breakdown))
            self.rows[key] = row

    def column(self, name: str) -> int:
        """Where column `name` is; 0 when there is no row to read it from (an empty result
        may have no columns at all). A missing column makes the metric unreadable."""
        if name in self.position:
            return self.position[name]
        if not self.rows:
            return 0
        raise ValueError(f"the query's result has no column {name!r}")


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None  # NaN and ±inf are no value


class _Operand:
    """One `MeasureRef` read from one query's rows (its columns' positions found once)."""

    __slots__ = ("additive_null", "matches", "row_count", "value")

    def __init__(self, ref: MeasureRef, column: Callable[[str], int]) -> None:
        self.value = column(ref.value)
        self.matches = None if ref.matches is None else column(ref.matches)
        self.row_count = None if ref.row_count is None else column(ref.row_count)
        # Only a NULL aggregate of matching rows is an additive 0 (see the module rules).
        self.additive_null = ref.aggregation is not None and ref.additive

    def matched(self, row: Row | None) -> bool:
        """Whether the operand's rows matched in this bucket (it has a row, and rows counted)."""
        if row is None:
            return False
        if self.matches is None:
            return True
        count = row[self.matches]  # written out, not `_number`: read for every value
        return count is not None and bool(count) and math.isfinite(count)

    def read(self, row: Row | None) -> float | None:
        """The operand's value in `row`, or None for a gap; a NaN (e.g. a sum over a NaN)
        stays a gap."""
        if not self.matched(row):
            return None
        assert row is not None  # matched
        raw = row[self.value]
        if raw is None:
            return 0.0 if self.additive_null else None
        number = float(raw)
        return number if math.isfinite(number) else None


def _breakdown(output: MetricOutput, key: RowKey) -> tuple[str, str]:
    return TOTAL if output.breakdown is None else (output.breakdown, key[1])


def _single(output: MetricOutput, indexed: _Indexed) -> list[MetricValue]:
    out: list[MetricValue] = []
    several = infinite = 0
    operand = _Operand(output.value, indexed.column)
    metric, row_count = output.metric, operand.row_count
    for key, row in indexed.rows.items():
        value = operand.read(row)
        if row_count is not None and (_number(row[row_count]) or 0) > 1:
            several += 1
        if value is not None:
            out.append(MetricValue(metric, key[0], value, _breakdown(output, key)))
        elif _infinite(row[operand.value]):
            infinite += 1
    if several:
        log.warning(
            "metric %s: %d bucket(s) had several rows; their values were summed",
            output.metric,
            several,
        )
    _warn_infinite(output.metric, infinite)
    return out


def _warn_infinite(metric: str, buckets: int) -> None:
    if buckets:  # e.g. an SQL metric dividing by zero on an engine that gives ±inf
        log.warning(
            "metric %s: %d bucket(s) had an infinite value; stored as gaps", metric, buckets
        )


def _infinite(value: Any) -> bool:
    """Whether a raw value `_number` turned into a gap was ±inf (it read it already)."""
    return value is not None and math.isinf(float(value))


def _ratio(output: MetricOutput, nums: _Indexed, dens: _Indexed) -> list[MetricValue]:
    assert output.denominator is not None
    out: list[MetricValue] = []
    infinite = 0
    numerator = _Operand(output.value, nums.column)
    denominator = _Operand(output.denominator, dens.column)
    additive = output.value.additive
    for key, den_row in dens.rows.items():
        den = denominator.read(den_row)
        if den is None and _infinite(den_row[denominator.value]):
            infinite += 1
        if not den:  # no denominator, or 0: a gap, never 0 or infinity
            continue
        num_row = nums.rows.get(key)
        num = numerator.read(num_row)
        if not numerator.matched(num_row) and additive:
            num = 0.0  # no matching numerator rows: nothing counted or summed
        if num is None:
            if num_row is not None and _infinite(num_row[numerator.value]):
                infinite += 1
            continue
        out.append(MetricValue(output.metric, key[0], num / den, _breakdown(output, key), num, den))
    _warn_infinite(output.metric, infinite)
    return out


class BucketTypeError(TypeError):
    """A query's bucket column holds something other than a date or timestamp."""


def _as_bucket(value: Any) -> datetime:
    if type(value) is datetime and value.tzinfo is UTC:  # as adapters return them
        return value
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):  # an engine that returns DATE for day buckets
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise BucketTypeError(f"bucket column holds {type(value).__name__}, not a timestamp")


def assemble(plan: CompiledPlan, results: Mapping[str, QueryResultLike]) -> list[MetricValue]:
    """Every metric value the results hold, in plan order (gaps omitted); raises the first
    row that cannot be read (TypeError, ValueError)."""
    chunks, unreadable = _assembled(plan, results)
    for error in unreadable.values():
        raise error
    return [v for _, found in chunks for v in found]


def assemble_by_metric(
    plan: CompiledPlan, results: Mapping[str, QueryResultLike]
) -> tuple[dict[str, list[MetricValue]], dict[str, TypeError | ValueError]]:
    """Each metric's values, and apart the metrics whose rows could not be read (e.g. max
    over a text column): one pass, each query's rows indexed once, so a bad metric neither
    stops the others nor makes them be read (and warned about) twice."""
    chunks, unreadable = _assembled(plan, results)
    values: dict[str, list[MetricValue]] = {}
    for metric, found in chunks:
        values.setdefault(metric, []).extend(found)
    return values, unreadable


def _assembled(
    plan: CompiledPlan, results: Mapping[str, QueryResultLike]
) -> tuple[list[tuple[str, list[MetricValue]]], dict[str, TypeError | ValueError]]:
    """Each output's values in plan order, without those of metrics that could not be read."""
    indexed: dict[str, _Indexed | TypeError | ValueError] = {}

    def rows(query_id: str) -> _Indexed:
        if query_id not in indexed:
            try:
                indexed[query_id] = _Indexed(results[query_id])
            except (TypeError, ValueError) as exc:
                indexed[query_id] = exc
        found = indexed[query_id]
        if isinstance(found, TypeError | ValueError):
            raise found
        return found

    chunks: list[tuple[str, list[MetricValue]]] = []
    unreadable: dict[str, TypeError | ValueError] = {}
    for output in plan.outputs:
        missing = [q for q in output.query_ids if q not in results]
        if missing:
            log.debug("metric %s: no results for %s; skipped", output.metric, missing)
            continue
        if output.metric in unreadable:
            continue
        try:
            if output.denominator is None:
                found = _single(output, rows(output.value.query_id))
            else:
                num_rows = rows(output.value.query_id)
                found = _ratio(output, num_rows, rows(output.denominator.query_id))
        except (TypeError, ValueError) as exc:
            unreadable[output.metric] = exc
            continue
        chunks.append((output.metric, found))
    return [c for c in chunks if c[0] not in unreadable], unreadable


def distinct_counts(
    plan: CompiledPlan, results: Mapping[str, QueryResultLike]
) -> dict[str, dict[datetime, float]]:
    """Per `per_distinct` composition: distinct values of its column per bucket."""
    out: dict[str, dict[datetime, float]] = {}
    for distinct in plan.distincts:
        series = out.setdefault(distinct.composition, {})
        if distinct.value.query_id not in results:
            continue
        indexed = _Indexed(results[distinct.value.query_id])
        operand = _Operand(distinct.value, indexed.column)
        for key, row in indexed.rows.items():
            value = operand.read(row)
            if value is not None:
                series[key[0]] = value
    return out
