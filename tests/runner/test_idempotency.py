"""What a re-run does to the store (SPEC §4): nothing when nothing changed; exactly the new
upstream truth when rows changed; a changed definition drops its history; resume windows
follow the watermark, lookback and initial_buckets; `--full-refresh` recollects.

All on DuckDB (the run logic is engine-independent; test_conformance covers the engines).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.compiler.reference import Key, Value
from tests.support.engines import Engine, load_table
from tripl_cli.adapters import QueryTimeout
from tripl_cli.api import run_api
from tripl_cli.compiler.records import CompiledQuery
from tripl_cli.project.semantics import definition_hash, earlier_hashes
from tripl_cli.runner.execute import Executor, QueryOutcome
from tripl_cli.runner.outcomes import RunReport
from tripl_cli.state import StateStore
from tripl_cli.timegrid import Window

from .conformance_data import (
    ORDER_COLUMNS,
    SESSION_COLUMNS,
    WINDOW,
    as_dicts,
    expected_values,
    order_rows,
    session_rows,
)
from .harness import Stored, Workspace, make_workspace, stored_values, value_rows
from .test_conformance import active_metrics, diff

ORDERS = order_rows()
SESSIONS = session_rows()
_tables = itertools.count()
#: The fixture's metrics on the daily grid (one shared window in every run).
DAILY = (
    "orders", "revenue", "paid_orders", "max_big_us", "min_unflagged", "buyers", "aov",
    "conversion", "refunds", "revenue_per_order", "orders_per_buyer",
)  # fmt: skip


def day(d: int, hour: int = 0) -> datetime:
    return datetime(2026, 1, d, hour, tzinfo=UTC)


class Warehouse:
    """The fixture's tables in DuckDB under names of this test's own (so reloads are local)."""

    def __init__(self, engine: Engine, tmp_path: Path) -> None:
        self.engine = engine
        n = next(_tables)
        self.orders_name, self.sessions_name = f"orders_idem{n}", f"sessions_idem{n}"
        self.orders: list[tuple[Any, ...]] = list(ORDERS)
        self.load()
        qualified_sessions = load_table(engine, self.sessions_name, SESSION_COLUMNS, SESSIONS)
        self.ws = make_workspace(
            tmp_path,
            engine.profile_output,
            cli_vars={"orders_table": self.orders_name, "sessions_table": qualified_sessions},
        )

    def load(self) -> None:
        load_table(self.engine, self.orders_name, ORDER_COLUMNS, self.orders)

    def delete_orders(self, where: Callable[[dict[str, Any]], bool]) -> int:
        """Rows deleted upstream: reload the table without them."""
        before = len(self.orders)
        names = [c for c, _ in ORDER_COLUMNS]
        self.orders = [r for r in self.orders if not where(dict(zip(names, r, strict=True)))]
        self.load()
        return before - len(self.orders)

    def expected(
        self, window: Window = WINDOW, rank_window: Window | None = None
    ) -> dict[Key, Value]:
        return expected_values(
            self.ws.project(),
            as_dicts(self.orders, ORDER_COLUMNS),
            as_dicts(SESSIONS, SESSION_COLUMNS),
            window,
            rank_window=rank_window,
        )

    def stored(self) -> dict[Key, Stored]:
        with self.ws.store() as store:
            return stored_values(store, active_metrics(self.ws.project()))

    def api_run(self, as_of: datetime, **options: Any) -> RunReport:
        return run_api.run(
            self.ws.project(),
            run_api.RunOptions(as_of=as_of, **options),
            profiles_dir=self.ws.root,
        )


@pytest.fixture
def wh(engine_factory: Callable[[str], Engine], tmp_path: Path) -> Warehouse:
    return Warehouse(engine_factory("duckdb"), tmp_path)


def backfill(ws: Workspace, start: str = "2026-01-05", end: str = "2026-01-12") -> None:
    result = ws.run("--start", start, "--end", end)
    assert result.exit_code == 0, result.output


def windows(report: RunReport) -> dict[str, Window | None]:
    return {o.metric: o.window for o in report.outcomes}


def test_rerunning_a_window_leaves_the_values_byte_for_byte_equal(wh: Warehouse) -> None:
    backfill(wh.ws)
    first = value_rows(wh.ws.state_path)
    with wh.ws.store() as store:
        first_run = store.list_runs(limit=1)[0].run_id
    backfill(wh.ws)
    assert value_rows(wh.ws.state_path) == first
    assert sum(len(rows) for rows in first.values()) > 300
    # …and the second run really rewrote them (every row carries its run id).
    with wh.ws.store() as store:
        second_run = store.list_runs(limit=1)[0].run_id
        assert second_run != first_run
        assert {p.bucket for p in store.read_series("orders")} == {day(d) for d in range(5, 12)}
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(wh.ws.state_path)) as conn:
        run_ids = {r[0] for r in conn.execute("SELECT DISTINCT run_id FROM tripl_metric_values")}
    assert run_ids == {second_run}


def test_rows_deleted_upstream_disappear_after_the_next_run(wh: Warehouse) -> None:
    backfill(wh.ws)
    before = wh.stored()
    assert not diff(before, wh.expected())
    # Every big US order of Jan 7, every order of Jan 9 10:00-11:00, every web order of Jan 6.
    gone = [
        ("max_big_us", day(7), ("", "")),
        ("hourly_open_orders", day(9, 10), ("", "")),
        ("buyers", day(6), ("platform", "web")),
    ]
    assert all(key in before for key in gone)
    deleted = wh.delete_orders(
        lambda r: (
            (day(7) <= r["ts"] < day(8) and r["country"] == "us" and (r["amount"] or 0) >= 100)
            or day(9, 10) <= r["ts"] < day(9, 11)
            or (day(6) <= r["ts"] < day(7) and r["platform"] == "web")
        )
    )
    assert deleted > 20
    backfill(wh.ws)
    after = wh.stored()
    assert not any(key in after for key in gone)
    problems = diff(after, wh.expected())
    assert not problems, "\n".join(problems[:20])


def test_a_hash_stored_by_an_older_tripl_is_relabelled_not_a_change(wh: Warehouse) -> None:
    backfill(wh.ws, "2026-01-01", "2026-01-12")
    project = wh.ws.project()
    current = definition_hash(project, project.metrics["revenue"])
    legacy = earlier_hashes(project, project.metrics["revenue"])[-1]  # SQL as written
    assert legacy != current
    assert _stored_hashes(wh, "revenue") == {current}
    with closing(sqlite3.connect(wh.ws.state_path)) as conn, conn:  # as an older tripl left it
        for table in ("tripl_metric_status", "tripl_metric_values"):
            conn.execute(
                f"UPDATE {table} SET definition_hash = ? WHERE metric = 'revenue'", (legacy,)
            )
    assert _stored_hashes(wh, "revenue") == {legacy}
    with wh.ws.store() as store:
        kept = store.read_series("revenue")
    revenue = {o.metric: o for o in wh.api_run(day(12, 6)).outcomes}["revenue"]
    assert revenue.status == "success" and revenue.note is None  # no "definition changed"
    with wh.ws.store() as store:
        assert store.read_series("revenue")[0] == kept[0]  # Jan 1: history kept
    assert _stored_hashes(wh, "revenue") == {current}  # the status and every row relabelled


def _stored_hashes(wh: Warehouse, metric: str) -> set[str]:
    """The definition hashes of `metric`'s status and stored rows, read straight from SQLite."""
    with closing(sqlite3.connect(wh.ws.state_path)) as conn:
        rows = conn.execute(
            "SELECT definition_hash FROM tripl_metric_status WHERE metric = ? UNION "
            "SELECT definition_hash FROM tripl_metric_values WHERE metric = ?",
            (metric, metric),
        ).fetchall()
    return {h for (h,) in rows}


