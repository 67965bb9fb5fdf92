"""One `tripl run`: plan → execute → store → compose (SPEC §4–§6).

Metrics sharing a fact-table scan share one window (so one query serves them all); a failing
combined query is retried metric by metric so the others still collect; every metric's
window is replaced atomically, and the whole run holds the state's run lock.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from tripl_cli.adapters import QueryResult
from tripl_cli.compiler.assemble import BucketTypeError, assemble_by_metric, distinct_counts
from tripl_cli.compiler.plan import compile_plan, compile_single
from tripl_cli.compiler.records import CompiledPlan, CompiledQuery
from tripl_cli.errors import StateValueError, TriplError
from tripl_cli.project.model import Project
from tripl_cli.project.schema import (
    Aggregation,
    AnyMetric,
    CompositionMetric,
    FactMetric,
    MetricStatus,
)
from tripl_cli.project.semantics import (
    breakdown_spec,
    breakdowns_only_changed,
    definition_hash,
    earlier_hashes,
    is_known_hash,
    metrics_in_dependency_order,
)
from tripl_cli.runner.compose import compose
from tripl_cli.runner.execute import AdapterFactory, Executor, QueryOutcome
from tripl_cli.runner.gc_pacing import fewer_gc_passes
from tripl_cli.runner.outcomes import (
    DefinitionChange,
    MetricOutcome,
    PlannedQuery,
    RunReport,
    run_status,
)
from tripl_cli.runner.windows import (
    MetricHistory,
    WindowRequest,
    metric_window,
    widen_to_shared_scans,
)
from tripl_cli.state.records import WindowWrite
from tripl_cli.state.store import StateStore
from tripl_cli.timegrid import Interval, Window, aligned_window, iso_utc
from tripl_cli.types import TOTAL, MetricValue

log = logging.getLogger(__name__)


class RunEvents(Protocol):
    """Progress callbacks (the CLI draws a progress bar from them)."""

    def planned(self, total_queries: int) -> None:
        """How many queries the run sends; called again if a ranking changes the count."""

    def query_done(self, query: CompiledQuery, ok: bool) -> None: ...


@dataclass(frozen=True)
class RunRequest:
    metrics: tuple[str, ...]  # already selected by the caller
    window: WindowRequest
    threads: int = 1
    query_timeout_s: float | None = None
    lock_timeout_s: float = 60.0
    dry_run: bool = False


def _renamed_note(name: str, old: Sequence[str]) -> str:
    names = " or ".join(f"'{o}'" for o in old)
    return (
        f"same definition as {names}, stored but no longer in the project: if it was renamed,"
        f" its history stays under the old name; `tripl run -s {name} --start DATE` backfills"
        " older buckets"
    )


def _scan_groups(project: Project, names: Iterable[str]) -> list[list[str]]:
    """Metrics per (fact table, interval) scan; a cross-table ratio sits in two groups."""
    groups: dict[tuple[str, Interval], list[str]] = defaultdict(list)
    for name in names:
        metric = project.metrics[name]
        tables: list[str] = []
        if isinstance(metric, FactMetric):
            tables = [m.fact_table for m in metric.measures()]
        elif isinstance(metric, CompositionMetric) and metric.per_distinct is not None:
            tables = [metric.per_distinct.fact_table]
        for table in dict.fromkeys(tables):
            groups[(table, project.interval_of(metric))].append(name)
    return list(groups.values())


class _Run:
    def __init__(
        self,
        project: Project,
        store: StateStore,
        *,
        dialect: str,
        request: RunRequest,
        run_id: str,
        events: RunEvents | None,
        mask: Callable[[str], str] | None = None,
    ) -> None:
        self.project, self.store, self.dialect = project, store, dialect
        self.request, self.run_id, self.events = request, run_id, events
        self.outcomes: dict[str, MetricOutcome] = {}
        self.hashes: dict[str, str] = {}
        self.changed: set[str] = set()
        #: Metrics whose breakdowns changed and nothing else: their breakdown series are
        #: dropped and recollected, their totals kept.
        self.new_breakdowns: set[str] = set()
        self.breakdowns_only: dict[str, bool] = {}  # `_breakdowns_only`, per stale metric
        #: Unchanged metrics whose stored hash is an older hashing of the same definition.
        self.relabel: dict[str, str] = {}
        #: Every metric's definition hash in the state, as the run found it, and the
        #: breakdowns it was taken with (`breakdown_spec`; None before schema v8).
        self.stored_hashes: dict[str, str | None] = {}
        self.stored_specs: dict[str, str | None] = {}
        self.windows: dict[str, Window] = {}
        #: Metrics whose SQL cannot be built for this dialect: failed alone, others go on.
        self.compile_errors: dict[str, str] = {}
        self.compiled: list[str] = []  # the metrics the plan holds (for a recompile)
        #: What this run's rankings kept, per ranked breakdown (`compile_plan(tops=…)`).
        self.tops: dict[Hashable, tuple[str, ...]] = {}
        #: Metrics whose ranking over history failed: they rank over their own window.
        self.own_ranking: set[str] = set()
        #: A note per metric for its outcome (run_results.json), beside a changed definition's.
        self.notes: dict[str, str] = {}
        self.mask: Callable[[str], str] = mask or (lambda text: text)
        #: Every query sent, in order: rankings, the plan's queries, per-metric retries.
        self.sent: list[QueryOutcome] = []
        self.retries: list[bool] = []  # per `sent`: a one-metric retry of a failed query

    # -- planning ------------------------------------------------------------------------

    def plan_windows(self, names: Sequence[str]) -> None:
        statuses = self.store.metric_statuses()
        self.stored_hashes = {n: s.definition_hash for n, s in statuses.items()}
        self.stored_specs = {n: s.breakdown_spec for n, s in statuses.items()}
        defaults = self.project.config.defaults
        # Stored metrics the project no longer declares, by hash (the name is not in it).
        gone: dict[str, list[str]] = {}
        for stored_name, status in statuses.items():
            if stored_name not in self.project.metrics and status.definition_hash:
                gone.setdefault(status.definition_hash, []).append(stored_name)
        natural: dict[str, Window] = {}
        for name in names:
            metric = self.project.metrics[name]
            self.hashes[name] = definition_hash(self.project, metric)
            stored = statuses.get(name)
            if stored is None and gone:
                self._note_a_rename(name, metric, gone)
            previous = stored.definition_hash if stored else None
            changed = self._stale(name)
            if changed and self._breakdowns_only(name):
                self.new_breakdowns.add(name)
            elif changed:
                self.changed.add(name)
            elif previous and previous != self.hashes[name]:
                self.relabel[name] = previous  # the same definition, hashed the older way
            dropped = name in self.changed  # all its history (not only its breakdowns)
            history = MetricHistory(
                watermark=None if dropped or stored is None else stored.watermark,
                hash_changed=dropped,
                breakdowns_changed=name in self.new_breakdowns,
            )
            natural[name] = metric_window(
                self.project.interval_of(metric),
                history,
                self.request.window,
                lookback=defaults.lookback,
                initial_buckets=defaults.initial_buckets,
            )
        self.windows = widen_to_shared_scans(natural, _scan_groups(self.project, names))
        self._cover_inputs(names)
        for name in names:
            if name not in self.windows:
                self.outcomes[name] = MetricOutcome(name, "skipped", note=self._empty_note())

    def add_note(self, name: str, note: str) -> None:
        """A note for `name`'s outcome, after any it has already."""
        self.notes[name] = f"{self.notes[name]}; {note}" if name in self.notes else note

    def _note_a_rename(self, name: str, metric: AnyMetric, gone: Mapping[str, list[str]]) -> None:
        """`name` is new to the state: say so if a stored, undeclared metric has its very
        definition (today's hash or an earlier tripl's): its history stays under that name."""
        hashes = (self.hashes[name], *earlier_hashes(self.project, metric))
        old = sorted({o for h in hashes for o in gone.get(h, ())})
        if old:
            self.add_note(name, _renamed_note(name, old))

    def _empty_note(self) -> str:
        """Why a metric's window is empty: no complete new bucket yet, or an `--end` (without
        `--start`) at or before where the metric resumes."""
        request = self.request.window
        if request.end is None or request.start is not None:
            return "nothing to collect yet"
        return (
            f"nothing to collect before --end {iso_utc(request.end)}: the metric resumes "
            "after it (add --start to recollect older buckets)"
        )

    def _cover_inputs(self, names: Sequence[str]) -> None:
        """A composition recomputes every bucket its inputs recompute in this run.

        Its own resume window may be narrower than theirs (an input widened to a shared scan
        recollects older buckets): without this, those buckets would keep a ratio of values
        that are no longer stored. `names` is in dependency order, so this chains.
        """
        for name in names:
            metric = self.project.metrics[name]
            if not isinstance(metric, CompositionMetric):
                continue
            spans = [self.windows[m] for m in (name, *metric.parts) if m in self.windows]
            if spans:
                self.windows[name] = Window(min(w.start for w in spans), max(w.end for w in spans))

    def compile(self, names: Sequence[str]) -> CompiledPlan:
        """One plan for all; if a metric cannot be compiled, the others still are."""
        try:
            plan = self._compile(names)
            self.compiled = list(names)
            return plan
        except TriplError:
            compilable: list[str] = []
            for name in names:
                try:
                    self._compile([name])
                    compilable.append(name)
                except TriplError as exc:
                    self.compile_errors[name] = exc.message
            self.compiled = compilable
            return self._compile(compilable)

    def _compile(
        self, names: Sequence[str], tops: Mapping[Hashable, Sequence[str]] | None = None
    ) -> CompiledPlan:
        # The same names and windows give the same query ids, so a recompile with `tops`
        # only changes the SQL of the ranked breakdowns.
        return compile_plan(
            self.project,
            names,
            dialect=self.dialect,
            window_for=self.windows.__getitem__,
            tops=tops,
            rank_history=self.rank_history,
            own_ranking=self.own_ranking,
        )

    @property
    def rank_history(self) -> bool:
        """Breakdowns of a resumed window rank over `initial_buckets` (compile_plan); a
        window the user chose with `--start` ranks over itself, as SPEC §5 says."""
        return self.request.window.start is None

    def ranked(self, plan: CompiledPlan, executor: Executor) -> CompiledPlan:
        """Breakdowns ranked over more than their query's window (chunked ones, a resumed
        run's): rank once, then fold by the values kept — instead of every query reading
        the whole ranking window to rank it again.

        A ranking that reached back before its metrics' window (`rank_history`) and failed
        (a timeout, history the warehouse no longer holds) is retried over their window
        alone, with a note; any other failed ranking fails the metrics that need it: the
        self-ranking form would only repeat its work (and its timeout) once per chunk.
        """
        if not plan.rankings:
            return plan
        outcomes = self.send(executor, [r.query for r in plan.rankings], progress=True)
        failed: dict[str, str] = {}
        narrowed: set[str] = set()
        for ranking, outcome in zip(plan.rankings, outcomes, strict=True):
            if outcome.result is None:
                error = f"ranking its breakdown values failed: {_describe(outcome.error)}"
                for name in ranking.query.metrics:
                    if self._ranked_before_its_window(name, ranking.query.window):
                        narrowed.add(name)
                        note = self._narrowed_note(ranking.query.window, error)
                        self.add_note(name, note)
                        log.warning("%s: %s", name, note)
                    else:
                        failed[name] = error
                continue
            kept = [row[0] for row in outcome.result.rows]
            assert all(isinstance(v, str) for v in kept), "breakdown values are text"
            self.tops[ranking.key] = tuple(sorted(kept))  # stable SQL, whatever the row order
        for name, error in failed.items():
            self.fail(name, error, time.perf_counter() - spent_on(self.sent, name))
        # Failed metrics leave the plan for good: a later recompile (a narrowed metric's own
        # ranking) must not bring them back, or two failing rankings would alternate forever.
        self.compiled = [n for n in self.compiled if n not in failed]
        if failed or narrowed:
            self.own_ranking |= narrowed
            folded = self._compile(self.compiled, self.tops)
            self.announce(len(self.sent) + len(folded.rankings) + len(folded.queries))
            # A narrowed metric whose window is chunked still needs a ranking, of its window.
            return self.ranked(folded, executor) if folded.rankings else folded
        # Only the ranked metrics are compiled again (a whole recompile of a big project
        # would double its compile time), and their breakdown queries' SQL swapped in.
        ranked = {name for r in plan.rankings for name in r.query.metrics}
        again = self._compile([n for n in self.compiled if n in ranked], self.tops)
        swapped = _with_sql_of(plan, again)
        return swapped if swapped is not None else self._compile(self.compiled, self.tops)

    def _ranked_before_its_window(self, name: str, ranked_over: Window) -> bool:
        """Whether `name`'s breakdowns ranked over history before its own window."""
        if not self.rank_history or name in self.own_ranking:
            return False
        return ranked_over.start < self._aligned_window(name).start

    def _narrowed_note(self, ranked_over: Window, error: str) -> str:
        return self.mask(
            f"breakdown values ranked over this run's window only: {error}"
            f" (over {iso_utc(ranked_over.start)} .. {iso_utc(ranked_over.end)})"
        )

    # -- sending -------------------------------------------------------------------------

    def announce(self, total_queries: int) -> None:
        if self.events is not None:
            self.events.planned(total_queries)

    def send(
        self, executor: Executor, queries: Sequence[CompiledQuery], *, progress: bool = False
    ) -> list[QueryOutcome]:
        """Run `queries`, keep their outcomes for the report; `progress` moves the bar (the
        per-metric retries of a failed query are not in its total, so they leave it be)."""
        done = self.events.query_done if progress and self.events is not None else None
        outcomes = executor.run_all(queries, done)
        self.sent.extend(outcomes)
        self.retries.extend([not progress] * len(outcomes))
        return outcomes

    # -- collecting ----------------------------------------------------------------------

    def collect(self, plan: CompiledPlan, executor: Executor) -> None:
        outcomes = self.send(executor, plan.queries, progress=True)
        results = {o.query.id: o.result for o in outcomes if o.result is not None}
        errors = _errors_by_metric(outcomes)
        good = [m for m in plan.metrics() if m not in errors and m not in plan.compositions]
        # A metric's duration: the queries that computed it (shared ones in full, its
        # breakdowns' ranking too) + its write.
        spent = {name: spent_on(self.sent, name) for name in plan.metrics()}
        values, unreadable = _assemble_isolated(plan, results, good)
        for name, error in unreadable.items():
            good.remove(name)
            self.fail(name, error, time.perf_counter() - spent[name])
        started = {name: time.perf_counter() - spent[name] for name in good}
        self.store_metrics({name: values[name] for name in good}, started)
        for name, error in errors.items():
            if name not in plan.compositions:
                self.fallback(
                    name, error, executor, shared=_shared(outcomes, name), spent=spent[name]
                )
        self.distincts = distinct_counts(plan, results)
        self.distinct_errors = {m: e for m, e in errors.items() if m in plan.compositions}

    def fallback(
        self, name: str, error: str, executor: Executor, *, shared: bool, spent: float
    ) -> None:
        """A combined query failed: retry this metric alone so one bad metric fails alone."""
        started = time.perf_counter() - spent
        if shared:
            single = compile_single(
                self.project,
                name,
                dialect=self.dialect,
                window_for=self.windows.__getitem__,
                tops=self.tops,
                rank_history=self.rank_history,
                own_ranking=self.own_ranking,
            )
            outcomes = self.send(executor, single.queries)
            if all(o.error is None for o in outcomes):
                results = {o.query.id: o.result for o in outcomes if o.result is not None}
                try:
                    self.store_metric(name, _assemble_one(single, results, name), started)
                    return
                except AssembleError as exc:
                    error = str(exc)
            else:
                error = next(_describe(o.error) for o in outcomes if o.error is not None)
        self.fail(name, error, started)

    def store_metric(self, name: str, values: list[MetricValue], started: float) -> None:
        self.store_metrics({name: values}, {name: started})

    def store_metrics(
        self, values: Mapping[str, list[MetricValue]], started: Mapping[str, float]
    ) -> None:
        """Store each metric's window, all in one transaction (values, status and any
        dropped history never disagree, and a run of many metrics pays one commit)."""
        writes = [
            WindowWrite(
                name,
                self.windows[name],
                metric_values,
                definition_hash=self.hashes[name],
                run_id=self.run_id,
                breakdown_columns=self.project.metrics[name].breakdowns,
                status="success",
                reset=name in self.changed,  # dropped only as the new values are stored
                reset_breakdowns=name in self.new_breakdowns,
                breakdown_spec=breakdown_spec(self.project.metrics[name]),
            )
            for name, metric_values in values.items()
        ]
        if not writes:
            return
        try:
            self.store.replace_windows(writes)
        except StateValueError as exc:
            # One metric's values were refused (a NUL character on PostgreSQL): store them
            # one by one, so only that metric fails and the others are kept.
            if len(writes) == 1:
                self._refused(writes[0], exc, started[writes[0].metric])
                return
            writes = [w for w in writes if self._store_alone(w, started[w.metric])]
        for write in writes:
            name = write.metric
            buckets = sum(1 for v in write.values if v.breakdown == TOTAL)
            notes = [self.notes[name]] if name in self.notes else []
            if name in self.changed:
                notes.insert(0, "definition changed: history dropped and recollected")
            elif name in self.new_breakdowns:
                notes.insert(0, "breakdowns changed: breakdown history dropped and recollected")
            note = "; ".join(notes) or None
            seconds = time.perf_counter() - started[name]
            self.outcomes[name] = MetricOutcome(
                name, "success", write.window, buckets, seconds, note=note
            )

    def _store_alone(self, write: WindowWrite, started: float) -> bool:
        try:
            self.store.replace_windows([write])
            return True
        except StateValueError as exc:
            self._refused(write, exc, started)
            return False

    def _refused(self, write: WindowWrite, exc: StateValueError, started: float) -> None:
        self.fail(write.metric, f"storing its values failed: {exc.message}", started)

    def _stale_inputs(self, name: str, stale: Sequence[str]) -> str:
        what = (
            f"input metric {', '.join(stale)} changed since it was last collected, so its"
            " stored values are the old definition's"
        )
        inactive = [i for i in stale if self.project.metrics[i].status is not MetricStatus.ACTIVE]
        if inactive:  # `tripl run` skips it: collecting it first is not possible as it is
            return f"{what}: make {inactive[0]} active and collect it, or restore its definition"
        first = stale[0]
        return f"{what}: collect it first (`tripl run -s {first}`) or with this one (`-s +{name}`)"

    def _stale(self, name: str) -> bool:
        """Whether `name`'s stored values were collected under another definition (it was
        changed and not collected since): they are recollected, and no composition is
        computed from them meanwhile. An older hashing of the same definition is not."""
        stored = self.stored_hashes.get(name)
        metric = self.project.metrics.get(name)
        return (
            stored is not None
            and metric is not None
            and stored != self.hashes.get(name)  # today's, computed once when planning
            and not is_known_hash(self.project, metric, stored)
        )

    def recollecting(self, name: str) -> bool:
        """Whether this run drops stored values of `name` (all or its breakdowns)."""
        return name in self.changed or name in self.new_breakdowns

    def _breakdowns_only(self, name: str) -> bool:
        """Whether `name` (stale) changed only its breakdowns: its stored totals stand."""
        if name not in self.breakdowns_only:  # asked when planning and when composing
            self.breakdowns_only[name] = breakdowns_only_changed(
                self.project,
                self.project.metrics[name],
                self.stored_hashes.get(name),
                self._stored_breakdown_columns(name),
                self.stored_specs.get(name),
            )
        return self.breakdowns_only[name]

    def _stored_breakdown_columns(self, name: str) -> Iterator[str]:
        # A generator: the state is queried only if it is read, where the stored spec is
        # missing or unreadable (a fact table's SQL change makes every metric on it stale).
        yield from self.store.breakdown_columns(name)

    def fail(self, name: str, error: str, started: float) -> None:
        error = self.mask(error)
        log.error("%s: %s", name, error)
        self.store.record_status(
            name,
            status="error",
            run_id=self.run_id,
            error=error,
            # A changed metric keeps its old hash (and history) until it is collected: the
            # next run still sees the change and recollects then.
            definition_hash=None if self.recollecting(name) else self.hashes[name],
        )
        self.outcomes[name] = MetricOutcome(
            name, "error", self.windows.get(name), 0, time.perf_counter() - started, error
        )

    def compose_all(self, names: Sequence[str]) -> None:
        for name in names:
            metric = self.project.metrics[name]
            if not isinstance(metric, CompositionMetric) or name not in self.windows:
                continue
            if name in self.compile_errors:  # already recorded as failed; keep what is stored
                continue
            started = time.perf_counter()
            failed = [
                i for i in metric.parts if (o := self.outcomes.get(i)) and o.status == "error"
            ]
            if failed:
                self.fail(name, f"input metric {', '.join(failed)} failed in this run", started)
                continue
            if name in self.distinct_errors:
                self.fail(name, self.distinct_errors[name], started)
                continue
            # A part whose breakdowns alone changed still has its totals: all a composition reads.
            stale = [
                i
                for i in metric.parts
                if i not in self.windows and self._stale(i) and not self._breakdowns_only(i)
            ]
            if stale:
                self.fail(name, self._stale_inputs(name, stale), started)
                continue
            window = self.windows[name]
            numerator = self.store.read_series(metric.numerator, start=window.start, end=window.end)
            divisor = (
                self.store.read_series(metric.denominator, start=window.start, end=window.end)
                if metric.denominator
                else self.distincts.get(name, {})
            )
            values = compose(
                metric, window, numerator, divisor, zero_at=self._known_zeros(metric, window)
            )
            empty = [
                part
                for part, series in ((metric.numerator, numerator), (metric.denominator, divisor))
                if part is not None and not series
            ]
            if not values and any(self._not_collected_here(part) for part in empty):
                note = (
                    "an input has no values stored in this window: collect the inputs first "
                    f"(`tripl run -s +{name}`)"
                )
                self.add_note(name, note)
                log.warning("%s: %s", name, note)
            self.store_metric(name, values, started)

    def _not_collected_here(self, name: str) -> bool:
        outcome = self.outcomes.get(name)
        return outcome is None or outcome.status != "success"

    def _known_zeros(self, metric: CompositionMetric, window: Window) -> Callable[[datetime], bool]:
        """Where the composition's numerator, if a count, is 0 in a bucket it did not store:
        within the window it was collected over in this run, and where the composition's
        own stored value had a 0 numerator (computed when that was known; the numerator
        still stores nothing there) — so running the composition alone keeps its 0s."""
        part = self.project.metrics.get(metric.numerator)
        # Counts only: a sum's bucket is also absent where its value was NaN (a gap, never
        # the additive 0), which the stored series cannot tell from "no row matched".
        if not isinstance(part, FactMetric) or part.is_ratio or part.aggregation not in _COUNTS:
            return lambda _bucket: False
        collected = (
            None
            if self._not_collected_here(metric.numerator)
            else self._aligned_window(metric.numerator)
        )
        if (
            collected is not None
            and collected.start <= window.start
            and window.end <= collected.end
        ):
            return collected.contains  # the usual run: no stored zeros to read
        zeros: set[datetime] = set()
        if metric.name not in self.changed:  # a changed definition's zeros are not its own
            stored = self.store.read_series(metric.name, start=window.start, end=window.end)
            zeros = {p.bucket for p in stored if p.numerator == 0}
        return lambda bucket: (
            bucket in zeros or (collected is not None and collected.contains(bucket))
        )

    def _aligned_window(self, name: str) -> Window:
        """`name`'s window in whole buckets, as its queries read it (`compile_plan`)."""
        window = self.windows[name]
        interval = self.project.interval_of(self.project.metrics[name])
        return aligned_window(window.start, window.end, interval)


