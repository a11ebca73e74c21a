"""The e-mail channel against a real SMTP server (aiosmtpd) on 127.0.0.1: STARTTLS and
implicit TLS with a throwaway CA (trustme), AUTH, the message as received, and how the
server's refusals are classified."""

import logging
import socket
import ssl
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr

from alerts.notify.channels import EmailChannel
from alerts.notify.contract import ChannelError
from schemas.config import EmailChannelSettings
from tests.helpers import free_port
from tests.notifications import LINK, assert_neutralised, notification

pytestmark = pytest.mark.integration

USER, PASSWORD = "veille", "pa55-w0rd-smtp"


@dataclass
class Mailbox:
    """What the server received, and what it answers to DATA."""

    messages: list[tuple[Envelope, EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    tls_at_auth: list[bool] = field(default_factory=list)
    data_reply: str = "250 2.0.0 Ok: queued as 4QxyZ1"
    rcpt_reply: str | None = None
    auth_reply: str | None = None

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        if self.data_reply.startswith("250"):
            content = envelope.content if isinstance(envelope.content, bytes) else b""
            self.messages.append((envelope, message_from_bytes(content, policy=default)))  # type: ignore[arg-type]
        return self.data_reply

    def authenticate(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append(auth_data.login.decode())
        self.tls_at_auth.append(server.transport.get_extra_info("ssl_object") is not None)
        valid = (auth_data.login.decode(), auth_data.password.decode()) == (USER, PASSWORD)
        # handled=False: the server answers (535 unless auth_reply says otherwise).
        return AuthResult(success=valid, handled=False, message=None if valid else self.auth_reply)


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int
    ca_file: str

    def settings(self, **changes: Any) -> EmailChannelSettings:
        fields: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "ca_file": self.ca_file,
            "username": USER,
            "password": SecretStr(PASSWORD),
            "sender": "veille@agence.example",
            "timeout_s": 5,
        }
        return EmailChannelSettings(**(fields | changes))


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    authority = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return authority, path


def _server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


def _start(authority: trustme.CA, ca_file: Path, implicit_tls: bool) -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    context = _server_context(authority)
    port = free_port()
    # aiosmtpd advertises AUTH under implicit TLS only without auth_require_tls (it looks for
    # STARTTLS); the authenticator records whether the session was encrypted either way.
    tls: dict[str, Any] = (
        {"ssl_context": context, "auth_require_tls": False}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    )
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=mailbox.authenticate,
        **tls,
    )
    controller.start()
    try:
        yield SmtpServer(mailbox, port, str(ca_file))
    finally:
        controller.stop()


@pytest.fixture
def starttls(ca: tuple[trustme.CA, Path]) -> Iterator[SmtpServer]:
    yield from _start(*ca, implicit_tls=False)


@pytest.fixture
def implicit_tls(ca: tuple[trustme.CA, Path]) -> Iterator[SmtpServer]:
    yield from _start(*ca, implicit_tls=True)


def test_email_over_starttls_with_auth(starttls: SmtpServer) -> None:
    delivery = EmailChannel("mail", starttls.settings()).send(notification())
    assert (delivery.status, delivery.provider_id) == (250, "4QxyZ1")
    assert starttls.mailbox.logins == [USER] and starttls.mailbox.tls_at_auth == [True]
    [(envelope, message)] = starttls.mailbox.messages
    assert envelope.mail_from == "veille@agence.example"
    assert envelope.rcpt_tos == ["alice@agence.example"]
    assert message["From"] == "veille@agence.example" and message["To"] == "alice@agence.example"
    assert message["Subject"] == "[CRITIQUE] Crise — acme (agence-a)"
    assert message["Message-ID"] == "<inc0123456789abcdef0123_trigger_0_alice_chan@agence.example>"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    plain_text, html_text = plain.get_content(), html.get_content()
    assert "Pourquoi vous : niveau 1 de l'astreinte week-end" in plain_text and LINK in plain_text
    assert (
        f'href="{LINK}"' in html_text.replace("&amp;", "&")
        or LINK.replace("&", "&amp;") in html_text
    )
    assert_neutralised(plain_text)
    assert_neutralised(html_text, markup=True)


def test_email_over_implicit_tls(implicit_tls: SmtpServer) -> None:
    settings = implicit_tls.settings(security="tls")
    assert EmailChannel("mail", settings).send(notification()).status == 250
    assert implicit_tls.mailbox.tls_at_auth == [True] and len(implicit_tls.mailbox.messages) == 1


def test_email_refusals_are_classified(starttls: SmtpServer, tmp_path: Path) -> None:
    def attempt(**changes: Any) -> ChannelError:
        with pytest.raises(ChannelError) as caught:
            EmailChannel("mail", starttls.settings(**changes)).send(notification())
        return caught.value

    assert not attempt(password=SecretStr("wrong")).recoverable  # 535
    starttls.mailbox.rcpt_reply = "550 5.1.1 no such user"
    assert not attempt().recoverable
    starttls.mailbox.rcpt_reply = "451 4.3.0 try later"
    assert attempt().recoverable
    starttls.mailbox.rcpt_reply = None
    starttls.mailbox.data_reply = "452 4.3.1 insufficient storage"
    assert attempt().recoverable
    starttls.mailbox.data_reply = "554 5.7.1 rejected as spam"
    error = attempt()
    assert not error.recoverable and "554" in str(error)
    other_ca = trustme.CA()
    other_path = tmp_path / "other.pem"
    other_ca.cert_pem.write_to_path(str(other_path))
    error = attempt(ca_file=str(other_path))
    assert not error.recoverable and "certificate" in str(error)
    assert starttls.mailbox.messages == []


def test_email_connection_failures_are_recoverable(starttls: SmtpServer) -> None:
    settings = starttls.settings(port=free_port())
    with pytest.raises(ChannelError) as caught:
        EmailChannel("mail", settings).send(notification())
    assert caught.value.recoverable


def test_email_without_an_address_or_with_a_password_in_clear() -> None:
    with pytest.raises(ChannelError) as caught:
        EmailChannel("mail", EmailChannelSettings()).send(notification(recipient=None))
    assert not caught.value.recoverable
    with pytest.raises(ValueError, match="needs security"):
        EmailChannelSettings(security="none", username=USER, password=SecretStr(PASSWORD))


@pytest.mark.parametrize("mode", ["535", "554", "refused", "timeout"])
def test_a_failing_email_channel_leaks_no_password(
    starttls: SmtpServer, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    """The configured password never appears in the error, its traceback or the channel's
    logs, even when the server echoes it back (the test server's own log is left out)."""
    caplog.set_level(logging.DEBUG)
    secret = "configured-SECRET-pass"
    changes: dict[str, Any] = {"password": SecretStr(secret), "timeout_s": 0.3}
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never speaks
    if mode == "535":
        starttls.mailbox.auth_reply = f"535 5.7.8 {secret} is wrong"
    elif mode == "554":
        changes["password"] = SecretStr(PASSWORD)
        secret = PASSWORD
        starttls.mailbox.data_reply = f"554 5.7.1 {PASSWORD} rejected"
    elif mode == "refused":
        changes["port"] = free_port()
    else:
        changes["port"] = silent.getsockname()[1]
    with silent, pytest.raises(ChannelError) as caught:
        EmailChannel("mail", starttls.settings(**changes)).send(notification())
    error = caught.value
    assert error.recoverable is (mode in ("refused", "timeout"))
    logs = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    for text in [str(error), "".join(traceback.format_exception(error)), *logs]:
        assert secret not in text
