"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the e-mail tests: STARTTLS or implicit TLS
with a throwaway CA (trustme), AUTH, and a mailbox that records what it received and says
what to answer."""

import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr

from schemas.config import EmailChannelSettings
from tests.helpers import free_port

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


def throwaway_ca(directory: Path) -> tuple[trustme.CA, Path]:
    """A CA of the test's own, and its certificate as a PEM file (the client's `ca_file`)."""
    authority = trustme.CA()
    path = directory / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return authority, path


def _server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


def running_smtp(authority: trustme.CA, ca_file: Path, implicit_tls: bool) -> Iterator[SmtpServer]:
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
