"""Jinja rendering: env_var, var, start/end placeholders, secrets, errors as issues."""

from __future__ import annotations

from pathlib import Path

from tests.project.helpers import write_project
from tripl_cli.errors import SourceLocation
from tripl_cli.project.loader import load_project
from tripl_cli.project.templating import TemplateRenderer

HERE = SourceLocation("f.yml", 3, 7)


def render(
    text: str, env: dict[str, str] | None = None, **variables: object
) -> tuple[object, TemplateRenderer]:
    renderer = TemplateRenderer(env=env or {}, variables=variables)
    return renderer.render(text, HERE), renderer


def test_env_var_with_and_without_default() -> None:
    assert render("{{ env_var('A') }}", {"A": "x"})[0] == "x"
    assert render("{{ env_var('A', 'd') }}")[0] == "d"
    value, renderer = render("host={{ env_var('PGHOST') }}")
    assert value == "host={{ env_var('PGHOST') }}"
    (issue,) = renderer.issues
    assert issue.render().startswith(
        "f.yml:3:7: error[env-var-missing]: environment variable 'PGHOST' is not set"
    )


def test_var_keeps_its_type_when_it_is_the_whole_value() -> None:
    assert render("{{ var('n') }}", n=5)[0] == 5
    assert render("{{ var('dims') }}", dims=["a", "b"])[0] == ["a", "b"]
    assert render("n={{ var('n') }}", n=5)[0] == "n=5"
    assert render("{{ var('missing', 7) }}")[0] == 7
    _, renderer = render("{{ var('missing') }}")
    assert [i.rule for i in renderer.issues] == ["var-missing"]


def test_start_and_end_are_left_in_place_normalised() -> None:
    assert render("x >= {{start}} AND x < {{   end }}")[0] == "x >= {{ start }} AND x < {{ end }}"
    assert render("{{ start }}")[0] == "{{ start }}"


def test_undefined_names_syntax_errors_and_sandbox_are_template_errors() -> None:
    for text in ("{{ nope }}", "{{ var('x' }}", "{{ ''.__class__.__mro__ }}", "{{ 1/0 }}"):
        value, renderer = render(text)
        assert value == text
        assert [i.rule for i in renderer.issues] == ["template-error"], text


def test_plain_strings_are_untouched() -> None:
    assert render("50% of {braces} } {")[0] == "50% of {braces} } {"


def test_secrets_are_env_values_and_whole_values_containing_them() -> None:
    _, renderer = render("postgresql://u:{{ env_var('PW') }}@h/db", {"PW": "s3cret"})
    assert renderer.secrets == {"s3cret", "postgresql://u:s3cret@h/db"}
    _, defaults = render("{{ env_var('HOST', 'localhost') }} {{ var('x', 'y') }}")
    assert defaults.secrets == set()  # defaults are written in the file, not secret


def test_cli_vars_override_project_vars_and_project_vars_may_use_env(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "tripl_project.yml": """\
                name: shop
                vars:
                  schema: "{{ env_var('SCHEMA', 'raw') }}"
                  limit: 3
                """,
            "fact_tables/o.yml": """\
                fact_tables:
                  - name: orders
                    sql: "SELECT ts FROM {{ var('schema') }}.orders"
                    timestamp_column: ts
                """,
            "metrics/m.yml": """\
                metrics:
                  - name: n
                    kind: fact
                    fact_table: orders
                    aggregation: count
                    breakdown_limit: "{{ var('limit') }}"
                """,
        },
    )
    project = load_project(tmp_path, env={"SCHEMA": "prod"}, cli_vars={"limit": 9}).project
    assert project is not None
    assert project.fact_tables["orders"].sql == "SELECT ts FROM prod.orders"
    assert project.metrics["n"].breakdown_limit == 9
    assert project.config.vars == {"schema": "prod", "limit": 9}  # what var() sees: --vars win


def test_env_values_in_project_files_are_secrets_and_masked_in_issues(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "tripl_project.yml": "name: shop\n",
            "alerts/a.yml": """\
                destinations:
                  - name: hook
                    type: webhook
                    url: "{{ env_var('HOOK_URL') }}"
                    timeout_seconds: "{{ env_var('HOOK_TIMEOUT') }}"
                """,
        },
    )
    env = {"HOOK_URL": "https://hooks.invalid/T0/s3cr3t", "HOOK_TIMEOUT": "soon-s3cr3t"}
    result = load_project(tmp_path, env=env)
    assert result.secrets == {"https://hooks.invalid/T0/s3cr3t", "soon-s3cr3t"}
    (issue,) = result.issues
    assert issue.rule == "wrong-type"
    assert "s3cr3t" not in issue.render() and "****" in issue.message
