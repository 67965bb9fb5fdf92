"""`init_project`: what it writes, what it refuses, and that the result is a valid project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from tests.scaffold.conftest import AS_OF
from tripl_cli.errors import Severity, TriplError
from tripl_cli.project.loader import load_project
from tripl_cli.scaffold import init as init_module
from tripl_cli.scaffold import init_project, project_name_for

BASIC_FILES = {
    ".gitignore",
    "tripl_project.yml",
    "profiles.yml",
    "fact_tables/example.yml",
    "metrics/example.yml",
    "alerts/alerts.yml",
    "warehouse.duckdb",
}
DEMO_FILES = {
    ".gitignore",
    "tripl_project.yml",
    "profiles.yml",
    "fact_tables/orders.yml",
    "fact_tables/sessions.yml",
    "metrics/commerce.yml",
    "metrics/engagement.yml",
    "alerts/alerts.yml",
    "warehouse.duckdb",
}


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def assert_loads_cleanly(root: Path) -> None:
    result = load_project(root)
    assert result.project is not None
    assert [i.render() for i in result.issues if i.severity is Severity.ERROR] == []


# --------------------------------------------------------------------------- refusals
def test_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(TriplError, match="not empty") as info:
        init_project(tmp_path, demo=False)
    assert "notes.txt" in info.value.message
    assert info.value.hint and "new directory" in info.value.hint
    assert files_under(tmp_path) == {"notes.txt"}
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_refuses_a_directory_holding_only_an_empty_subdirectory(tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    with pytest.raises(TriplError, match="not empty"):
        init_project(tmp_path, demo=True, as_of=AS_OF)
    assert [p.name for p in tmp_path.iterdir()] == ["metrics"]


def test_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "shop"
    target.write_text("")
    with pytest.raises(TriplError, match="is a file"):
        init_project(target, demo=False)


def test_a_path_that_cannot_be_made_or_written_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(TriplError, match="cannot create the project directory") as info:
        init_project(tmp_path / "afile" / "sub", demo=False)  # a file where a folder must be
    assert info.value.hint

    def no_room(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(init_module, "generate_demo_warehouse", no_room)
    with pytest.raises(TriplError, match="No space left on device"):
        init_project(tmp_path / "full", demo=True, as_of=AS_OF)
    assert not (tmp_path / "full").exists()


def test_refuses_an_invalid_project_name(tmp_path: Path) -> None:
    with pytest.raises(TriplError, match="invalid project name") as info:
        init_project(tmp_path / "x", demo=False, name="My-Shop")
    assert info.value.hint
    assert not (tmp_path / "x").exists()


def test_accepts_an_empty_directory_and_a_fresh_git_repository(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert init_project(empty, demo=False).root == empty
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    init_project(repo, demo=False)
    assert (repo / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert files_under(repo) == BASIC_FILES | {".git/HEAD"}


def test_a_failed_init_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TriplError("disk full")

    monkeypatch.setattr(init_module, "generate_demo_warehouse", broken)
    with pytest.raises(TriplError, match="disk full"):
        init_project(tmp_path / "new", demo=True, as_of=AS_OF)
    assert not (tmp_path / "new").exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    with pytest.raises(TriplError, match="disk full"):
        init_project(existing, demo=True, as_of=AS_OF)
    assert list(existing.iterdir()) == []


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("shop", "shop"),
        ("My Shop-2", "my_shop_2"),
        ("2024_metrics", "p_2024_metrics"),
        ("---", "tripl_project"),
        ("Ünïcode ShOp", "n_code_shop"),
    ],
)
def test_project_name_from_the_directory(tmp_path: Path, folder: str, expected: str) -> None:
    assert project_name_for(tmp_path / folder) == expected


# --------------------------------------------------------------------------- basic
def test_basic_scaffold_files_and_names(tmp_path: Path) -> None:
    root = tmp_path / "Team Metrics"
    result = init_project(root, demo=False)
    assert result.name == "team_metrics" and not result.demo and result.warehouse is None
    assert {p.as_posix() for p in result.files} == BASIC_FILES == files_under(root)
    for path in root.rglob("*.yml"):
        assert "__PROJECT_NAME__" not in path.read_text(), path
    assert read_yaml(root / "tripl_project.yml")["name"] == "team_metrics"
    profiles = read_yaml(root / "profiles.yml")
    assert profiles["team_metrics"]["outputs"]["dev"]["type"] == "duckdb"
    ignored = (root / ".gitignore").read_text().split()
    assert {"target/", ".tripl/", "*.duckdb"} <= set(ignored)
    alerts = read_yaml(root / "alerts" / "alerts.yml")
    assert alerts["destinations"][0] == {
        "name": "alerts_file",
        "type": "file",
        "path": "target/alerts.jsonl",
    }
    assert alerts["alert_rules"][0]["destination"] == "alerts_file"


def test_basic_scaffold_is_a_valid_project(tmp_path: Path) -> None:
    init_project(tmp_path / "p", demo=False, name="custom_name")
    assert_loads_cleanly(tmp_path / "p")


def test_basic_example_fact_table_runs_without_any_table(tmp_path: Path) -> None:
    """The example SELECT makes up its rows, and they match its declared columns."""
    root = tmp_path / "p"
    init_project(root, demo=False)
    table = read_yaml(root / "fact_tables" / "example.yml")["fact_tables"][0]
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        con.execute("SET TimeZone = 'UTC'")
        described = con.execute(f"DESCRIBE {table['sql']}").fetchall()
        assert [row[0] for row in described] == [c["name"] for c in table["columns"]]
        days, statuses, newest_age_h = con.execute(
            "SELECT count(DISTINCT CAST(created_at AS DATE)), count(DISTINCT status),"
            " date_diff('hour', max(created_at), now() AT TIME ZONE 'UTC')"
            f" FROM ({table['sql']})"
        ).fetchone() or (0, 0, 99)
    assert days >= 60 and statuses == 2 and newest_age_h < 1


# --------------------------------------------------------------------------- demo
def test_demo_scaffold_files(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    result = init_project(root, demo=True, as_of=AS_OF)
    assert result.demo and result.name == "demo"
    assert {p.as_posix() for p in result.files} == DEMO_FILES == files_under(root)
    assert result.warehouse is not None
    assert result.warehouse.path == root / "warehouse.duckdb"
    assert result.warehouse.rows["orders"] > 90 * 1000
    assert read_yaml(root / "profiles.yml")["demo"]["outputs"]["dev"] == {
        "type": "duckdb",
        "path": "warehouse.duckdb",
    }
    assert_loads_cleanly(root)


def test_templates_and_sql_ship_as_package_data() -> None:
    """Every template and SQL file is covered by pyproject's package-data globs (else a wheel
    install has no scaffold: setuptools only packs .py files by default)."""
    import tomllib

    repo = Path(__file__).resolve().parents[2]
    config = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"].get("package-data", {}).get("tripl_cli.scaffold", [])
    package = repo / "tripl_cli" / "scaffold"
    data_files = [
        p.relative_to(package)
        for folder in ("templates", "sql")
        for p in (package / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert data_files
    covered = {p.relative_to(package) for g in globs for p in package.glob(g) if p.is_file()}
    assert sorted(set(data_files) - covered) == []
