"""IncidentTrack: the lifecycle of one brand's incidents of one kind (crisis or opportunity).

opened → escalated (severity up while the rate keeps growing) → resolved (after the signal
stayed near its baseline for `resolve_after_minutes`, or by hand). While one is open, further
mentions update it instead of opening another. Each incident carries its explanation: counts
now vs the usual for that hour of the week, the top posts by virality, the main terms and
the share of negative mentions.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from alerts.detection.rules import (
    beyond_usual_peak,
    bursting,
    cooling,
    elevated,
    escalates,
    min_signal,
    near_baseline,
    reports_peak,
    rising,
    service_outage,
    severity_level,
    surprise,
    threshold,
)
from alerts.detection.terms import top_terms
from schemas.config import DetectionSettings
from schemas.incident import (
    Incident,
    IncidentEventKind,
    IncidentKind,
    MentionRef,
    Severity,
    Trigger,
    incident_id,
)

SEVERITIES: tuple[Severity, ...] = ("warning", "major", "critical")
TOP_MENTIONS = 5


class Ref(NamedTuple):
    """A mention as an incident may cite it."""

    virality: float
    epoch: float
    id: str
    url: str | None
    text: str
    story: str


@dataclass(frozen=True)
class Transition:
    event: IncidentEventKind
    at: datetime
    incident: Incident


def in_event_order(transitions: list[Transition]) -> list[Transition]:
    """By event time, then brand; stable, so each incident's own events keep their order."""
    return sorted(transitions, key=lambda t: (t.at, t.incident.tenant, t.incident.brand,
                                               t.incident.kind))  # fmt: skip


@dataclass(frozen=True)
class WindowView:
    """What the detector saw in the last window, at event time `at`."""

    at: datetime
    signal: float  # virality-weighted stories of this track's polarity
    previous: float  # the same, in the window just before (not overlapping)
    expected: float  # the usual signal for this window
    count: int  # mentions of this polarity
    stories: int
    share: float  # share of this polarity among all mentions
    negative_share: float
    usual_peak: float  # the brand's usual peak surprise (alerts/detection/peaks.py)
    viral: Ref | None
    details: Callable[[], tuple[list[Ref], str]]
    """The window's mentions of this polarity, and the local hour its baseline is for
    ('Sunday 14:00'): computed only when an incident is written."""
    service_count: int = 0  # of `count`, the service requests (intent service_request)


