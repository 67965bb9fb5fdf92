"""Helpers every adapter shares: lazy driver import, typed profile keys, secret-free errors."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from tripl_cli.adapters.base import QueryTimeout, describe_target
from tripl_cli.errors import ConfigError, DriverMissing, WarehouseError

#: Profile keys whose values must never appear in a message or a log line.
SECRET_KEYS = frozenset(
    {"password", "private_key", "private_key_passphrase", "token", "secret", "client_secret"}
)
_MAX_REASON = 400
# Drivers sometimes echo their connection string; mask `password=…` whatever the value.
_PASSWORD_ASSIGNMENT = re.compile(
    r"(?i)\b(password|passwd|pwd)\s*=\s*('[^']*'|\"[^\"]*\"|[^\s,;)]+)"
)


def import_driver(target_type: str, extra: str, module: str) -> ModuleType:
    """Import a warehouse driver on first use; a missing one names the pip extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DriverMissing(target_type, extra, module) from exc


@dataclass(frozen=True)
class ProfileOutput:
    """Typed, error-reporting access to one target's (already templated) profile output."""

    target_name: str
    type_name: str
    config: Mapping[str, Any]

    def secrets(self) -> list[str]:
        return [str(v) for k, v in self.config.items() if k in SECRET_KEYS and v not in (None, "")]

    def get_str(self, key: str, default: str | None = None) -> str | None:
        value = self.config.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, list | dict):  # `path: [wh.duckdb]` must not become a file name
            raise self._bad_value(key, "a single value")
        return str(value)

    def required_str(self, key: str) -> str:
        value = self.get_str(key)
        if value is None:
            raise ConfigError(
                f"target '{self.target_name}' ({self.type_name}) needs '{key}'",
                hint=f"add '{key}:' to the '{self.target_name}' output in profiles.yml",
            )
        return value

    def get_int(self, key: str, default: int | None = None) -> int | None:
        value = self.config.get(key)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise self._bad_value(key, "an integer") from None

    def get_float(self, key: str, default: float | None = None) -> float | None:
        value = self.config.get(key)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self._bad_value(key, "a number") from None

    def get_bool(self, key: str, default: bool = False) -> bool:
        value = self.config.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "yes", "1", "on"}:
            return True
        if text in {"false", "no", "0", "off"}:
            return False
        raise self._bad_value(key, "true or false")

    def default_timeout(
        self, timeout_s: float | None, key: str = "query_timeout_seconds"
    ) -> float | None:
        """The timeout for one query: the caller's, else the profile's, else none."""
        if timeout_s is not None:
            return timeout_s if timeout_s > 0 else None
        configured = self.get_float(key)
        return configured if configured and configured > 0 else None

    def _bad_value(self, key: str, expected: str) -> ConfigError:
        shown = "" if key in SECRET_KEYS else f", got {self.config.get(key)!r}"
        return ConfigError(
            f"target '{self.target_name}' ({self.type_name}): '{key}' must be {expected}{shown}",
            hint=f"fix '{key}:' in the '{self.target_name}' output in profiles.yml",
        )


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Remove every secret (and any `password=…`) from a driver message."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _PASSWORD_ASSIGNMENT.sub(lambda m: f"{m.group(1)}=***", text)


def reason(exc: BaseException, secrets: Iterable[str]) -> str:
    """A driver exception as one line: whitespace collapsed, secrets removed, length capped."""
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    # PyMySQL errors are (errno, message) tuples; OSError has the same shape but a good str().
    if (
        not isinstance(exc, OSError)
        and len(args) == 2
        and isinstance(args[0], int)
        and isinstance(args[1], str)
    ):
        text = f"{args[1]} (error {args[0]})"
    else:
        text = str(exc)
    text = " ".join(text.split()) or type(exc).__name__
    text = scrub(text, secrets)
    if len(text) > _MAX_REASON:
        text = text[: _MAX_REASON - 1] + "…"
    return text


def connect_error(profile: ProfileOutput, where: str, exc: BaseException) -> WarehouseError:
    target = describe_target(profile.target_name, profile.type_name, where)
    return WarehouseError(
        f"could not connect to {target}: {reason(exc, profile.secrets())}",
        hint=f"check the '{profile.target_name}' output in profiles.yml and that the "
        "warehouse is reachable from here",
    )


def query_error(profile: ProfileOutput, exc: BaseException) -> WarehouseError:
    return WarehouseError(
        f"query failed on target '{profile.target_name}' ({profile.type_name}): "
        f"{reason(exc, profile.secrets())}",
        hint="run with --debug to see the SQL; `tripl compile` writes it to target/",
    )


def timeout_error(profile: ProfileOutput, timeout_s: float) -> QueryTimeout:
    return QueryTimeout(
        f"query on target '{profile.target_name}' ({profile.type_name}) was stopped after "
        f"the {timeout_s:g} s statement timeout",
        hint="narrow the window (--start/--end), add a row filter, or raise the timeout",
    )
