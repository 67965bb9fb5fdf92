"""Compile selected metrics into the fewest scans: `compile_plan` and `compile_single`.

Metrics are grouped into scans keyed by (fact table, interval, chunk window) — one more per
(…, breakdown column, breakdown limit) — so every metric on one fact table shares one scan
per chunk. Each metric's window is aligned to its interval and split by its `chunk`; metrics
whose windows differ get their own scans (the runner aligns windows to share them). SQL
metrics get one query per chunk; a `per_distinct` composition one distinct-count query per
chunk; other compositions no SQL at all (the runner computes them from stored series).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import sqlglot.errors
from sqlglot import exp

from tripl_cli.compiler.aggregates import AggregateSet, MeasureColumns
from tripl_cli.compiler.build import (
    BuildRules,
    aggregate_query,
    bitmap_probe_query,
    breakdown_query,
    breakdown_ranking,
    sql_metric_query,
)
from tripl_cli.compiler.dialects import DistinctStrategy, Shapes, rules_for
from tripl_cli.compiler.filters import condition_of
from tripl_cli.compiler.records import (
    CompiledPlan,
    CompiledQuery,
    DistinctOutput,
    MeasureRef,
    MetricOutput,
    QueryKind,
    QueryVariant,
    Ranking,
)
from tripl_cli.errors import TriplError
from tripl_cli.project.model import Project
from tripl_cli.project.schema import (
    Aggregation,
    AnyMetric,
    CompositionMetric,
    FactMetric,
    FactTable,
    Measure,
    SqlMetric,
)
from tripl_cli.timegrid import Interval, Window, aligned_window, parse_duration, split_window

log = logging.getLogger(__name__)

WindowSpec = Window | Callable[[str], Window]


@dataclass(frozen=True)
class ScanKey:
    """What makes two aggregates share one query."""

    kind: QueryKind
    source: str  # fact table name, or the SQL metric's name
    interval: Interval
    window: Window
    breakdown: str | None = None
    limit: int | None = None  # breakdown_limit (None: keep every value)
    #: The SEPARATE distinct shape's own query for the count_distinct aggregates.
    distinct_part: bool = False
    #: What the breakdown's values are ranked over when it is not the query's own window:
    #: the whole window a chunk belongs to (SPEC §5), so every chunk folds the same values
    #: into 'Other', reaching back `initial_buckets` (`_PlanBuilder._rank_window`).
    rank_window: Window | None = None

    def base_id(self, limit_variants: int) -> str:
        base = f"{self.source}__{self.interval.value}"
        if self.distinct_part:
            return f"{base}__count_distinct"
        if self.kind == "sql_metric":
            return f"metric__{self.source}"
        if self.kind == "distinct":
            return f"{base}__distinct__{self.breakdown}"
        if self.kind == "breakdown":
            base = f"{base}__{self.breakdown}"
            if limit_variants > 1:  # one column, several limits: one query per limit
                base += f"__top{self.limit}" if self.limit is not None else "__all"
        return base


@dataclass(frozen=True)
class _RankKey:
    """One ranking of a breakdown column over a window longer than its queries' own."""

    fact_table: str
    window: Window
    breakdown: str
    limit: int

    @staticmethod
    def of(key: ScanKey) -> _RankKey | None:
        if key.rank_window is None or key.breakdown is None or key.limit is None:
            return None
        return _RankKey(key.source, key.rank_window, key.breakdown, key.limit)


@dataclass
class _Scan:
    aggregates: AggregateSet = field(default_factory=AggregateSet)
    metrics: list[str] = field(default_factory=list)

    def use(self, metric: str) -> None:
        if metric not in self.metrics:
            self.metrics.append(metric)


@dataclass(frozen=True)
class _PendingRef:
    key: ScanKey
    columns: MeasureColumns
    aggregation: Aggregation | None
    row_count: str | None = None


@dataclass(frozen=True)
class _PendingOutput:
    metric: str
    value: _PendingRef
    denominator: _PendingRef | None
    breakdown: str | None


