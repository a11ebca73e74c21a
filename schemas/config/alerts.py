"""How a buzz is judged and who hears of it: detection rules, channels, routes."""

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    SerializerFunctionWrapHandler,
    create_model,
    model_serializer,
    model_validator,
)

from schemas.config.base import SecretHttpUrl, SettingsModel
from schemas.config.channels import (
    AppriseChannelSettings,
    EmailChannelSettings,
    OpsgenieChannelSettings,
    PagerDutyChannelSettings,
    SlackChannelSettings,
    SmsChannelSettings,
)
from schemas.config.notify import NotifySettings, QuietHoursSettings
from schemas.incident import Trigger


class DetectionSettings(SettingsModel):
    """How a brand's buzz is judged (alerts/detection/detector.py). Event time only.

    Mentions fall into `bucket_minutes` buckets of event time; a bucket is final once the
    watermark passes its end plus `allowed_lateness_minutes`. At each final bucket the last
    `window_minutes` are compared with the brand's baseline for that hour of the week (in
    `timezone`). A window is elevated when it is above `min_volume` and `ratio` × the
    baseline, beyond Poisson noise (p < 10^-`surprise_min` under the usual rate), and holds
    at least `min_negative_share` of negative mentions and `min_stories` stories. An
    incident opens on a burst — elevated, `burst_ratio` × the baseline, above the window
    before it (accelerating) for `rising_windows` evaluations in a row, and as surprising as
    the brand's usual peaks (its 3rd largest burst of four weeks: alerts/detection/peaks.py)
    — or on a sustained rise: elevated for `sustained_minutes` in a row, up to a window as
    surprising as the usual peaks. Within `cooldown_minutes` of a resolution, a new
    incident needs `escalate_factor` × the last one's peak. `sensitivity` > 1 lowers the
    thresholds.
    An incident so opened whose window's negative mentions are at least
    `service_outage_share` service requests (intent `service_request`) has the trigger
    `service_outage`. Defaults measured by `make bench` (bench_alerts_detection,
    bench_alerts_real).

    """

    timezone: str = "Europe/Paris"
    bucket_minutes: Annotated[int, Field(ge=1, le=60)] = 1
    window_minutes: Annotated[int, Field(ge=1, le=240)] = 10
    allowed_lateness_minutes: Annotated[int, Field(ge=0, le=120)] = 1
    sensitivity: Annotated[float, Field(gt=0, le=10)] = 1.0
    min_volume: Annotated[float, Field(gt=0)] = 4.5
    ratio: Annotated[float, Field(gt=1)] = 5.0
    burst_ratio: Annotated[float, Field(gt=1)] = 8.0
    surprise_min: Annotated[float, Field(ge=0)] = 3.0
    sustained_minutes: Annotated[int, Field(ge=1)] = 30
    cooldown_minutes: Annotated[int, Field(ge=0)] = 2880
    min_negative_share: Annotated[float, Field(ge=0, le=1)] = 0.6
    min_stories: Annotated[int, Field(ge=1)] = 3
    rising_windows: Annotated[int, Field(ge=1, le=10)] = 1
    escalate_factor: Annotated[float, Field(gt=1)] = 2.0
    resolve_after_minutes: Annotated[int, Field(ge=1)] = 60
    negative_score_max: Annotated[float, Field(ge=-1, le=0)] = -0.05
    positive_score_min: Annotated[float, Field(ge=0, le=1)] = 0.05
    viral_score: Annotated[float, Field(ge=0, le=100)] = 80.0
    high_reach_followers: Annotated[int, Field(ge=1)] = 1_000_000
    opportunities: bool = True
    baseline_slot_weeks: Annotated[int, Field(ge=1)] = 2
    baseline_warmup_hours: Annotated[int, Field(ge=1)] = 24
    baseline_floor: Annotated[float, Field(gt=0)] = 0.05
    service_outage_share: Annotated[float, Field(gt=0, le=1)] = 0.6

    @model_validator(mode="after")
    def _window_holds_buckets(self) -> "DetectionSettings":
        if 60 % self.bucket_minutes:
            raise ValueError("bucket_minutes must divide 60")
        if self.window_minutes % self.bucket_minutes:
            raise ValueError("window_minutes must be a multiple of bucket_minutes")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {self.timezone!r}") from None
        return self


