"""profiles.yml lookup order, profile/target choice, rendering and secrets."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.project.helpers import write_project
from tripl_cli.errors import ConfigError
from tripl_cli.project.loader import load_project
from tripl_cli.project.model import Project
from tripl_cli.project.profiles import resolve_target


def profile(path_value: str) -> str:
    return f"shop:\n  target: dev\n  outputs:\n    dev: {{type: duckdb, path: {path_value}}}\n"


def project_at(root: Path, project_yml: str = "name: shop\n") -> Project:
    write_project(root, {"tripl_project.yml": project_yml})
    loaded = load_project(root, env={})
    assert loaded.project is not None
    return loaded.project


def test_lookup_order(tmp_path: Path) -> None:
    project = project_at(tmp_path / "proj")
    home, env_dir, flag_dir = tmp_path / "home", tmp_path / "envdir", tmp_path / "flag"
    write_project(home, {".tripl/profiles.yml": profile("home.duckdb")})
    env = {"HOME": str(home)}
    assert resolve_target(project, env=env).config["path"] == "home.duckdb"
    write_project(project.root, {"profiles.yml": profile("root.duckdb")})
    assert resolve_target(project, env=env).config["path"] == "root.duckdb"
    write_project(env_dir, {"profiles.yml": profile("env.duckdb")})
    env["TRIPL_PROFILES_DIR"] = str(env_dir)
    assert resolve_target(project, env=env).config["path"] == "env.duckdb"
    write_project(flag_dir, {"profiles.yml": profile("flag.duckdb")})
    resolved = resolve_target(project, env=env, profiles_dir=flag_dir)
    assert resolved.config["path"] == "flag.duckdb"
    assert resolved.profiles_path == flag_dir / "profiles.yml"


def test_profiles_dir_flag_is_exclusive(tmp_path: Path) -> None:
    project = project_at(tmp_path)
    write_project(tmp_path, {"profiles.yml": profile("root.duckdb")})
    with pytest.raises(ConfigError) as info:
        resolve_target(project, env={"HOME": str(tmp_path)}, profiles_dir=tmp_path / "nowhere")
    assert "no profiles.yml found" in info.value.message


def test_an_env_profiles_dir_without_profiles_yml_is_warned_about_then_passed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    project = project_at(tmp_path / "proj")
    write_project(project.root, {"profiles.yml": profile("root.duckdb")})
    env = {"HOME": str(tmp_path), "TRIPL_PROFILES_DIR": str(tmp_path / "typo")}
    for _ in range(2):
        assert resolve_target(project, env=env).config["path"] == "root.duckdb"
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    typo = tmp_path / "typo"
    assert warned == [
        f"$TRIPL_PROFILES_DIR is {typo}, which holds no profiles.yml; looking further"
    ]


PROFILES = """\
shop:
  target: "{{ env_var('TRIPL_TARGET', 'dev') }}"
  outputs:
    dev:
      type: duckdb
      path: dev.duckdb
    prod:
      type: postgres
      host: "{{ env_var('PGHOST', 'localhost') }}"
      user: "{{ env_var('PGUSER') }}"
      password: "{{ env_var('PGPASSWORD') }}"
      threads: 4
      state: "postgresql://{{ env_var('PGUSER') }}:{{ env_var('PGPASSWORD') }}@db/tripl"
other:
  target: x
  outputs:
    x: {type: clickhouse}
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    proj = project_at(tmp_path)
    write_project(tmp_path, {"profiles.yml": PROFILES})
    return proj


def test_default_target_renders_only_that_output(project: Project) -> None:
    resolved = resolve_target(project, env={})  # prod's env vars are not needed for dev
    assert (resolved.profile, resolved.name, resolved.dialect) == ("shop", "dev", "duckdb")
    assert dict(resolved.config) == {
        "type": "duckdb",
        "path": "dev.duckdb",
        "threads": 1,
        "state": None,
    }


def test_target_flag_and_secrets(project: Project) -> None:
    env = {"PGUSER": "ana", "PGPASSWORD": "hunter2!"}
    resolved = resolve_target(project, env=env, target="prod")
    assert resolved.dialect == "postgres"
    assert resolved.config["threads"] == 4
    assert resolved.config["state"] == "postgresql://ana:hunter2!@db/tripl"
    assert resolved.secrets == {"ana", "hunter2!", "postgresql://ana:hunter2!@db/tripl"}
    assert (
        resolved.mask("connect postgresql://ana:hunter2!@db/tripl as ana") == "connect **** as ****"
    )


def test_missing_env_var_names_variable_and_location_without_leaking(project: Project) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_target(project, env={"PGPASSWORD": "hunter2!"}, target="prod")
    text = info.value.render()
    assert "environment variable 'PGUSER' is not set" in text
    assert "profiles.yml:10:13:" in text
    assert "hunter2!" not in text


