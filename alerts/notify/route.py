"""Route: which of `alerts.routes` an incident or a source-health notice takes.

A `service_outage` incident takes only the routes that name it in `triggers`.
A route only ever names its own tenant's policy (checked at load), and the escalation
planner resolves people from the incident's own tenant: a page for tenant A never uses
tenant B's schedule or channels, unless a '*' route names a channel for every tenant.
"""

from schemas.config import (
    AlertsSettings,
    EmailChannelSettings,
    OpsgenieChannelSettings,
    PagerDutyChannelSettings,
    RouteSettings,
    SmsChannelSettings,
)
from schemas.incident import Incident

PAGING = (PagerDutyChannelSettings, OpsgenieChannelSettings, SmsChannelSettings)
"""Channels whose every message wakes someone."""


def incident_routes(
    settings: AlertsSettings, incident: Incident
) -> list[tuple[int, RouteSettings]]:
    """(index in alerts.routes, route) of every route the incident matches, in order."""
    return [
        (index, route)
        for index, route in enumerate(settings.routes)
        if "incident" in route.events
        and route.tenant in ("*", incident.tenant)
        and (not route.brands or incident.brand in route.brands)
        and (not route.kinds or incident.kind in route.kinds)
        and (not route.severities or incident.severity in route.severities)
        and takes_trigger(route, incident)
    ]


def takes_trigger(route: RouteSettings, incident: Incident) -> bool:
    """A route without `triggers` takes every trigger but `service_outage`: a wave of
    service requests goes only to the routes naming it (the service team's channel), never
    to the crisis on-call by default."""
    if route.triggers:
        return incident.trigger in route.triggers
    return incident.trigger != "service_outage"


def health_channels(settings: AlertsSettings, tenant: str) -> list[str]:
    """The tenant's operator channels for source-health notices: those of its
    `source_health` routes, else `alerts.notify.operator_channels`, else the channels of its
    incident routes that do not page (chat, e-mail, webhook, …; PagerDuty, Opsgenie and SMS
    wake someone) — and only if it has none of those, its paging ones: a dead feed on Friday
    night must not mean a blind weekend, nor, by default, a page."""

    def of(event: str) -> list[str]:
        chosen: list[str] = []
        for route in settings.routes:
            if event in route.events and route.tenant in ("*", tenant):
                chosen.extend(c for c in route.channels if c not in chosen)
        return chosen

    explicit = of("source_health") or list(settings.notify.operator_channels)
    if explicit:
        return explicit
    incident = of("incident")
    quiet = [c for c in incident if not isinstance(settings.channels[c], PAGING)]
    return quiet or incident


def person_channels(settings: AlertsSettings) -> set[str]:
    """The channels that write to a person (e-mail, SMS), not to a shared place: the end of
    a page thread (acknowledged, resolved, worse) is told to each person paged there."""
    return {
        name
        for name, channel in settings.channels.items()
        if isinstance(channel, EmailChannelSettings | SmsChannelSettings)
    }
