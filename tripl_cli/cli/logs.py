"""Logging handlers (only the CLI installs them): text or JSON lines on stderr, secrets masked."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from tripl_cli.cli.console import visible_controls
from tripl_cli.errors import MIN_SECRET_LENGTH, mask_secrets


class SecretFilter(logging.Filter):
    """Replaces every known secret value in a record's message and its traceback text.

    The CLI registers the values the project and the selected target read through
    `env_var()` (see `tripl_cli.cli.loading`); `scrub` also cleans what `_handle` prints.
    """

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, values: Iterable[str]) -> None:
        self.secrets.update(v for v in values if v and len(v) >= MIN_SECRET_LENGTH)

    def scrub(self, text: str) -> str:
        return mask_secrets(text, self.secrets)

    def _scrubbed(self, value: Any) -> Any:
        """A field's value with its secrets masked, at any depth; what JSON cannot hold
        becomes its text first (so it is masked too)."""
        if isinstance(value, Mapping):
            return {str(k): self._scrubbed(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._scrubbed(v) for v in value]
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return self.scrub(str(value))

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        record.msg, record.args = self.scrub(record.getMessage()), None
        hint = getattr(record, "hint", None)
        if isinstance(hint, str):
            record.hint = self.scrub(hint)
        fields = record_fields(record)
        if fields:
            record.tripl_fields = {key: self._scrubbed(value) for key, value in fields.items()}
        if record.exc_info:
            # Formatters reuse `exc_text` when set; the exception itself may hold the secret.
            record.exc_text = self.scrub(_FORMATTER.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


_FORMATTER = logging.Formatter()


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    if record.exc_info:
        return formatter.formatException(record.exc_info)
    return record.exc_text or None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        hint = getattr(record, "hint", None)
        if hint:
            doc["hint"] = hint
        for key, value in record_fields(record).items():  # a command's output (console.emit)
            doc[key if key not in doc else f"field_{key}"] = value
        exception = _exception_text(self, record)
        if exception:
            doc["exception"] = exception
        return json.dumps(doc, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`warning: …` — what a person reads; logger names only appear with --debug."""

    def format(self, record: logging.LogRecord) -> str:
        # A message may quote warehouse text (a value in a driver's error): never let its
        # control characters reach the terminal.
        text = f"{record.levelname.lower()}: {visible_controls(record.getMessage())}"
        exception = _exception_text(self, record)
        if exception:
            text += "\n" + visible_controls(exception)
        return text


def record_fields(record: logging.LogRecord) -> Mapping[str, Any]:
    """The structured fields `console.emit` gave a record (none on other records)."""
    fields = getattr(record, "tripl_fields", None)
    return fields if isinstance(fields, Mapping) else {}


secret_filter = SecretFilter()


def setup_logging(*, log_format: str, debug: bool, quiet: bool) -> None:
    level = logging.DEBUG if debug else logging.ERROR if quiet else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(secret_filter)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    elif debug:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger("tripl_cli")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # Drivers log on their own loggers (clickhouse-connect: "Unexpected Http Driver
    # Exception" before raising what tripl reports anyway); with no handler anywhere,
    # Python's last-resort one would print them bare. --debug lets them through.
    others = logging.getLogger()
    if not debug and not others.handlers:
        others.addHandler(logging.NullHandler())


def json_logging() -> bool:
    """Whether `--log-format json` is on: the CLI's final error lines are JSON too."""
    handlers = logging.getLogger("tripl_cli").handlers
    return any(isinstance(h.formatter, JsonFormatter) for h in handlers)
