"""The executor's choice between a query and its variant (compiler/bitmap.py's BITMAP form).

The variant is an optimisation only: a failing probe or form falls back to the standard
SQL, while a timeout (DuckDB's Ctrl-C too) ends the query without a retry.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tripl_cli.adapters import QueryResult, QueryTimeout
from tripl_cli.compiler.records import CompiledQuery, QueryVariant
from tripl_cli.runner.execute import Executor, execute_query
from tripl_cli.timegrid import Interval, Window

WINDOW = Window(datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC))
QUERY = CompiledQuery(
    "t__1d", "aggregate", "t", Interval.D1, WINDOW, None, "duckdb", "PREAGG", ("users",),
    variant=QueryVariant("bitmap", "PROBE", "BITMAP"),
)  # fmt: skip


class _Recorder:
    """Answers PROBE with `verdict`; raises `fails[sql]` for the statements told to fail."""

    def __init__(self, verdict: object, fails: dict[str, Exception] | None = None) -> None:
        self.verdict = verdict
        self.fails = fails or {}
        self.ran: list[tuple[str, float | None]] = []

    def execute(self, sql: str, *, timeout_s: float | None = None) -> QueryResult:
        self.ran.append((sql, timeout_s))
        if sql in self.fails:
            raise self.fails[sql]
        if sql == "PROBE":
            return QueryResult(("tripl_bitmap",), ((self.verdict,),))
        return QueryResult(("bucket",), ((sql,),))

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("verdict", "fails", "runs"),
    [
        (True, {}, ["PROBE", "BITMAP"]),
        (1, {}, ["PROBE", "BITMAP"]),
        (False, {}, ["PROBE", "PREAGG"]),
        (None, {}, ["PROBE", "PREAGG"]),  # an all-NULL verdict
        ("false", {}, ["PROBE", "PREAGG"]),  # only true (or 1) takes the variant
        (2, {}, ["PROBE", "PREAGG"]),
        (True, {"PROBE": RuntimeError("no such function")}, ["PROBE", "PREAGG"]),
        (True, {"BITMAP": RuntimeError("Binder Error")}, ["PROBE", "BITMAP", "PREAGG"]),
    ],
    ids=["taken", "taken-as-1", "not-taken", "null", "text", "two", "probe-fails", "form-fails"],
)
def test_the_executor_runs_the_form_its_probe_picks(
    verdict: object, fails: dict[str, Exception], runs: list[str]
) -> None:
    adapter = _Recorder(verdict, fails)
    executor = Executor(lambda: adapter, threads=1, timeout_s=30)  # type: ignore[arg-type,return-value]
    (outcome,) = executor.run_all([QUERY])
    assert outcome.error is None and outcome.result is not None
    assert [sql for sql, _ in adapter.ran] == runs
    assert outcome.result.rows == ((runs[-1],),)  # the result of the last form run
    assert {t for _, t in adapter.ran} == {30}  # each statement gets the query's timeout


@pytest.mark.parametrize(("where", "runs"), [("PROBE", ["PROBE"]), ("BITMAP", ["PROBE", "BITMAP"])])
def test_a_timeout_ends_the_query_without_a_retry(where: str, runs: list[str]) -> None:
    """A timed-out (or, on DuckDB, interrupted) probe or form is not run again as standard."""
    stopped = QueryTimeout("stopped after the 1 s statement timeout")
    adapter = _Recorder(True, {where: stopped})
    with pytest.raises(QueryTimeout):
        execute_query(adapter, QUERY, timeout_s=1)  # type: ignore[arg-type]
    assert [sql for sql, _ in adapter.ran] == runs
