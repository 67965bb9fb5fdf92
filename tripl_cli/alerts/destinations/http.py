"""One JSON POST with a timeout, its outcome classified (stdlib `urllib` only).

Transient: timeouts, refused/reset connections, DNS failures, 408, 429, 5xx.
Permanent: every other 4xx, TLS certificate problems, a URL that is not http(s).
Reasons name the host and the status, never the URL (it often IS the credential).
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from http.client import HTTPException
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from tripl_cli.alerts.model import DeliveryResult, permanent, sent, transient
from tripl_cli.alerts.secrets import safe_host, scrub
from tripl_cli.project.schema import check_http_url

logger = logging.getLogger(__name__)

USER_AGENT = "tripl-alerts/1"
#: Enough of an error body to explain it; receivers sometimes echo a whole page.
_BODY_EXCERPT = 300
_TRANSIENT_CODES = frozenset({408, 425, 429})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is misconfigured; following it would re-POST elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_json(
    url: str,
    body: Mapping[str, Any],
    *,
    timeout_s: float,
    headers: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
) -> DeliveryResult:
    secrets = (url, *secrets)
    try:
        target, auth = _split_credentials(url)
    except ValueError as exc:
        return permanent(f"bad configuration: {exc}")
    data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    request = urllib.request.Request(target, data=data, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", USER_AGENT)
    if auth:
        request.add_header("Authorization", auth)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    host = safe_host(url)
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            response.read(_BODY_EXCERPT)
            return sent(f"HTTP {response.status} from {host}")
    except urllib.error.HTTPError as exc:
        return _http_error(exc, host, secrets)
    except urllib.error.URLError as exc:
        return _network_error(exc.reason, host, timeout_s, secrets)
    except (OSError, HTTPException) as exc:
        return _network_error(exc, host, timeout_s, secrets)


def _split_credentials(url: str) -> tuple[str, str | None]:
    """The URL without `user:password@`, and the Basic auth header they stand for.

    urllib would otherwise try to resolve `user:password@host` as a host name.
    """
    parts = urlsplit(check_http_url(url))
    if not parts.hostname:
        raise ValueError("the URL is empty: set it (or the variable it reads)")
    if parts.username is None:
        return url, None
    netloc = parts.netloc.rpartition("@")[2]
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    token = base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return urlunsplit(parts._replace(netloc=netloc)), f"Basic {token}"


def classify_status(code: int) -> bool:
    """True if an HTTP error status is worth retrying."""
    return code in _TRANSIENT_CODES or code >= 500


def _http_error(exc: urllib.error.HTTPError, host: str, secrets: Iterable[str]) -> DeliveryResult:
    try:
        excerpt = exc.read(_BODY_EXCERPT).decode("utf-8", "replace").strip()
    except (OSError, HTTPException):
        excerpt = ""
    finally:
        exc.close()
    reason = f"HTTP {exc.code} {exc.reason} from {host}"
    if excerpt:
        reason += f": {' '.join(excerpt.split())}"
    reason = scrub(reason, secrets)
    return transient(reason) if classify_status(exc.code) else permanent(reason)


def _network_error(
    exc: object, host: str, timeout_s: float, secrets: Iterable[str]
) -> DeliveryResult:
    if isinstance(exc, TimeoutError):
        return transient(f"no answer from {host} within {timeout_s:g}s (timed out)")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return permanent(
            scrub(f"TLS certificate of {host} rejected: {exc.verify_message}", secrets)
        )
    if isinstance(exc, ConnectionRefusedError):
        return transient(f"connection to {host} refused")
    if isinstance(exc, socket.gaierror):
        return transient(f"cannot resolve {host}: {exc.strerror}")
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return transient(scrub(f"cannot reach {host}: {detail}", secrets))
