"""The e-mail channel against a real SMTP server (aiosmtpd) on 127.0.0.1: STARTTLS and
implicit TLS with a throwaway CA (trustme), AUTH, the message as received, and how the
server's refusals are classified."""

import logging
import socket
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from pydantic import SecretStr

from alerts.notify.channels import EmailChannel
from alerts.notify.contract import ChannelError
from schemas.config import EmailChannelSettings
from tests.helpers import free_port
from tests.notifications import LINK, assert_neutralised, health, notification
from tests.smtp import PASSWORD, USER, SmtpServer, running_smtp, throwaway_ca

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    return throwaway_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def starttls(ca: tuple[trustme.CA, Path]) -> Iterator[SmtpServer]:
    yield from running_smtp(*ca, implicit_tls=False)


@pytest.fixture
def implicit_tls(ca: tuple[trustme.CA, Path]) -> Iterator[SmtpServer]:
    yield from running_smtp(*ca, implicit_tls=True)


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


def test_a_notice_to_no_one_goes_to_the_channels_team_addresses(starttls: SmtpServer) -> None:
    """A source-health notice (or a route without escalation) has no recipient: it goes to
    the channel's `to`; without one it fails, not recoverable, and says what to set."""
    team = ["astreinte@agence.example", "ops@agence.example"]
    notice = notification(recipient=None, incident=None, health=health(), link=None)
    delivery = EmailChannel("mail", starttls.settings(to=team)).send(notice)
    assert delivery.status == 250
    [(envelope, message)] = starttls.mailbox.messages
    assert envelope.rcpt_tos == team and message["To"] == ", ".join(team)
    assert message["Subject"] == "[SOURCE MUETTE] rss-presse"
    with pytest.raises(ChannelError, match="set the channel's `to`") as caught:
        EmailChannel("mail", starttls.settings()).send(notice)
    assert not caught.value.recoverable
