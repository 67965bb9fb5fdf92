"""Which values a breakdown keeps in a resumed run: ranked over the last `initial_buckets`
buckets, not over the few buckets the run recollects — or a value near the cutoff would
drop out of its own series (and into 'Other') whenever another value has a good day."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.runner.harness import project_files
from tripl_cli.api.project_api import open_project
from tripl_cli.api.run_api import RunOptions, run
from tripl_cli.runner.outcomes import RunReport
from tripl_cli.state.store import open_store

AS_OF = datetime(2026, 1, 10, 12, tzinfo=UTC)
#: Rows per day: 'us' 10 and 'de' 6 every day; 'fr' 1 a day, then 8 on Jan 8 and 9. Over
#: Jan 1–9 the top two are us (90) and de (54), ahead of fr (23); over Jan 8–9 alone, fr (16)
#: is ahead of de (12).
ROWS = {"us": [10] * 9, "de": [6] * 9, "fr": [1] * 7 + [8, 8]}


def day(d: int) -> datetime:
    return datetime(2026, 1, d, tzinfo=UTC)


def _rows_sql() -> str:
    return " UNION ALL ".join(
        f"SELECT TIMESTAMP '2026-01-0{d + 1} 01:00:00' AS ts, '{country}' AS country"
        f" FROM range({count})"
        for country, counts in ROWS.items()
        for d, count in enumerate(counts)
    )


#: The fact table's rows before Jan 8 can be archived (`_archive`): a query reaching back
#: that far then fails, as one over history a warehouse no longer holds would.
ARCHIVED = (
    "CASE WHEN {{ start }} < TIMESTAMP '2026-01-08' AND (SELECT archived FROM archive)"
    " THEN error('rows before Jan 8 are archived') ELSE TRUE END"
)


def _project(tmp_path: Path, chunk: str | None = None) -> Path:
    profile = "rk:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: wh.duckdb}\n"
    rows = f"SELECT * FROM ({_rows_sql()}) AS r WHERE {ARCHIVED}"
    facts = f'  - {{name: t, timestamp_column: ts, sql: "{rows}"}}\n'
    metrics = (
        "metrics:\n  - {name: n, kind: fact, fact_table: t, aggregation: count,"
        f" breakdowns: [country], breakdown_limit: 3, chunk: {chunk or 'null'}}}\n"
    )
    config = "name: rk\ndefaults: {lookback: 1, initial_buckets: 9}\n"
    root = project_files(
        tmp_path / "p", profile=profile, facts=facts, metrics=metrics, config=config
    )
    _archive(root, False)
    return root


def _archive(root: Path, archived: bool) -> None:
    with duckdb.connect(str(root / "wh.duckdb")) as con:
        con.execute(f"CREATE OR REPLACE TABLE archive AS SELECT {archived} AS archived")


def _run(root: Path, **options: object) -> RunReport:
    report = run(open_project(root), RunOptions(as_of=AS_OF, **options))  # type: ignore[arg-type]
    assert not report.failed, report.failed
    return report


def _countries(root: Path) -> dict[datetime, dict[str, float]]:
    """Stored values of `n` by country, per bucket."""
    out: dict[datetime, dict[str, float]] = {}
    with open_store(None, project_root=root, target="dev") as store:
        for value, points in store.read_breakdowns("n", "country").items():
            for p in points:
                assert p.value is not None
                out.setdefault(p.bucket, {})[value] = p.value
    return out


def test_a_resumed_run_keeps_the_values_its_first_run_kept(tmp_path: Path) -> None:
    root = _project(tmp_path)
    first = _run(root)  # Jan 1–9: us and de kept, fr folded
    assert first.outcomes[0].window is not None and first.outcomes[0].window.start == day(1)
    assert _countries(root)[day(8)] == {"us": 10, "de": 6, "Other": 8}

    resumed = _run(root)  # from the watermark (Jan 9) − lookback: Jan 8–9
    window = resumed.outcomes[0].window
    assert window is not None and (window.start, window.end) == (day(8), day(10))
    by_day = _countries(root)
    for d in (8, 9):  # de stays a series; fr's good days stay in Other
        assert by_day[day(d)] == {"us": 10, "de": 6, "Other": 8}
    assert all(set(values) == {"us", "de", "Other"} for values in by_day.values())
    # The ranking read the last 9 buckets in a query of its own; the breakdown only Jan 8–9.
    sent = resumed.as_json()["queries"]
    assert [q["kind"] for q in sent] == ["ranking", "aggregate", "breakdown"]


def test_a_window_chosen_with_start_ranks_over_itself(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _run(root)
    _run(root, start=day(8), end=day(10))  # SPEC §5: the top values of the whole window
    by_day = _countries(root)
    for d in (8, 9):
        assert by_day[day(d)] == {"us": 10, "fr": 8, "Other": 6}
    assert by_day[day(7)] == {"us": 10, "de": 6, "Other": 1}  # outside it: the first run's


@pytest.mark.parametrize("chunk", [None, "1d"])
def test_a_failed_ranking_over_history_falls_back_to_the_run_window(
    tmp_path: Path, chunk: str | None
) -> None:
    root = _project(tmp_path, chunk)
    _run(root)  # Jan 1–9: us and de kept
    _archive(root, True)  # now a query over Jan 1–9 fails; one over Jan 8–9 does not

    resumed = _run(root)  # Jan 8–9, still collected: ranked over those two days alone
    (outcome,) = resumed.outcomes
    assert outcome.status == "success" and outcome.buckets_written == 2
    assert outcome.note is not None
    assert "ranked over this run's window only" in outcome.note
    assert "rows before Jan 8 are archived" in outcome.note
    by_day = _countries(root)
    for d in (8, 9):
        assert by_day[day(d)] == {"us": 10, "fr": 8, "Other": 6}
    assert by_day[day(7)] == {"us": 10, "de": 6, "Other": 1}  # the first run's, kept
    sent = [(q["kind"], q["status"]) for q in resumed.as_json()["queries"]]
    assert sent[0] == ("ranking", "error")
    if chunk is not None:  # chunked: its own window still ranks once, for both chunks
        assert sent[1] == ("ranking", "success")
    assert all(status == "success" for _, status in sent[1:])


def test_failed_rankings_on_two_fact_tables_end_the_run(tmp_path: Path) -> None:
    # `b` resumes (its ranking over history fails, then its own); `a` runs for the first time
    # (its ranking fails, with no narrower one to try). Each failure must leave the plan:
    # a recompile for `b` once brought `a` back, and the two rankings alternated forever.
    profile = "rk:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: wh.duckdb}\n"
    gate = "CASE WHEN (SELECT archived FROM archive) THEN error('archived') ELSE TRUE END"
    rows = f"SELECT * FROM ({_rows_sql()}) AS r WHERE {gate}"
    facts = "".join(
        f'  - {{name: {name}, timestamp_column: ts, sql: "{rows}"}}\n' for name in ("t", "x")
    )
    metric = (
        "  - {{name: {name}, kind: fact, fact_table: {table}, aggregation: count,"
        " breakdowns: [country], breakdown_limit: 3, chunk: 1d}}\n"
    )
    config = "name: rk\ndefaults: {lookback: 1, initial_buckets: 9}\n"
    root = project_files(
        tmp_path / "p",
        profile=profile,
        facts=facts,
        metrics="metrics:\n" + metric.format(name="b", table="t"),
        config=config,
    )
    _archive(root, False)
    _run(root)
    (root / "metrics" / "m.yml").write_text(
        "metrics:\n" + metric.format(name="b", table="t") + metric.format(name="a", table="x")
    )
    _archive(root, True)
    done: list[RunReport] = []
    worker = threading.Thread(
        target=lambda: done.append(run(open_project(root), RunOptions(as_of=AS_OF))),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=120)
    assert done, "the run did not end"
    assert {o.metric: o.status for o in done[0].outcomes} == {"a": "error", "b": "error"}
