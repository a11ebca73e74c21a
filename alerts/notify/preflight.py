"""What the notifier checks before it reads a single event, so that a broken setting stops
`veille alerts notify` at start with a clear message instead of failing at the first page
(a Saturday night): every iCalendar layer maps its events to people (`check_calendars`),
and every channel a route or `alerts.notify.operator_channels` uses has the secrets it
cannot send without (the variable to set is named, never the value). A route's escalation
policy is checked when the file loads (schemas/config/file.py)."""

from pydantic import SecretStr

from alerts.notify.oncall import CalendarError, check_calendars
from schemas.config import (
    AlertsSettings,
    AnyChannelSettings,
    AppriseChannelSettings,
    OpsgenieChannelSettings,
    PagerDutyChannelSettings,
    SlackChannelSettings,
    SmsChannelSettings,
    TenantSettings,
    WebhookChannelSettings,
)


class NotifierConfigError(ValueError):
    """The notifier cannot start with these settings; the message says what to set."""


def required_secrets(settings: AnyChannelSettings) -> dict[str, SecretStr | None]:
    """The secrets a channel cannot send without, by field name."""
    if isinstance(settings, WebhookChannelSettings):
        return {"url": settings.url, "secret": settings.secret}
    if isinstance(settings, PagerDutyChannelSettings):
        return {"routing_key": settings.routing_key}
    if isinstance(settings, OpsgenieChannelSettings):
        return {"api_key": settings.api_key}
    if isinstance(settings, SlackChannelSettings):
        return {"webhook_url": settings.webhook_url}
    if isinstance(settings, SmsChannelSettings):
        return {"url": settings.url}
    if isinstance(settings, AppriseChannelSettings):
        return {"urls": settings.urls[0] if settings.urls else None}
    return {}


def routed_channels(alerts: AlertsSettings) -> list[str]:
    """Every channel a route or the operator channels name, in order, once."""
    names: list[str] = []
    for name in [c for route in alerts.routes for c in route.channels] + list(
        alerts.notify.operator_channels
    ):
        if name not in names:
            names.append(name)
    return names


def check_notifier(alerts: AlertsSettings, tenants: list[TenantSettings]) -> None:
    """Raises NotifierConfigError naming every unset secret of a routed channel (with its
    variable) or the first calendar that does not read."""
    unset = [
        f"{name}.{field} (set VEILLE__ALERTS__CHANNELS__{name.upper()}__{field.upper()})"
        for name in routed_channels(alerts)
        for field, value in required_secrets(alerts.channels[name]).items()
        if value is None or not value.get_secret_value()
    ]
    if unset:
        raise NotifierConfigError(
            "routed channels cannot send: " + ", ".join(unset) + " is not set"
        )
    for tenant in tenants:
        try:
            check_calendars(tenant.oncall)
        except CalendarError as exc:
            raise NotifierConfigError(f"tenant {tenant.id!r}: {exc}") from None
