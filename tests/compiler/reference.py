"""A pure-Python reference of what every compiled query must compute (no compiler imports).

Given the rows of each fact table, it evaluates each metric the way SPEC §3–§5 and
docs/compiler.md describe: floor to bucket, filters with SQL's three-valued logic, aggregates,
"NULL means gap", top-N + `Other` over the whole window (chunked or not), ratios, SQL metrics,
distinct counts.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from tripl_cli.project.model import Project
from tripl_cli.project.schema import (
    Aggregation,
    ColumnType,
    CompositionMetric,
    Condition,
    FactMetric,
    Measure,
    Operator,
    SqlMetric,
)
from tripl_cli.timegrid import Interval, Window, aligned_window, floor_to_bucket, parse_duration
from tripl_cli.timegrid import split_window as split

Row = Mapping[str, Any]
Key = tuple[str, datetime, tuple[str, str]]  # (metric, bucket, breakdown)
Value = tuple[float, float | None, float | None]  # (value, numerator, denominator)
Predicate = Callable[[Row], bool]

OTHER = "Other"


def _like(pattern: str) -> re.Pattern[str]:
    parts = ("." if ch == "_" else ".*" if ch == "%" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.DOTALL)


def condition_holds(cond: Condition, row: Row) -> bool:
    """SQL three-valued logic collapsed to WHERE semantics: NULL never matches but is_null."""
    v, want = row[cond.column], cond.value
    op = cond.operator
    if op is Operator.IS_NULL:
        return v is None
    if v is None:
        return False
    checks: dict[Operator, Callable[[], bool]] = {
        Operator.EQ: lambda: v == want,
        Operator.NE: lambda: v != want,
        Operator.GT: lambda: v > want,
        Operator.GTE: lambda: v >= want,
        Operator.LT: lambda: v < want,
        Operator.LTE: lambda: v <= want,
        Operator.IN: lambda: v in want,  # type: ignore[operator]
        Operator.NOT_IN: lambda: v not in want,  # type: ignore[operator]
        Operator.CONTAINS: lambda: str(want) in v,
        Operator.NOT_CONTAINS: lambda: str(want) not in v,
        Operator.LIKE: lambda: bool(_like(str(want)).fullmatch(v)),
        Operator.NOT_LIKE: lambda: not _like(str(want)).fullmatch(v),
        Operator.IS_NOT_NULL: lambda: True,
        Operator.IS_TRUE: lambda: v is True,
        Operator.IS_FALSE: lambda: v is False,
    }
    return bool(checks[op]())


def _holds(cond: Condition) -> Predicate:
    return lambda row: condition_holds(cond, row)


def aggregate(agg: Aggregation, column: str | None, rows: list[Row]) -> float | None:
    """An aggregate over the (non-empty) matching rows; None = no value."""
    if agg is Aggregation.COUNT and column is None:
        return float(len(rows))
    assert column is not None
    values = [r[column] for r in rows if r[column] is not None]
    if agg is Aggregation.COUNT:
        return float(len(values))
    if agg is Aggregation.COUNT_DISTINCT:
        return float(len(set(values)))
    if agg is Aggregation.SUM:
        return float(sum(values))
    if not values:
        return None
    if agg is Aggregation.AVG:
        return float(sum(values)) / len(values)
    return float(min(values) if agg is Aggregation.MIN else max(values))


def spelled(value: Any, column_type: ColumnType | None) -> str:
    """A breakdown value as docs/compiler.md says every engine spells it."""
    if column_type is ColumnType.BOOL:
        return "true" if value else "false"
    if column_type is ColumnType.NUMBER:
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    return str(value)


class Reference:
    def __init__(
        self,
        project: Project,
        rows: Mapping[str, list[Row]],  # fact table name -> rows
        fragments: Mapping[str, Predicate],  # SQL fragment text -> its Python meaning
        sql_metrics: Mapping[str, Callable[[Window], Iterable[tuple[datetime, Any]]]],
        window_for: Callable[[str], Window],
        rank_window: Window | None = None,
    ) -> None:
        self.project = project
        self.rows = rows
        self.fragments = fragments
        self.sql_metrics = sql_metrics
        self.window_for = window_for
        #: What breakdowns rank over, when not each metric's own window (a resumed run).
        self.rank_window = rank_window

    def _predicate(self, table: str, measure: Measure) -> Predicate:
        fact = self.project.fact_tables[table]
        preds: list[Predicate] = []
        for name in measure.filters:
            row_filter = fact.row_filter(name)
            assert row_filter is not None
            if row_filter.sql is not None:
                preds.append(self.fragments[row_filter.sql])
            preds.extend(_holds(cond) for cond in row_filter.conditions or ())
        if measure.where:
            preds.append(self.fragments[measure.where])
        preds.extend(_holds(cond) for cond in measure.conditions)
        return lambda r: all(p(r) for p in preds)

    def _chunks(self, name: str, interval: Interval) -> list[Window]:
        metric = self.project.metrics[name]
        w = self.window_for(name)
        chunk = parse_duration(metric.chunk) if metric.chunk else None
        return split(aligned_window(w.start, w.end, interval), interval, chunk)

    def _groups(
        self,
        table: str,
        interval: Interval,
        window: Window,
        breakdown: str | None,
        limit: int | None,
    ) -> dict[tuple[datetime, str], list[Row]]:
        """Rows of the window grouped by (bucket, folded breakdown value)."""
        ts = self._ts(table)
        rows = [r for r in self.rows[table] if window.contains(r[ts])]
        ranked_rows = rows
        if self.rank_window is not None:
            ranked_rows = [r for r in self.rows[table] if self.rank_window.contains(r[ts])]
        fact = self.project.fact_tables[table]
        declared = {c.name: c.type for c in fact.columns or ()}

        def raw(r: Row) -> str:
            if breakdown is None or r[breakdown] is None:
                return ""
            return spelled(r[breakdown], declared.get(breakdown))

        keep: set[str] | None = None
        if breakdown is not None and limit is not None:
            counts = Counter(raw(r) for r in ranked_rows)
            ranked = sorted(counts, key=lambda v: (-counts[v], v))
            keep = set(ranked[: limit - 1])
        groups: dict[tuple[datetime, str], list[Row]] = defaultdict(list)
        for r in rows:
            value = raw(r) if keep is None or raw(r) in keep else OTHER
            groups[(floor_to_bucket(r[ts], interval), value)].append(r)
        return groups

    def _ts(self, table: str) -> str:
        return self.project.fact_tables[table].timestamp_column

    def _measure(self, m: Measure, group: list[Row], *, operand: str) -> float | None:
        matching = [r for r in group if self._predicate(m.fact_table, m)(r)]
        if not matching:
            additive = m.aggregation in (
                Aggregation.COUNT,
                Aggregation.COUNT_DISTINCT,
                Aggregation.SUM,
            )
            return 0.0 if operand == "numerator" and additive else None
        return aggregate(m.aggregation, m.column, matching)

    def fact(self, metric: FactMetric) -> dict[Key, Value]:
        interval = self.project.interval_of(metric)
        out: dict[Key, Value] = {}
        measures = metric.measures()
        series = [(None, None)] + [(c, metric.breakdown_limit) for c in metric.breakdowns]
        # One window, whatever the metric's `chunk`: chunks never split a bucket, and
        # breakdown values are ranked over the whole window (SPEC §5).
        w = self.window_for(metric.name)
        window = aligned_window(w.start, w.end, interval)
        for breakdown, limit in series:
            tables = [
                self._groups(m.fact_table, interval, window, breakdown, limit) for m in measures
            ]
            for (bucket, value), group in tables[-1].items():
                key = (
                    metric.name,
                    bucket,
                    ("", "") if breakdown is None else (breakdown, value),
                )
                if len(measures) == 1:
                    v = self._measure(measures[0], group, operand="value")
                    if v is not None:
                        out[key] = (v, None, None)
                    continue
                den = self._measure(measures[1], group, operand="denominator")
                num = self._measure(
                    measures[0], tables[0].get((bucket, value), []), operand="numerator"
                )
                if den and num is not None:
                    out[key] = (num / den, num, den)
        return out

    def sql(self, metric: SqlMetric) -> dict[Key, Value]:
        interval = self.project.interval_of(metric)
        sums: dict[datetime, list[Any]] = defaultdict(list)
        for window in self._chunks(metric.name, interval):
            for ts, value in self.sql_metrics[metric.name](window):
                if window.contains(ts):
                    sums[floor_to_bucket(ts, interval)].append(value)
        return {
            (metric.name, b, ("", "")): (float(sum(v for v in vs if v is not None)), None, None)
            for b, vs in sums.items()
            if any(v is not None for v in vs)
        }

    def distinct(self, metric: CompositionMetric, interval: Interval) -> dict[datetime, float]:
        assert metric.per_distinct is not None
        table, column = metric.per_distinct.fact_table, metric.per_distinct.column
        out: dict[datetime, float] = {}
        for window in self._chunks(metric.name, interval):
            for (bucket, _), group in self._groups(table, interval, window, None, None).items():
                out[bucket] = float(len({r[column] for r in group if r[column] is not None}))
        return out

    def values(self, names: Iterable[str]) -> dict[Key, Value]:
        out: dict[Key, Value] = {}
        for name in names:
            metric = self.project.metrics[name]
            if isinstance(metric, FactMetric):
                out.update(self.fact(metric))
            elif isinstance(metric, SqlMetric):
                out.update(self.sql(metric))
        return out