#: Numerators a composition reads as 0 where they stored no bucket (`_zero_window`).
_COUNTS = frozenset({Aggregation.COUNT, Aggregation.COUNT_DISTINCT})


class AssembleError(Exception):
    """A query's rows could not be read as the metric's values (e.g. max over a text column)."""


def _unreadable(name: str, exc: TypeError | ValueError) -> str:
    what = (
        "make its time column a date or timestamp"
        if isinstance(exc, BucketTypeError)
        else "check that the aggregated column is numeric"
    )
    return f"cannot read the values of '{name}' from the warehouse's rows ({exc}); {what}"


def _assemble_one(
    plan: CompiledPlan, results: Mapping[str, QueryResult], name: str
) -> list[MetricValue]:
    values, unreadable = _assemble_isolated(plan, results, [name])
    if unreadable:
        raise AssembleError(unreadable[name])
    return values[name]


def _assemble_isolated(
    plan: CompiledPlan, results: Mapping[str, QueryResult], names: Sequence[str]
) -> tuple[dict[str, list[MetricValue]], dict[str, str]]:
    """Every metric's values, and the errors of those whose rows cannot be read (e.g. max
    over a text column)."""
    found, unreadable = assemble_by_metric(_only(plan, names), results)
    values = {name: found.get(name, []) for name in names}
    return values, {name: _unreadable(name, exc) for name, exc in unreadable.items()}


