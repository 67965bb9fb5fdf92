"""A composition recomputes every bucket its inputs recompute in a run — a `per_distinct`
one too, whose divisor is counted on another fact table than its numerator."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.runner.harness import project_files
from tripl_cli.api.project_api import open_project
from tripl_cli.api.run_api import RunOptions, run
from tripl_cli.state.store import open_store
from tripl_cli.timegrid import Window

AS_OF = datetime(2026, 1, 10, 12, tzinfo=UTC)


def _rows(column: str) -> str:
    return " UNION ALL ".join(
        f"SELECT TIMESTAMP '2026-01-0{day} 01:00:00' AS ts, {day % 3} AS {column}"
        for day in range(1, 10)
    )


def _windows(root: Path) -> dict[str, Window | None]:
    report = run(open_project(root), RunOptions(as_of=AS_OF))
    assert not report.failed, report.failed
    return {o.metric: o.window for o in report.outcomes}


def test_a_per_distinct_composition_follows_its_numerators_wider_window(tmp_path: Path) -> None:
    profile = "pd:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: wh.duckdb}\n"
    facts = (
        f'  - {{name: t, timestamp_column: ts, sql: "SELECT * FROM ({_rows("v")}) AS r"}}\n'
        f'  - {{name: u, timestamp_column: ts, sql: "SELECT * FROM ({_rows("uid")}) AS r"}}\n'
    )
    first = (
        "metrics:\n"
        "  - {name: n, kind: fact, fact_table: t, aggregation: count}\n"
        "  - {name: pd, kind: composition, numerator: n,"
        " per_distinct: {fact_table: u, column: uid}}\n"
    )
    config = "name: pd\ndefaults: {lookback: 1}\n"
    root = project_files(tmp_path / "p", profile=profile, facts=facts, metrics=first, config=config)
    metrics = root / "metrics" / "m.yml"
    _windows(root)  # both stored up to Jan 9: the next run resumes from Jan 8
    # A new metric on t collects its initial buckets and widens t's scan: n recollects them.
    metrics.write_text(
        metrics.read_text() + "  - {name: n2, kind: fact, fact_table: t, aggregation: sum,"
        " column: v}\n"
    )
    windows = _windows(root)
    assert windows["n"] == windows["n2"] and windows["n"] is not None
    assert windows["n"].start < datetime(2026, 1, 8, tzinfo=UTC)
    assert windows["pd"] == windows["n"]


def test_a_composition_is_never_computed_from_an_input_stored_under_its_old_definition(
    tmp_path: Path,
) -> None:
    profile = "st:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: wh.duckdb}\n"
    facts = f'  - {{name: t, timestamp_column: ts, sql: "SELECT * FROM ({_rows("v")}) AS r"}}\n'
    metrics = (
        "metrics:\n"
        "  - {name: picked, kind: fact, fact_table: t, aggregation: count}\n"
        "  - {name: rows, kind: fact, fact_table: t, aggregation: count}\n"
        "  - {name: share, kind: composition, numerator: picked, denominator: rows}\n"
        "  - {name: big_sum, kind: fact, fact_table: t, aggregation: sum, column: v,"
        " where: 'v > 1'}\n"
        "  - {name: big_mean, kind: composition, numerator: big_sum, denominator: rows}\n"
    )
    config = "name: st\n"
    root = project_files(
        tmp_path / "p", profile=profile, facts=facts, metrics=metrics, config=config
    )
    assert not run(open_project(root), RunOptions(as_of=AS_OF)).failed
    path = root / "metrics" / "m.yml"
    picked = "picked, kind: fact, fact_table: t, aggregation: count"
    path.write_text(path.read_text().replace(f"{picked}}}", f"{picked}, where: 'v > 1'}}"))

    # The composition alone: its input `picked` still holds the old definition's values.
    alone = run(open_project(root), RunOptions(as_of=AS_OF, select=("share",)))
    (outcome,) = alone.outcomes
    assert outcome.status == "error" and outcome.error is not None
    assert "input metric picked changed since it was last collected" in outcome.error
    assert "`tripl run -s picked`" in outcome.error and "`-s +share`" in outcome.error

    # An archived input cannot be collected first: the message says what can be done.
    archived = path.read_text().replace(f"{picked}, ", f"{picked}, status: archived, ")
    path.write_text(archived)
    (outcome,) = run(open_project(root), RunOptions(as_of=AS_OF, select=("share",))).outcomes
    assert outcome.error is not None and "make picked active and collect it" in outcome.error
    path.write_text(archived.replace("status: archived, ", ""))

    # Collected after its input, it is computed from the new definition's values (one row
    # a day, v = day % 3: `picked` now counts only the rows of days 2, 5 and 8). Its other
    # days stay gaps: run alone, it cannot tell "no row matched" from "not collected"...
    assert not run(open_project(root), RunOptions(as_of=AS_OF, select=("picked",))).failed
    assert not run(open_project(root), RunOptions(as_of=AS_OF, select=("share",))).failed
    assert _series(root, "share") == {2: 1.0, 5: 1.0, 8: 1.0}
    # ... run with it, they are 0 / 1: `picked` stored no bucket where no row matched, and a
    # composition reads that as 0 as a fact ratio does — for a count. Run alone again, it
    # keeps those 0s: it stored them with a 0 numerator, and `picked` still stores nothing
    # there. A sum's absent bucket may be a NaN (a gap), so a composition over a sum keeps
    # the gap.
    shares = {day: (1.0 if day % 3 == 2 else 0.0) for day in range(1, 10)}
    assert not run(open_project(root), RunOptions(as_of=AS_OF, full_refresh=True)).failed
    assert _series(root, "share") == shares
    assert not run(open_project(root), RunOptions(as_of=AS_OF, select=("share",))).failed
    assert _series(root, "share") == shares
    assert _series(root, "big_mean") == {2: 2.0, 5: 2.0, 8: 2.0}


def _series(root: Path, metric: str) -> dict[int, float | None]:
    with open_store(None, project_root=root, target="dev") as store:
        return {p.bucket.day: p.value for p in store.read_series(metric)}


def test_a_composition_whose_inputs_were_never_collected_says_so(tmp_path: Path) -> None:
    profile = "nv:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: wh.duckdb}\n"
    facts = f'  - {{name: t, timestamp_column: ts, sql: "SELECT * FROM ({_rows("v")}) AS r"}}\n'
    metrics = (
        "metrics:\n"
        "  - {name: picked, kind: fact, fact_table: t, aggregation: count, where: 'v > 1'}\n"
        "  - {name: rows, kind: fact, fact_table: t, aggregation: count}\n"
        "  - {name: share, kind: composition, numerator: picked, denominator: rows}\n"
    )
    root = project_files(
        tmp_path / "p", profile=profile, facts=facts, metrics=metrics, config="name: nv\n"
    )
    (outcome,) = run(open_project(root), RunOptions(as_of=AS_OF, select=("share",))).outcomes
    assert (outcome.status, outcome.buckets_written) == ("success", 0)
    assert outcome.note is not None and "`tripl run -s +share`" in outcome.note
    # Collected with its inputs over a window without rows: nothing to say either.
    empty = RunOptions(
        as_of=AS_OF,
        select=("+share",),
        start=datetime(2025, 12, 1, tzinfo=UTC),
        end=datetime(2025, 12, 5, tzinfo=UTC),
    )
    share = next(o for o in run(open_project(root), empty).outcomes if o.metric == "share")
    assert (share.status, share.buckets_written, share.note) == ("success", 0, None)
    # Collected with its inputs, it has values (0 where `picked` matched no row)...
    both = run(open_project(root), RunOptions(as_of=AS_OF, select=("+share",))).outcomes
    share = next(o for o in both if o.metric == "share")
    assert share.buckets_written == 9 and share.note is None
    assert _series(root, "share")[1] == 0.0
    # ... and once it reads a new numerator, never collected, those 0s are not its own.
    path = root / "metrics" / "m.yml"
    path.write_text(
        path.read_text().replace("numerator: picked", "numerator: fresh")
        + "  - {name: fresh, kind: fact, fact_table: t, aggregation: count, where: 'v > 0'}\n"
    )
    (outcome,) = run(open_project(root), RunOptions(as_of=AS_OF, select=("share",))).outcomes
    assert (outcome.status, outcome.buckets_written) == ("success", 0)
    assert outcome.note is not None and "`tripl run -s +share`" in outcome.note
    assert _series(root, "share") == {}
