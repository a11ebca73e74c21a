"""Response-time watch of one tenant: how fast a post that needs an answer must be answered,
and which team answers which intent (history/response.py applies them)."""

from datetime import time
from typing import Annotated

from pydantic import Field, model_validator

from schemas.config.base import SettingsModel, Slug, require_unique
from schemas.enriched import IntentLabel


class TeamSettings(SettingsModel):
    id: Slug
    intents: list[IntentLabel] = Field(
        min_length=1, description="intents of the posts this team answers (e.g. advisers: "
        "service_request; community managers: complaint)",
    )  # fmt: skip


class ResponseSettings(SettingsModel):
    """Delays are elapsed time from publication; which one applies is decided by the local
    time of publication in the tenant's `timezone`: business hours are `business_days` from
    `business_start` (included) to `business_end` (excluded)."""

    business_delay_minutes: Annotated[int, Field(ge=1)] = 60
    off_hours_delay_minutes: Annotated[int, Field(ge=1)] = 240
    business_days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], description="0 Monday … 6 Sunday"
    )
    business_start: time = time(9, 0)
    business_end: time = time(18, 0)
    teams: list[TeamSettings] = Field(
        default_factory=list, description="who answers what; an intent no team takes has no team"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "ResponseSettings":
        if self.business_start >= self.business_end:
            raise ValueError("business_start must be before business_end")
        require_unique([t.id for t in self.teams], "team id")
        require_unique([i for t in self.teams for i in t.intents], "intent owned by a team")
        return self

    def team_of(self, intent: IntentLabel) -> str | None:
        return next((t.id for t in self.teams if intent in t.intents), None)
