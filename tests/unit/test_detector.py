"""NegativeBurstDetector: pure logic on event time, no clock, no I/O."""

from datetime import timedelta

from alerts.detector import NegativeBurstDetector, Transition
from schemas.config import NegativeBurstRule
from schemas.enriched import EnrichedMention
from tests.helpers import enriched, mention

RULE = NegativeBurstRule(
    window_minutes=30, min_negative=5, escalate_factor=2.0, resolve_after_quiet_minutes=60
)


def detector(rule: NegativeBurstRule = RULE) -> NegativeBurstDetector:
    return NegativeBurstDetector(lambda tenant, brand: rule)


def negatives(minutes: list[float]) -> list[EnrichedMention]:
    return [enriched(mention(f"négatif {i}", minute=m), score=-0.6) for i, m in enumerate(minutes)]


def feed(d: NegativeBurstDetector, mentions: list[EnrichedMention]) -> list[Transition]:
    return [t for m in mentions for t in d.observe(m)]


def test_five_negatives_within_the_window_open_one_incident() -> None:
    burst = negatives([0, 5, 10, 15, 20, 25])
    transitions = feed(detector(), burst)
    assert [t.event for t in transitions] == ["opened"]
    opened = transitions[0]
    assert opened.at == burst[4].published_at  # event time, not wall-clock
    assert opened.incident.negative_count == 5
    assert opened.incident.severity == "warning"
    assert opened.incident.summary.startswith("5 negative mentions of air-volaris in 30 min")


def test_the_same_count_spread_over_hours_does_not_page() -> None:
    assert feed(detector(), negatives([0, 40, 80, 120, 160, 200])) == []


def test_positive_and_neutral_mentions_do_not_count() -> None:
    calm = [enriched(mention(f"super {i}", minute=i), score=0.7) for i in range(20)]
    assert feed(detector(), calm) == []


def test_a_redelivered_mention_is_counted_once() -> None:
    burst = negatives([0, 1, 2, 3])
    assert feed(detector(), burst + burst + burst) == []


def test_escalates_as_the_rate_keeps_growing_then_resolves_when_quiet() -> None:
    d = detector()
    wave = negatives([i * 0.5 for i in range(25)])  # 25 negatives in 12 minutes
    events = feed(d, wave)
    assert [(t.event, t.incident.severity) for t in events] == [
        ("opened", "warning"),
        ("escalated", "major"),  # 10 = 5 × 2
        ("escalated", "critical"),  # 20 = 5 × 2²
    ]
    assert len({t.incident.id for t in events}) == 1  # one incident per episode
    later = enriched(mention("rien à signaler", minute=12 + 61), score=0.2)
    resolved = d.observe(later)
    assert [t.event for t in resolved] == ["resolved"]
    assert resolved[0].incident.status == "resolved"
    assert resolved[0].at == wave[-1].published_at + timedelta(minutes=60)
    assert d.open_incidents() == []


def test_same_input_same_incidents() -> None:
    wave = negatives([i * 0.5 for i in range(25)])
    first = [(t.event, t.at, t.incident.id) for t in feed(detector(), wave)]
    second = [(t.event, t.at, t.incident.id) for t in feed(detector(), wave)]
    assert first == second


def test_brands_are_independent() -> None:
    d = detector()
    other = [enriched(mention(f"n {i}", minute=i, brand="lumen", tenant="maison-lumen"), -0.6)
             for i in range(4)]  # fmt: skip
    assert feed(d, negatives([0, 1, 2]) + other) == []


def test_top_mentions_are_the_most_viral() -> None:
    burst = negatives([0, 1, 2, 3, 4])
    viral = burst[2].model_copy(update={"virality": burst[2].virality.model_copy(
        update={"score": 90.0})})  # fmt: skip
    burst[2] = viral
    opened = feed(detector(), burst)[0]
    assert opened.incident.top_mentions[0].id == viral.id
    assert len(opened.incident.top_mentions) == 3
