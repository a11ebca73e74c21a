"""Who is watched: tenants (an agency's clients), their brands and brand queries, and who
is on call for each (schemas/config/oncall.py)."""

from pydantic import Field, model_validator

from schemas.config.alerts import DetectionOverrideSettings
from schemas.config.base import SettingsModel, Slug, require_unique
from schemas.config.oncall import OnCallSettings


class QuerySettings(SettingsModel):
    id: Slug
    query: str = Field(
        min_length=1,
        description='brand query: AND/OR/NOT (or -term), (parentheses), "phrases", '
        "rembours*, #tags, @handles, lang:fr, source:reddit (see ingest/query.py)",
    )


class BrandSettings(SettingsModel):
    id: Slug
    name: str
    queries: list[QuerySettings] = Field(min_length=1)
    exclude: list[str] = Field(
        default_factory=list, description="queries whose match vetoes this brand (homonyms)"
    )
    detection: DetectionOverrideSettings = Field(  # type: ignore[valid-type]
        default_factory=DetectionOverrideSettings, description="overrides of alerts.detection"
    )


class TenantSettings(SettingsModel):
    id: Slug
    name: str
    brands: list[BrandSettings] = Field(min_length=1)
    oncall: OnCallSettings = Field(
        default_factory=OnCallSettings, description="people, schedules, escalation policies"
    )

    @model_validator(mode="after")
    def _unique_brands(self) -> "TenantSettings":
        require_unique([b.id for b in self.brands], "brand id")
        for brand in self.brands:
            require_unique([q.id for q in brand.queries], f"query id in brand {brand.id!r}")
        return self