def test_a_changed_metric_that_fails_keeps_its_history_until_it_is_collected(
    wh: Warehouse,
) -> None:
    backfill(wh.ws, "2026-01-01", "2026-01-12")
    with wh.ws.store() as store:
        kept = store.read_series("revenue")
        old_hash = store.metric_status("revenue").definition_hash  # type: ignore[union-attr]
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", where="CAST('x' AS INTEGER) > 0")
    failed = {o.metric: o for o in wh.api_run(day(12, 6)).outcomes}["revenue"]
    assert failed.status == "error"
    with wh.ws.store() as store:  # nothing dropped, and the change is still pending
        assert store.read_series("revenue") == kept
        assert store.metric_status("revenue").definition_hash == old_hash  # type: ignore[union-attr]
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", where="amount >= 100")
    mended = {o.metric: o for o in wh.api_run(day(12, 6)).outcomes}["revenue"]
    assert mended.status == "success" and mended.note and "definition changed" in mended.note
    with wh.ws.store() as store:
        assert {p.bucket for p in store.read_series("revenue")} == {day(d) for d in range(5, 12)}


def test_a_changed_definition_drops_history_and_recollects(wh: Warehouse) -> None:
    backfill(wh.ws, "2026-01-01", "2026-01-12")  # 11 days of history
    with wh.ws.store() as store:
        old = {p.bucket: p.value for p in store.read_series("revenue")}
    assert min(old) == day(1)
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", where="amount >= 100")
    # The next scheduled run (no --start): revenue starts over with initial_buckets (7 days).
    report = wh.api_run(day(12, 6))
    outcomes = {o.metric: o for o in report.outcomes}
    assert outcomes["revenue"].status == "success"
    assert outcomes["revenue"].note and "definition changed" in outcomes["revenue"].note
    assert outcomes["orders"].note is None
    results = wh.ws.results_by_metric()
    assert "definition changed" in results["revenue"]["note"]
    assert results["revenue"]["window"] == {
        "start": "2026-01-05T00:00:00Z",
        "end": "2026-01-12T00:00:00Z",
    }
    with wh.ws.store() as store:
        revenue = store.read_series("revenue")
        orders = store.read_series("orders")
    assert {p.bucket for p in revenue} == {day(d) for d in range(5, 12)}  # Jan 1-4 dropped
    assert {p.bucket for p in orders} == {day(d) for d in range(1, 12)}  # unchanged: kept
    want = wh.expected()  # the edited project's definitions
    got = wh.stored()
    revenue_keys = {k for k in want if k[0] == "revenue"}
    assert revenue_keys == {k for k in got if k[0] == "revenue"}
    assert not diff({k: got[k] for k in revenue_keys}, {k: want[k] for k in revenue_keys})
    assert all(p.value != old[p.bucket] for p in revenue)  # the new definition's values