def spent_on(outcomes: Sequence[QueryOutcome], metric: str) -> float:
    """Seconds of the queries that computed `metric` (a shared query counts in full)."""
    return sum(o.seconds for o in outcomes if metric in o.query.metrics)


def _with_sql_of(plan: CompiledPlan, part: CompiledPlan) -> CompiledPlan | None:
    """`plan` with the SQL of `part`'s breakdown queries (compiled from a subset of its
    metrics), or None unless each is the same query — id, window, metrics — in `plan`."""
    queries = {q.id: q for q in plan.queries}
    for query in part.queries:
        if query.kind != "breakdown":
            continue
        same = queries.get(query.id)
        if same is None or (same.kind, same.window, same.metrics) != (
            query.kind,
            query.window,
            query.metrics,
        ):
            return None
        queries[query.id] = dataclasses.replace(same, sql=query.sql)
    return dataclasses.replace(plan, queries=tuple(queries.values()), rankings=())


def _describe(error: BaseException | None) -> str:
    message = getattr(error, "message", None) or str(error)
    return " ".join(str(message).split())


def _errors_by_metric(outcomes: Sequence[QueryOutcome]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for outcome in outcomes:
        if outcome.error is not None:
            for metric in outcome.query.metrics:
                errors.setdefault(metric, _describe(outcome.error))
    return errors


def _shared(outcomes: Sequence[QueryOutcome], metric: str) -> bool:
    """Whether a failed query of `metric` also computed other metrics (worth isolating)."""
    return any(
        o.error is not None and len(o.query.metrics) > 1 and metric in o.query.metrics
        for o in outcomes
    )


def _only(plan: CompiledPlan, metrics: Sequence[str]) -> CompiledPlan:
    keep = set(metrics)
    return dataclasses.replace(
        plan, outputs=tuple(o for o in plan.outputs if o.metric in keep), distincts=()
    )


def run_project(
    project: Project,
    store: StateStore,
    connect: AdapterFactory,
    *,
    dialect: str,
    request: RunRequest,
    run_id: str,
    events: RunEvents | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    mask: Callable[[str], str] | None = None,
) -> RunReport:
    """Collect the requested metrics into the state store and report per metric.

    `mask` scrubs secrets (values from `env_var()`) from every recorded error.
    """
    started_at = clock()
    run = _Run(
        project, store, dialect=dialect, request=request, run_id=run_id, events=events, mask=mask
    )
    ordered = metrics_in_dependency_order(project, request.metrics)
    active = [m for m in ordered if project.metrics[m].status is MetricStatus.ACTIVE]
    for name in ordered:
        if name not in active:
            status = project.metrics[name].status.value
            run.outcomes[name] = MetricOutcome(name, "skipped", note=f"status is {status}")
    if request.dry_run:
        plan = _plan(run, active)
    else:
        # Windows are planned from the state under the lock: a run that waited for another
        # one sees the watermarks and definition hashes that run left behind.
        with store.run_lock(run_id, timeout_s=request.lock_timeout_s):
            plan = _plan(run, active)
            _execute(run, plan, [m for m in active if m in run.windows], connect)
    changed: tuple[DefinitionChange, ...] = ()
    if request.dry_run:
        planned = tuple(PlannedQuery.of(q) for q in plan.queries)
        changed = tuple(
            DefinitionChange(m, run.windows[m], breakdowns_only=m in run.new_breakdowns)
            for m in ordered
            if run.recollecting(m) and m in run.windows
        )
    else:
        planned = tuple(
            PlannedQuery.of(o.query, o, retry=r) for o, r in zip(run.sent, run.retries, strict=True)
        )
    return RunReport(
        run_id,
        started_at,
        clock(),
        request.dry_run,
        tuple(run.outcomes[m] for m in ordered if m in run.outcomes),
        planned,
        changed,
    )


def _plan(run: _Run, active: Sequence[str]) -> CompiledPlan:
    run.plan_windows(active)
    return run.compile([m for m in active if m in run.windows])


def _execute(run: _Run, plan: CompiledPlan, names: Sequence[str], connect: AdapterFactory) -> None:
    """Collect, store and compose; the caller holds the run lock."""
    request, store = run.request, run.store
    store.start_run(run.run_id, command="run")
    status = "error"
    try:
        for name, previous in run.relabel.items():
            store.relabel_hash(name, previous, run.hashes[name])
        for name, error in run.compile_errors.items():
            run.fail(name, error, time.perf_counter())
        executor = Executor(connect, threads=request.threads, timeout_s=request.query_timeout_s)
        try:
            run.announce(len(plan.rankings) + len(plan.queries))
            with fewer_gc_passes():
                run.collect(run.ranked(plan, executor), executor)
        finally:
            executor.close()
        run.compose_all(names)
        status = run_status(list(run.outcomes.values()))
    finally:
        summary = {
            s: sum(1 for o in run.outcomes.values() if o.status == s)
            for s in ("success", "error", "skipped")
        }
        store.finish_run(run.run_id, status=status, summary=summary)
