"""One state database, one project's target: values and status are keyed by metric name, so
a second target (or project) on the same `state:` would overwrite the first one's values."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.runner.harness import project_files
from tripl_cli.api.project_api import open_project
from tripl_cli.api.run_api import RunOptions, open_state, run
from tripl_cli.errors import StateError
from tripl_cli.state import open_store


def test_the_first_target_claims_a_state_and_any_other_is_refused(
    state_url: str, tmp_path: Path
) -> None:
    with open_store(state_url, project_root=tmp_path, target="dev") as store:
        store.claim(project="shop", target="dev")
        store.claim(project="shop", target="dev")  # its own again: fine
        with pytest.raises(
            StateError, match="holds target 'dev' of project 'shop', not target 'prod'"
        ):
            store.claim(project="shop", target="prod")
        with pytest.raises(StateError, match="not target 'dev' of project 'blog'"):
            store.claim(project="blog", target="dev")


#: One day of the fact table `ev`, which one count metric `n` reads.
WINDOW = RunOptions(start=datetime(2026, 1, 5, tzinfo=UTC), end=datetime(2026, 1, 6, tzinfo=UTC))


def _project(tmp_path: Path, outputs: str, rows: int) -> Path:
    """Project `p` whose profile has these `outputs:` lines, and `rows` events on Jan 5."""
    facts = (
        "  - {name: ev, timestamp_column: ts, sql: \"SELECT TIMESTAMP '2026-01-05 01:00' AS ts"
        f' FROM range({rows})"}}\n'
    )
    metrics = "metrics:\n  - {name: n, kind: fact, fact_table: ev, aggregation: count}\n"
    profile = "p:\n  target: dev\n  outputs:\n" + outputs
    return project_files(tmp_path / "p", profile=profile, facts=facts, metrics=metrics,
                         config="name: p\n")  # fmt: skip


def test_a_second_target_on_a_shared_state_url_stores_nothing(tmp_path: Path) -> None:
    shared = f"sqlite:///{tmp_path / 'team_state.db'}"
    project = open_project(
        _project(
            tmp_path,
            f"    dev: {{type: duckdb, path: dev.duckdb, state: '{shared}'}}\n"
            f"    prod: {{type: duckdb, path: prod.duckdb, state: '{shared}'}}\n",
            rows=91,
        )
    )
    assert not run(project, WINDOW, target="dev").failed
    with pytest.raises(StateError, match="holds target 'dev' of project 'p', not target 'prod'"):
        run(project, WINDOW, target="prod")
    with pytest.raises(StateError):  # reading it as prod's is refused too
        open_state(project, profiles_dir=None, target="prod")
    with open_state(project, profiles_dir=None, target="dev") as store:
        assert [p.value for p in store.read_series("n")] == [91.0]  # dev's values intact


def test_the_default_state_file_is_not_claimed_so_a_renamed_project_keeps_it(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, "    dev: {type: duckdb, path: dev.duckdb}\n", rows=3)
    assert not run(open_project(root), WINDOW).failed
    (root / "tripl_project.yml").write_text("name: renamed\n")
    profiles = root / "profiles.yml"
    profiles.write_text(profiles.read_text().replace("p:", "renamed:", 1))
    with open_state(open_project(root), profiles_dir=None, target=None) as store:
        assert [p.value for p in store.read_series("n")] == [3.0]