class _PlanBuilder:
    def __init__(
        self,
        project: Project,
        rules: BuildRules,
        window_for: WindowSpec,
        shapes: Shapes,
        *,
        adaptive: bool,
        tops: Mapping[Hashable, Sequence[str]],
        rank_history: bool,
        own_ranking: Collection[str],
    ) -> None:
        self.project = project
        #: Whether breakdowns rank over at least `initial_buckets` (`_rank_window`)...
        self.rank_history = rank_history
        #: ... except these metrics' (their ranking over that history failed).
        self.own_ranking = own_ranking
        #: Values ranked breakdowns keep, from the plan's `rankings` run beforehand.
        self.tops = tops
        self.rules = rules
        self.shapes = shapes
        #: Whether `shapes` is the dialect's own choice, which may carry probed variants.
        self.adaptive = adaptive
        self.window_for = window_for
        self.scans: dict[ScanKey, _Scan] = {}
        self.outputs: list[_PendingOutput] = []
        self.distincts: list[tuple[CompositionMetric, _PendingRef]] = []
        self.compositions: list[str] = []

    # ------------------------------------------------------------------ metrics
    def add(self, name: str) -> None:
        metric = self.project.metrics.get(name)
        if metric is None:
            raise TriplError(f"unknown metric '{name}'", hint="see `tripl ls` for metric names")
        if isinstance(metric, FactMetric):
            self._add_fact(metric)
        elif isinstance(metric, SqlMetric):
            self._add_sql(metric)
        else:
            self._add_composition(metric)

    def _chunks(self, metric: AnyMetric, interval: Interval) -> list[Window]:
        spec = self.window_for
        window = spec if isinstance(spec, Window) else spec(metric.name)
        aligned = aligned_window(window.start, window.end, interval)
        return split_window(aligned, interval, _chunk(metric))

    def _add_fact(self, metric: FactMetric) -> None:
        interval = self.project.interval_of(metric)
        measures = metric.measures()
        tables = {m.fact_table for m in measures}
        if metric.breakdowns and len(tables) > 1:
            raise TriplError(
                f"metric '{metric.name}': breakdowns need both ratio operands on one fact table",
                hint="remove `breakdowns` or use one fact table for numerator and denominator",
            )
        chunks = self._chunks(metric, interval)
        whole = Window(chunks[0].start, chunks[-1].end)
        rank_window = self._rank_window(metric.name, whole, interval)
        for window in chunks:
            series: list[tuple[str | None, int | None]] = [(None, None)]
            series += [(col, metric.breakdown_limit) for col in metric.breakdowns]
            for breakdown, limit in series:
                ranked = (
                    rank_window
                    if breakdown is not None and limit is not None and rank_window != window
                    else None
                )
                refs = [
                    self._measure(metric.name, m, interval, window, breakdown, limit, ranked)
                    for m in measures
                ]
                denominator = refs[1] if len(refs) > 1 else None
                self.outputs.append(_PendingOutput(metric.name, refs[0], denominator, breakdown))

    def _rank_window(self, metric: str, whole: Window, interval: Interval) -> Window:
        """What a breakdown ranks its values over: the whole window (all its chunks) — with
        `rank_history`, reaching back at least `initial_buckets` buckets from its end.

        A resumed run collects only its last few buckets; ranked over those alone, a value
        near the cutoff would be a series in one run and folded into 'Other' in the next
        (and its count series read as an outage). Over the span a first run ranks, the kept
        values change only as that span slides (docs/compiler.md, "Breakdowns").
        """
        if not self.rank_history or metric in self.own_ranking:
            return whole
        span = interval.delta * self.project.config.defaults.initial_buckets
        return Window(min(whole.start, whole.end - span), whole.end)

    def _measure(
        self,
        metric: str,
        measure: Measure,
        interval: Interval,
        window: Window,
        breakdown: str | None,
        limit: int | None,
        rank_window: Window | None = None,
    ) -> _PendingRef:
        fact = self._fact(measure.fact_table, metric)
        kind: QueryKind = "aggregate" if breakdown is None else "breakdown"
        apart = (
            kind == "aggregate"
            and measure.aggregation is Aggregation.COUNT_DISTINCT
            and self.shapes.distinct is DistinctStrategy.SEPARATE
        )
        key = ScanKey(
            kind,
            fact.name,
            interval,
            window,
            breakdown,
            limit,
            distinct_part=apart,
            rank_window=rank_window,
        )
        scan = self.scans.setdefault(key, _Scan())
        scan.use(metric)
        condition = condition_of(fact, measure, dialect=self.rules.name)
        columns = scan.aggregates.add_measure(measure.aggregation, measure.column, condition)
        return _PendingRef(key, columns, measure.aggregation)

    def _add_sql(self, metric: SqlMetric) -> None:
        if metric.breakdowns:
            raise TriplError(
                f"metric '{metric.name}': breakdowns are not supported on sql metrics",
                hint="return one row per bucket; make one sql metric per series instead",
            )
        interval = self.project.interval_of(metric)
        for window in self._chunks(metric, interval):
            key = ScanKey("sql_metric", metric.name, interval, window)
            self.scans.setdefault(key, _Scan()).use(metric.name)
            ref = _PendingRef(key, MeasureColumns("a0", None), None, row_count="a1")
            self.outputs.append(_PendingOutput(metric.name, ref, None, None))

    def _add_composition(self, metric: CompositionMetric) -> None:
        if metric.name not in self.compositions:
            self.compositions.append(metric.name)
        if metric.per_distinct is None:
            return
        fact = self._fact(metric.per_distinct.fact_table, metric.name)
        column = metric.per_distinct.column
        interval = self.project.interval_of(metric)
        for window in self._chunks(metric, interval):
            key = ScanKey("distinct", fact.name, interval, window, breakdown=column)
            scan = self.scans.setdefault(key, _Scan())
            scan.use(metric.name)
            value = scan.aggregates.add(Aggregation.COUNT_DISTINCT, column, None)
            ref = _PendingRef(key, MeasureColumns(value, None), Aggregation.COUNT_DISTINCT)
            self.distincts.append((metric, ref))

    def _fact(self, name: str, metric: str) -> FactTable:
        fact = self.project.fact_tables.get(name)
        if fact is None:
            raise TriplError(
                f"metric '{metric}' reads unknown fact table '{name}'",
                hint="run `tripl validate` to see every reference problem",
            )
        return fact

    # ------------------------------------------------------------------ queries
    def finish(self) -> CompiledPlan:
        bases = self._bases()
        ids = _unique_ids(bases)
        queries = [self._query(key, scan, ids[key], bases[key]) for key, scan in self.scans.items()]
        queries.sort(key=lambda q: (q.base_id, q.window.start, q.id))
        outputs = tuple(self._output(o, ids) for o in self.outputs)
        distincts = tuple(
            DistinctOutput(
                composition=m.name,
                fact_table=m.per_distinct.fact_table,
                column=m.per_distinct.column,
                value=self._ref(ref, ids),
            )
            for m, ref in self.distincts
            if m.per_distinct is not None
        )
        return CompiledPlan(
            dialect=self.rules.name,
            queries=tuple(queries),
            outputs=outputs,
            distincts=distincts,
            compositions=tuple(self.compositions),
            rankings=self._rankings(),
        )

    def _rankings(self) -> tuple[Ranking, ...]:
        """One ranking query per ranked breakdown whose kept values are not known yet."""
        scans: dict[_RankKey, ScanKey] = {}
        users: dict[_RankKey, dict[str, None]] = {}
        for scan_key, scan in self.scans.items():
            key = _RankKey.of(scan_key)
            if key is not None and key.limit > 1 and key not in self.tops:  # 1 keeps none
                scans.setdefault(key, scan_key)
                users.setdefault(key, {}).update(dict.fromkeys(scan.metrics))
        return tuple(self._ranking(key, scan, tuple(users[key])) for key, scan in scans.items())

    def _ranking(self, key: _RankKey, scan: ScanKey, metrics: tuple[str, ...]) -> Ranking:
        fact = self.project.fact_tables[key.fact_table]
        tree = breakdown_ranking(fact, key.window, key.breakdown, key.limit, self.rules)
        start, end = (f"{t:%Y%m%dT%H%M}" for t in (key.window.start, key.window.end))
        query = CompiledQuery(
            id=f"{key.fact_table}__{key.breakdown}__top{key.limit}__{start}_{end}",
            kind="ranking",
            fact_table=key.fact_table,
            interval=scan.interval,
            window=key.window,
            breakdown=key.breakdown,
            dialect=self.rules.name,
            sql=self._render(scan, tree),
            metrics=metrics,  # the metrics whose chunks fold by what it returns
        )
        return Ranking(key, query)

    def _bases(self) -> dict[ScanKey, str]:
        limits: dict[tuple[str, Interval, str | None], set[int | None]] = {}
        for key in self.scans:
            if key.kind == "breakdown":
                limits.setdefault((key.source, key.interval, key.breakdown), set()).add(key.limit)
        return {
            key: key.base_id(len(limits.get((key.source, key.interval, key.breakdown), ())))
            for key in self.scans
        }

    def _render(self, key: ScanKey, tree: exp.Expression) -> str:
        try:
            return self.rules.render(tree)
        except sqlglot.errors.SqlglotError as exc:
            # e.g. a user's date_trunc('hour', …) that sqlglot cannot express in MySQL.
            what = "sql metric" if key.kind == "sql_metric" else "fact table"
            raise TriplError(
                f"cannot render the {what} '{key.source}' in {self.rules.name}: {exc}",
                hint="rewrite that SQL with functions the target dialect supports",
            ) from None

    def _variant(self, key: ScanKey, scan: _Scan) -> QueryVariant | None:
        """The BITMAP form of an aggregate query and its probe, where the dialect has one.

        Only beside the dialect's own PREAGGREGATE choice: the probe tells which of the two
        the data favours (compiler/bitmap.py); shapes a caller forces (benchmarks, tests) are
        compiled as asked.
        """
        if (
            not self.adaptive
            or key.kind != "aggregate"
            or self.shapes.distinct is not DistinctStrategy.PREAGGREGATE
        ):
            return None
        fact = self.project.fact_tables[key.source]
        probe = bitmap_probe_query(fact, key.interval, key.window, scan.aggregates, self.rules)
        if probe is None:
            return None
        shapes = dataclasses.replace(self.shapes, distinct=DistinctStrategy.BITMAP)
        tree = aggregate_query(fact, key.interval, key.window, scan.aggregates, self.rules, shapes)
        return QueryVariant(
            DistinctStrategy.BITMAP.value, self._render(key, probe), self._render(key, tree)
        )

    def _query(self, key: ScanKey, scan: _Scan, query_id: str, base: str) -> CompiledQuery:
        sql = self._render(key, self._tree(key, scan))
        return CompiledQuery(
            id=query_id,
            kind=key.kind,
            fact_table=None if key.kind == "sql_metric" else key.source,
            interval=key.interval,
            window=key.window,
            breakdown=key.breakdown if key.kind == "breakdown" else None,
            dialect=self.rules.name,
            sql=sql,
            metrics=tuple(scan.metrics),
            base_id=base,
            variant=self._variant(key, scan),
        )

    def _tree(self, key: ScanKey, scan: _Scan) -> exp.Expression:
        if key.kind == "sql_metric":
            metric = self.project.metrics[key.source]
            assert isinstance(metric, SqlMetric)
            return sql_metric_query(metric, key.interval, key.window, self.rules)
        fact = self.project.fact_tables[key.source]
        if key.kind == "breakdown":
            assert key.breakdown is not None
            return breakdown_query(
                fact,
                key.interval,
                key.window,
                key.breakdown,
                key.limit,
                scan.aggregates,
                self.rules,
                self.shapes,
                rank_window=key.rank_window,
                kept=self.tops.get(_RankKey.of(key)),
            )
        shapes = self.shapes
        # A SEPARATE distinct part needs nothing here: build.py keeps SEPARATE's distinct
        # counts in one GROUP BY (and no cube) wherever they are.
        if key.kind == "distinct":  # one unfiltered count: nothing to gain from splitting
            shapes = Shapes(DistinctStrategy.INLINE, shapes.breakdown, shapes.filters)
        return aggregate_query(fact, key.interval, key.window, scan.aggregates, self.rules, shapes)

    def _ref(self, ref: _PendingRef, ids: dict[ScanKey, str]) -> MeasureRef:
        return MeasureRef(
            query_id=ids[ref.key],
            value=ref.columns.value,
            aggregation=ref.aggregation,
            matches=ref.columns.matches,
            row_count=ref.row_count,
        )

    def _output(self, pending: _PendingOutput, ids: dict[ScanKey, str]) -> MetricOutput:
        den = pending.denominator
        return MetricOutput(
            metric=pending.metric,
            value=self._ref(pending.value, ids),
            denominator=self._ref(den, ids) if den is not None else None,
            breakdown=pending.breakdown,
        )


