"""Destinations: one module per `type`, each `send(message, destination, *, timeout_s)`.

`deliver` is the one entry point the runner uses: it picks the sender, applies the
destination's timeout, resolves a relative `file` path against the project, and makes
sure no reason ever carries a secret, whatever a library put in an exception.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tripl_cli.alerts.destinations import (
    apprise_url,
    command,
    file_sink,
    mail,
    slack,
    telegram,
    webhook,
)
from tripl_cli.alerts.model import DeliveryResult, Notification, permanent
from tripl_cli.alerts.secrets import AnyDestination, scrub, secrets_of
from tripl_cli.project.schema import FileDestination

logger = logging.getLogger(__name__)

Sender = Callable[..., DeliveryResult]

SENDERS: dict[str, Sender] = {
    "slack": slack.send,
    "webhook": webhook.send,
    "email": mail.send,
    "telegram": telegram.send,
    "command": command.send,
    "file": file_sink.send,
    "apprise": apprise_url.send,
}


def deliver(
    message: Notification,
    destination: AnyDestination,
    *,
    project_root: Path | None = None,
    timeout_s: float | None = None,
) -> DeliveryResult:
    """Send `message`; never raises for a delivery problem, always returns a result."""
    sender = SENDERS.get(destination.type)
    if sender is None:
        return permanent(f"bad configuration: unknown destination type {destination.type!r}")
    destination = _resolved(destination, project_root)
    timeout = timeout_s if timeout_s is not None else destination.timeout_seconds
    secrets = secrets_of(destination)
    try:
        result: DeliveryResult = sender(message, destination, timeout_s=timeout)
    except Exception as exc:  # our bug or a library surprise: fail this one delivery only
        # The traceback's text, scrubbed: an exception's message or a frame's source line
        # may quote the destination's URL or token (no exc_info: handlers would print it raw).
        trace = scrub("".join(traceback.format_exception(exc)), secrets)
        logger.debug("sender for %s crashed:\n%s", destination.name, trace.rstrip())
        result = permanent(f"internal error in the {destination.type} sender: {type(exc).__name__}")
    safe = scrub(result.reason, secrets)
    logger.info(
        "alert %s to %s (%s): %s%s",
        message.key,
        destination.name,
        destination.type,
        result.status.value,
        f" ({safe})" if safe else "",
    )
    return DeliveryResult(result.status, safe, result.duplicate)


def _resolved(destination: Any, project_root: Path | None) -> Any:
    if isinstance(destination, FileDestination) and project_root is not None:
        path = Path(destination.path).expanduser()
        if not path.is_absolute():
            return destination.model_copy(update={"path": str(project_root / path)})
    return destination
