"""`tripl compile`'s files: target/compiled holds exactly what the manifest lists."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from tests.project.helpers import FULL
from tripl_cli.api.project_api import compile_project, open_project

AS_OF = datetime(2026, 1, 12, tzinfo=UTC)


def _listed(root: Path) -> set[str]:
    """Every compiled file the manifest names (a query's own, its variant's and probe's)."""
    manifest = json.loads((root / "target" / "manifest.json").read_text())
    paths: set[str] = set()
    for query in manifest["queries"].values():
        paths.add(query["path"])
        variant = query.get("variant") or {}
        paths.update(v for k, v in variant.items() if k.endswith("path"))
    return paths


def _on_disk(root: Path) -> set[str]:
    target = root / "target"
    return {str(p.relative_to(target)) for p in (target / "compiled").rglob("*.sql")}


def test_a_compile_for_another_dialect_or_selection_leaves_no_stale_sql(tmp_path: Path) -> None:
    root = tmp_path / "full"
    shutil.copytree(FULL, root)
    project = open_project(root)
    compile_project(project, dialect="postgres", as_of=AS_OF)
    postgres = _on_disk(root)
    compile_project(project, dialect="duckdb", as_of=AS_OF)
    assert _on_disk(root) == _listed(root)
    assert postgres - _on_disk(root), "the two dialects should name some files differently"
    compile_project(project, dialect="duckdb", select=["revenue"], as_of=AS_OF)
    assert _on_disk(root) == _listed(root)
    folders = [d for d in (root / "target" / "compiled").rglob("*") if d.is_dir()]
    assert all(any(d.iterdir()) for d in folders), "empty folders are removed too"


def test_stale_sql_cleanup_never_follows_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "full"
    shutil.copytree(FULL, root)
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "keep.sql").write_text("select 1")
    (outside / "sub" / "keep.sql").write_text("select 2")
    compiled = root / "target" / "compiled"
    compiled.mkdir(parents=True)
    (compiled / "linked").symlink_to(outside / "sub", target_is_directory=True)
    (compiled / "file.sql").symlink_to(outside / "keep.sql")
    (compiled / "empty").symlink_to(tmp_path / "no_such_dir", target_is_directory=True)
    compile_project(open_project(root), dialect="duckdb", as_of=AS_OF)
    assert (outside / "keep.sql").exists() and (outside / "sub" / "keep.sql").exists()
    assert (compiled / "linked").is_symlink() and (compiled / "file.sql").is_symlink()
    assert (compiled / "empty").is_symlink()  # a dangling link is not removed either

    # A compiled folder that is itself a link elsewhere is never cleaned (its SQL is still
    # written through it).
    shutil.rmtree(root / "target")
    (root / "target").mkdir()
    (root / "target" / "compiled").symlink_to(outside, target_is_directory=True)
    compile_project(open_project(root), dialect="duckdb", as_of=AS_OF)
    assert (outside / "keep.sql").exists() and (outside / "sub" / "keep.sql").exists()
