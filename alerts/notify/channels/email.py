"""E-mail over SMTP, in French: `multipart/alternative` with a plain-text and an HTML part.

Contract: one message to `Recipient.email` (a notification to no one in particular — a
source-health notice, a route without escalation: to the channel's `to`), From the
configured sender, sent over STARTTLS (or implicit TLS) with the server's certificate
verified, authenticated if a username is set. `Message-ID` is derived from the notification
id (a resend carries the same one, which some mail systems drop, but SMTP cannot promise it:
the channel does not de-duplicate); `References` names the incident, so its pages,
acknowledgement and resolution thread together. Post texts are display-safe in both parts
and HTML-escaped in the HTML one. The Delivery holds the server's final reply (250 and its
queue id). A 4xx reply, a timeout or a dropped connection is recoverable; a 5xx reply, a
refused login or recipient, or a certificate that does not verify is not.
"""

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from alerts.notify.channels import text
from alerts.notify.channels.secrets import secret_forms
from alerts.notify.channels.transport import answer_text
from alerts.notify.contract import ChannelError, Delivery, Notification
from runtime.display import safe_html, safe_line
from schemas.config.channels import EmailChannelSettings

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class EmailChannel:
    deduplicates = False

    def __init__(self, name: str, settings: EmailChannelSettings) -> None:
        self.name = name
        self._settings = settings

    def send(self, notification: Notification) -> Delivery:
        recipient = notification.recipient
        to = [recipient.email] if recipient is not None and recipient.email else []
        if recipient is None:
            to = list(self._settings.to)
        if not to:
            missing = "has no e-mail address" if recipient else "is no one: set the channel's `to`"
            raise ChannelError(f"{self.name}: the recipient {missing}", recoverable=False)
        message = email_message(notification, self._settings.sender, ", ".join(to))
        password = self._settings.password
        forms = secret_forms([password.get_secret_value()] if password else [])
        try:
            code, reply = self._deliver(message, to)
        except ssl.SSLCertVerificationError as exc:  # before OSError: it stays failing
            raise ChannelError(
                f"{self.name}: the server's certificate does not verify ({exc.verify_message})",
                recoverable=False,
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise ChannelError(
                f"{self.name}: the server offers no STARTTLS or no AUTH", recoverable=False
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError(
                f"{self.name}: login refused ({exc.smtp_code})", recoverable=False
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise ChannelError(
                f"{self.name}: recipient refused ({codes[0] if codes else '?'})",
                recoverable=bool(codes) and 400 <= codes[0] < 500,
            ) from None
        except smtplib.SMTPResponseException as exc:
            answer = answer_text(_reply_bytes(exc.smtp_error), forms)
            raise ChannelError(
                f"{self.name}: SMTP {exc.smtp_code}: {answer[:200]}",
                recoverable=400 <= exc.smtp_code < 500,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:  # dropped, refused, timed out
            raise ChannelError(f"{self.name}: {type(exc).__name__}", recoverable=True) from None
        return Delivery(self.name, code, answer_text(reply, forms), _queue_id(reply))

    def _deliver(self, message: EmailMessage, to: list[str]) -> tuple[int, bytes]:
        settings = self._settings
        context = ssl.create_default_context(cafile=settings.ca_file)
        timeout = settings.timeout_s
        smtp = (
            smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
            if settings.security == "tls"
            else smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        )
        with smtp:
            smtp.ehlo()
            if settings.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.username:
                password = settings.password.get_secret_value() if settings.password else ""
                smtp.login(settings.username, password)
            code, reply = smtp.mail(settings.sender)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, settings.sender)
            for address in to:
                code, reply = smtp.rcpt(address)
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({address: (code, reply)})
            code, reply = smtp.data(message.as_bytes(policy=SMTP))
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
            return code, reply


def email_message(notification: Notification, sender: str, to: str) -> EmailMessage:
    domain = sender.rsplit("@", 1)[1]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = text.subject(notification)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{_ID_UNSAFE.sub('_', notification.id)}@{domain}>"
    if notification.incident is not None:
        message["References"] = (
            f"<incident.{_ID_UNSAFE.sub('_', notification.incident.id)}@{domain}>"
        )
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(plain_body(notification))
    message.add_alternative(html_body(notification), subtype="html")
    message["Content-Language"] = "fr"  # after the parts: set_content clears Content-*
    return message


def plain_body(notification: Notification) -> str:
    lines = [text.subject(notification), "", *text.lines(notification), ""]
    if notification.link:
        lines += [
            "Ouvrir la page de l'incident (prendre en charge, résoudre, « pas une crise ») :",
            notification.link,
            "",
        ]
    lines.append("— veille, surveillance de réputation")
    return "\n".join(lines) + "\n"


def html_body(notification: Notification) -> str:
    parts = [
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">',
        f"<title>{safe_html(text.subject(notification))}</title></head>",
        '<body style="font-family:sans-serif;max-width:40em">',
        f'<h1 style="font-size:1.2em">{safe_html(text.subject(notification))}</h1>',
        f"<p><strong>{safe_html(text.summary(notification))}</strong></p>",
    ]
    incident = notification.incident
    if incident is not None and text.ratio(incident):
        parts.append(f"<p>{safe_html(text.ratio(incident))}</p>")
    if notification.reason:
        parts.append(f"<p>Pourquoi vous : {safe_html(safe_line(notification.reason))}</p>")
    if notification.also_notified:
        others = ", ".join(safe_line(name) for name in notification.also_notified)
        parts.append(f"<p>Également prévenus : {safe_html(others)}</p>")
    posts = text.posts(incident)
    if posts:
        parts.append('<h2 style="font-size:1em">Publications principales</h2><ul>')
        for post in posts:
            link = f' — <a href="{safe_html(post.url)}">lien</a>' if post.url else ""
            parts.append(f"<li>{safe_html(post.text)}{link}</li>")
        parts.append("</ul>")
    if notification.link:
        parts.append(
            f'<p><a href="{safe_html(notification.link)}" style="font-weight:bold">'
            "Ouvrir la page de l'incident</a> (prendre en charge, résoudre, "
            "« pas une crise »)</p>"
        )
    parts.append('<p style="color:#666">— veille, surveillance de réputation</p></body></html>')
    return "\n".join(parts) + "\n"


def _reply_bytes(reply: bytes | str) -> bytes:
    return reply if isinstance(reply, bytes) else reply.encode()


def _queue_id(reply: bytes) -> str | None:
    """The queue id in a '250 2.0.0 Ok: queued as 4Xyz' reply, if the server gives one."""
    match = re.search(rb"queued as ([A-Za-z0-9._<>@-]+)", reply)
    return match.group(1).decode() if match else None
