"""Response-time watch of one tenant: how fast a post that needs an answer must be answered,
which team answers which intent and topic, and where each team is told of what waits
(history/response.py applies the rules; `veille response watch` notifies)."""

from collections.abc import Sequence
from datetime import time
from typing import Annotated

from pydantic import Field, model_validator

from schemas.config.base import SettingsModel, Slug, require_unique
from schemas.enriched import IntentLabel


class TeamSettings(SettingsModel):
    """A team takes a post when it takes the post's intent and, if it lists topics, the post
    matched one of them (topics are ids of the tenant's brand queries: write one query per
    expertise, e.g. `fibre`, `roaming`). A team with topics is preferred over one without."""

    id: Slug
    intents: list[IntentLabel] = Field(
        min_length=1, description="intents of the posts this team answers (e.g. advisers: "
        "service_request; community managers: complaint)",
    )  # fmt: skip
    topics: list[str] = Field(
        default_factory=list, description="brand query ids; empty: every topic of its intents"
    )
    channels: list[str] = Field(
        default_factory=list,
        description="ids of alerts.channels told of the team's overdue posts (chat, e-mail"
        " digest, webhook); empty: the team is not notified",
    )


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
    watch_interval_s: Annotated[float, Field(gt=0)] = Field(
        default=60.0, description="how often `veille response watch` looks for overdue posts"
    )
    lookback_hours: Annotated[int, Field(ge=1)] = Field(
        default=72, description="how far back the watch reads posts and replies"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "ResponseSettings":
        if self.business_start >= self.business_end:
            raise ValueError("business_start must be before business_end")
        require_unique([t.id for t in self.teams], "team id")
        require_unique([i for t in self.teams if not t.topics for i in t.intents],
                       "intent owned by a team without topics")  # fmt: skip
        require_unique([f"{i}/{topic}" for t in self.teams for i in t.intents
                        for topic in t.topics], "intent and topic owned by a team")  # fmt: skip
        return self

    def team_of(self, intent: IntentLabel, queries: Sequence[str] = ()) -> str | None:
        """The team that takes a post of this intent that matched these brand queries."""
        takes = [t for t in self.teams if intent in t.intents]
        expert = next((t for t in takes if t.topics and set(t.topics) & set(queries)), None)
        general = next((t for t in takes if not t.topics), None)
        chosen = expert or general
        return chosen.id if chosen else None

    def team(self, team_id: str | None) -> TeamSettings | None:
        return next((t for t in self.teams if t.id == team_id), None)