def test_a_renamed_metric_says_where_its_history_stays(wh: Warehouse) -> None:
    # Values are kept by name: a rename collects the new name from scratch, and its first
    # run says where the old history is (the hash leaves the name out, so it can tell).
    backfill(wh.ws, "2026-01-01", "2026-01-12")
    wh.ws.edit_yaml("metrics/facts.yml", "max_big_us", name="max_big_us_order")
    first = {o.metric: o for o in wh.api_run(day(12, 6)).outcomes}
    note = first["max_big_us_order"].note or ""
    assert note.startswith("same definition as 'max_big_us', stored but no longer in the project")
    assert "`tripl run -s max_big_us_order --start DATE` backfills" in note
    assert first["orders"].note is None
    with wh.ws.store() as store:
        assert min(p.bucket for p in store.read_series("max_big_us")) == day(1)  # kept
    again = {o.metric: o for o in wh.api_run(day(13, 6)).outcomes}
    assert again["max_big_us_order"].note is None  # said once, when it starts over
    # Renamed again: both earlier names hold its history.
    wh.ws.edit_yaml("metrics/facts.yml", "max_big_us_order", name="largest_us_order")
    third = {o.metric: o for o in wh.api_run(day(14, 6)).outcomes}
    assert (third["largest_us_order"].note or "").startswith(
        "same definition as 'max_big_us' or 'max_big_us_order', stored but"
    )


def _next_run_note(wh: Warehouse) -> str:
    """revenue's note in the next scheduled run's results ("" without one)."""
    (outcome,) = [o for o in wh.api_run(day(12, 6)).outcomes if o.metric == "revenue"]
    return outcome.note or ""


def _revenue_rows(wh: Warehouse) -> tuple[dict[datetime, float | None], set[Key]]:
    """revenue's totals, and the keys of its breakdown values."""
    got = {k: v for k, v in wh.stored().items() if k[0] == "revenue"}
    totals = {k[1]: v[0] for k, v in got.items() if k[2] == ("", "")}
    return totals, {k for k in got if k[2] != ("", "")}


