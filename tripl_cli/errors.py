"""The error hierarchy and source locations shared by every layer.

`TriplError` is something the user can act on: it carries where (a `SourceLocation`) and
what to do (a `hint`). Anything else escaping to the CLI is our bug and shows a traceback
only with `--debug`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote, quote_plus

SECRET_MASK = "****"


#: Shorter pieces of a secret are too common to mask inside words ('x' in "exist").
_MIN_INNER = 4
#: A value read through env_var() shorter than this (`dev`, `eu`, `1`) is a setting more
#: likely than a credential: masking it would garble every message that names it.
MIN_SECRET_LENGTH = 4


def secret_forms(secret: str) -> set[str]:
    """What of `secret` may reach a message: itself, URL-encoded, and the pieces a URL
    parser makes of it at an '@' (of at least `_MIN_INNER` characters) — unless it is a URL
    itself, whose pieces (scheme, host) are no secret. Paths are not cut: their pieces are
    ordinary words."""
    forms = _encoded(secret)
    if "://" not in secret:
        # A URL parser cuts a password with an unencoded '@' there (the rest is the "host"),
        # and a URL renderer encodes each piece again.
        for piece in secret.split("@"):
            if len(piece) >= _MIN_INNER:
                forms |= _encoded(piece)
    return forms


def _encoded(text: str) -> set[str]:
    """`text` as it is, and as URL encoders write it (SQLAlchemy keeps '/' in a host)."""
    return {text, quote(text, safe=""), quote(text, safe="/"), quote_plus(text)}


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (`secret_forms`) replaced by `****`, longest first (a
    secret containing another is masked whole); a secret shorter than `_MIN_INNER` is
    masked only where it stands alone, not inside a word."""
    forms = {form for s in secrets if s for form in secret_forms(s)}
    for form in sorted(forms, key=len, reverse=True):
        if len(form) >= _MIN_INNER:
            text = text.replace(form, SECRET_MASK)
        else:
            text = re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", SECRET_MASK, text)
    return text


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in a project file; `line` and `col` are 1-based (0 = unknown)."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{max(self.col, 1)}"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One problem found while loading or validating a project."""

    rule: str
    message: str
    location: SourceLocation
    severity: Severity = Severity.ERROR
    hint: str | None = None

    def render(self) -> str:
        """`path:line:col: error[rule]: message` — the format of SPEC §9."""
        text = f"{self.location}: {self.severity.value}[{self.rule}]: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class TriplError(Exception):
    """An error the user can fix; rendered without a traceback."""

    def __init__(
        self,
        message: str,
        *,
        location: SourceLocation | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def render(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


@dataclass
class ProjectInvalid(TriplError):
    """The project has one or more validation issues."""

    issues: list[Issue] = field(default_factory=list)

    def __post_init__(self) -> None:
        count = len(self.errors)
        TriplError.__init__(self, f"project has {count} error{'s' if count != 1 else ''}")

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]


class Terminated(KeyboardInterrupt):
    """SIGTERM (a cron `timeout`, a cancelled CI job), raised where Ctrl-C would be: a command
    stops the same way, and can still tell which it was."""


class ConfigError(TriplError):
    """profiles.yml / target / flag problems."""

    #: The target the error is about, once known (a run's results name it).
    target: str | None = None
    #: Where the message lists several problems: each on its own, located (secrets masked).
    issues: tuple[Issue, ...] = ()


class WarehouseError(TriplError):
    """The warehouse could not be reached or rejected a query."""


class StateError(TriplError):
    """The state database is unreachable, locked, or from a newer tripl."""


class StateValueError(StateError):
    """The state database refused a value of one write (which was rolled back)."""


class DriverMissing(TriplError):
    """An optional warehouse driver is not installed."""

    def __init__(self, target_type: str, extra: str, module: str) -> None:
        super().__init__(
            f"the {target_type} driver ({module}) is not installed",
            hint=f"pip install 'tripl[{extra}]'",
        )
