"""`tripl demo` end to end, and exit codes through the real console-script wrapper."""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import AS_OF, Demo, Invoke
from tripl_cli.api import demo_api
from tripl_cli.errors import StateError
from tripl_cli.scaffold import init_project

ENTRY = "from tripl_cli.cli.main import run; run()"


def tripl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`tripl ARGS` in a fresh interpreter: the wrapper maps errors to exit codes."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_end_to_end(tmp_path: Path, invoke: Invoke) -> None:
    where = tmp_path / "tour"
    done = tripl("demo", "--dir", str(where), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"creating a demo shop in {where}" in done.stderr
    assert "tripl run: 11 metrics collected" in done.stderr
    assert "android checkout outage" in done.stderr
    assert f"tripl show orders --breakdown platform --project-dir {where}" in done.stderr
    for name in ("orders", "conversion_rate", "sessions_hourly"):
        assert name in done.stdout  # the catalog
    assert "by platform" in done.stdout  # the chart of the incident's metric

    quiet = tripl("-q", "demo", "--dir", str(tmp_path / "quiet"), cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""  # --quiet: errors only, and there are none
    assert "by platform" in quiet.stdout

    # What it left behind is a working project: every metric collected.
    listed = json.loads(invoke(where, "ls", "--format", "json").stdout)
    assert {r["collection"]["status"] for r in listed["metrics"]} == {"success"}
    doc = json.loads(invoke(where, "show", "orders", "--format", "json").stdout)
    android = [p["value"] for p in doc["breakdowns"]["platform"]["android"]]
    # The planted outage: two days at ~40% of a normal android day, visible in the data.
    assert sum(v < 0.6 * statistics.median(android) for v in android) == 2


def test_user_errors_exit_1_with_one_clear_message(demo: Demo, tmp_path: Path) -> None:
    done = tripl("show", "ordrs", "--project-dir", str(demo.root), cwd=tmp_path)
    assert done.returncode == 1
    assert "unknown metric 'ordrs' (did you mean 'orders'?)" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""

    done = tripl("introspect", "nope", "--project-dir", str(demo.root), cwd=tmp_path)
    assert done.returncode == 1 and "unknown fact table 'nope'" in done.stderr


def test_a_file_where_target_should_be_is_a_user_error_before_anything_runs(
    fresh_demo: Path, tmp_path: Path
) -> None:
    (fresh_demo / "target").write_text("not a directory")
    for command in (("run",), ("compile",), ("report", "--out", str(fresh_demo / "target"))):
        done = tripl(*command, "--project-dir", str(fresh_demo), cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        assert "error: cannot create the directory" in done.stderr, done.stderr
        assert "internal error" not in done.stderr
    assert not (fresh_demo / ".tripl").exists()  # the run stored nothing before failing


def test_text_mode_says_why_a_metric_was_skipped(fresh_demo: Path, tmp_path: Path) -> None:
    where = ("--project-dir", str(fresh_demo))
    first = tripl("run", "-s", "orders", "--start", "2026-03-01", "--end", "2026-03-15", *where,
                  cwd=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    early = tripl("run", "-s", "orders", "--end", "2026-03-05", *where, cwd=tmp_path)
    assert early.returncode == 0
    assert "skipped orders: nothing to collect before --end 2026-03-05T00:00:00Z" in early.stderr


def test_show_of_a_draft_metric_says_run_skips_it(fresh_demo: Path, tmp_path: Path) -> None:
    yml = fresh_demo / "metrics" / "commerce.yml"
    yml.write_text(
        yml.read_text().replace("  - name: orders\n", "  - name: orders\n    status: draft\n", 1)
    )
    done = tripl("show", "orders", "--project-dir", str(fresh_demo), cwd=tmp_path)
    assert done.returncode == 1
    assert "its status is draft, so `tripl run` does not collect it" in done.stderr
    assert "set `status: active`" in done.stderr and "tripl run -s" not in done.stderr


def test_validate_checks_a_target_named_on_the_command_line(
    fresh_demo: Path, tmp_path: Path
) -> None:
    where = ("--project-dir", str(fresh_demo))
    assert tripl("validate", *where, cwd=tmp_path).returncode == 0  # no -t: profiles unread
    assert tripl("validate", "-t", "dev", *where, cwd=tmp_path).returncode == 0
    unknown = tripl("validate", "-t", "nope", *where, cwd=tmp_path)
    assert unknown.returncode == 1 and "error[bad-target]: target 'nope' not found" in (
        unknown.stdout + unknown.stderr
    )
    doc = json.loads(
        tripl("validate", "-t", "nope", "--format", "json", *where, cwd=tmp_path).stdout
    )
    assert doc["valid"] is False and [i["rule"] for i in doc["errors"]] == ["bad-target"]
    assert doc["errors"][0]["path"] == "profiles.yml"
    # A target with two unset variables: two issues, each at its own line (an annotation
    # without a line was all `--format github` could make of one issue listing both).
    profiles = fresh_demo / "profiles.yml"
    profiles.write_text(
        profiles.read_text().replace(
            "      path: warehouse.duckdb",
            "      path: \"{{ env_var('TRIPL_T_A') }}\"\n"
            "      schema: \"{{ env_var('TRIPL_T_B') }}\"",
        )
    )
    doc = json.loads(
        tripl("validate", "-t", "dev", "--format", "json", *where, cwd=tmp_path).stdout
    )
    located = [(i["rule"], i["path"], i["line"]) for i in doc["errors"]]
    assert [(rule, path) for rule, path, _ in located] == [("bad-target", "profiles.yml")] * 2
    assert all(isinstance(line, int) for _, _, line in located), located
    assert "TRIPL_T_A" in doc["errors"][0]["message"] and "TRIPL_T_B" in doc["errors"][1]["message"]


def test_never_collected_exits_1(fresh_demo: Path, tmp_path: Path) -> None:
    done = tripl("show", "revenue", "--project-dir", str(fresh_demo), cwd=tmp_path)
    assert done.returncode == 1
    assert "no values stored yet for 'revenue' on target 'dev'" in done.stderr
    assert "tripl run -s revenue" in done.stderr


def test_show_json_is_the_only_thing_on_stdout(demo: Demo, tmp_path: Path) -> None:
    done = tripl(
        "show", "orders", "--format", "json", "--project-dir", str(demo.root), cwd=tmp_path
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["metric"] == "orders"


def test_backtest_bad_options_are_usage_errors(demo: Demo, invoke: Invoke) -> None:
    wide = {"COLUMNS": "200"}  # rich's error box must not wrap the message
    bogus = invoke(demo.root, "backtest", "--sensitivity", "bogus", env=wide)
    assert bogus.exit_code == 2
    assert "'bogus' is not one of 'low', 'medium', 'high'" in bogus.stderr
    assert ".yml" not in bogus.stderr  # no YAML file is to blame
    backwards = invoke(
        demo.root, "backtest", "--start", "2026-03-10", "--end", "2026-03-01", env=wide
    )
    assert backwards.exit_code == 2
    assert "--start 2026-03-10 is not before --end 2026-03-01" in backwards.stderr
    same = invoke(demo.root, "backtest", "--start", "2026-03-01", "--end", "2026-03-01")
    assert same.exit_code == 2


def test_backtest_json_rows(demo: Demo, invoke: Invoke) -> None:
    done = invoke(
        demo.root, "backtest", "-s", "orders", "--sensitivity", "high", "--format", "json"
    )
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["overrides"] == {"sensitivity": "high"}
    rows = {(r["metric"], json.dumps(r["breakdown"])): r for r in doc["metrics"]}
    total = rows[("orders", "null")]
    android = rows[("orders", json.dumps({"column": "platform", "value": "android"}))]
    for row in (total, android):
        assert set(row) == {
            "metric",
            "breakdown",
            "status",
            "scored_buckets",
            "anomalies",
            "by_detector",
            "spikes",
            "drops",
            "buckets",
        }
        assert row["anomalies"] == len(row["buckets"]) == row["spikes"] + row["drops"]
        assert all(b.endswith("Z") for b in row["buckets"])
    assert android["anomalies"] >= 1  # the planted outage


def test_quiet_run_prints_nothing_when_all_is_well(fresh_demo: Path, invoke: Invoke) -> None:
    done = invoke(fresh_demo, "--quiet", "run", "-s", "orders")
    assert done.exit_code == 0, done.output
    assert done.stderr == "" and done.stdout == ""
    loud = invoke(fresh_demo, "run", "-s", "orders")
    assert loud.exit_code == 0 and "1 collected, 0 failed" in loud.stderr


def test_quiet_init_debug_and_diff_print_no_summary(
    fresh_demo: Path, tmp_path: Path, invoke: Invoke
) -> None:
    made = invoke(tmp_path, "--quiet", "init", str(tmp_path / "blank"))
    assert made.exit_code == 0 and made.stderr == ""
    checked = invoke(fresh_demo, "--quiet", "debug")
    assert checked.exit_code == 0 and checked.stderr == "" and "✓ warehouse" in checked.stdout
    assert invoke(fresh_demo, "compile").exit_code == 0
    diffed = invoke(
        fresh_demo, "--quiet", "diff", "--state", str(fresh_demo / "target"), "--no-values"
    )
    assert diffed.exit_code == 0 and diffed.stderr == "", diffed.stderr
    loud = invoke(fresh_demo, "diff", "--state", str(fresh_demo / "target"), "--no-values")
    assert "0 new, 0 modified, 0 metadata, 0 removed" in loud.stderr


def test_fail_on_anomaly_exits_3_on_news_not_on_recorded_history(
    fresh_demo: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functools

    import duckdb

    from tripl_cli.api import detect_api, run_api
    from tripl_cli.api.project_api import open_project

    # The CLI's clock is the demo's: detect at AS_OF.
    monkeypatch.setattr(detect_api, "detect", functools.partial(detect_api.detect, as_of=AS_OF))
    project = open_project(fresh_demo)
    assert not run_api.run(project, run_api.RunOptions(as_of=AS_OF)).failed
    args = ("detect", "--no-alerts", "--fail-on-anomaly", "--format", "json")
    # The demo's outage ended eight days before AS_OF: found for the first time, exit 3...
    first = invoke(fresh_demo, *args)
    assert first.exit_code == 3, first.output
    doc = json.loads(first.stdout)
    series = doc["series"]
    assert sum(s["new_anomalies"] for s in series) > 0
    # Recorded together, counted per series: nothing was recorded before, so each series'
    # anomalies (one per bucket) are all new.
    for s in series:
        mine = {
            a["bucket"]
            for a in doc["anomalies"]
            if (a["metric"], a["breakdown"]) == (s["metric"], s["breakdown"])
        }
        assert s["new_anomalies"] == len(mine), s
    assert not any(s["anomalous_now"] for s in series)
    # ... recorded since, and no series anomalous now: history, exit 0.
    again = invoke(fresh_demo, *args)
    assert again.exit_code == 0, again.output
    doc = json.loads(again.stdout)
    assert doc["anomalies"] and sum(s["new_anomalies"] for s in doc["series"]) == 0
    # Orders stop three days before AS_OF: an outage going on, red on every detect.
    stopped = (AS_OF - timedelta(days=3)).replace(hour=0, minute=0)
    with duckdb.connect(str(fresh_demo / "warehouse.duckdb")) as con:
        con.execute("DELETE FROM raw.orders WHERE created_at >= ?", [stopped])
    assert not run_api.run(project, run_api.RunOptions(as_of=AS_OF)).failed
    for _ in range(2):
        now = invoke(fresh_demo, "detect", "--no-alerts", "--fail-on-anomaly")
        assert now.exit_code == 3, now.output
    assert "series anomalous now" in now.stderr and "(0 new;" in now.stderr
    assert invoke(fresh_demo, "detect", "--no-alerts").exit_code == 0  # without the flag


def test_json_commands_stopped_by_an_error_still_print_one_document(
    fresh_demo: Path, tmp_path: Path
) -> None:
    ghost = "metrics:\n  - {name: ghost, kind: fact, fact_table: nope, aggregation: count}\n"
    (fresh_demo / "metrics" / "ghost.yml").write_text(ghost)
    for command in (("run",), ("detect",), ("ls",)):
        done = tripl("--project-dir", str(fresh_demo), *command, "--format", "json", cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        doc = json.loads(done.stdout)  # one document, and only that
        assert doc["status"] == "error" and doc["error"] == "project has 1 error"
        (issue,) = doc["issues"]
        assert (issue["rule"], issue["path"]) == ("unknown-fact-table", "metrics/ghost.yml")
        assert "unknown fact table 'nope'" in done.stderr  # the message stays on stderr too
    (fresh_demo / "metrics" / "ghost.yml").unlink()
    done = tripl("--project-dir", str(fresh_demo), "show", "orders", "-t", "nosuch",
                 "--format", "json", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"] == "target 'nosuch' not found (available: dev)"
    # A usage error too (exit 2): its usage text on stderr, one document on stdout.
    usage = tripl("--project-dir", str(fresh_demo), "ls", "--format", "json", "--bogus",
                  cwd=tmp_path)  # fmt: skip
    assert usage.returncode == 2 and "Usage:" in usage.stderr
    assert json.loads(usage.stdout)["error"] == "No such option: --bogus"


def test_validate_checks_sql_in_the_targets_dialect(fresh_demo: Path, invoke: Invoke) -> None:
    # `median(amount AS value` parses as ClickHouse only: the DuckDB target's compile fails.
    commerce = fresh_demo / "metrics" / "commerce.yml"
    text = commerce.read_text()
    assert "median(amount) AS value" in text
    commerce.write_text(text.replace("median(amount) AS value", "median(amount AS value"))
    checked = invoke(fresh_demo, "validate", "--format", "json")
    assert checked.exit_code == 1, checked.output
    (error,) = json.loads(checked.stdout)["errors"]
    assert (error["rule"], error["path"]) == ("sql-syntax", "metrics/commerce.yml")
    compiled = invoke(fresh_demo, "compile")
    assert compiled.exit_code == 1 and "\x1b[" not in compiled.stderr


def test_a_run_stopped_before_it_starts_replaces_the_last_results(
    fresh_demo: Path, invoke: Invoke
) -> None:
    results = fresh_demo / "target" / "run_results.json"
    assert invoke(fresh_demo, "run", "-s", "orders").exit_code == 0
    assert json.loads(results.read_text())["status"] == "success"
    # cron's environment lacks the profile's variable: the target does not resolve.
    profiles = fresh_demo / "profiles.yml"
    good = profiles.read_text()
    profiles.write_text(
        good.replace("path: warehouse.duckdb", "path: \"{{ env_var('TRIPL_T_WH') }}\"")
    )
    assert "TRIPL_T_WH" in profiles.read_text()
    unresolved = invoke(fresh_demo, "run", "-s", "orders")
    assert unresolved.exit_code == 1
    doc = json.loads(results.read_text())
    assert (doc["status"], doc["results"]) == ("error", []) and "TRIPL_T_WH" in doc["error"]
    assert doc["target"] == "dev"  # the profile's default target, named though not usable
    # A merged metric names a fact table that does not exist: the project is invalid.
    profiles.write_text(good)
    broken = "metrics:\n  - {name: ghost, kind: fact, fact_table: nope, aggregation: count}\n"
    (fresh_demo / "metrics" / "ghost.yml").write_text(broken)
    assert invoke(fresh_demo, "run", "--dry-run").exit_code == 1
    assert "TRIPL_T_WH" in json.loads(results.read_text())["error"]  # a dry run writes none
    invalid = invoke(fresh_demo, "run")
    assert invalid.exit_code == 1
    doc = json.loads(results.read_text())
    assert doc["status"] == "error" and "unknown-fact-table" in doc["error"], doc
    assert doc["target"] == "dev"


def test_the_tour_counts_the_anomalies_it_does_not_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tripl_cli.cli.commands.demo_cmd import _print_steps

    result = demo_api.make_demo(tmp_path / "tour", as_of=AS_OF)
    assert result.detect is not None
    shown = dataclasses.replace(result.detect, series=result.detect.series * 2)
    total = len(shown.anomalies)
    assert total > 5
    _print_steps(dataclasses.replace(result, detect=shown))
    err = capsys.readouterr().err
    assert f"tripl detect: {total} anomalies recorded" in err
    assert err.count(" on 20") == 5  # five listed by name ("… on 2026-03-05: …")
    assert f"… and {total - 5} more" in err


@pytest.mark.parametrize(
    ("option", "selector"), [("-s", "foo:bar"), ("-s", "tag:"), ("-s", "+"), ("--exclude", "x:y")]
)
def test_a_malformed_selector_is_a_usage_error(
    demo: Demo, invoke: Invoke, option: str, selector: str
) -> None:
    for command in ("ls", "run", "compile"):
        result = invoke(demo.root, command, option, selector)
        assert result.exit_code == 2, (command, result.output)
        assert ("--exclude" if option == "--exclude" else "--select") in result.output


def test_detect_before_any_run_says_to_run_first(tmp_path: Path, invoke: Invoke) -> None:
    root = tmp_path / "today"
    init_project(root, demo=True)  # data up to now, as the CLI's clock reads it
    done = invoke(root, "detect", "--no-alerts")
    assert done.exit_code == 0, done.output
    assert "no values stored yet: run `tripl run` first" in done.stderr
    collected = invoke(root, "run", "-s", "orders")
    assert collected.exit_code == 0, collected.output
    assert "run `tripl run` first" not in invoke(root, "detect", "--no-alerts").stderr


def test_detect_long_after_the_last_run_does_not_say_run_first(
    demo_copy: Path, invoke: Invoke
) -> None:
    done = invoke(demo_copy, "detect", "--no-alerts")  # collected at AS_OF, months ago
    assert done.exit_code == 0, done.output
    assert "still learning" in done.stderr  # nothing recent to score ...
    assert "run `tripl run` first" not in done.stderr  # ... but values are stored


def test_github_annotations_are_relative_to_the_checkout_from_a_subfolder(
    fresh_demo: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `working-directory: analytics` in a workflow: cwd is the project, not the checkout.
    checkout = fresh_demo.parent
    commerce = fresh_demo / "metrics" / "commerce.yml"
    commerce.write_text(commerce.read_text().replace("aggregation: sum", "aggregation: summ", 1))
    monkeypatch.chdir(fresh_demo)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(checkout))
    done = invoke(fresh_demo, "validate", "--format", "github")
    assert done.exit_code == 1
    assert f"::error file={fresh_demo.name}/metrics/commerce.yml,line=" in done.stdout, done.stdout
    # A profiles.yml elsewhere in the checkout (`--profiles-dir ../ci`) keeps its own path.
    ci = checkout / "ci"
    ci.mkdir()
    (fresh_demo / "profiles.yml").rename(ci / "profiles.yml")
    bad = invoke(fresh_demo, "--profiles-dir", "../ci", "-t", "nosuch", "validate", "--format",
                 "github")  # fmt: skip
    assert bad.exit_code == 1
    assert "::error file=ci/profiles.yml,line=" in bad.stdout, bad.stdout


def test_run_and_compile_read_sql_in_the_targets_dialect(fresh_demo: Path, invoke: Invoke) -> None:
    # `||` is OR on MySQL and a concatenation elsewhere: compile (and run) read a `where` as
    # the dialect they render for does (compile --dialect mysql refused `a > 0 || b` before).
    commerce = fresh_demo / "metrics" / "commerce.yml"
    text = commerce.read_text()
    assert "    where: amount > 0\n" in text
    commerce.write_text(text.replace("where: amount > 0", "where: amount > 0 || amount < -1"))
    mysql = invoke(fresh_demo, "compile", "--dialect", "mysql", "--print")
    assert mysql.exit_code == 0, mysql.output
    assert "amount > 0 OR amount < -1" in mysql.stdout
    duckdb = invoke(fresh_demo, "compile", "--print")  # the DuckDB target: no OR there
    assert duckdb.exit_code == 0 and " OR " not in duckdb.stdout


@pytest.mark.parametrize("where", ["pages", "header"])
def test_a_damaged_state_file_is_said_so_with_what_to_do(
    demo_copy: Path, invoke: Invoke, where: str
) -> None:
    state = demo_copy / ".tripl" / "dev.db"
    data = bytearray(state.read_bytes())
    assert len(data) > 65536
    if where == "pages":  # a disk fault after the header: pages of the tables themselves
        for at in range(40960, len(data) - 200, 16384):
            data[at : at + 200] = b"\xa5" * 200
    else:
        data[:100] = b"\x00" * 100
    state.write_bytes(bytes(data))
    for command in (("ls",), ("run",), ("show", "orders", "--format", "json")):
        result = invoke(demo_copy, *command)
        assert result.exit_code == 1, (command, result.output)
        # A user's problem, said as one (the entry point prints it without "internal error").
        assert isinstance(result.exception, StateError), (command, result.exception)
        said = result.exception.render()
        assert "is damaged" in said and "move the file aside" in said, (command, said)
        assert "[SQL:" not in said
