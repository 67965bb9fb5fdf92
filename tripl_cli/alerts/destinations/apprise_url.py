"""Any Apprise URL (https://github.com/caronc/apprise), when the optional package is installed."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from tripl_cli.alerts.model import DeliveryResult, Notification, permanent, sent, transient
from tripl_cli.alerts.secrets import scrub, secrets_of
from tripl_cli.project.schema import AppriseDestination

logger = logging.getLogger(__name__)


def _load_apprise() -> Any | None:
    try:
        return importlib.import_module("apprise")
    except ImportError:
        return None


def send(
    message: Notification, destination: AppriseDestination, *, timeout_s: float
) -> DeliveryResult:
    # Apprise applies its own per-service timeouts (tune them in the URL: `?cto=5&rto=10`).
    apprise = _load_apprise()
    if apprise is None:
        return permanent("the apprise package is not installed: pip install apprise")
    client = apprise.Apprise()
    secrets = secrets_of(destination)
    try:
        if not client.add(destination.url):
            return permanent("bad configuration: Apprise does not recognise the URL")
        ok = client.notify(title=message.title, body=message.text)
    except Exception as exc:  # a plugin's own error: report it, never the URL
        return transient(scrub(f"apprise failed: {type(exc).__name__}: {exc}", secrets))
    # Apprise reports only success or failure; a failure may be a network blip, so retry.
    if ok:
        return sent("accepted by apprise")
    return transient("apprise reported a failed notification (see its log for the service's reply)")
