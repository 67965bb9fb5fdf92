"""Email against a real SMTP server (aiosmtpd) on 127.0.0.1: plain, STARTTLS and TLS."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from tests.alerts.alerts_testlib import firing_notification
from tests.alerts.conftest import free_port, require_aiosmtpd
from tripl_cli.alerts import DeliveryStatus, deliver
from tripl_cli.alerts.destinations import mail
from tripl_cli.project.schema import EmailDestination

PASSWORD = "hunter2-very-secret-smtp-password"


@dataclass
class Inbox:
    port: int
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult

    ok = data.login == b"alerts" and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


def _start(inbox: Inbox, **kwargs: Any) -> Any:
    require_aiosmtpd()
    from aiosmtpd.controller import Controller

    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp_plain() -> Iterator[Inbox]:
    inbox = Inbox(free_port())
    controller = _start(inbox, authenticator=_authenticator, auth_require_tls=False)
    yield inbox
    controller.stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client trusts it via SSL_CERT_FILE)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _server_context(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    return context


def _dest(port: int, **overrides: Any) -> EmailDestination:
    fields: dict[str, Any] = {
        "name": "mail",
        "type": "email",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "tripl@example.com",
        "to": ["oncall@example.com", "lead@example.com"],
    }
    fields.update(overrides)
    return EmailDestination(**fields)


def _parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


def test_email_has_a_plain_text_and_an_html_part(smtp_plain: Inbox) -> None:
    note = firing_notification()
    dest = _dest(smtp_plain.port, username="alerts", password=PASSWORD)
    result = mail.send(note, dest, timeout_s=5)
    assert result.status is DeliveryStatus.SENT, result.reason
    ((sender, rcpts, message),) = smtp_plain.messages
    assert sender == "tripl@example.com"
    assert rcpts == ["oncall@example.com", "lead@example.com"]
    assert message["Subject"] == note.title
    assert message["Message-ID"] == f"<{note.key}@tripl.alerts>"
    assert message["X-Tripl-Idempotency-Key"] == note.key
    assert message.get_content_type() == "multipart/alternative"
    plain, html = _parts(message)
    assert "Orders placed: drop at 2026-03-02 00:00 UTC" in plain
    assert "actual 40 vs expected 100 (band 80 to 120), -60%" in plain
    assert "<h3>Orders placed</h3>" in html
    assert "<code>tripl show orders --last 30</code>" in html
    assert PASSWORD not in message.as_string()


def test_wrong_password_is_permanent_and_never_shows_it(smtp_plain: Inbox) -> None:
    wrong = "not-the-" + PASSWORD
    result = deliver(
        firing_notification(), _dest(smtp_plain.port, username="alerts", password=wrong)
    )
    assert result.status is DeliveryStatus.PERMANENT
    assert "535" in result.reason and "username/password" in result.reason
    assert wrong not in result.reason and PASSWORD not in result.reason
    assert smtp_plain.messages == []


def test_starttls_requested_but_not_offered_is_bad_config(smtp_plain: Inbox) -> None:
    result = mail.send(
        firing_notification(), _dest(smtp_plain.port, security="starttls"), timeout_s=5
    )
    assert result.status is DeliveryStatus.PERMANENT
    assert "STARTTLS extension not supported" in result.reason


def test_starttls_delivers_over_a_verified_tls_channel(
    tls_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = Inbox(free_port())
    controller = _start(inbox, tls_context=_server_context(tls_files), require_starttls=True)
    try:
        # Untrusted certificate: refused, permanently (a config problem, not a blip).
        untrusted = mail.send(
            firing_notification(), _dest(inbox.port, security="starttls"), timeout_s=5
        )
        assert untrusted.status is DeliveryStatus.PERMANENT
        assert "TLS" in untrusted.reason
        monkeypatch.setenv("SSL_CERT_FILE", str(tls_files[0]))
        result = mail.send(
            firing_notification(), _dest(inbox.port, security="starttls"), timeout_s=5
        )
        assert result.status is DeliveryStatus.SENT, result.reason
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    plain, html = _parts(inbox.messages[0][2])
    assert "Orders placed" in plain and "Orders placed" in html


def test_implicit_tls(tls_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files[0]))
    inbox = Inbox(free_port())
    controller = _start(inbox, ssl_context=_server_context(tls_files))
    try:
        result = mail.send(firing_notification(), _dest(inbox.port, security="ssl"), timeout_s=5)
    finally:
        controller.stop()
    assert result.status is DeliveryStatus.SENT, result.reason
    assert len(inbox.messages) == 1


def test_no_smtp_server_is_transient() -> None:
    result = mail.send(firing_notification(), _dest(free_port()), timeout_s=2)
    assert result.status is DeliveryStatus.TRANSIENT
    assert "cannot reach SMTP server 127.0.0.1" in result.reason
