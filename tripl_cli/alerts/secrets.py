"""Keep credentials out of every reason, log line and message tripl produces.

Destinations build their reasons from safe parts (a host name, an HTTP status), and every
reason is then scrubbed of each secret the destination holds, as a second line of defence:
exception texts from libraries can quote a URL or a server response verbatim.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

from tripl_cli.project.schema import (
    AppriseDestination,
    CommandDestination,
    EmailDestination,
    FileDestination,
    SlackDestination,
    TelegramDestination,
    WebhookDestination,
)

AnyDestination = (
    SlackDestination
    | WebhookDestination
    | EmailDestination
    | TelegramDestination
    | CommandDestination
    | FileDestination
    | AppriseDestination
)

MASK = "***"
#: Shorter fragments (`/`, `api`) would mangle ordinary words; a real secret is longer.
_MIN_SECRET_LENGTH = 4
_CREDENTIAL_WORDS = re.compile(r"token|secret|password|passwd|key|auth", re.IGNORECASE)
#: `Authorization: <scheme> <credential>` schemes whose credential alone is the secret.
_AUTH_SCHEMES = frozenset({"bearer", "basic", "token", "bot", "apikey", "key", "digest"})


def url_secrets(url: str) -> list[str]:
    """The whole URL and each part that may carry a credential: path, query, user info —
    and the Basic-auth header its user info becomes, which a server may echo back."""
    found = [url]
    try:
        parts = urlsplit(url)
    except ValueError:
        return found
    found += [parts.path, parts.query, parts.fragment, parts.netloc.rpartition("@")[0]]
    found += [parts.password or "", parts.username or ""]
    # Tokens often sit in one path segment (Slack's /services/T…/B…/XXXX).
    found += [seg for seg in parts.path.split("/") if len(seg) >= 8]
    # A server may quote a query parameter's value alone ("invalid token …").
    found += [value for _, value in parse_qsl(parts.query)]
    found += [unquote(s) for s in found]
    if parts.username is not None:  # sent as Basic base64("user:password"), as http.py does
        user_info = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        found += _base64_forms(user_info)
    return found


def header_secrets(value: str) -> list[str]:
    """A header's value, its credential without the scheme (`Bearer <token>` → the token,
    which a server may quote alone), and a Basic credential decoded."""
    found = [value]
    scheme, _, credential = " ".join(value.split()).partition(" ")  # any whitespace
    if credential and scheme.lower() in _AUTH_SCHEMES:
        found.append(credential)
        if scheme.lower() == "basic":
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                decoded = base64.b64decode(credential, validate=True).decode()
                found += [decoded, decoded.partition(":")[2]]
    return found


def _base64_forms(text: str) -> list[str]:
    encoded = base64.b64encode(text.encode()).decode()
    return [encoded, encoded.rstrip("=")]


def secrets_of(destination: AnyDestination) -> tuple[str, ...]:
    """Every value of `destination` that must never be shown."""
    found: list[str] = []
    if isinstance(destination, SlackDestination | AppriseDestination):
        found += url_secrets(destination.url)
    elif isinstance(destination, WebhookDestination):
        found += url_secrets(destination.url)
        for value in destination.headers.values():
            found += header_secrets(value)
    elif isinstance(destination, EmailDestination):
        found += [destination.password or ""]
    elif isinstance(destination, TelegramDestination):
        found += [destination.bot_token, f"bot{destination.bot_token}"]
    elif isinstance(destination, CommandDestination):
        found += _credential_arguments(destination.command)
    return tuple(s for s in found if s and len(s) >= _MIN_SECRET_LENGTH)


def _credential_arguments(argv: list[str]) -> list[str]:
    """Values of `--token X` / `--password=X`-style arguments: a program name is not a secret."""
    found: list[str] = []
    for flag, value in zip(argv, [*argv[1:], ""], strict=True):
        name, eq, inline = flag.partition("=")
        if not _CREDENTIAL_WORDS.search(name):
            continue
        found.append(inline if eq else value)
    return found


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by `***` (longest first, so parts of a URL go too)."""
    for secret in sorted(
        {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True
    ):
        text = text.replace(secret, MASK)
    return text


def safe_host(url: str) -> str:
    """`hooks.slack.com` or `127.0.0.1:8080`: where a request went, without credentials."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = parts.port
    except ValueError:
        return "an invalid URL"
    return f"{host}:{port}" if port else host
