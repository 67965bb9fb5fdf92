"""Running compiled queries against the warehouse, sequentially or on a small thread pool.

Adapters are not thread-safe, so each worker thread opens its own connection; a failing
query never stops the others — its exception is returned in place of its result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tripl_cli.adapters import Adapter, QueryResult, QueryTimeout
from tripl_cli.compiler.records import CompiledQuery

log = logging.getLogger(__name__)

AdapterFactory = Callable[[], Adapter]
QueryDone = Callable[[CompiledQuery, bool], None]


@dataclass(frozen=True)
class QueryOutcome:
    query: CompiledQuery
    result: QueryResult | None
    error: Exception | None
    seconds: float


def execute_query(
    adapter: Adapter, query: CompiledQuery, *, timeout_s: float | None
) -> QueryResult:
    """Run the query — or its variant, where the variant's probe says so.

    The variant is an optimisation only: a failing probe leaves the query's own SQL, and a
    failing variant is retried as the query's own SQL (a bug in one form must not cost a
    metric). A timeout is never retried: it ends the query, so one query takes at most the
    probe's and one form's statement timeouts (Ctrl-C ends the whole run).
    """
    variant = query.variant
    if variant is None:
        return adapter.execute(query.sql, timeout_s=timeout_s)
    probe = _attempt(
        adapter, variant.probe_sql, timeout_s, f"query {query.id}: its {variant.shape} probe"
    )
    taken = probe is not None and probe_takes(probe)
    log.debug("query %s: %s form %s", query.id, variant.shape, "taken" if taken else "not taken")
    if taken:
        result = _attempt(
            adapter, variant.sql, timeout_s, f"query {query.id}: its {variant.shape} form"
        )
        if result is not None:
            return result
    return adapter.execute(query.sql, timeout_s=timeout_s)


def _attempt(adapter: Adapter, sql: str, timeout_s: float | None, what: str) -> QueryResult | None:
    """`sql`'s result, or None (with a warning) if it failed; a timeout still ends the query."""
    try:
        return adapter.execute(sql, timeout_s=timeout_s)
    except QueryTimeout:
        raise
    except Exception as exc:
        log.warning("%s failed, so it runs its standard form: %s", what, exc)
        return None


def probe_takes(result: QueryResult) -> bool:
    """A variant probe's verdict: its one row's one value, true (or 1) to take the variant."""
    return bool(result.rows) and result.rows[0][0] in (True, 1)


class Executor:
    """Owns the warehouse connections of one run; close it when the run ends."""

    def __init__(self, connect: AdapterFactory, *, threads: int, timeout_s: float | None) -> None:
        self._connect = connect
        self._threads = max(1, threads)
        self._timeout_s = timeout_s
        self._local = threading.local()
        self._opened: list[Adapter] = []
        self._guard = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def _adapter(self) -> Adapter:
        adapter: Adapter | None = getattr(self._local, "adapter", None)
        if adapter is None:
            adapter = self._connect()
            self._local.adapter = adapter
            with self._guard:
                self._opened.append(adapter)
        return adapter

    def run_one(self, query: CompiledQuery) -> QueryOutcome:
        """The query's result, or the exception it raised in its place.

        A warehouse that cannot be reached (or a missing driver) is not one query's failure:
        that exception propagates and ends the run with one message, instead of every metric
        failing with the same words after one connection attempt each.
        """
        started = time.perf_counter()
        adapter = self._adapter()
        try:
            log.debug("query %s: %s", query.id, ", ".join(query.metrics))
            result = execute_query(adapter, query, timeout_s=self._timeout_s)
            return QueryOutcome(query, result, None, time.perf_counter() - started)
        except Exception as exc:
            log.debug("query %s failed: %s", query.id, exc)
            return QueryOutcome(query, None, exc, time.perf_counter() - started)

    def run_all(
        self, queries: Sequence[CompiledQuery], on_done: QueryDone | None = None
    ) -> list[QueryOutcome]:
        def one(query: CompiledQuery) -> QueryOutcome:
            outcome = self.run_one(query)
            if on_done is not None:
                on_done(query, outcome.error is None)
            return outcome

        if self._threads == 1 or len(queries) <= 1:
            return [one(q) for q in queries]
        # One pool for the whole run: connections live per worker thread, so a new pool per
        # call (e.g. each per-metric fallback) would open new connections every time.
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="tripl-query")
        try:
            return list(self._pool.map(one, queries))
        except KeyboardInterrupt:
            self._interrupt()
            raise

    def _interrupt(self) -> None:
        """Ctrl-C while the pool works: stop the queries running in it, drop the queued ones
        (else closing would wait for every query to finish on its own)."""
        with self._guard:
            opened = list(self._opened)
        for adapter in opened:
            stop = getattr(adapter, "interrupt", None)  # DuckDB and PostgreSQL have one
            if stop is not None:
                stop()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        with self._guard:
            opened, self._opened = self._opened, []
        for adapter in opened:
            try:
                adapter.close()
            except Exception as exc:
                log.debug("closing a warehouse connection failed: %s", exc)
