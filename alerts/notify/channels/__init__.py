"""Provider channels, one module each, all implementing `alerts.notify.contract.Channel`:
PagerDuty, Opsgenie, Slack, e-mail, SMS, apprise. `text` is what a page says (French,
display-safe), `transport` the one HTTP request and its error mapping, `secrets` the
redaction of what a channel says or logs."""

from alerts.notify.channels.apprise import AppriseChannel
from alerts.notify.channels.email import EmailChannel
from alerts.notify.channels.opsgenie import OpsgenieChannel
from alerts.notify.channels.pagerduty import PagerDutyChannel
from alerts.notify.channels.slack import SlackChannel
from alerts.notify.channels.sms import SmsChannel
from alerts.notify.contract import Channel
from schemas.config.channels import (
    AppriseChannelSettings,
    EmailChannelSettings,
    OpsgenieChannelSettings,
    PagerDutyChannelSettings,
    SlackChannelSettings,
    SmsChannelSettings,
)

ProviderChannelSettings = (
    PagerDutyChannelSettings
    | OpsgenieChannelSettings
    | SlackChannelSettings
    | EmailChannelSettings
    | SmsChannelSettings
    | AppriseChannelSettings
)


def build_provider_channel(name: str, settings: ProviderChannelSettings) -> Channel:
    """The channel for these settings (the notifier's factory adds console and webhook)."""
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
    return AppriseChannel(name, settings)


__all__ = [
    "AppriseChannel",
    "EmailChannel",
    "OpsgenieChannel",
    "PagerDutyChannel",
    "ProviderChannelSettings",
    "SlackChannel",
    "SmsChannel",
    "build_provider_channel",
]
