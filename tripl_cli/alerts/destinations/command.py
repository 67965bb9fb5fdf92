"""Run a local program with the webhook JSON on stdin.

Exit 0 = sent; exit 75 (`EX_TEMPFAIL`, sendmail's "try again later") or a timeout =
transient; any other exit = permanent, with an excerpt of stderr. The key is also in the
environment as `TRIPL_IDEMPOTENCY_KEY`: a program with side effects elsewhere should
record it and skip a key it has seen (only it can know whether a crashed run's call landed).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tripl_cli.alerts.model import DeliveryResult, Notification, permanent, sent, transient
from tripl_cli.alerts.payloads import webhook_payload
from tripl_cli.alerts.secrets import scrub, secrets_of
from tripl_cli.project.schema import CommandDestination

EX_TEMPFAIL = 75
_STDERR_EXCERPT = 400


def send(
    message: Notification, destination: CommandDestination, *, timeout_s: float
) -> DeliveryResult:
    argv = destination.command
    program = Path(argv[0]).name
    payload = json.dumps(webhook_payload(message), ensure_ascii=False, allow_nan=False)
    env = {
        **os.environ,
        "TRIPL_IDEMPOTENCY_KEY": message.key,
        "TRIPL_DESTINATION": destination.name,
        "TRIPL_ALERT_STATUS": message.status.value,
    }
    try:
        done = subprocess.run(
            argv,
            input=payload.encode("utf-8"),
            capture_output=True,
            timeout=timeout_s,
            env=env,
            check=False,
        )
    except FileNotFoundError:
        return permanent(f"bad configuration: program {program!r} not found")
    except PermissionError:
        return permanent(f"bad configuration: program {program!r} is not executable")
    except subprocess.TimeoutExpired:
        return transient(f"command {program!r} did not finish within {timeout_s:g}s (killed)")
    except OSError as exc:
        return permanent(f"cannot run {program!r}: {exc.strerror or type(exc).__name__}")
    if done.returncode == 0:
        return sent(f"command {program!r} exited 0")
    excerpt = " ".join(done.stderr.decode("utf-8", "replace").split())[-_STDERR_EXCERPT:]
    reason = scrub(
        f"command {program!r} exited {done.returncode}: {excerpt}", secrets_of(destination)
    )
    return transient(reason) if done.returncode == EX_TEMPFAIL else permanent(reason)
