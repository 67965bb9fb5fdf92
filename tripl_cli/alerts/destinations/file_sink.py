"""Append one JSON line per message to a file: the CI-friendly sink.

Deduplicated by idempotency key under an exclusive lock: the file is scanned for the key
before appending, so a re-send after a crash never writes a second line. The line is
written with one `write` on an `O_APPEND` descriptor and fsync'ed before "sent" is reported.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tripl_cli.alerts.model import DeliveryResult, Notification, permanent, sent, transient
from tripl_cli.alerts.payloads import webhook_payload
from tripl_cli.project.schema import FileDestination

try:  # POSIX; elsewhere the scan still dedupes, only concurrent writers are unguarded
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def send(
    message: Notification, destination: FileDestination, *, timeout_s: float
) -> DeliveryResult:
    # `timeout_s` is part of the sender contract; a local append does not wait on anyone.
    path = Path(destination.path).expanduser()
    line = json.dumps(webhook_payload(message), ensure_ascii=False, allow_nan=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        return permanent(f"cannot open {path}: {exc.strerror or type(exc).__name__}")
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        if contains_key(path, message.key):
            return sent(f"already in {path.name}", duplicate=True)
        os.write(fd, (_line_start(fd) + line + "\n").encode("utf-8"))
        os.fsync(fd)
    except OSError as exc:
        return transient(f"cannot write {path}: {exc.strerror or type(exc).__name__}")
    finally:
        os.close(fd)  # also releases the lock
    return sent(f"appended to {path.name}")


def _line_start(fd: int) -> str:
    """A newline first if a crash left the file ending mid-line, so ours parses on its own."""
    size = os.fstat(fd).st_size
    return "\n" if size and os.pread(fd, 1, size - 1) != b"\n" else ""


def contains_key(path: Path, key: str) -> bool:
    """True if a line of `path` is a message with idempotency key `key`."""
    with path.open(encoding="utf-8", errors="replace") as sink:
        for raw in sink:
            if key not in raw:  # cheap substring test before parsing
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                continue  # a torn last line from a crash mid-write is not a match
            if isinstance(record, dict) and record.get("tripl", {}).get("idempotency_key") == key:
                return True
    return False
