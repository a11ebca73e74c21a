"""Notification channels, one module each; every one follows alerts/notify/contract.py."""

from alerts.notify.channels.console import ConsoleChannel
from alerts.notify.channels.webhook import WebhookChannel
from alerts.notify.contract import Channel
from schemas.config import AnyChannelSettings, WebhookChannelSettings


def build_channel(name: str, settings: AnyChannelSettings) -> Channel:
    if isinstance(settings, WebhookChannelSettings):
        return WebhookChannel(name, settings)
    return ConsoleChannel(name)


__all__ = ["ConsoleChannel", "WebhookChannel", "build_channel"]