@pytest.mark.parametrize(
    "breakdowns",
    [
        {"breakdowns": ["country", "platform"]},  # a column added
        {"breakdowns": []},  # every breakdown removed
        {"breakdowns": ["platform"]},  # another column instead
    ],
)
def test_a_breakdown_change_keeps_the_totals_and_recollects_the_breakdowns(
    wh: Warehouse, breakdowns: dict[str, Any]
) -> None:
    backfill(wh.ws, "2026-01-01", "2026-01-12")  # 11 days of history
    old_totals, old_breakdowns = _revenue_rows(wh)
    assert set(old_totals) == {day(d) for d in range(1, 12)}
    assert {k[2][0] for k in old_breakdowns} == {"country"}
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", **breakdowns)
    report = wh.api_run(day(12, 6))  # the next scheduled run
    (outcome,) = [o for o in report.outcomes if o.metric == "revenue"]
    assert outcome.status == "success"
    assert outcome.note and outcome.note.startswith("breakdowns changed"), outcome.note
    assert outcome.window == Window(day(5), day(12))  # initial_buckets, as for a change
    totals, breakdown_keys = _revenue_rows(wh)
    assert totals == old_totals  # Jan 1-4 kept, Jan 5-11 recollected to the same values
    want = {k: v for k, v in wh.expected().items() if k[0] == "revenue" and k[2] != ("", "")}
    assert breakdown_keys == set(want)  # only the new breakdowns, only in the window
    got = {k: v for k, v in wh.stored().items() if k in want}
    assert not diff(got, want)
    with wh.ws.store() as store:  # the totals carry the new hash: the next run resumes
        status = store.metric_statuses()["revenue"]
        assert status.definition_hash == definition_hash(
            wh.ws.project(), wh.ws.project().metrics["revenue"]
        )
    again = wh.api_run(day(13, 6))
    (outcome,) = [o for o in again.outcomes if o.metric == "revenue"]
    assert outcome.note is None and outcome.window == Window(day(9), day(13))


def test_a_breakdown_change_after_a_pause_leaves_no_hole_in_the_kept_totals(
    wh: Warehouse,
) -> None:
    # The last run was long ago (watermark Jan 2): the change's run resumes the totals from
    # there, as any run would, while the new breakdowns start initial_buckets back.
    backfill(wh.ws, "2026-01-01", "2026-01-03")
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", breakdowns=["platform"])
    report = wh.api_run(day(12, 6), select=["revenue"])  # alone: no shared scan widens it
    (outcome,) = report.outcomes
    assert outcome.note and outcome.note.startswith("breakdowns changed"), outcome.note
    assert outcome.window == Window(day(1) - timedelta(days=1), day(12))  # Jan 2 − lookback 2
    totals, breakdown_keys = _revenue_rows(wh)
    assert {day(d) for d in range(1, 12)} <= set(totals)  # no day left out
    assert {k[2][0] for k in breakdown_keys} == {"platform"}


