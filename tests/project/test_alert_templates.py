"""An alert rule's `template:` is rendered per message, not by the loader."""

from __future__ import annotations

from pathlib import Path

from tests.project.helpers import ORDERS, write_project
from tripl_cli.errors import Severity
from tripl_cli.project.loader import load_project
from tripl_cli.project.schema import WebhookDestination

TEMPLATE = (
    "{% for i in items %}{{ i.display_name }} {{ i.change }}{% endfor %} ({{ rule }}, {{ var }})"
)


def _project(root: Path, template: str) -> Path:
    return write_project(
        root,
        {
            "tripl_project.yml": """\
                name: shop
                vars:
                  floor: 25
                """,
            "fact_tables/orders.yml": ORDERS,
            "metrics/m.yml": """\
                metrics:
                  - name: orders
                    kind: fact
                    fact_table: orders
                    aggregation: count
                """,
            "alerts/alerts.yml": f"""\
                destinations:
                  - name: hook
                    type: webhook
                    url: "{{{{ env_var('HOOK_URL') }}}}"
                alert_rules:
                  - name: drops
                    destination: hook
                    select: orders
                    min_percent_delta: "{{{{ var('floor') }}}}"
                    template: |-
                      {template}
                """,
        },
    )


def test_template_is_kept_verbatim_while_other_values_render(tmp_path: Path) -> None:
    root = _project(tmp_path, TEMPLATE)
    result = load_project(root, env={"HOOK_URL": "https://h.example/t0ken"})
    assert [i.render() for i in result.issues if i.severity is Severity.ERROR] == []
    assert result.project is not None
    rule = result.project.alert_rules["drops"]
    assert rule.template == TEMPLATE  # `items`, `rule` and `var` are not the loader's
    assert rule.min_percent_delta == 25.0  # var() still works in the same rule
    hook = result.project.destinations["hook"]
    assert isinstance(hook, WebhookDestination)
    assert hook.url == "https://h.example/t0ken"  # env_var() too


def test_env_var_inside_a_template_is_not_resolved_at_load(tmp_path: Path) -> None:
    template = "{{ env_var('SECRET') }} {{ item.metric }}"
    root = _project(tmp_path, template)
    result = load_project(root, env={"HOOK_URL": "https://h.example/x", "SECRET": "s3cr3t"})
    assert result.project is not None
    assert result.project.alert_rules["drops"].template == template
