"""Jinja templates of the message body, and the values they can use.

Templates receive formatted strings (not raw floats), so a custom template written in
YAML stays one line per fact. Variables: `title`, `rule`, `status`, `is_test`, `omitted`,
`omitted_summary`, `items` (and `item` = the first), each item with `status`, `label`,
`metric`, `display_name`, `breakdown_column`, `breakdown_value`, `bucket`, `first_bucket`,
`actual`, `expected`, `lower`, `upper`, `band`, `change`, `score`, `direction`, `detector`,
`owner`, `unit`, `sparkline`, `commands` (a list), `resolution`, and `raw` (the numbers,
unformatted).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from tripl_cli.alerts.format import number, percent
from tripl_cli.alerts.model import AlertItem, AlertStatus, finite_or_none
from tripl_cli.textfmt import sparkline
from tripl_cli.timegrid import as_utc

logger = logging.getLogger(__name__)

TEST_BANNER = "THIS IS A TEST MESSAGE from tripl: no action needed."

DEFAULT_TEXT = (
    """\
{% if is_test %}"""
    + TEST_BANNER
    + """

{% endif %}
{% for a in items %}
{% if a.status == "firing" %}
{{ a.label }}: {{ a.direction }} at {{ a.bucket }}
  actual {{ a.actual }} vs expected {{ a.expected }} (band {{ a.band }}), {{ a.change }}
  detector {{ a.detector }}, z = {{ a.score }}{% if a.owner %}, owner {{ a.owner }}{% endif %}

{% else %}
RESOLVED {{ a.label }}: {{ a.resolution }} at {{ a.bucket }} (open since {{ a.first_bucket }})
{% if a.raw.actual is not none %}
  latest {{ a.actual }} vs expected {{ a.expected }} (band {{ a.band }})
{% endif %}
{% if a.owner %}  owner {{ a.owner }}
{% endif %}
{% endif %}
  recent {{ a.sparkline }}
  look closer: {{ a.commands | join("  |  ") }}
{% if not loop.last %}

{% endif %}
{% endfor %}
{% if omitted %}

... and {{ omitted }} more ({{ omitted_summary }})
{% endif %}
"""
)

DEFAULT_HTML = (
    """\
{% if is_test %}<p><strong>"""
    + TEST_BANNER
    + """</strong></p>
{% endif %}
{% for a in items %}
<h3>{% if a.status == "resolved" %}RESOLVED: {% endif %}{{ a.label }}</h3>
<table cellpadding="4">
<tr><td>bucket</td><td>{{ a.bucket }}</td></tr>
{% if a.resolution %}<tr><td>resolved</td><td>{{ a.resolution }}</td></tr>{% endif %}
<tr><td>actual</td><td><strong>{{ a.actual }}</strong></td></tr>
<tr><td>expected</td><td>{{ a.expected }} (band {{ a.band }})</td></tr>
{% if a.status == "firing" %}
<tr><td>change</td>
<td>{{ a.change }} ({{ a.direction }}, {{ a.detector }}, z = {{ a.score }})</td></tr>
{% endif %}
{% if a.owner %}<tr><td>owner</td><td>{{ a.owner }}</td></tr>{% endif %}
<tr><td>recent</td><td style="font-family:monospace">{{ a.sparkline }}</td></tr>
</table>
<p>Look closer: {% for c in a.commands %}<code>{{ c }}</code>
{% if not loop.last %}, {% endif %}{% endfor %}</p>
{% endfor %}
{% if omitted %}<p>... and {{ omitted }} more ({{ omitted_summary }})</p>{% endif %}
"""
)


def _environment(*, html: bool) -> SandboxedEnvironment:
    # Sandboxed: templates come from project YAML, which a reviewer may not read closely.
    env = SandboxedEnvironment(
        autoescape=html, trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined
    )
    env.filters["num"] = lambda x: number(x)
    env.filters["pct"] = percent
    env.filters["sparkline"] = lambda values: sparkline(values)
    return env


_TEXT_ENV = _environment(html=False)
_HTML_ENV = _environment(html=True)


def check_template(source: str) -> str | None:
    """None if `source` is a valid Jinja template, else the syntax error (for validate)."""
    try:
        _TEXT_ENV.parse(source)
    except TemplateError as exc:
        return str(exc)
    return None


def render_text(context: Mapping[str, Any], custom: str | None = None) -> str:
    """The plain-text body; a failing custom template falls back to the default (logged)."""
    if custom is not None:
        try:
            return _TEXT_ENV.from_string(custom).render(context).strip() + "\n"
        except TemplateError as exc:
            logger.warning(
                "alert template of rule %r failed (%s); using the default", context.get("rule"), exc
            )
    return _TEXT_ENV.from_string(DEFAULT_TEXT).render(context).strip() + "\n"


def render_html(context: Mapping[str, Any]) -> str:
    body = _HTML_ENV.from_string(DEFAULT_HTML).render(context)
    return f"<html><body>\n{body.strip()}\n</body></html>\n"


def item_view(item: AlertItem) -> dict[str, Any]:
    """What templates see of one item: formatted strings, plus `raw` numbers."""
    column, value = item.breakdown
    unit = item.unit
    return {
        "status": item.status.value,
        "label": item.series_label,
        "metric": item.metric,
        "display_name": item.display_name,
        "breakdown_column": column,
        "breakdown_value": value,
        "bucket": _when(item.bucket),
        "first_bucket": _when(item.first_bucket),
        "actual": number(item.actual, unit),
        "expected": number(item.expected, unit),
        "lower": number(item.lower, unit),
        "upper": number(item.upper, unit),
        "band": f"{number(item.lower)} to {number(item.upper, unit)}",
        "change": percent(item.percent_change),
        "score": f"{item.score:+.1f}" if finite_or_none(item.score) is not None else "n/a",
        "direction": item.direction.value,
        "detector": item.detector.value if item.detector else "",
        "owner": item.owner or "",
        "unit": unit or "",
        "sparkline": sparkline([p.value for p in item.recent]) if item.recent else "(no data)",
        "commands": list(item.commands),
        "resolution": _resolution(item),
        "raw": {
            "actual": item.actual,
            "expected": item.expected,
            "lower": item.lower,
            "upper": item.upper,
            "score": item.score,
            "percent_change": item.percent_change,
        },
    }


def message_context(
    *,
    title: str,
    rule: str,
    items: tuple[AlertItem, ...],
    omitted: int,
    omitted_summary: str,
    is_test: bool,
) -> dict[str, Any]:
    views = [item_view(i) for i in items]
    firing = any(i.status is AlertStatus.FIRING for i in items)
    return {
        "title": title,
        "rule": rule,
        "status": "firing" if firing or not items else "resolved",
        "is_test": is_test,
        "items": views,
        "item": views[0] if views else {},
        "omitted": omitted,
        "omitted_summary": omitted_summary,
    }


def _resolution(item: AlertItem) -> str:
    if item.status is AlertStatus.FIRING:
        return ""
    if item.actual is None:
        return "the anomaly is no longer detected"
    # A drop resolves once the value is no longer below the band — also when it jumped
    # above it (a spike of its own): the quoted value must not read as "inside".
    if item.actual > item.upper:
        return "no longer below the band"
    if item.actual < item.lower:
        return "no longer above the band"
    return "back inside the band"


def _when(ts: datetime) -> str:
    return f"{as_utc(ts):%Y-%m-%d %H:%M} UTC"
