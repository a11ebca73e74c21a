"""Both detection engines over the same mentions: the live AlertDetector, and the replay
engine (alerts/replay/) reading them as JSON lines of enriched mentions, as `veille alerts
replay` does. Every detector behaviour test goes through `detect`, which asserts that the two
give the same incident events, incidents included, and returns them."""

import json
from collections.abc import Sequence

from alerts.detection.detector import replay_observations
from alerts.detection.incidents import Transition
from alerts.detection.observation import Observation
from alerts.replay.batch import Brand, replay_bytes
from alerts.replay.columns import columns_of
from bench.scenarios import enriched_line
from schemas.config import DetectionSettings

ENGINES = ("live", "replay")


def enriched_lines(observations: Sequence[Observation]) -> bytes:
    """The mentions as EnrichedMention JSON lines, keeping their ids."""
    lines = (
        json.dumps({**json.loads(enriched_line(o, o.tenant)), "id": o.id}).encode()
        for o in observations
    )
    return b"\n".join(lines) + b"\n"


def run_engine(
    engine: str, observations: Sequence[Observation], rule: DetectionSettings
) -> list[Transition]:
    """One engine's incident events for time-ordered (reading-order) mentions."""
    if engine == "live":
        return replay_observations(observations, lambda t, b: rule)
    return replay_bytes(enriched_lines(observations), lambda t, b: rule, processes=1)


def events(transitions: list[Transition]) -> list[tuple[str, object, object]]:
    return [(t.event, t.at, t.incident) for t in transitions]


def detect(observations: Sequence[Observation], rule: DetectionSettings) -> list[Transition]:
    """The incident events of both engines, asserted equal (the live engine's are returned)."""
    by_engine = {engine: run_engine(engine, observations, rule) for engine in ENGINES}
    live = by_engine["live"]
    for engine, transitions in by_engine.items():
        assert events(transitions) == events(live), f"the {engine} engine disagrees"
    return live


def replay_brand(observations: Sequence[Observation], rule: DetectionSettings) -> Brand:
    """The replay engine's view of brand "b" of tenant "t" (to read the work it plans)."""
    columns = columns_of(observations)
    return Brand("t", "b", rule, columns, columns.groups[("t", "b")])
