"""`veille alerts replay`: exactly the live detector, over a file of enriched mentions.

Input: JSON lines in the schemas EnrichedMention format, sorted by `published_at`. Output:
one JSON line per incident event, sorted by event time, with at least `event`, `at` (ISO-8601
UTC), `tenant`, `brand`, `incident_id`, `severity`, `trigger`. No wall-clock value is
written, so the same input always gives the same bytes.
"""

import gc
import mmap
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec

from alerts.detection.detector import RuleFor
from alerts.detection.incidents import Transition
from alerts.replay.batch import ReplayError, replay_bytes
from alerts.replay.columns import Lines

__all__ = ["ReplayError", "encode_lines", "event_record", "replay", "replay_file"]


def replay_file(path: str, rule_for: RuleFor) -> list[Transition]:
    """`replay` over a file, mapped rather than read: nothing is copied, and the forked
    decoders read their shares' pages themselves. The file must not change meanwhile."""
    with open(path, "rb") as source:
        data: Lines = b""
        if os.fstat(source.fileno()).st_size:  # an empty file cannot be mapped
            data = mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)
    return replay(data, rule_for)  # unmapped once nothing refers to it any more


def replay(data: Lines, rule_for: RuleFor) -> list[Transition]:
    """Decode JSON lines (a bad one raises ReplayError naming it) and replay them with the
    batch engine (alerts/replay/batch.py), whose equivalence with the live monitor is tested."""
    with _collector_paused():  # millions of fresh acyclic objects: nothing to collect
        return replay_bytes(data, rule_for)


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def event_record(transition: Transition) -> dict[str, Any]:
    incident = transition.incident
    return {
        "event": transition.event,
        "at": transition.at.isoformat().replace("+00:00", "Z"),
        "tenant": incident.tenant,
        "brand": incident.brand,
        "incident_id": incident.id,
        "kind": incident.kind,
        "severity": incident.severity,
        "trigger": incident.trigger,
        "count": incident.count,
        "stories": incident.stories,
        "signal": incident.signal,
        "baseline": incident.baseline,
        "summary": incident.summary,
        "top_terms": incident.top_terms,
        "top_mentions": [m.url or m.id for m in incident.top_mentions],
    }


def encode_lines(transitions: list[Transition]) -> Iterator[bytes]:
    encoder = msgspec.json.Encoder()
    for transition in transitions:
        yield encoder.encode(event_record(transition)) + b"\n"