def _unique_ids(bases: dict[ScanKey, str]) -> dict[ScanKey, str]:
    """Query ids: the base id, suffixed with the window when a base has several windows.

    Results and compiled files are keyed by id, so two scans must never share one: a
    breakdown column named like one of tripl's suffixes (`count_distinct`) would make
    `<fact>__<interval>__count_distinct` twice; the breakdown's id then gets its kind.
    """
    shared = Counter(bases.values())
    ids = {
        key: base
        + (
            f"__{key.window.start:%Y%m%dT%H%M}_{key.window.end:%Y%m%dT%H%M}"
            if shared[base] > 1
            else ""
        )
        for key, base in bases.items()
    }
    taken = Counter(ids.values())
    for key, query_id in ids.items():
        if taken[query_id] > 1 and key.kind == "breakdown":
            # A chunk of a longer window beside the same window's own breakdown: `__ranked`.
            ids[key] = f"{query_id}__{'ranked' if key.rank_window else 'breakdown'}"
    # Still possible: breakdown columns named `count_distinct` and `count_distinct__breakdown`.
    if len(set(ids.values())) != len(ids):
        clash = next(i for i, n in Counter(ids.values()).items() if n > 1)
        raise TriplError(f"two queries would share the id '{clash}'", hint="rename a column")
    return ids


