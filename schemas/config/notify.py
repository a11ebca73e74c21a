"""How the notifier (alerts/notify/) delivers: timing, retries, quiet hours, incident links."""

from datetime import time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, model_validator

from schemas.config.base import SettingsModel


class QuietHoursSettings(SettingsModel):
    """From `start` to `end` (local time in `timezone`, by default the tenant's own; may
    cross midnight), a route's notifications below `critical` are held until `end`, never
    dropped: resolved or acknowledged in between, they are never sent. `critical` always
    goes through."""

    start: time = time(22, 0)
    end: time = time(8, 0)
    timezone: str | None = None
    """An IANA zone; unset: the tenant's `timezone` (a '*' route keeps each tenant's nights)."""

    @model_validator(mode="after")
    def _known_zone(self) -> "QuietHoursSettings":
        try:
            if self.timezone is not None:
                ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {self.timezone!r}") from None
        if self.start == self.end:
            raise ValueError("quiet hours: start and end must differ")
        return self


class NotifyWebSettings(SettingsModel):
    """The incident page (alerts/notify/web/) served by `veille alerts notify`."""

    enabled: bool = True
    listen_host: str = "127.0.0.1"
    listen_port: Annotated[int, Field(ge=0, le=65535)] = 18767
    public_url: str = Field(
        default="http://127.0.0.1:18767", description="the base of the links sent in pages"
    )
    link_secret: SecretStr | None = Field(
        default=None,
        description="secret signing the incident links: VEILLE__ALERTS__NOTIFY__WEB__LINK_SECRET"
        " (pages carry no link while it is unset)",
    )
    link_ttl_h: Annotated[float, Field(gt=0)] = 72.0


class NotifySettings(SettingsModel):
    group_wait_s: Annotated[float, Field(ge=0)] = 30.0
    """A first page waits this long so that other incidents of the tenant for the same person
    on the same channel (several brands in crisis at once) go out in the same message."""
    retry_initial_s: Annotated[float, Field(gt=0)] = 1.0
    retry_max_s: Annotated[float, Field(gt=0)] = 300.0
    give_up_after_h: Annotated[float, Field(gt=0)] = 24.0
    """A recoverable failure is retried (backoff doubling from retry_initial_s to retry_max_s,
    or the provider's Retry-After) until this long after the notification was due."""
    operator_channels: list[str] = Field(default_factory=list)
    """Where source-health notices go for a tenant no `source_health` route covers; empty:
    the channels of the tenant's incident routes (once, as a notice: nobody is paged)."""
    web: NotifyWebSettings = Field(default_factory=NotifyWebSettings)