class IncidentTrack:
    def __init__(
        self, tenant: str, brand: str, kind: IncidentKind, rule: DetectionSettings, words: set[str]
    ) -> None:
        self.tenant = tenant
        self.brand = brand
        self.kind = kind
        self._rule = rule
        self._brand_words = words
        self.min_signal = min_signal(rule)
        self.open: Incident | None = None
        self._rising = 0  # bursting and accelerating windows in a row (the fast track)
        self._sustained = 0  # elevated windows in a row (the sustained track)
        self._sustained_needed = -(-rule.sustained_minutes // rule.bucket_minutes)
        self._cool_until = -math.inf  # epoch s: the cool-down after the last resolution
        self._last_peak = 0.0  # the last incident's reported peak, for the cool-down
        self._level = 0.0
        self._reported_peak = 0.0
        self._quiet_since: datetime | None = None

    def idle(self) -> None:
        """A window that cannot fire (below `min_signal`, nothing open): the runs are broken."""
        self._rising = self._sustained = 0

    def evaluate(self, view: WindowView) -> list[Transition]:
        rule = self._rule
        if elevated(view.signal, view.expected, view.share, view.stories, rule):
            self._sustained += 1
            fast = bursting(view.signal, view.expected, view.usual_peak, rule) and rising(
                view.signal, view.previous
            )
            self._rising = self._rising + 1 if fast else 0
        else:
            self._rising = self._sustained = 0
        if self.open is None:
            return self._maybe_open(view)
        return self._follow(view)

    def _maybe_open(self, view: WindowView) -> list[Transition]:
        trigger: Trigger
        severity: Severity
        rule = self._rule
        if (
            self._rising >= rule.rising_windows
            or (
                self._sustained >= self._sustained_needed
                and beyond_usual_peak(view.signal, view.expected, view.usual_peak)
            )
        ) and not cooling(
            view.at.timestamp(), self._cool_until, view.signal, self._last_peak, rule
        ):
            trigger = "negative_acceleration" if self.kind == "crisis" else "positive_acceleration"
            if self.kind == "crisis" and service_outage(view.service_count, view.count, self._rule):
                trigger = "service_outage"
            level = severity_level(view.signal, float(threshold(view.expected, self._rule)))
            severity = SEVERITIES[level]
        elif self.kind == "crisis" and view.viral is not None:
            trigger, severity = "viral_post", "major"
        else:
            return []
        self._level = self._reported_peak = view.signal
        self._quiet_since = None
        opened = self._incident(view, trigger, severity, None)
        self.open = opened.model_copy(
            update={"id": incident_id(self.tenant, self.brand, self.kind, view.at.isoformat())}
        )
        return [Transition("opened", view.at, self.open)]

    def _follow(self, view: WindowView) -> list[Transition]:
        assert self.open is not None
        rule = self._rule
        current = self.open
        level = SEVERITIES.index(current.severity)
        if level < len(SEVERITIES) - 1 and escalates(view.signal, view.previous, self._level, rule):
            self._level = view.signal
            self._reported_peak = max(self._reported_peak, view.signal)
            self.open = self._incident(view, current.trigger, SEVERITIES[level + 1], current)
            return [Transition("escalated", view.at, self.open)]
        if not near_baseline(view.signal, view.expected, rule):
            self._quiet_since = None
        elif self._quiet_since is None:
            self._quiet_since = view.at
        elif view.at - self._quiet_since >= timedelta(minutes=rule.resolve_after_minutes):
            return [self.resolve(view.at, "auto")]
        if reports_peak(view.signal, self._reported_peak):
            self._reported_peak = view.signal
            self.open = self._incident(view, current.trigger, current.severity, current)
            return [Transition("updated", view.at, self.open)]
        return []

    def follow_state(self) -> tuple[float, float, datetime | None, bool]:
        """(escalation level, reported peak, quiet since, can escalate) of the open incident:
        what decides whether a window changes it (used to skip windows that cannot)."""
        assert self.open is not None
        can_escalate = SEVERITIES.index(self.open.severity) < len(SEVERITIES) - 1
        return self._level, self._reported_peak, self._quiet_since, can_escalate

    def carry_run(self, rising: int, sustained: int) -> None:
        """Windows were skipped that could not open an incident: set the runs they leave
        (the replay engine evaluates only the windows that can change something)."""
        self._rising, self._sustained = rising, sustained

    def cooling_until(self) -> float:
        """End (epoch s) of the cool-down after the last resolution (−inf: none)."""
        return self._cool_until

    def skip_quiet_run(self, quiet_since: datetime | None) -> None:
        """Windows were skipped that changed nothing but the quiet run: set where it stands."""
        self._quiet_since = quiet_since

    def resolve(self, at: datetime, by: str) -> Transition:
        assert self.open is not None
        resolved = self.open.model_copy(
            update={"status": "resolved", "resolved_at": at, "resolved_by": by, "updated_at": at}
        )
        self.open = None
        self._rising = self._sustained = 0
        self._quiet_since = None
        self._cool_until = at.timestamp() + 60.0 * self._rule.cooldown_minutes
        self._last_peak = self._reported_peak
        return Transition("resolved", at, resolved)

    def _incident(
        self, view: WindowView, trigger: Trigger, severity: Severity, current: Incident | None
    ) -> Incident:
        window_refs, usual = view.details()
        refs = _top_refs(window_refs, view.viral)
        polarity = "negative" if self.kind == "crisis" else "positive"
        times = view.signal / view.expected if view.expected else float("inf")
        summary = (
            f"{view.count} {polarity} mentions ({view.stories} stories) in "
            f"{self._rule.window_minutes} min, ×{times:.0f} the usual for {usual}"
            f"{_odds(float(surprise(view.signal, view.expected)), view.usual_peak)}; "
            f"{view.negative_share:.0%} negative"
        )
        if trigger == "viral_post" and view.viral is not None:
            summary = (
                f"a negative post is going viral (virality {view.viral.virality:.0f}); " + summary
            )
        return Incident(
            id=current.id if current else "pending",
            tenant=self.tenant,
            brand=self.brand,
            kind=self.kind,
            status="open",
            severity=severity,
            trigger=trigger,
            opened_at=current.opened_at if current else view.at,
            updated_at=view.at,
            window_minutes=self._rule.window_minutes,
            count=view.count,
            stories=view.stories,
            signal=round(view.signal, 3),
            baseline=round(view.expected, 3),
            peak_signal=round(max(view.signal, current.peak_signal if current else 0.0), 3),
            negative_share=round(view.negative_share, 4),
            summary=summary,
            top_mentions=[
                MentionRef(
                    id=r.id,
                    url=r.url,
                    text=r.text[:280],
                    virality=r.virality,
                    published_at=datetime.fromtimestamp(r.epoch, UTC),
                )
                for r in refs
            ],
            top_terms=top_terms((r.text for r in window_refs[-500:]), self._brand_words),
        )


def _top_refs(refs: list[Ref], viral: Ref | None) -> list[Ref]:
    """The most viral posts, one per story, the viral trigger first."""
    chosen: list[Ref] = [viral] if viral is not None else []
    stories = {r.story for r in chosen}
    for ref in sorted(refs, key=lambda r: (-r.virality, r.epoch, r.id)):
        if len(chosen) == TOP_MENTIONS:
            break
        if ref.story not in stories:
            stories.add(ref.story)
            chosen.append(ref)
    return chosen


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power(bits: float) -> str:
    return f"10⁻{str(int(bits)).translate(_SUPERSCRIPTS)}"


def _odds(bits: float, usual_peak: float) -> str:
    """'; p < 10⁻⁶ under the usual rate' for a surprise of 6 or more (nothing below 1), and
    ', its usual bursts p < 10⁻⁴' where the brand's usual peak (alerts/detection/peaks.py)
    is 4 or more: what this window had to beat."""
    if bits < 1:
        return ""
    usual = f", its usual bursts p < {_power(usual_peak)}" if usual_peak >= 1 else ""
    return f"; p < {_power(bits)} under the usual rate{usual}"
