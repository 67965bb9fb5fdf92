"""`target_of` resolves a target once per command, yet sees every change to what it reads."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from tests.project.helpers import write_project
from tripl_cli.api.warehouse import target_of
from tripl_cli.project.loader import load_project
from tripl_cli.project.model import Project

PROFILES = """\
    shop:
      target: dev
      outputs:
        dev: {type: duckdb, path: "{{ env_var('TRIPL_MEMO_DB', 'a.duckdb') }}"}
    """


def project_at(root: Path, project_yml: str = "name: shop\n") -> Project:
    write_project(root, {"tripl_project.yml": project_yml, "profiles.yml": PROFILES})
    loaded = load_project(root, env={})
    assert loaded.project is not None
    return loaded.project


def test_memoised_until_something_it_reads_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRIPL_MEMO_DB", raising=False)
    project = project_at(tmp_path)
    first = target_of(project, profiles_dir=None, target=None)
    assert target_of(project, profiles_dir=None, target=None) is first
    # A same-size rewrite whose mtime did not tick is still seen.
    path = tmp_path / "profiles.yml"
    before = path.stat()
    path.write_text(path.read_text().replace("a.duckdb", "b.duckdb"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert target_of(project, profiles_dir=None, target=None).config["path"] == "b.duckdb"
    monkeypatch.setenv("TRIPL_MEMO_DB", "c.duckdb")
    resolved = target_of(project, profiles_dir=None, target=None)
    assert resolved.config["path"] == "c.duckdb"
    assert resolved.secrets == {"c.duckdb"}


def test_project_vars_are_part_of_the_key(tmp_path: Path) -> None:
    one = project_at(tmp_path, "name: shop\nvars: {db: one.duckdb}\n")
    (tmp_path / "profiles.yml").write_text(
        PROFILES.replace("env_var('TRIPL_MEMO_DB', 'a.duckdb')", "var('db')")
    )
    two = replace(one, config=one.config.model_copy(update={"vars": {"db": "two.duckdb"}}))
    assert target_of(one, profiles_dir=None, target=None).config["path"] == "one.duckdb"
    assert target_of(two, profiles_dir=None, target=None).config["path"] == "two.duckdb"


def test_the_target_name_is_part_of_the_key(tmp_path: Path) -> None:
    project = project_at(tmp_path)
    path = tmp_path / "profiles.yml"
    path.write_text(path.read_text() + '    prod: {type: duckdb, path: "p.duckdb"}\n')
    assert target_of(project, profiles_dir=None, target="dev").name == "dev"
    assert target_of(project, profiles_dir=None, target="prod").config["path"] == "p.duckdb"
