"""SMS through an HTTP gateway: the body template filled with `{to}` and `{text}`.

Contract: `text` fits one SMS segment, 160 GSM-7 septets, so it is neither split nor sent
as UCS-2 (which cuts a segment to 70 characters). The choice for French: the letters GSM-7
has are kept (é è à ù ì ò É Ç Ä Ö Ñ Ü ä ö ñ ü), the others lose their accent (ê → e,
ç → c, â → a), a few signs get an ASCII form (œ → oe, ’ → ', « » → ", — → -, × → x),
and what remains outside GSM-7 (emoji, other scripts) is dropped. Extension characters
(€ [ ] { } ~ ^ | \\) count two septets. The text is the subject and the summary, cut with
"...", then the incident page's link if it leaves at least 40 septets of text.
Templates are filled by plain replacement (no `str.format`): a number or a post cannot
reach anything but its own placeholder. SMS cannot be de-duplicated.
"""

import re
import unicodedata

from alerts.notify.channels import text
from alerts.notify.channels.secrets import missing_secret, secret_forms
from alerts.notify.channels.transport import request
from alerts.notify.contract import ChannelError, Delivery, Notification
from schemas.config.channels import SmsChannelSettings

SMS_SEPTETS = 160
MIN_TEXT_SEPTETS = 40
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€")
_ASCII_FORMS = {
    "œ": "oe", "Œ": "OE", "’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "…": "...", "×": "x", "\u00a0": " ", "\u202f": " ", "•": "-",
}  # fmt: skip
_PHONE = re.compile(r"^\+?[0-9]{6,16}$")


class SmsChannel:
    deduplicates = False

    def __init__(self, name: str, settings: SmsChannelSettings) -> None:
        self.name = name
        self._settings = settings

    def send(self, notification: Notification) -> Delivery:
        settings = self._settings
        if settings.url is None or not settings.url.get_secret_value():
            raise missing_secret(self.name, "url")
        phone = _phone(notification)
        if phone is None:
            raise ChannelError(
                f"{self.name}: the recipient has no valid phone number", recoverable=False
            )
        fields = {
            key: value.replace("{to}", phone).replace("{text}", sms_text(notification))
            for key, value in settings.body.items()
        }
        secrets = [settings.url.get_secret_value()]
        headers = {}
        if settings.auth_value is not None:
            secrets.append(settings.auth_value.get_secret_value())
            headers[settings.auth_header] = settings.auth_value.get_secret_value()
        answer = request(
            self.name,
            settings.method,
            settings.url.get_secret_value(),
            secrets=secret_forms(secrets),
            timeout_s=settings.timeout_s,
            headers=headers,
            params=fields if settings.method == "GET" else None,
            json_body=fields if settings.method != "GET" and settings.encoding == "json" else None,
            form=fields if settings.method != "GET" and settings.encoding == "form" else None,
        )
        return answer.delivery(self.name)


def sms_text(notification: Notification) -> str:
    """At most 160 GSM-7 septets."""
    message = to_gsm7(f"{text.subject(notification)} : {text.summary(notification)}")
    link = to_gsm7(notification.link or "")
    if link and septets(link) + 1 <= SMS_SEPTETS - MIN_TEXT_SEPTETS:
        return f"{cut(message, SMS_SEPTETS - septets(link) - 1)} {link}"
    return cut(message, SMS_SEPTETS)


def to_gsm7(value: str) -> str:
    """The text in GSM-7's basic and extension sets, one line (see the module's contract)."""
    out = []
    for char in value:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
        elif char in _ASCII_FORMS:
            out.append(_ASCII_FORMS[char])
        else:  # ê → e + circumflex: the letter stays
            letters = unicodedata.normalize("NFKD", char)
            out.append("".join(c for c in letters if c in GSM7_BASIC or c in GSM7_EXTENSION))
    return " ".join("".join(out).split())


def septets(value: str) -> int:
    return sum(2 if char in GSM7_EXTENSION else 1 for char in value)


def cut(value: str, max_septets: int) -> str:
    if septets(value) <= max_septets:
        return value
    kept, used = [], 0
    for char in value:
        used += septets(char)
        if used > max_septets - 3:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "..."


def _phone(notification: Notification) -> str | None:
    recipient = notification.recipient
    if recipient is None or not recipient.phone:
        return None
    phone = re.sub(r"[\s.()-]", "", recipient.phone)
    return phone if _PHONE.match(phone) else None
