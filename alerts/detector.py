"""NegativeBurstDetector: the first alert rule, on event time (`published_at`).

Per (tenant, brand): when at least `min_negative` negative mentions fall within the last
`window_minutes` of event time, an incident opens. While it is open, further negatives
update it; each time the window count reaches `escalate_factor`× the previous level it
escalates (warning → major → critical). Once no negative mention has been seen for
`resolve_after_quiet_minutes` of event time, it resolves.

Pure logic: no clock, no I/O. Feeding the same mentions in the same order always yields
the same incident events, so a replay gives what live traffic gave; a mention id already
counted in the window is not counted again (redelivery is absorbed).
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from schemas.config import NegativeBurstRule
from schemas.enriched import EnrichedMention
from schemas.incident import Incident, IncidentEventKind, MentionRef, Severity, incident_id

TRIGGER = "negative_burst"
SEVERITIES: tuple[Severity, ...] = ("warning", "major", "critical")
TOP_MENTIONS = 3


@dataclass(frozen=True)
class Transition:
    """An incident changed: `event` says how, `at` is the event time that caused it."""

    event: IncidentEventKind
    at: datetime
    incident: Incident


@dataclass
class _BrandState:
    negatives: deque[EnrichedMention] = field(default_factory=deque)
    counted: set[str] = field(default_factory=set)
    watermark: datetime | None = None
    incident: Incident | None = None
    last_negative_at: datetime | None = None


class NegativeBurstDetector:
    def __init__(self, rule_for: Callable[[str, str], NegativeBurstRule]) -> None:
        self._rule_for = rule_for
        self._states: dict[tuple[str, str], _BrandState] = {}

    def open_incidents(self) -> list[Incident]:
        return [s.incident for s in self._states.values() if s.incident is not None]

    def observe(self, mention: EnrichedMention) -> list[Transition]:
        """Feed one enriched mention; return the incident transitions it causes."""
        transitions: list[Transition] = []
        for brand in mention.brands:
            rule = self._rule_for(mention.tenant, brand)
            state = self._states.setdefault((mention.tenant, brand), _BrandState())
            transitions.extend(self._observe_brand(state, mention, brand, rule))
        return transitions

    def _observe_brand(
        self, state: _BrandState, mention: EnrichedMention, brand: str, rule: NegativeBurstRule
    ) -> list[Transition]:
        at = mention.published_at
        state.watermark = at if state.watermark is None else max(state.watermark, at)
        transitions = self._maybe_resolve(state, rule)
        negative = mention.sentiment.score <= rule.negative_score_max
        if not negative or mention.id in state.counted:  # a redelivery counts once
            return transitions
        state.negatives.append(mention)
        state.counted.add(mention.id)
        state.last_negative_at = max(state.last_negative_at or at, at)
        horizon = state.watermark - timedelta(minutes=rule.window_minutes)
        while state.negatives and state.negatives[0].published_at < horizon:
            state.counted.discard(state.negatives.popleft().id)
        in_window = [m for m in state.negatives if m.published_at >= horizon]
        count = len(in_window)
        if state.incident is None:
            if count >= rule.min_negative:
                state.incident = self._incident(mention, brand, rule, in_window, None)
                transitions.append(Transition("opened", at, state.incident))
            return transitions
        level = SEVERITIES.index(state.incident.severity)
        next_threshold = rule.min_negative * rule.escalate_factor ** (level + 1)
        if level + 1 < len(SEVERITIES) and count >= next_threshold:
            state.incident = self._incident(
                mention, brand, rule, in_window, state.incident, SEVERITIES[level + 1]
            )
            transitions.append(Transition("escalated", at, state.incident))
        else:
            state.incident = self._incident(mention, brand, rule, in_window, state.incident)
        return transitions

    def _maybe_resolve(self, state: _BrandState, rule: NegativeBurstRule) -> list[Transition]:
        if state.incident is None or state.last_negative_at is None or state.watermark is None:
            return []
        quiet_since = state.last_negative_at + timedelta(minutes=rule.resolve_after_quiet_minutes)
        if state.watermark < quiet_since:
            return []
        resolved = state.incident.model_copy(
            update={"status": "resolved", "resolved_at": quiet_since, "updated_at": quiet_since}
        )
        state.incident = None
        return [Transition("resolved", quiet_since, resolved)]

    def _incident(
        self,
        mention: EnrichedMention,
        brand: str,
        rule: NegativeBurstRule,
        in_window: list[EnrichedMention],
        current: Incident | None,
        severity: Severity | None = None,
    ) -> Incident:
        count = len(in_window)
        top = sorted(in_window, key=lambda m: (-m.virality.score, m.published_at, m.id))
        opened_at = current.opened_at if current else mention.published_at
        return Incident(
            id=current.id
            if current
            else incident_id(mention.tenant, brand, opened_at.isoformat(), TRIGGER),
            tenant=mention.tenant,
            brand=brand,
            status="open",
            severity=severity or (current.severity if current else SEVERITIES[0]),
            trigger=TRIGGER,
            opened_at=opened_at,
            updated_at=mention.published_at,
            negative_count=count,
            window_minutes=rule.window_minutes,
            summary=(
                f"{count} negative mentions of {brand} in {rule.window_minutes} min "
                f"(threshold {rule.min_negative})"
            ),
            top_mentions=[
                MentionRef(
                    id=m.id,
                    url=m.url,
                    text=m.text[:280],
                    published_at=m.published_at,
                    virality=m.virality.score,
                )
                for m in top[:TOP_MENTIONS]
            ],
        )