class PartialDetection(SettingsModel):
    """The base of DetectionOverrideSettings: a brand's changes to `alerts.detection`, only the
    fields it sets (made from DetectionSettings' fields below, each optional). The result is
    validated as a whole rule. It dumps only the fields it sets, so a dumped file reloads."""

    @model_serializer(mode="wrap")
    def _only_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped: dict[str, Any] = handler(self)
        return {name: value for name, value in dumped.items() if name in self.model_fields_set}

    def applied_to(self, rule: DetectionSettings) -> DetectionSettings:
        if not self.model_fields_set:
            return rule
        return DetectionSettings.model_validate(rule.model_dump() | self.model_dump())


DetectionOverrideSettings: type[PartialDetection] = create_model(
    "DetectionOverrideSettings",
    __base__=PartialDetection,
    **{
        name: (field.annotation | None, None)  # type: ignore[operator]
        for name, field in DetectionSettings.model_fields.items()
    },  # type: ignore[call-overload]
)


class WebhookChannelSettings(SettingsModel):
    """A POST signed as Standard Webhooks (webhook-id = notification id)."""

    type: Literal["webhook"] = "webhook"
    url: SecretHttpUrl | None = Field(
        default=None, description="secret: set it through VEILLE__ALERTS__CHANNELS__<ID>__URL"
    )
    secret: SecretStr | None = Field(
        default=None,
        description="signing key ('whsec_' + base64): VEILLE__ALERTS__CHANNELS__<ID>__SECRET",
    )
    timeout_s: float = 10.0
    max_attempts: Annotated[int, Field(ge=1)] = 5


class ConsoleChannelSettings(SettingsModel):
    type: Literal["console"] = "console"


AnyChannelSettings = Annotated[
    WebhookChannelSettings
    | ConsoleChannelSettings
    | PagerDutyChannelSettings
    | OpsgenieChannelSettings
    | SlackChannelSettings
    | EmailChannelSettings
    | SmsChannelSettings
    | AppriseChannelSettings,
    Field(discriminator="type"),
]


RouteEvent = Literal["incident", "source_health"]


class RouteSettings(SettingsModel):
    """What a route matches — `events`, `tenant` (or '*'), `brands`, `kinds`, `severities`
    (empty = all) — goes to `channels`. Every matching route is used.

    `escalation`: a policy id of the tenant's `oncall` (tenants[].oncall): its steps say who
    is notified when, until someone acknowledges; without one, the route notifies each
    channel's own destination once (a team's chat room). `quiet_hours`: notifications below
    `critical` wait for the end of the quiet hours (`critical` always pages)."""

    tenant: str = "*"
    brands: list[str] = Field(default_factory=list)
    events: list[RouteEvent] = Field(default_factory=lambda: list[RouteEvent](["incident"]))
    kinds: list[Literal["crisis", "opportunity"]] = Field(default_factory=list)
    severities: list[Literal["warning", "major", "critical"]] = Field(default_factory=list)
    triggers: list[Trigger] = Field(
        default_factory=list,
        description="empty: every trigger but service_outage, which goes only to the routes"
        " naming it (the service team's channel, not the crisis on-call)",
    )
    channels: list[str] = Field(min_length=1)
    escalation: str | None = None
    quiet_hours: QuietHoursSettings | None = None


def _console_only() -> dict[str, AnyChannelSettings]:
    return {"console": ConsoleChannelSettings()}


class AlertsSettings(SettingsModel):
    detection: DetectionSettings = Field(default_factory=DetectionSettings)
    idle_partition_s: Annotated[float, Field(gt=0)] = 10.0
    """A partition caught up for this long stops holding back the event-time watermark."""
    warmup_days: Annotated[float, Field(ge=0)] = 21.0
    """On start, rebuild the detector's baselines from this much indexed history (0: none)."""
    channels: dict[str, AnyChannelSettings] = Field(default_factory=lambda: _console_only())
    routes: list[RouteSettings] = Field(
        default_factory=lambda: [RouteSettings(channels=["console"])]
    )
    notify: NotifySettings = Field(default_factory=NotifySettings)
