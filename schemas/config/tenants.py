"""Who is watched: tenants (an agency's clients), their brands and brand queries, and who
is on call for each (schemas/config/oncall.py)."""

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from schemas.config.alerts import DetectionOverrideSettings
from schemas.config.base import SettingsModel, Slug, require_unique
from schemas.config.oncall import OnCallSettings
from schemas.config.response import ResponseSettings


class QuerySettings(SettingsModel):
    id: Slug
    query: str = Field(
        min_length=1,
        description='brand query: AND/OR/NOT (or -term), (parentheses), "phrases", '
        "rembours*, #tags, @handles, lang:fr, source:reddit (see schemas/brand_query/parser.py)",
    )


BrandRole = Literal["own", "competitor"]


class BrandSettings(SettingsModel):
    id: Slug
    name: str
    role: BrandRole = Field(
        default="own",
        description="own: the tenant's brand, paged on a crisis; competitor: tracked for share "
        "of voice, never paged",
    )
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
    timezone: str = Field(
        default="Europe/Paris", description="IANA zone of the tenant's days and weeks (reports)"
    )
    brand_accounts: dict[str, list[str]] = Field(
        default_factory=dict,
        description="the brand's own accounts: source kind (x, mastodon, bluesky, facebook, "
        "…) → handles as ingest writes them (@name) or author ids; their replies answer posts",
    )
    response: ResponseSettings = Field(
        default_factory=ResponseSettings, description="response delays and answering teams"
    )
    retention_days: Annotated[int, Field(ge=1)] = Field(
        default=400,
        description="mentions and incidents are kept this long (whole months dropped by "
        "`veille index retention` once all their days are older)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name, e.g. Europe/Paris)"
            ) from None
        return value

    def brand_ids(self, role: BrandRole) -> list[str]:
        return [b.id for b in self.brands if b.role == role]

    @model_validator(mode="after")
    def _unique_brands(self) -> "TenantSettings":
        require_unique([b.id for b in self.brands], "brand id")
        for brand in self.brands:
            require_unique([q.id for q in brand.queries], f"query id in brand {brand.id!r}")
        return self
