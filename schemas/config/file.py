"""The whole configuration file, and the references between its parts."""

from pydantic import Field, ValidationError, model_validator

from schemas.config.alerts import AlertsSettings, DetectionSettings, PartialDetection
from schemas.config.base import SettingsModel, require_unique
from schemas.config.enrich import EnrichSettings
from schemas.config.history import HistoryApiSettings
from schemas.config.infrastructure import (
    DemoSettings,
    ElasticsearchSettings,
    EventTimeSettings,
    KafkaSettings,
    MetricsSettings,
    StackSettings,
    WorkerSettings,
)
from schemas.config.ingest import AnySourceSettings, IngestSettings
from schemas.config.tenants import TenantSettings


class VeilleConfig(SettingsModel):
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
    stack: StackSettings = Field(default_factory=StackSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    enrich: EnrichSettings = Field(default_factory=EnrichSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    event_time: EventTimeSettings = Field(default_factory=EventTimeSettings)
    history_api: HistoryApiSettings = Field(default_factory=HistoryApiSettings)
    tenants: list[TenantSettings] = Field(min_length=1)
    sources: list[AnySourceSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_exist(self) -> "VeilleConfig":
        tenant_ids = [t.id for t in self.tenants]
        require_unique(tenant_ids, "tenant id")
        require_unique([s.id for s in self.sources], "source id")
        brands = {t.id: {b.id for b in t.brands} for t in self.tenants}
        for source in self.sources:
            for tenant in source.tenants or []:
                if tenant not in brands:
                    raise ValueError(f"source {source.id!r} names unknown tenant {tenant!r}")
        for tenant in self.ingest.push.tokens:
            if tenant not in brands:
                raise ValueError(
                    f"ingest.push.tokens: a token for unknown tenant {tenant!r} (tenants: "
                    f"{', '.join(tenant_ids)}; in a variable name, write '-' as '_')"
                )
        for t in self.tenants:
            for b in t.brands:
                try:
                    self.detection_rule(t.id, b.id)
                except ValidationError as exc:
                    first = exc.errors()[0]
                    where = ".".join(str(p) for p in first["loc"])
                    raise ValueError(
                        f"tenant {t.id!r}, brand {b.id!r}: detection.{where}: {first['msg']}"
                    ) from None
        for route in self.alerts.routes:
            if route.tenant != "*" and route.tenant not in brands:
                raise ValueError(f"alert route names unknown tenant {route.tenant!r}")
            for brand in route.brands:
                known = brands.get(route.tenant, set()).union(
                    *brands.values() if route.tenant == "*" else []
                )
                if brand not in known:
                    raise ValueError(f"alert route names unknown brand {brand!r}")
            for channel in route.channels:
                if channel not in self.alerts.channels:
                    raise ValueError(f"alert route names unknown channel {channel!r}")
            if route.escalation is not None:
                self._check_escalation(route.tenant, route.escalation)
        for channel in self.alerts.notify.operator_channels:
            if channel not in self.alerts.channels:
                raise ValueError(f"alerts.notify.operator_channels: unknown channel {channel!r}")
        for t in self.tenants:
            queries = {q.id for b in t.brands for q in b.queries}
            for team in t.response.teams:
                for channel in team.channels:
                    if channel not in self.alerts.channels:
                        raise ValueError(f"tenant {t.id!r}, team {team.id!r}: unknown channel "
                                         f"{channel!r} (alerts.channels)")  # fmt: skip
                for topic in team.topics:
                    if topic not in queries:
                        raise ValueError(f"tenant {t.id!r}, team {team.id!r}: topic {topic!r} "
                                         "is no brand query id")  # fmt: skip
        return self

    def _check_escalation(self, route_tenant: str, policy: str) -> None:
        """A route's `escalation` is a policy of every tenant the route covers (planning a page
        with an unknown policy would fail on every retry of the batch)."""
        covered = self.tenants if route_tenant == "*" else [self.tenant(route_tenant)]
        lacking = [
            t.id for t in covered if policy not in {p.id for p in t.oncall.escalation_policies}
        ]
        if lacking:
            raise ValueError(
                f"alert route (tenant {route_tenant!r}) names escalation policy {policy!r}, "
                f"which tenant(s) {', '.join(map(repr, lacking))} do not have "
                "(tenants[].oncall.escalation_policies)"
            )

    def tenant(self, tenant_id: str) -> TenantSettings:
        return next(t for t in self.tenants if t.id == tenant_id)

    def competitor_brands(self) -> frozenset[tuple[str, str]]:
        """(tenant, brand) of every brand of role `competitor`: tracked, never paged."""
        return frozenset((t.id, b) for t in self.tenants for b in t.brand_ids("competitor"))

    def detection_rule_or_default(self, tenant_id: str, brand_id: str) -> DetectionSettings:
        """The brand's rule, or alerts.detection for a brand this file does not know."""
        known = any(b.id == brand_id for t in self.tenants if t.id == tenant_id for b in t.brands)
        return self.detection_rule(tenant_id, brand_id) if known else self.alerts.detection

    def detection_rule(self, tenant_id: str, brand_id: str) -> DetectionSettings:
        """The brand's rule: alerts.detection with the brand's overrides applied."""
        brand = next(b for b in self.tenant(tenant_id).brands if b.id == brand_id)
        overrides: PartialDetection = brand.detection
        return overrides.applied_to(self.alerts.detection)
