"""Notification channels: one file each. A channel sends one page or raises NotifyError."""

from alerts.channels.base import Channel, NotifyError
from alerts.channels.console import ConsoleChannel
from alerts.channels.webhook import WebhookChannel
from schemas.config import ConsoleChannelSettings, WebhookChannelSettings


def build_channel(name: str, settings: ConsoleChannelSettings | WebhookChannelSettings) -> Channel:
    if isinstance(settings, WebhookChannelSettings):
        return WebhookChannel(name, settings)
    return ConsoleChannel(name)


__all__ = ["Channel", "ConsoleChannel", "NotifyError", "WebhookChannel", "build_channel"]