def test_unknown_target_and_profile_list_the_available_ones(
    project: Project, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_target(project, env={}, target="prd")
    assert (
        info.value.message == "target 'prd' not found (available: dev, prod) (did you mean 'prod'?)"
    )
    other = project_at(tmp_path / "p2", "name: shop\nprofile: shopp\n")
    with pytest.raises(ConfigError) as info:
        resolve_target(other, env={}, profiles_dir=tmp_path)
    assert info.value.message == (
        "profile 'shopp' not found (available: other, shop) (did you mean 'shop'?)"
    )


def test_a_default_target_naming_no_output_is_reported_at_its_target_line(
    tmp_path: Path,
) -> None:
    root = project_at(tmp_path / "p3")
    (root.root / "profiles.yml").write_text(
        "shop:\n  target: dve\n  outputs:\n    dev: {type: duckdb}\n"
    )
    with pytest.raises(ConfigError) as info:
        resolve_target(root, env={})
    assert info.value.render().startswith(f"{root.root / 'profiles.yml'}:2:11: ")
    assert "target 'dve' not found (available: dev) (did you mean 'dev'?)" in info.value.message


def test_unknown_type_and_bad_threads(tmp_path: Path) -> None:
    project = project_at(tmp_path)
    write_project(
        tmp_path,
        {
            "profiles.yml": "shop:\n  target: a\n  outputs:\n"
            "    a: {type: oracle}\n    b: {threads: 0}\n"
        },
    )
    with pytest.raises(ConfigError) as info:
        resolve_target(project, env={})
    assert "unknown warehouse type 'oracle'" in info.value.message
    with pytest.raises(ConfigError) as info:
        resolve_target(project, env={}, target="b")
    assert "'threads'" in info.value.message and "must be >= 1" in info.value.message


def test_every_target_type_maps_to_a_dialect(tmp_path: Path) -> None:
    project = project_at(tmp_path)
    types = [
        "duckdb",
        "postgres",
        "mysql",
        "clickhouse",
        "snowflake",
        "bigquery",
        "trino",
        "databricks",
        "redshift",
    ]
    outputs = "".join(f"    {t}: {{type: {t}}}\n" for t in types)
    write_project(tmp_path, {"profiles.yml": f"shop:\n  target: duckdb\n  outputs:\n{outputs}"})
    assert [resolve_target(project, env={}, target=t).dialect for t in types] == types


def test_var_in_profiles_sees_the_cli_vars_over_the_project_vars(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "tripl_project.yml": "name: shop\nvars: {db: project.duckdb, schema: main}\n",
            "profiles.yml": profile("\"{{ var('db') }}\"").replace(
                "}\n", ", schema: \"{{ var('schema') }}\"}\n"
            ),
        },
    )
    loaded = load_project(tmp_path, env={}, cli_vars={"db": "cli.duckdb"})
    assert loaded.project is not None
    config = resolve_target(loaded.project, env={}).config
    assert (config["path"], config["schema"]) == ("cli.duckdb", "main")
    alone = load_project(tmp_path, env={})
    assert alone.project is not None
    assert resolve_target(alone.project, env={}).config["path"] == "project.duckdb"


def _profile_error(root: Path, profiles_yml: str) -> ConfigError:
    project = project_at(root)
    write_project(root, {"profiles.yml": profiles_yml})
    with pytest.raises(ConfigError) as info:
        resolve_target(project, env={})
    return info.value


def test_one_profile_problem_is_one_located_line(tmp_path: Path) -> None:
    dup = "shop:\n  target: a\n  outputs:\n    a: {type: duckdb}\n    a: {type: duckdb}\n"
    text = _profile_error(tmp_path, dup).render()
    assert text.count("profiles.yml:5:5") == 1 and "duplicate key 'a'" in text
    assert "\n" not in text.split("hint:")[0].strip()


def test_a_misspelled_profile_key_is_named_where_it_is(tmp_path: Path) -> None:
    error = _profile_error(tmp_path, "shop:\n  target: a\n  outputz:\n    a: {type: duckdb}\n")
    assert error.render().startswith(f"{tmp_path / 'profiles.yml'}:3:3: ")
    assert "unknown key 'outputz' in profile 'shop' (did you mean 'outputs'?)" in error.message


@pytest.mark.parametrize(("written", "kind"), [("postgresql", "postgres"), ("mariadb", "mysql")])
def test_a_common_type_spelling_is_read_as_its_canonical_type(
    tmp_path: Path, written: str, kind: str
) -> None:
    project = project_at(tmp_path)
    profiles = f"shop:\n  target: a\n  outputs:\n    a: {{type: {written}, host: h}}\n"
    write_project(tmp_path, {"profiles.yml": profiles})
    resolved = resolve_target(project, env={})
    assert (resolved.type, resolved.dialect) == (kind, kind)


def test_several_unset_env_vars_each_give_their_hint_once(tmp_path: Path) -> None:
    project = project_at(tmp_path)
    profiles = (
        "shop:\n  target: a\n  outputs:\n    a:\n      type: postgres\n"
        "      user: \"{{ env_var('TRIPL_T_USER') }}\"\n"
        "      password: \"{{ env_var('TRIPL_T_PASSWORD') }}\"\n"
    )
    write_project(tmp_path, {"profiles.yml": profiles})
    with pytest.raises(ConfigError) as info:
        resolve_target(project, env={})
    text = info.value.render()
    assert text.count("export TRIPL_T_USER=") == 1, text
    assert text.count("export TRIPL_T_PASSWORD=") == 1, text


def test_short_project_env_values_do_not_mask_the_targets_messages(tmp_path: Path) -> None:
    project = project_at(tmp_path)
    project = dataclasses.replace(project, secrets=frozenset({"dev", "tok-Zq8-s3cret"}))
    write_project(tmp_path, {"profiles.yml": "shop:\n  target: dev\n  outputs:\n    dev: {}\n"})
    resolved = resolve_target(project, env={})
    assert resolved.mask("target 'dev': tok-Zq8-s3cret refused") == "target 'dev': **** refused"
