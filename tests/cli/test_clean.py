"""`tripl clean` deletes the target folder and never anything else."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke
from tripl_cli.api import project_api
from tripl_cli.cli import loading
from tripl_cli.errors import ProjectInvalid, TriplError
from tripl_cli.project.model import Project


def test_clean_removes_only_the_target_folder(fresh_demo: Path, invoke: Invoke) -> None:
    (fresh_demo / "target" / "compiled").mkdir(parents=True)
    (fresh_demo / "target" / "compiled" / "q.sql").write_text("select 1")
    done = invoke(fresh_demo, "clean")
    assert done.exit_code == 0, done.output
    assert not (fresh_demo / "target").exists()
    assert (fresh_demo / "tripl_project.yml").is_file()
    assert "removed " in done.stderr
    again = invoke(fresh_demo, "clean")
    assert again.exit_code == 0 and "nothing to remove at " in again.stderr


def test_clean_refuses_a_target_path_that_is_the_project(fresh_demo: Path, invoke: Invoke) -> None:
    config = fresh_demo / "tripl_project.yml"
    text = config.read_text()
    assert "target-path: target\n" in text
    config.write_text(text.replace("target-path: target\n", "target-path: .\n"))
    done = invoke(fresh_demo, "clean")
    assert done.exit_code == 1
    assert isinstance(done.exception, ProjectInvalid)
    assert [i.rule for i in done.exception.errors] == ["bad-target-path"]
    assert config.is_file() and (fresh_demo / "metrics").is_dir()


@pytest.mark.parametrize("target_path", [".", ".tripl", "..", "metrics"])
def test_clean_refuses_even_when_validation_was_bypassed(
    fresh_demo: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch, target_path: str
) -> None:
    (fresh_demo / ".tripl").mkdir(exist_ok=True)
    (fresh_demo / ".tripl" / "dev.db").write_text("state")
    real = project_api.open_project(fresh_demo)
    unsafe = dataclasses.replace(
        real, config=real.config.model_copy(update={"target_path": target_path})
    )

    def bypassed(*_args: object, **_kw: object) -> Project:
        return unsafe

    monkeypatch.setattr(loading, "open_project", bypassed)
    done = invoke(fresh_demo, "clean")
    assert done.exit_code == 1, done.output
    assert isinstance(done.exception, TriplError)
    assert done.exception.message.startswith("tripl clean refuses to delete it: target-path")
    assert "target-path: target" in (done.exception.hint or "")
    assert (fresh_demo / "tripl_project.yml").is_file()
    assert (fresh_demo / ".tripl" / "dev.db").read_text() == "state"
    assert (fresh_demo / "metrics").is_dir()


def test_a_target_folder_that_cannot_be_removed_is_a_clear_error(
    fresh_demo: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    (fresh_demo / "target").mkdir()

    def read_only(path: object) -> None:
        raise OSError(30, "Read-only file system", "anomalies.json")

    monkeypatch.setattr("shutil.rmtree", read_only)
    done = invoke(fresh_demo, "clean")
    assert done.exit_code == 1
    assert isinstance(done.exception, TriplError)
    assert done.exception.message.endswith("target: Read-only file system")