def _chunk(metric: AnyMetric) -> timedelta | None:
    if metric.chunk is None:
        return None
    try:
        return parse_duration(metric.chunk)
    except ValueError as err:
        raise TriplError(f"metric '{metric.name}': {err}", hint="e.g. chunk: 7d") from None


def compile_plan(
    project: Project,
    metrics: Sequence[str],
    *,
    dialect: str,
    window_for: WindowSpec,
    shapes: Shapes | None = None,
    tops: Mapping[Hashable, Sequence[str]] | None = None,
    rank_history: bool = False,
    own_ranking: Collection[str] = (),
) -> CompiledPlan:
    """Compile `metrics` (in order) for `dialect`.

    `tops` holds what the plan's `rankings` returned: the chunks of those breakdowns then
    fold by the values kept; without it each chunk ranks the whole window itself.
    `rank_history`: breakdowns rank over at least the last `initial_buckets` buckets of
    their window's end, not just the window (a resumed run's few buckets); such a ranking
    is one of the plan's `rankings`, as a chunked window's is — except for the metrics in
    `own_ranking`, which rank over their own window (the runner's fallback).

    `window_for` is one window for all, or gives each metric's window by name (compositions
    included: a `per_distinct` one needs its distinct counts over its own window). Windows
    are aligned to the metric's interval and split by its `chunk`. `shapes` overrides the
    dialect's measured choice of SQL shapes (benchmarks and tests compare them; the values
    are the same).
    """
    rules = rules_for(dialect)
    builder = _PlanBuilder(
        project,
        rules,
        window_for,
        shapes or rules.shapes(),
        adaptive=shapes is None,
        tops=tops or {},
        rank_history=rank_history,
        own_ranking=own_ranking,
    )
    for name in metrics:
        builder.add(name)
    plan = builder.finish()
    log.debug("compiled %d metrics into %d queries (%s)", len(metrics), len(plan.queries), dialect)
    return plan


def compile_single(
    project: Project,
    metric: str,
    *,
    dialect: str,
    window_for: WindowSpec,
    shapes: Shapes | None = None,
    tops: Mapping[Hashable, Sequence[str]] | None = None,
    rank_history: bool = False,
    own_ranking: Collection[str] = (),
) -> CompiledPlan:
    """One metric alone: the runner's fallback when a combined query fails (SPEC §5)."""
    return compile_plan(
        project,
        [metric],
        dialect=dialect,
        window_for=window_for,
        shapes=shapes,
        tops=tops,
        rank_history=rank_history,
        own_ranking=own_ranking,
    )
