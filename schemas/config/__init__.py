"""Configuration: one YAML file (`VeilleConfig`), validated here, by concern:
`infrastructure` (broker, search engine, stack, stream loop), `tenants` (tenants, brands,
queries; `oncall`: their people, schedules, escalation policies), `ingest` (sources, push),
`enrich` (model, virality, clusters), `alerts` (detection, channels, routes, notify). Secrets
are SecretStr and come from the environment (veille.settings), so they never appear in logs
or in the repo. Naming rule: see `schemas.config.base`.
"""

from schemas.config.alerts import (
    AlertsSettings,
    AnyChannelSettings,
    ConsoleChannelSettings,
    DetectionOverrideSettings,
    DetectionSettings,
    PartialDetection,
    RouteSettings,
    WebhookChannelSettings,
)
from schemas.config.base import (
    SettingsModel,
    Slug,
)
from schemas.config.channels import (
    AppriseChannelSettings,
    EmailChannelSettings,
    OpsgenieChannelSettings,
    PagerDutyChannelSettings,
    SlackChannelSettings,
    SmsChannelSettings,
)
from schemas.config.enrich import (
    ClusterSettings,
    EnrichSettings,
    IntentModelSettings,
    SentimentModelSettings,
    ViralitySettings,
)
from schemas.config.file import (
    VeilleConfig,
)
from schemas.config.history import (
    HistoryApiSettings,
)
from schemas.config.infrastructure import (
    DemoSettings,
    ElasticsearchSettings,
    EventTimeSettings,
    KafkaSettings,
    MetricsSettings,
    StackSettings,
    WorkerSettings,
)
from schemas.config.ingest import (
    AnySourceSettings,
    BlogSourceSettings,
    BlueskySourceSettings,
    FacebookSourceSettings,
    IngestSettings,
    MastodonSourceSettings,
    PushSettings,
    RedditSourceSettings,
    ReplaySourceSettings,
    RssSourceSettings,
    SourceSettings,
    XSourceSettings,
    YouTubeSourceSettings,
)
from schemas.config.notify import (
    NotifySettings,
    NotifyWebSettings,
    QuietHoursSettings,
)
from schemas.config.oncall import (
    EscalationLevelSettings,
    EscalationPolicySettings,
    LayerSettings,
    OnCallSettings,
    OverrideSettings,
    PersonSettings,
    RestrictionSettings,
    ScheduleSettings,
)
from schemas.config.response import (
    ResponseSettings,
    TeamSettings,
)
from schemas.config.tenants import (
    BrandSettings,
    QuerySettings,
    TenantSettings,
)

__all__ = [
    "AlertsSettings",
    "AnyChannelSettings",
    "AnySourceSettings",
    "AppriseChannelSettings",
    "BlogSourceSettings",
    "BlueskySourceSettings",
    "BrandSettings",
    "ClusterSettings",
    "ConsoleChannelSettings",
    "DemoSettings",
    "DetectionOverrideSettings",
    "DetectionSettings",
    "ElasticsearchSettings",
    "EmailChannelSettings",
    "EnrichSettings",
    "EscalationLevelSettings",
    "EscalationPolicySettings",
    "EventTimeSettings",
    "FacebookSourceSettings",
    "HistoryApiSettings",
    "IngestSettings",
    "IntentModelSettings",
    "KafkaSettings",
    "LayerSettings",
    "MastodonSourceSettings",
    "MetricsSettings",
    "NotifySettings",
    "NotifyWebSettings",
    "OnCallSettings",
    "OpsgenieChannelSettings",
    "OverrideSettings",
    "PagerDutyChannelSettings",
    "PartialDetection",
    "PersonSettings",
    "PushSettings",
    "QuerySettings",
    "QuietHoursSettings",
    "RedditSourceSettings",
    "ReplaySourceSettings",
    "ResponseSettings",
    "RestrictionSettings",
    "RouteSettings",
    "RssSourceSettings",
    "ScheduleSettings",
    "SentimentModelSettings",
    "SettingsModel",
    "SlackChannelSettings",
    "Slug",
    "SmsChannelSettings",
    "SourceSettings",
    "StackSettings",
    "TeamSettings",
    "TenantSettings",
    "VeilleConfig",
    "ViralitySettings",
    "WebhookChannelSettings",
    "WorkerSettings",
    "XSourceSettings",
    "YouTubeSourceSettings",
]
