"""What the notifier checks before it reads a single event, so that a broken setting stops
`veille alerts notify` at start with a clear message instead of failing at the first page
(a Saturday night): every iCalendar layer maps its events to people (`check_calendars`),
every channel a route or `alerts.notify.operator_channels` uses has the secrets it cannot
send without (the variable to set is named, never the value), and a channel that gets
notices for no one in particular can send them (`addressed_to_no_one`). A route's escalation
policy is checked when the file loads (schemas/config/file.py)."""

from pydantic import SecretStr

from alerts.notify.oncall import CalendarError, check_calendars
from alerts.notify.route import health_channels
from schemas.config import (
    AlertsSettings,
    AnyChannelSettings,
    AppriseChannelSettings,
    EmailChannelSettings,
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


def addressed_to_no_one(alerts: AlertsSettings, tenants: list[TenantSettings]) -> set[str]:
    """The channels that would fail every notification to no one in particular — those of a
    route without escalation and the tenants' source-health channels: an e-mail channel
    without `to` (set the team's addresses), an SMS channel (it needs a person's number)."""
    shared = {c for route in alerts.routes if route.escalation is None for c in route.channels}
    shared |= {c for tenant in tenants for c in health_channels(alerts, tenant.id)}
    found = set()
    for name in shared:
        channel = alerts.channels[name]
        if isinstance(channel, EmailChannelSettings) and not channel.to:
            found.add(f"{name} (e-mail: set its `to`)")
        elif isinstance(channel, SmsChannelSettings):
            found.add(f"{name} (SMS: only in a route with an escalation)")
    return found


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
    nobody = sorted(addressed_to_no_one(alerts, tenants))
    if nobody:
        raise NotifierConfigError(
            "these channels get notices for no one in particular (a route without escalation,"
            " source health) but cannot send one: " + ", ".join(nobody)
        )
    for tenant in tenants:
        try:
            check_calendars(tenant.oncall)
        except CalendarError as exc:
            raise NotifierConfigError(f"tenant {tenant.id!r}: {exc}") from None
