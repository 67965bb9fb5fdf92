"""The one place commands load the project: every secret it and its target read is masked.

Values read through `env_var()` — in project files (`LoadResult.secrets`) and in the
selected target of profiles.yml (`ResolvedTarget.secrets`) — are registered with the log
handler's `secret_filter` before any command work runs, so neither log records nor the
error `_handle` prints (message, hint, `--debug` traceback) can show them.
"""

from __future__ import annotations

from collections.abc import Callable

from tripl_cli.api import project_api
from tripl_cli.api.warehouse import target_of
from tripl_cli.cli.context import GlobalOptions
from tripl_cli.cli.logs import secret_filter
from tripl_cli.errors import TriplError
from tripl_cli.project.loader import Dialect, LoadResult
from tripl_cli.project.model import Project


def load(opts: GlobalOptions, *, dialect: Dialect = None) -> LoadResult:
    """`project_api.load` (issues and all), its secrets and its target's registered."""
    result = project_api.load(opts.project_dir, opts.cli_vars, dialect=dialect)
    secret_filter.add(result.secrets)
    if result.project is not None:
        register_target_secrets(result.project, opts)
    return result


def open_project(opts: GlobalOptions, *, dialect: Dialect = None) -> Project:
    """The valid project (`ProjectInvalid` carrying every issue otherwise), secrets registered.

    Same contract as `project_api.open_project`, which cannot return the secrets.
    """
    return project_api.valid_project(load(opts, dialect=dialect))


def target_dialect(opts: GlobalOptions) -> Callable[[Project], str | None]:
    """For `load(dialect=…)`: the selected target's dialect where it resolves offline (from
    profiles.yml), so SQL is checked as that engine reads it (`s || n` is OR on MySQL and a
    concatenation elsewhere); otherwise None (every dialect may read it)."""

    def of(project: Project) -> str | None:
        try:
            return target_of(project, profiles_dir=opts.profiles_dir, target=opts.target).dialect
        except TriplError:  # the commands that need the target report it themselves
            return None

    return of


def register_target_secrets(project: Project, opts: GlobalOptions) -> None:
    """Mask the selected target's `env_var()` values from now on.

    A target that cannot be resolved is skipped here: commands that need it raise that error
    themselves (already masked), and those that do not (validate, compile --dialect) must
    not fail on it.
    """
    try:
        resolved = target_of(project, profiles_dir=opts.profiles_dir, target=opts.target)
    except TriplError:
        return
    secret_filter.add(resolved.secrets)