def test_a_stored_spec_spares_reading_the_stored_breakdown_columns(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fact table's SQL change makes every metric on it stale: one state query each for
    # their breakdown columns would be wasted where the spec tells.
    backfill(wh.ws, "2026-01-01", "2026-01-12")

    def no_query(*_: object) -> list[str]:
        raise AssertionError("the stored breakdown columns were read")

    monkeypatch.setattr(StateStore, "breakdown_columns", no_query)
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", breakdowns=["platform"])
    assert _next_run_note(wh).startswith("breakdowns changed")


def _store_spec(wh: Warehouse, spec: str | None) -> None:
    """Every status's stored breakdown spec, as an older tripl or a hand edit left it."""
    with closing(sqlite3.connect(wh.ws.state_path)) as conn, conn:
        conn.execute("UPDATE tripl_metric_status SET breakdown_spec = ?", (spec,))


@pytest.mark.parametrize("spec", ["not json", '{"breakdowns": "country", "breakdown_limit": 4}'])
def test_a_spec_edited_beyond_reading_falls_back_to_the_stored_columns(
    wh: Warehouse, spec: str
) -> None:
    backfill(wh.ws, "2026-01-01", "2026-01-12")
    _store_spec(wh, spec)
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", breakdowns=["platform"])
    assert _next_run_note(wh).startswith("breakdowns changed")


def test_a_breakdown_change_whose_collection_fails_keeps_everything_until_it_runs(
    wh: Warehouse,
) -> None:
    backfill(wh.ws, "2026-01-01", "2026-01-12")
    before = {k: v for k, v in wh.stored().items() if k[0] == "revenue"}
    with wh.ws.store() as store:
        old_hash = store.metric_statuses()["revenue"].definition_hash
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", breakdowns=["platform"])
    wh.engine.adapter.execute(f"DROP TABLE {wh.orders_name}")  # the warehouse fails
    failed = wh.api_run(day(12, 6))
    assert {o.metric: o.status for o in failed.outcomes}["revenue"] == "error"
    with wh.ws.store() as store:  # the old hash stays: the next run still sees the change
        assert store.metric_statuses()["revenue"].definition_hash == old_hash
    assert {k: v for k, v in wh.stored().items() if k[0] == "revenue"} == before
    wh.load()
    assert _next_run_note(wh).startswith("breakdowns changed")


def test_a_breakdown_limit_change_keeps_the_totals_and_a_state_before_v8_cannot_tell_it(
    wh: Warehouse,
) -> None:
    backfill(wh.ws, "2026-01-01", "2026-01-12")
    totals, _ = _revenue_rows(wh)
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", breakdown_limit=2)  # was 4
    assert _next_run_note(wh).startswith("breakdowns changed")
    assert _revenue_rows(wh)[0] == totals  # Jan 1-4 kept: the stored spec tells the change
    # A status written before schema v8 has no spec: the old limit (2, not the default, not
    # none) cannot be told from the stored hash, so the history is recollected whole.
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", breakdown_limit=3)
    _store_spec(wh, None)  # as a status written before schema v8
    assert _next_run_note(wh).startswith("definition changed")
    assert set(_revenue_rows(wh)[0]) == {day(d) for d in range(5, 12)}  # Jan 1-4 dropped


def test_removing_breakdowns_that_never_stored_a_row_keeps_the_totals(wh: Warehouse) -> None:
    # Breakdowns whose window held no row stored no breakdown value (as if upstream was
    # empty then): the stored spec, not the stored rows, says what they were.
    backfill(wh.ws, "2026-01-01", "2026-01-12")
    with wh.ws.store() as store:
        before = {p.bucket for p in store.read_series("revenue")}
    with closing(sqlite3.connect(wh.ws.state_path)) as conn, conn:
        conn.execute("DELETE FROM tripl_breakdown_values WHERE metric = 'revenue'")
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", breakdowns=[])
    assert _next_run_note(wh).startswith("breakdowns changed")
    with wh.ws.store() as store:
        assert {p.bucket for p in store.read_series("revenue")} == before


def test_a_composition_alone_reads_a_part_whose_breakdowns_changed(wh: Warehouse) -> None:
    backfill(wh.ws)
    with wh.ws.store() as store:
        before = {p.bucket: p.value for p in store.read_series("revenue_per_order")}
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", breakdowns=["platform"])
    result = wh.ws.run("-s", "revenue_per_order", "--start", "2026-01-05", "--end", "2026-01-12")
    assert result.exit_code == 0, result.output  # its input's totals are still the same
    with wh.ws.store() as store:
        after = {p.bucket: p.value for p in store.read_series("revenue_per_order")}
        assert store.breakdown_columns("revenue") == ["country"]  # not recollected yet
    assert after == before and len(after) == 7
    # A change of the part's totals still stops it, with what to do.
    wh.ws.edit_yaml("metrics/facts.yml", "revenue", where="amount >= 100")
    result = wh.ws.run("-s", "revenue_per_order", "--start", "2026-01-05", "--end", "2026-01-12")
    assert result.exit_code == 1
    assert "input metric revenue changed since it was last collected" in result.output


def test_resume_windows_follow_watermark_lookback_and_initial_buckets(wh: Warehouse) -> None:
    first = wh.api_run(day(12, 6))  # first run: initial_buckets (7) back, current bucket excluded
    w = windows(first)
    assert w["orders"] == Window(day(5), day(12))
    assert w["conversion"] == Window(day(5), day(12))
    assert w["avg_mobile_amount"] == Window(day(10, 12), day(12, 6))  # 7 × 6h
    assert w["hourly_open_orders"] == Window(day(11, 23), day(12, 6))  # 7 × 1h
    monday = datetime(2026, 1, 12, tzinfo=UTC)
    assert w["weekly_buyers"] == Window(monday - timedelta(weeks=7), monday)
    assert w["draft_orders"] is None
    assert not diff(
        {k: v for k, v in wh.stored().items() if k[0] == "orders"},
        {k: v for k, v in wh.expected(Window(day(5), day(12))).items() if k[0] == "orders"},
    )

    second = wh.api_run(day(13, 7))  # a day later: from watermark (Jan 11) − lookback (2)
    w = windows(second)
    assert w["orders"] == Window(day(9), day(13))
    assert w["hourly_open_orders"] == Window(day(12, 3), day(13, 7))
    assert w["avg_mobile_amount"] == Window(day(11, 12), day(13, 6))
    assert w["weekly_buyers"] == Window(day(5) - timedelta(weeks=2), monday)
    # Buckets before the resume window keep the first run's values; the resume window holds
    # the new run's, its breakdowns ranked over the last initial_buckets days (Jan 6–12).
    old = {k: v for k, v in wh.expected(Window(day(5), day(12))).items() if k[1] < day(9)}
    new = wh.expected(Window(day(9), day(13)), rank_window=Window(day(6), day(13)))
    want = {k: v for k, v in (old | new).items() if k[0] in DAILY}
    got = {k: v for k, v in wh.stored().items() if k[0] in DAILY}
    problems = diff(got, want)
    assert not problems, "\n".join(problems[:20])
    assert max(k[1] for k in got) == day(12)  # Jan 12 is complete at as_of Jan 13 07:00


def test_an_end_before_the_resume_point_says_so(wh: Warehouse) -> None:
    wh.api_run(day(12, 6))  # orders stored up to Jan 11; the next run resumes from Jan 9
    early = wh.api_run(day(13, 7), select=["orders"], end=day(8))
    (outcome,) = early.outcomes
    assert outcome.status == "skipped" and outcome.window is None
    assert outcome.note == (
        "nothing to collect before --end 2026-01-08T00:00:00Z: the metric resumes after it "
        "(add --start to recollect older buckets)"
    )


def test_chunked_breakdowns_are_ranked_once_then_folded_per_chunk(wh: Warehouse) -> None:
    sent: list[CompiledQuery] = []
    totals: list[int] = []

    class Events:
        def planned(self, total_queries: int) -> None:
            totals.append(total_queries)

        def query_done(self, query: CompiledQuery, ok: bool) -> None:
            sent.append(query)

    report = run_api.run(
        wh.ws.project(),
        run_api.RunOptions(select=["hourly_open_orders"], start=day(5), end=day(12)),
        profiles_dir=wh.ws.root,
        events=Events(),
    )
    assert not report.failed
    chunks = [q for q in sent if q.kind == "breakdown"]
    assert len(chunks) == 4  # 7 days in chunks of 2
    # Each chunk folds by the values the one ranking kept ('fr', not the last chunk's 'it').
    assert all("IN ('', 'de', 'fr', 'o''hare', 'us')" in q.sql for q in chunks)
    assert not any("tripl_top" in q.sql for q in chunks)
    # The progress bar's total counts the ranking, and the report lists what was sent.
    assert totals == [len(sent)] and sent[0].kind == "ranking"
    listed = report.as_json()["queries"]
    assert [(q["id"], q["kind"]) for q in listed] == [(q.id, q.kind) for q in sent]
    assert all(q["status"] == "success" and q["duration_s"] >= 0 for q in listed)
    window = Window(day(5), day(12))
    want = {k: v for k, v in wh.expected(window).items() if k[0] == "hourly_open_orders"}
    got = {k: v for k, v in wh.stored().items() if k[0] == "hourly_open_orders"}
    assert not diff(got, want)


def test_a_failed_ranking_fails_only_the_metrics_that_need_it(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[CompiledQuery] = []
    real = Executor.run_all

    def run_all(self: Executor, queries: Sequence[CompiledQuery], *a: Any) -> list[QueryOutcome]:
        sent.extend(queries)
        if all(q.kind == "ranking" for q in queries):  # as if it timed out
            return [QueryOutcome(q, None, QueryTimeout("ranking too slow"), 8.0) for q in queries]
        return real(self, queries, *a)

    monkeypatch.setattr(Executor, "run_all", run_all)
    report = wh.api_run(day(13), select=["hourly_open_orders", "orders"], start=day(5))
    by_metric = {o.metric: o for o in report.outcomes}
    assert by_metric["orders"].status == "success"
    assert by_metric["hourly_open_orders"].status == "error"
    assert by_metric["hourly_open_orders"].error == (
        "ranking its breakdown values failed: ranking too slow"
    )
    # Nothing else was sent for it: no self-ranking chunks, no one-by-one retry.
    assert [q.kind for q in sent if "hourly_open_orders" in q.metrics] == ["ranking"]
    assert by_metric["hourly_open_orders"].seconds >= 8.0  # its ranking's time
    listed = [q for q in report.as_json()["queries"] if q["kind"] == "ranking"]
    assert [q["status"] for q in listed] == ["error"] and listed[0]["duration_s"] == 8.0


def test_full_refresh_recollects_initial_buckets(wh: Warehouse) -> None:
    backfill(wh.ws, "2026-01-01", "2026-01-12")
    wh.api_run(day(12, 6))
    resumed = windows(wh.api_run(day(12, 6)))
    assert resumed["orders"] == Window(day(9), day(12))  # watermark Jan 11 − 2
    wh.delete_orders(lambda r: day(6) <= r["ts"] < day(7))  # upstream rewrote an older day
    refreshed = wh.api_run(day(12, 6), full_refresh=True)
    assert windows(refreshed)["orders"] == Window(day(5), day(12))
    got = wh.stored()
    assert ("orders", day(6), ("", "")) not in got  # recollected: the day is gone
    # History older than initial_buckets is kept (a full refresh never loses stored values
    # it does not recollect; use --start to recollect further back).
    assert ("orders", day(2), ("", "")) in got
    problems = diff(
        {k: v for k, v in got.items() if k[1] >= day(5) and k[0] in DAILY},
        {k: v for k, v in wh.expected().items() if k[0] in DAILY},
    )
    assert not problems, "\n".join(problems[:20])
    # With --start the window is given: the flag would change nothing, and says so.
    both = wh.ws.run("--full-refresh", "--start", "2026-01-09", "--end", "2026-01-10")
    assert both.exit_code == 0, both.output
    assert "--full-refresh changes nothing with --start" in both.stderr


def test_a_composition_follows_its_inputs_recollected_buckets(wh: Warehouse) -> None:
    # A metric whose last value is old widens its fact table's scan back to that value.
    (wh.ws.root / "metrics" / "sparse.yml").write_text(
        "metrics:\n  - {name: early_orders, kind: fact, fact_table: orders,"
        " aggregation: count, where: \"ts < TIMESTAMP '2026-01-07 00:00:00'\"}\n"
    )
    wh.api_run(day(12, 6))
    wh.delete_orders(lambda r: day(7) <= r["ts"] < day(7, 12))  # upstream changed Jan 7
    w = windows(wh.api_run(day(12, 6)))
    assert w["early_orders"] == w["orders"] == Window(day(4), day(12))  # watermark Jan 6 − 2
    assert w["revenue_per_order"] == Window(day(4), day(12))  # its own would start Jan 9
    with wh.ws.store() as store:
        ratio = {p.bucket: p.value for p in store.read_series("revenue_per_order")}
        revenue = {p.bucket: p.value for p in store.read_series("revenue")}
        orders = {p.bucket: p.value for p in store.read_series("orders")}
    assert set(ratio) == set(revenue) & set(orders)
    for bucket, value in ratio.items():
        numerator, denominator = revenue[bucket], orders[bucket]
        assert numerator is not None and denominator
        assert value == pytest.approx(numerator / denominator, rel=1e-12), bucket


def test_threads_store_the_same_values(wh: Warehouse) -> None:
    backfill(wh.ws)
    sequential = value_rows(wh.ws.state_path)
    result = wh.ws.run("--start", "2026-01-05", "--end", "2026-01-12", "--threads", "4")
    assert result.exit_code == 0, result.output
    assert value_rows(wh.ws.state_path) == sequential


def test_a_composition_selected_alone_reads_its_stored_inputs(wh: Warehouse) -> None:
    backfill(wh.ws)
    with wh.ws.store() as store:
        before = store.read_series("revenue_per_order")
    result = wh.ws.run("-s", "revenue_per_order", "--start", "2026-01-05", "--end", "2026-01-12")
    assert result.exit_code == 0, result.output
    results = wh.ws.results_by_metric()
    assert set(results) == {"revenue_per_order"}
    # Really composed again (not skipped): all 7 buckets rewritten from the stored inputs.
    assert results["revenue_per_order"]["status"] == "success"
    assert results["revenue_per_order"]["buckets_written"] == 7
    with wh.ws.store() as store:
        assert store.read_series("revenue_per_order") == before
        assert len(before) == 7
