"""The frozen records a compiled plan is made of (the compiler's output contract).

Every compiled query returns `bucket` first, then `breakdown_value` for breakdown queries,
then aggregate columns `a0`, `a1`, …  A `MeasureRef` says which of those columns make one
operand of one metric; a `MetricOutput` says how one metric is read back from one chunk.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Literal

from tripl_cli.project.schema import Aggregation
from tripl_cli.timegrid import Interval, Window

QueryKind = Literal["aggregate", "breakdown", "sql_metric", "distinct", "ranking"]

#: Output column names every compiled query uses.
BUCKET_COLUMN = "bucket"
BREAKDOWN_COLUMN = "breakdown_value"
#: The series every value outside a breakdown's top N is folded into.
OTHER_VALUE = "Other"

#: Aggregations whose natural value over a non-empty set of rows whose measure is all NULL
#: is 0 (a count of nothing, a sum of nothing); the rest (avg/min/max) have no value then.
ADDITIVE = frozenset({Aggregation.COUNT, Aggregation.COUNT_DISTINCT, Aggregation.SUM})


@dataclass(frozen=True)
class QueryVariant:
    """A second form of a query, with the same output, for data the probe recognises.

    The runner runs `probe_sql` first (one row, one boolean) and, when it is true, `sql`
    instead of the query's own. Today: BITMAP distinct counts (compiler/bitmap.py).
    """

    shape: str
    probe_sql: str
    sql: str


@dataclass(frozen=True)
class CompiledQuery:
    """One SQL statement to run: its id is stable across compiles of the same plan."""

    id: str
    kind: QueryKind
    fact_table: str | None
    interval: Interval
    window: Window
    breakdown: str | None
    dialect: str
    sql: str
    metrics: tuple[str, ...]
    #: The id without the per-window suffix; `tripl compile` names files after it.
    base_id: str = ""
    #: Another form the runner takes when its probe says so (`None`: `sql` only).
    variant: QueryVariant | None = None


@dataclass(frozen=True)
class MeasureRef:
    """Where one operand's value is in one query's result.

    `matches` names the column counting the rows that passed the operand's filter; `None`
    means every returned row matched (an unfiltered aggregate: the group exists only if a
    row does). `aggregation` is `None` for an SQL metric's value.
    """

    query_id: str
    value: str
    aggregation: Aggregation | None
    matches: str | None = None
    #: SQL metrics: the column counting source rows per bucket (more than one is summed).
    row_count: str | None = None

    @property
    def additive(self) -> bool:
        return self.aggregation in ADDITIVE


@dataclass(frozen=True)
class MetricOutput:
    """How one metric's values for one chunk are read: a value, or numerator / denominator."""

    metric: str
    value: MeasureRef
    denominator: MeasureRef | None = None
    breakdown: str | None = None  # the breakdown column, or None for the total series

    @property
    def query_ids(self) -> tuple[str, ...]:
        if self.denominator is None:
            return (self.value.query_id,)
        return (self.value.query_id, self.denominator.query_id)


@dataclass(frozen=True)
class DistinctOutput:
    """A `per_distinct` composition's divisor: distinct `column` values per bucket."""

    composition: str
    fact_table: str
    column: str
    value: MeasureRef


@dataclass(frozen=True)
class Ranking:
    """The values a breakdown keeps, ranked once over a window longer than its query's: the
    whole window of a chunked one, or a resumed run's `initial_buckets` (compile_plan).

    `query` returns them (one `breakdown_value` column); the runner passes them back to
    `compile_plan(tops={key: values})`, whose breakdown queries then fold by that list
    instead of each reading the longer window to rank it again. `key` is opaque to the runner.
    """

    key: Hashable
    query: CompiledQuery


@dataclass(frozen=True)
class CompiledPlan:
    """Every query of one run (or one compile) and how to read each metric back."""

    dialect: str
    queries: tuple[CompiledQuery, ...]
    outputs: tuple[MetricOutput, ...]
    distincts: tuple[DistinctOutput, ...] = ()
    #: Compositions the runner computes in Python after the metrics they read.
    compositions: tuple[str, ...] = ()
    #: Chunked breakdowns whose chunks still rank the whole window themselves (`Ranking`).
    rankings: tuple[Ranking, ...] = ()

    def query(self, query_id: str) -> CompiledQuery:
        for query in self.queries:
            if query.id == query_id:
                return query
        raise KeyError(query_id)

    def metrics(self) -> Iterator[str]:
        """Every metric the plan collects (fact and SQL metrics, then compositions)."""
        seen: set[str] = set()
        for output in self.outputs:
            if output.metric not in seen:
                seen.add(output.metric)
                yield output.metric
        for name in self.compositions:
            if name not in seen:
                seen.add(name)
                yield name
