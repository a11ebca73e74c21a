"""Signed, expiring, single-use incident links.

A link is `<public_url>/i/<token>`; the token is `payload.signature`, both base64url: the
payload names the tenant, the incident, the notification it was sent in (its id is the
token's id) and the expiry; the signature is HMAC-SHA256 of the payload with the link secret
(`alerts.notify.web.link_secret`, from the environment). Opening the page (GET) does not use
the link — phones and chat apps fetch links to preview them; pressing a button (POST) does,
once (`NotificationLog.claim_link`): a second press, or an expired or forged token, is
refused.

A grouped message (alerts/notify/grouping.py) tells several incidents of one tenant: its
link's payload also names the others (`g`), in the order of the message, and opens a page
that lists them all. Such a link is used once per incident (`LinkClaims.use_id`): each
incident's own buttons, or "acknowledge all", which answers each incident not answered yet
through this link as its own event.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta


class LinkError(Exception):
    """The token is malformed, forged or expired; the message says which, in French."""


@dataclass(frozen=True)
class LinkClaims:
    tenant: str
    incident_id: str
    token_id: str
    expires_at: datetime
    others: tuple[str, ...] = ()
    """The other incidents of a grouped message."""

    @property
    def incidents(self) -> tuple[str, ...]:
        """Every incident the link opens, the message's first first."""
        return (self.incident_id, *self.others)

    def use_id(self, incident_id: str) -> str:
        """The id under which answering `incident_id` through this link is claimed, once."""
        return self.token_id if not self.others else f"{self.token_id}:{incident_id}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    def __init__(self, secret: str, public_url: str, ttl: timedelta) -> None:
        if not secret:
            raise ValueError("the incident-link secret is empty")
        self._key = secret.encode()
        self._base = public_url.rstrip("/")
        self._ttl = ttl

    def link(
        self, tenant: str, incident_id: str, token_id: str, now: datetime,
        others: tuple[str, ...] = (),
    ) -> str:  # fmt: skip
        return f"{self._base}/i/{self.token(tenant, incident_id, token_id, now, others)}"

    def token(
        self, tenant: str, incident_id: str, token_id: str, now: datetime,
        others: tuple[str, ...] = (),
    ) -> str:  # fmt: skip
        expires = int((now + self._ttl).timestamp())
        claims: dict[str, object] = {"t": tenant, "i": incident_id, "n": token_id, "e": expires}
        if others:
            claims["g"] = list(others)
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str, now: datetime) -> LinkClaims:
        payload, _, signature = token.partition(".")
        if not payload or not signature:
            raise LinkError("lien invalide")
        if not hmac.compare_digest(self._sign(payload), signature):
            raise LinkError("lien invalide (signature)")
        try:
            claims = json.loads(_unb64(payload))
            expires = datetime.fromtimestamp(int(claims["e"]), tz=now.tzinfo)
            others = tuple(str(i) for i in claims.get("g", ()))
            result = LinkClaims(
                str(claims["t"]), str(claims["i"]), str(claims["n"]), expires, others
            )
        except (ValueError, KeyError, TypeError):
            raise LinkError("lien invalide") from None
        if now >= expires:
            raise LinkError("lien expiré")
        return result

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())
