"""Notification channels, one module each, all implementing `alerts.notify.contract.Channel`:
console, the signed webhook, PagerDuty, Opsgenie, Slack, e-mail, SMS, apprise. `text` is what
a page says (French, display-safe), `transport` the one HTTP request and its error mapping,
`secrets` the redaction of what a channel says or logs."""

from alerts.notify.channels.apprise import AppriseChannel
from alerts.notify.channels.console import ConsoleChannel
from alerts.notify.channels.email import EmailChannel
from alerts.notify.channels.opsgenie import OpsgenieChannel
from alerts.notify.channels.pagerduty import PagerDutyChannel
from alerts.notify.channels.slack import SlackChannel
from alerts.notify.channels.sms import SmsChannel
from alerts.notify.channels.webhook import WebhookChannel
from alerts.notify.contract import Channel
from schemas.config import (
    AnyChannelSettings,
    AppriseChannelSettings,
    ConsoleChannelSettings,
    EmailChannelSettings,
    OpsgenieChannelSettings,
    PagerDutyChannelSettings,
    SlackChannelSettings,
    SmsChannelSettings,
    WebhookChannelSettings,
)


def build_channel(name: str, settings: AnyChannelSettings) -> Channel:
    """The channel for these settings."""
    if isinstance(settings, WebhookChannelSettings):
        return WebhookChannel(name, settings)
    if isinstance(settings, ConsoleChannelSettings):
        return ConsoleChannel(name)
    if isinstance(settings, PagerDutyChannelSettings):
        return PagerDutyChannel(name, settings)
    if isinstance(settings, OpsgenieChannelSettings):
        return OpsgenieChannel(name, settings)
    if isinstance(settings, SlackChannelSettings):
        return SlackChannel(name, settings)
    if isinstance(settings, EmailChannelSettings):
        return EmailChannel(name, settings)
    if isinstance(settings, SmsChannelSettings):
        return SmsChannel(name, settings)
    assert isinstance(settings, AppriseChannelSettings)
    return AppriseChannel(name, settings)


__all__ = [
    "AppriseChannel",
    "ConsoleChannel",
    "EmailChannel",
    "OpsgenieChannel",
    "PagerDutyChannel",
    "SlackChannel",
    "SmsChannel",
    "WebhookChannel",
    "build_channel",
]
