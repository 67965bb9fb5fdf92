"""Email over SMTP (STARTTLS, implicit TLS or plain), a plain-text and an HTML part."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from tripl_cli.alerts.model import DeliveryResult, Notification, permanent, sent, transient
from tripl_cli.alerts.secrets import scrub, secrets_of
from tripl_cli.project.schema import EmailDestination

KEY_HEADER = "X-Tripl-Idempotency-Key"


def build_email(message: Notification, destination: EmailDestination) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = destination.from_address
    mail["To"] = ", ".join(destination.to)
    mail["Date"] = formatdate(message.created_at.timestamp(), usegmt=True)
    # A Message-ID derived from the key: mail stores that dedupe by Message-ID drop a re-send.
    mail["Message-ID"] = f"<{message.key}@tripl.alerts>"
    mail[KEY_HEADER] = message.key
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


def send(
    message: Notification, destination: EmailDestination, *, timeout_s: float
) -> DeliveryResult:
    mail = build_email(message, destination)
    where = f"{destination.host}:{destination.port}"
    secrets = secrets_of(destination)
    try:
        with _connect(destination, timeout_s) as smtp:
            if destination.username and destination.password:
                smtp.login(destination.username, destination.password)
            smtp.send_message(mail)
    except smtplib.SMTPNotSupportedError as exc:
        return permanent(scrub(f"SMTP server {where}: {exc}", secrets))
    except smtplib.SMTPRecipientsRefused as exc:
        refused = ", ".join(sorted(exc.recipients))
        return permanent(f"SMTP server {where} refused the recipients: {refused}")
    except smtplib.SMTPResponseException as exc:
        return _response_error(exc, where, secrets)
    except smtplib.SMTPServerDisconnected:
        return transient(f"SMTP server {where} closed the connection")
    except TimeoutError:
        return transient(f"no answer from SMTP server {where} within {timeout_s:g}s (timed out)")
    except ssl.SSLError as exc:
        return permanent(scrub(f"TLS with SMTP server {where} failed: {exc.reason}", secrets))
    except smtplib.SMTPException as exc:
        return permanent(scrub(f"SMTP error from {where}: {exc}", secrets))
    except OSError as exc:
        return transient(scrub(f"cannot reach SMTP server {where}: {exc.strerror or exc}", secrets))
    return sent(f"accepted by {where}")


def _connect(destination: EmailDestination, timeout_s: float) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if destination.security == "ssl":
        return smtplib.SMTP_SSL(
            destination.host, destination.port, timeout=timeout_s, context=context
        )
    smtp = smtplib.SMTP(destination.host, destination.port, timeout=timeout_s)
    try:
        if destination.security == "starttls":
            smtp.starttls(context=context)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _response_error(
    exc: smtplib.SMTPResponseException, where: str, secrets: tuple[str, ...]
) -> DeliveryResult:
    error = exc.smtp_error
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    reason = scrub(f"SMTP {exc.smtp_code} from {where}: {' '.join(text.split())}", secrets)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return permanent(f"{reason} (check username/password)")
    # 4xx replies are the server's "try again later"; 5xx are final.
    return transient(reason) if 400 <= exc.smtp_code < 500 else permanent(reason)
