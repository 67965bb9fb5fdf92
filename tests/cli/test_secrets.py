"""Secrets never reach the terminal: state-URL query passwords, env_var() values, tracebacks."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tripl_cli.cli.logs import JsonFormatter, SecretFilter, TextFormatter
from tripl_cli.errors import StateError, mask_secrets
from tripl_cli.state.store import open_store

ENTRY = "from tripl_cli.cli.main import run; run()"
PASSWORD = "pw-Xq7-s3cret"
DB_NAME = "db-Zk9-s3cret"


def tripl(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **env}
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _with_state(root: Path, state: str) -> None:
    profiles = root / "profiles.yml"
    profiles.write_text(profiles.read_text() + f'      state: "{state}"\n')


@pytest.mark.parametrize("args", [("ls",), ("detect",), ("run",), ("--debug", "ls")])
def test_a_query_parameter_password_is_masked_everywhere(
    fresh_demo: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    # A literal password (not from env_var): display_url must mask it by itself.
    _with_state(fresh_demo, f"postgresql://u@127.0.0.1:1/tripl?password={PASSWORD}")
    done = tripl(*args, "--project-dir", str(fresh_demo), cwd=tmp_path, env={})
    assert done.returncode == 1
    assert "password=***" in done.stderr
    assert PASSWORD not in done.stderr + done.stdout


def test_env_var_values_of_the_target_are_scrubbed_from_errors_and_tracebacks(
    fresh_demo: Path, tmp_path: Path
) -> None:
    # The database name is no credential to display_url, but it came from env_var().
    _with_state(fresh_demo, "postgresql://u@127.0.0.1:1/{{ env_var('TRIPL_TEST_DB') }}")
    env = {"TRIPL_TEST_DB": DB_NAME}
    for debug in ((), ("--debug",)):
        done = tripl(*debug, "ls", "--project-dir", str(fresh_demo), cwd=tmp_path, env=env)
        assert done.returncode == 1
        assert "cannot open the state database postgresql+psycopg://u@127.0.0.1:1/****" in (
            done.stderr
        )
        assert DB_NAME not in done.stderr + done.stdout
    assert "Traceback (most recent call last)" in done.stderr  # the --debug run


@pytest.mark.parametrize("key", ["target", "type"])
def test_an_env_var_value_named_as_target_or_type_is_masked(
    fresh_demo: Path, tmp_path: Path, key: str
) -> None:
    # The wrong value is quoted back ("target '…' not found", "unknown warehouse type '…'").
    profiles = fresh_demo / "profiles.yml"
    text = profiles.read_text()
    old = "  target: dev\n" if key == "target" else "type: duckdb"
    new = (
        "  target: \"{{ env_var('TRIPL_TEST_PW') }}\"\n"
        if key == "target"
        else "type: \"{{ env_var('TRIPL_TEST_PW') }}\""
    )
    assert old in text
    profiles.write_text(text.replace(old, new))
    env = {"TRIPL_TEST_PW": PASSWORD}
    done = tripl("run", "--format", "json", "--project-dir", str(fresh_demo), cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert "****" in done.stderr
    results = (fresh_demo / "target" / "run_results.json").read_text()
    assert PASSWORD not in done.stderr + done.stdout + results


LEAKY_SECRET = "tok-Zq8-s3cret"


def _leaky_metric(root: Path) -> str:
    """A metric `leaky` whose failing `where` quotes an env_var() value; returns the value
    (set it as TRIPL_TEST_TOKEN)."""
    metric = "  - {name: leaky, kind: fact, fact_table: orders, aggregation: count,"
    metric += " where: \"amount > '{{ env_var('TRIPL_TEST_TOKEN') }}'\"}\n"
    (root / "metrics" / "leaky.yml").write_text("metrics:\n" + metric)
    return LEAKY_SECRET


def test_a_project_env_var_in_a_failing_filter_never_reaches_output_or_artifacts(
    fresh_demo: Path, tmp_path: Path
) -> None:
    # The value lands in the SQL, whose error quotes it: the run's table, run_results.json
    # and the state's recorded error must all show it masked.
    secret = _leaky_metric(fresh_demo)
    env = {"TRIPL_TEST_TOKEN": secret}
    window = ("--start", "2026-03-01", "--end", "2026-03-08")  # the demo's rows
    args = ("run", "-s", "leaky", *window, "--project-dir", str(fresh_demo))
    done = tripl(*args, cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stderr
    results = (fresh_demo / "target" / "run_results.json").read_text()
    assert "leaky" in done.stderr and '"status": "error"' in results
    with open_store(None, project_root=fresh_demo, target="dev") as store:
        recorded = str(store.metric_statuses()["leaky"].last_error)
    for text in (done.stdout, done.stderr, results, recorded):
        assert secret not in text


def test_json_logs_of_a_run_are_one_record_per_line_with_each_metric_s_result(
    fresh_demo: Path, tmp_path: Path
) -> None:
    # `--log-format json`: stderr is JSON lines only (the text summary table was printed
    # there before), each metric's result a record with fields, its error masked there too.
    secret = _leaky_metric(fresh_demo)
    window = ("--start", "2026-03-01", "--end", "2026-03-08", "--full-refresh")
    args = ("--log-format", "json", "run", "-s", "leaky", "orders", *window)
    done = tripl(*args, "--project-dir", str(fresh_demo), cwd=tmp_path,
                 env={"TRIPL_TEST_TOKEN": secret})  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert secret not in done.stdout + done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]  # every line is JSON
    by_metric = {r["metric"]: r for r in records if "metric" in r}
    assert by_metric["orders"]["status"] == "success"
    assert by_metric["orders"]["buckets_written"] == 7
    assert by_metric["orders"]["window_start"] == "2026-03-01T00:00:00+00:00"
    assert by_metric["leaky"]["status"] == "error" and "****" in by_metric["leaky"]["error"]
    assert records[-1]["collected"] == 1 and records[-1]["failed"] == 1
    warning = next(r for r in records if r["level"] == "warning")
    assert "--full-refresh changes nothing with --start" in warning["message"]
    assert any(r["level"] == "error" and "leaky" in r["message"] for r in records)


@pytest.mark.parametrize(
    ("password", "pieces"),
    [
        ("p@ssw0rd-Q9", ["ssw0rd"]),
        # The rest after '@' read as host and port: 'zSECRET…' is no port (was a crash).
        ("x@y:zSECRET", ["zSECRET"]),
        # Re-encoded by the URL renderer ('%' as %25) where the raw piece was masked.
        ("s3cr3t:p@ss/w%rd", ["w%rd", "w%25rd"]),
    ],
)
def test_a_password_with_an_unencoded_at_sign_never_reaches_a_message(
    fresh_demo: Path, tmp_path: Path, password: str, pieces: list[str]
) -> None:
    # A URL parser takes what precedes the '@' for the password and the rest for the host.
    _with_state(fresh_demo, "postgresql://bob:{{ env_var('TRIPL_TEST_PW') }}@127.0.0.1:1/t")
    env = {"TRIPL_TEST_PW": password}
    for command in ("run", "ls", "debug"):
        done = tripl(command, "--project-dir", str(fresh_demo), cwd=tmp_path, env=env)
        assert "internal error" not in done.stderr, done.stderr
        if command != "debug":  # debug shows its checklist, with the failed step
            assert done.returncode == 1
        assert "has more than one '@'" in done.stderr + done.stdout
        assert "%40" in done.stderr + done.stdout  # the advice
        results = (fresh_demo / "target" / "run_results.json").read_text()
        for piece in pieces:
            assert piece not in done.stderr + done.stdout + results


def test_a_port_that_is_not_a_number_is_a_clear_error(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:54x2/test"
    with pytest.raises(StateError, match="not a valid SQLAlchemy URL"):
        open_store(url, project_root=tmp_path, target="dev")


def test_secret_pieces_are_masked_as_a_url_renderer_encodes_them() -> None:
    shown = "cannot open postgresql+psycopg://bob:***@ss/w%25rd%40127.0.0.1%3A1/t"
    assert "w%25rd" not in mask_secrets(shown, ["s3cr3t:p@ss/w%rd"])


def test_masking_short_secrets_spares_words_and_url_forms_are_masked() -> None:
    text = 'database "nosuchdbxyz" does not exist for x at x%2By and a+b%2Fc'
    assert mask_secrets(text, ["x", "x+y", "a b/c"]) == (
        'database "nosuchdbxyz" does not exist for **** at **** and ****'
    )
    # A path secret is masked whole; its folders are not masked inside other words.
    text = "cannot open the state database /data/warehouse.duckdb"
    assert mask_secrets(text, ["/data/warehouse.duckdb"]) == "cannot open the state database ****"
    assert mask_secrets("the database is down", ["/data/x.db"]) == "the database is down"


def _record(message: str, *, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("tripl_cli.x", logging.ERROR, __file__, 1, message, (), exc_info)


def test_json_fields_are_scrubbed_at_any_depth_and_keep_the_record_s_own_keys() -> None:
    # `console.emit` fields (a run's per-metric records): a secret in a nested list, a
    # mapping or an object JSON cannot hold is masked like the message.
    secret_filter = SecretFilter()
    secret_filter.add(["hunter22"])
    record = _record("done")
    record.tripl_fields = {
        "error": "login hunter22",
        "errors": ["a", "hunter22"],
        "detail": {"cause": ValueError("bad hunter22")},
        "count": 3,
        "message": "a field named like the record's own key",
    }
    assert secret_filter.filter(record)
    doc = json.loads(JsonFormatter().format(record))
    assert "hunter22" not in json.dumps(doc)
    assert doc["error"] == "login ****" and doc["errors"] == ["a", "****"]
    assert doc["detail"] == {"cause": "bad ****"} and doc["count"] == 3
    assert doc["message"] == "done"  # the record's own; the field is kept beside it
    assert doc["field_message"] == "a field named like the record's own key"
    # Other extras named alike are no fields (and break nothing).
    odd = _record("x")
    odd.tripl_fields = ["not", "a", "mapping"]
    assert secret_filter.filter(odd) and "not" not in JsonFormatter().format(odd)


def test_secret_filter_scrubs_messages_arguments_and_exception_text() -> None:
    secret_filter = SecretFilter()
    secret_filter.add(["abc", "hunter22", "hunter2"])  # too short to mask: "abc"
    try:
        raise RuntimeError("login failed for hunter22")
    except RuntimeError as exc:
        caught = exc
    for formatter in (TextFormatter(), JsonFormatter(), logging.Formatter("%(message)s")):
        record = _record("sending with token hunter2 and %s", exc=caught)
        record.args = ("hunter22",)
        assert secret_filter.filter(record)
        text = formatter.format(record)
        assert "hunter2" not in text
        assert "login failed for ****" in text and "RuntimeError" in text
        assert "abc" not in secret_filter.secrets
    assert secret_filter.scrub("x hunter22 y") == "x **** y"
    # A hint travels beside the message (`--log-format json`): scrubbed as well.
    hinted = _record("could not connect")
    hinted.hint = "check the password hunter22"
    assert secret_filter.filter(hinted)
    doc = json.loads(JsonFormatter().format(hinted))
    assert doc["hint"] == "check the password ****"


def test_loading_registers_project_and_target_env_values(
    fresh_demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tripl_cli.cli import loading
    from tripl_cli.cli.context import GlobalOptions
    from tripl_cli.cli.logs import secret_filter

    hook = "https://hooks.example.com/T0/B0/hook-Vb3-s3cret"
    (fresh_demo / "alerts" / "hook.yml").write_text(
        "destinations:\n  - name: hook\n    type: webhook\n"
        "    url: \"{{ env_var('TRIPL_TEST_HOOK') }}\"\n"
    )
    _with_state(fresh_demo, "sqlite:///{{ env_var('TRIPL_TEST_STATE') }}")
    monkeypatch.setenv("TRIPL_TEST_HOOK", hook)
    monkeypatch.setenv("TRIPL_TEST_STATE", "state-Qm4-s3cret.db")
    project = loading.open_project(GlobalOptions(project_dir=fresh_demo))
    assert "hook" in project.destinations
    text = f"posting to {hook} failed; state state-Qm4-s3cret.db"
    assert secret_filter.scrub(text) == "posting to **** failed; state ****"


def test_text_log_lines_show_control_characters_escaped() -> None:
    record = _record("m: could not convert string '\x1b[2J EVIL\x07' to INT32")
    text = TextFormatter().format(record)
    assert text == "error: m: could not convert string '\\x1b[2J EVIL\\x07' to INT32"


def test_an_at_sign_in_a_sqlite_path_is_a_plain_character(tmp_path: Path) -> None:
    folder = tmp_path / "job@2" / "x@tmp"
    folder.mkdir(parents=True)
    with open_store(f"sqlite:///{folder}/state.db", project_root=tmp_path, target="dev"):
        pass
    assert (folder / "state.db").is_file()
