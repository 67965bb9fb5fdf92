"""Jinja rendering of YAML string values: `env_var()`, `var()`, and `{{ start }}`/`{{ end }}`.

Rendering runs in Jinja's immutable sandbox with `StrictUndefined`, so a typo in a variable
name is an error, not an empty string. `{{ start }}`/`{{ end }}` render to themselves (with
normalised spacing) so the compiler can replace them with the window's dialect literals.
Values read from the environment through `env_var()` are recorded as secrets so callers
can keep them out of messages, logs and artifacts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import ImmutableSandboxedEnvironment

from tripl_cli.errors import Issue, Severity, SourceLocation
from tripl_cli.project.locations import NodeLocation

logger = logging.getLogger(__name__)

#: What `{{ start }}` and `{{ end }}` render to: themselves, for the compiler.
START_PLACEHOLDER = "{{ start }}"
END_PLACEHOLDER = "{{ end }}"
_MARKERS = ("{{", "{%", "{#")
_NO_DEFAULT = object()
_WHOLE_EXPRESSION = re.compile(r"^\s*\{\{((?:(?!\{\{|\}\}|\{%|\{#).)*)\}\}\s*$", re.DOTALL)


class _MissingEnvVar(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _MissingVar(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class TemplateRenderer:
    """Renders strings against an environment and project vars, collecting issues."""

    def __init__(self, *, env: Mapping[str, str], variables: Mapping[str, Any]) -> None:
        self._env = env
        self._vars = variables
        self.secrets: set[str] = set()
        self.issues: list[Issue] = []
        #: Unset variables read with `defer_env`, in the order met (see `render`).
        self.unset_env: list[str] = []
        self._environment: ImmutableSandboxedEnvironment | None = None
        self._compiled: dict[str, Template] = {}
        self._env_reads = 0

    @property
    def _jinja(self) -> ImmutableSandboxedEnvironment:
        """Built on the first template: importing Jinja costs every CLI start ~50 ms, and
        most values (and some projects) have none."""
        if self._environment is None:
            from jinja2 import StrictUndefined
            from jinja2.sandbox import ImmutableSandboxedEnvironment

            self._environment = ImmutableSandboxedEnvironment(
                undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
            )
            self._environment.globals.update(
                env_var=self._env_var, var=self._var, start=START_PLACEHOLDER, end=END_PLACEHOLDER
            )
        return self._environment

    def _env_var(self, name: str, default: Any = _NO_DEFAULT) -> str:
        if name in self._env:
            value = self._env[name]
        elif default is _NO_DEFAULT:
            raise _MissingEnvVar(str(name))
        else:
            # A default is written in the (committed) file: not a secret, and masking
            # common defaults such as 'localhost' everywhere would garble messages.
            return str(default)
        self._env_reads += 1
        if value:
            self.secrets.add(value)
        return value

    def _var(self, name: str, default: Any = _NO_DEFAULT) -> Any:
        if name in self._vars:
            return self._vars[name]
        if default is _NO_DEFAULT:
            raise _MissingVar(str(name))
        return default

    def _evaluate(self, text: str) -> Any:
        whole = _WHOLE_EXPRESSION.match(text)
        if whole is not None:
            # `"{{ var('limit') }}"` keeps var's type (100, not "100"), as dbt users expect.
            value = self._jinja.compile_expression(whole.group(1), undefined_to_none=False)()
            if isinstance(value, self._jinja.undefined):
                str(value)  # raises UndefinedError naming the variable
            return value
        template = self._compiled.get(text)
        if template is None:
            template = self._jinja.from_string(text)
            self._compiled[text] = template
        return template.render()

    def render(self, text: str, location: SourceLocation, *, defer_env: bool = False) -> Any:
        """Render one value; on failure record an issue and keep the text unrendered.

        A value that is exactly one `{{ expression }}` keeps the expression's type.
        `defer_env`: an unset environment variable is a warning, not an error, and the whole
        value renders as '' (never a half-built URL); its name goes to `unset_env` — for
        secrets needed only to deliver alerts, so `validate`, `run` and the rest work in CI
        without them (the delivery then fails naming the variable).
        """
        if not any(marker in text for marker in _MARKERS):
            return text
        reads_before = self._env_reads
        try:
            rendered = self._evaluate(text)
        except _MissingEnvVar as exc:
            if defer_env:
                self.unset_env.append(exc.name)
                self.issues.append(_deferred_env_issue(exc.name, location))
                return ""
            self.issues.append(_env_issue(exc.name, location))
            return text
        except _MissingVar as exc:
            message = f"variable '{exc.name}' is not defined and has no default"
            hint = f"set it under `vars:` in tripl_project.yml or pass --vars '{{{exc.name}: ...}}'"
            self.issues.append(Issue("var-missing", message, location, hint=hint))
            return text
        except Exception as exc:  # TemplateError, or anything a user template raises
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.issues.append(Issue("template-error", f"template error: {detail}", location))
            return text
        if self._env_reads > reads_before and isinstance(rendered, str) and rendered:
            # The whole value (e.g. a URL with a password inside) is secret too.
            self.secrets.add(rendered)
        return rendered

    def render_tree(self, data: Any, node: NodeLocation, *, defer_env: bool = False) -> Any:
        """A copy of `data` with every string value rendered (keys are left alone)."""
        if isinstance(data, str):
            return self.render(data, node.location, defer_env=defer_env)
        if isinstance(data, dict):
            return {
                key: self.render_tree(value, node.children.get(str(key), node), defer_env=defer_env)
                for key, value in data.items()
            }
        if isinstance(data, list):
            return [
                self.render_tree(value, node.children.get(index, node), defer_env=defer_env)
                for index, value in enumerate(data)
            ]
        return data


def _env_issue(name: str, location: SourceLocation) -> Issue:
    message = f"environment variable '{name}' is not set and has no default"
    hint = f"export {name}=... or give a default: env_var('{name}', 'default')"
    return Issue("env-var-missing", message, location, hint=hint)


def _deferred_env_issue(name: str, location: SourceLocation) -> Issue:
    message = (
        f"environment variable '{name}' is not set: this destination cannot deliver alerts "
        "until it is"
    )
    hint = f"export {name}=... where `tripl detect` sends alerts"
    return Issue("env-var-missing", message, location, Severity.WARNING, hint=hint)
