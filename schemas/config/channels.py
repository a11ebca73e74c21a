"""Provider channels (alerts/notify/channels/): PagerDuty, Opsgenie, Slack, e-mail, SMS,
apprise. One class each, `type` as the discriminator. Every secret is a SecretStr left unset in
the file and set from the environment: `VEILLE__ALERTS__CHANNELS__<ID>__<FIELD>` (a list as a
YAML flow sequence: `…__URLS='["tgram://…", "msteams://…"]'`). A channel whose secret is
missing fails each send with a non-recoverable error naming that variable.
"""

from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator

from schemas.config.base import SettingsModel

Timeout = Annotated[float, Field(gt=0, le=120)]


def _secret(field: str) -> str:
    return f"secret: set it through VEILLE__ALERTS__CHANNELS__<ID>__{field}"


class PagerDutyChannelSettings(SettingsModel):
    """PagerDuty Events API v2 (one service's integration), and its v3 webhooks back."""

    type: Literal["pagerduty"] = "pagerduty"
    routing_key: SecretStr | None = Field(default=None, description=_secret("ROUTING_KEY"))
    api_url: str = "https://events.pagerduty.com"
    """Base URL; events go to `{api_url}/v2/enqueue`."""
    source: str = "veille"
    """`payload.source`: the system that saw the problem."""
    webhook_secret: SecretStr | None = Field(default=None, description=_secret("WEBHOOK_SECRET"))
    """Verifies `X-PagerDuty-Signature` on the v3 webhooks that acknowledge in veille."""
    timeout_s: Timeout = 10.0


class OpsgenieChannelSettings(SettingsModel):
    """Opsgenie Alert API (an API integration's key)."""

    type: Literal["opsgenie"] = "opsgenie"
    api_key: SecretStr | None = Field(default=None, description=_secret("API_KEY"))
    api_url: str = "https://api.opsgenie.com"
    """`https://api.eu.opsgenie.com` for an account hosted in the EU."""
    callback_token: SecretStr | None = Field(default=None, description=_secret("CALLBACK_TOKEN"))
    """Opsgenie does not sign its webhooks: its webhook integration sends this token in a
    custom header (`X-Veille-Token`), which veille compares in constant time."""
    timeout_s: Timeout = 10.0


class SlackChannelSettings(SettingsModel):
    """A Slack app's incoming webhook; its interactivity (the buttons) calls veille back."""

    type: Literal["slack"] = "slack"
    webhook_url: SecretStr | None = Field(default=None, description=_secret("WEBHOOK_URL"))
    signing_secret: SecretStr | None = Field(default=None, description=_secret("SIGNING_SECRET"))
    """Verifies `X-Slack-Signature` on the app's interactive requests."""
    timeout_s: Timeout = 10.0


class EmailChannelSettings(SettingsModel):
    """E-mail over SMTP. `security`: `starttls` (port 587), `tls` (implicit TLS, port 465) or
    `none` (a local relay; a password is then refused, so it never crosses in clear)."""

    type: Literal["email"] = "email"
    host: str = "localhost"
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    ca_file: str | None = None
    """A CA bundle for a relay with a private certificate (default: the system's CAs)."""
    username: str | None = None
    password: SecretStr | None = Field(default=None, description=_secret("PASSWORD"))
    sender: str = Field(default="veille@localhost", pattern=r"^[^@\s]+@[^@\s]+$")
    """The From address; its domain also ends every Message-ID."""
    to: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(default_factory=list)
    """The team's addresses, for what is sent to no one in particular: source-health
    notices, a route without escalation. A page to a person goes to that person's address."""
    timeout_s: Timeout = 20.0

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> "EmailChannelSettings":
        if self.security == "none" and (self.username or self.password):
            raise ValueError("SMTP authentication needs security 'starttls' or 'tls'")
        if self.password is not None and not self.username:
            raise ValueError("an SMTP password needs a username")
        return self


class SmsChannelSettings(SettingsModel):
    """An HTTP SMS gateway. `body` is a template whose values may hold `{to}` (the recipient's
    number) and `{text}` (the message, ≤ 160 GSM-7 characters); it is sent as JSON or as a
    form, or as query parameters with `method: GET`. `auth_value` goes in `auth_header`."""

    type: Literal["sms"] = "sms"
    url: SecretStr | None = Field(default=None, description=_secret("URL"))
    method: Literal["POST", "PUT", "GET"] = "POST"
    encoding: Literal["json", "form"] = "json"
    body: dict[str, str] = Field(default_factory=lambda: {"to": "{to}", "text": "{text}"})
    auth_header: str = "Authorization"
    auth_value: SecretStr | None = Field(default=None, description=_secret("AUTH_VALUE"))
    timeout_s: Timeout = 10.0


class AppriseChannelSettings(SettingsModel):
    """The long tail (Teams, Telegram, Matrix, ntfy, …) through apprise: each URL is one
    target, in apprise's syntax; URLs carry tokens, so they are secrets."""

    type: Literal["apprise"] = "apprise"
    urls: list[SecretStr] = Field(
        default_factory=list, description=_secret("URLS") + " as a YAML list: '[\"url\", …]'"
    )
