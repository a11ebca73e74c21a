"""The load `bench_pipeline` sends and how it watches it arrive: one agency of thirty brands,
calm posts spread over them, a crisis of angry posts of many stories on one, sent on
`mentions.raw` at a rate; every `PROBE_EVERY`th mention a probe, looked up by id in the index
until found (raw-in → indexed)."""

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from bench.pipeline_watch import Watch
from runtime.indices import make_client, mention_index
from runtime.kafka import DurableProducer, make_producer
from schemas.config import VeilleConfig
from schemas.mention import Author, Mention, mention_id
from schemas.topics import Topics, raw_key

PROBE_EVERY = 20
PROBE_BATCH = 100
CALM = ["Vol Air Volaris correct, rien à signaler", "Merci Air Volaris, équipage adorable"]
GRIEFS = [
    "a perdu ma valise",
    "a annulé mon vol sans explication",
    "m'a facturé deux fois",
    "a surbooké le vol",
    "refuse de me rembourser",
    "a cassé la poussette",
    "m'a laissé six heures au sol",
    "a changé mon siège sans prévenir",
]
PLACES = [
    "à Orly",
    "à Nantes",
    "à Lyon",
    "à Marseille",
    "à Bordeaux",
    "à Nice",
    "à Lille",
    "à Toulouse",
    "à Roissy",
    "à Brest",
]
VERDICTS = ["inadmissible", "honteux", "scandaleux", "plus jamais", "service client injoignable",
            "aucune excuse", "je porte plainte", "on nous prend pour des idiots"]  # fmt: skip
"""The crisis: angry posts of many stories (grief × place: about 80 near-duplicate clusters),
as a real bad buzz, so the detector, which counts stories, not copies, can open an incident."""


BRANDS = ["air-volaris", *(f"marque-{n:02}" for n in range(1, 30))]
"""The tenant's brands: the steady load spreads calm posts over all of them, the crisis is
all on the first, so that brand goes from 1/30 of the steady load to the whole crisis load
(about 90× its rate), as when one brand of an agency's thirty is hit."""


def bench_tenants() -> list[dict[str, Any]]:
    """The `tenants` of the bench's config: one agency, `BRANDS`, default detection."""
    return [{"id": "agence-horizon", "name": "Agence Horizon", "brands": [
        {"id": b, "name": b, "queries": [{"id": "nom", "query": f'"{b.replace("-", " ")}"'}]}
        for b in BRANDS]}]  # fmt: skip


_TEXTS = random.Random(2026)
"""The load generator's texts (one thread sends)."""


def angry_text(rng: random.Random) -> str:
    return (f"Air Volaris {rng.choice(GRIEFS)} {rng.choice(PLACES)}, "
            f"{rng.choice(VERDICTS)}")  # fmt: skip


@dataclass
class Run:
    config: VeilleConfig
    sent: dict[str, tuple[float, str, datetime]] = field(default_factory=dict)
    """probe id → (wall time sent, phase, published_at)."""
    indexed: dict[str, float] = field(default_factory=dict)
    watch: Watch = field(default_factory=Watch)
    phase: str = "warm-up"
    done: threading.Event = field(default_factory=threading.Event)


def _mention(i: int, angry: bool, now: datetime) -> Mention:
    text = f"{angry_text(_TEXTS) if angry else _TEXTS.choice(CALM)} #{i}"
    brand = BRANDS[0] if angry else BRANDS[i % len(BRANDS)]
    return Mention(
        id=mention_id("agence-horizon", "bench", f"p{i}"), tenant="agence-horizon",
        brands=[brand], queries=["nom"], source="bench", source_kind="replay",
        native_id=f"p{i}", url=f"https://b.example/{i}", author=Author(handle=f"@u{i % 997}"),
        text=text, lang="fr", published_at=now, fetched_at=now,
    )  # fmt: skip


def load(
    run: Run, rate: float, seconds: float, phase: str, first: int, count: int | None = None
) -> int:
    """Send at `rate` mentions/s for `seconds` (or `count` mentions at once, unprobed);
    return the next index."""
    producer = DurableProducer(make_producer(run.config.kafka, "bench-pipeline"))
    topic = Topics(run.config.kafka.topic_prefix).raw
    run.phase = phase
    started, i = time.monotonic(), first
    if count is not None:
        for j in range(first, first + count):
            m = _mention(j, False, datetime.now(UTC))
            producer.send(topic, raw_key(m), m.model_dump_json().encode())
        producer.flush()
        producer.close()
        return first + count
    while (elapsed := time.monotonic() - started) < seconds:
        due = first + int(rate * elapsed)
        now = datetime.now(UTC)
        for j in range(i, due):
            m = _mention(j, phase == "crisis", now)
            producer.send(topic, raw_key(m), m.model_dump_json().encode())
            if j % PROBE_EVERY == 0:
                run.sent[m.id] = (time.time(), phase, now)
        i = due
        producer.flush()
        time.sleep(0.02)
    producer.close()
    return i


def probe(run: Run) -> None:
    """Every 250 ms, look up the `PROBE_BATCH` oldest probes not yet seen indexed. Bounded so
    that a backlog does not turn the probe itself into a load on the search engine (looking
    up every pending probe made noida-db the bottleneck of a falling-behind run); under a
    backlog a probe is found at most a few rounds late, while a pipeline keeping up has
    fewer pending than that."""
    es = make_client(run.config.elasticsearch)
    while not run.done.is_set():
        pending = list(islice((k for k in list(run.sent) if k not in run.indexed), PROBE_BATCH))
        if pending:
            docs = [{"_index": mention_index(run.config.elasticsearch, "agence-horizon",
                                             run.sent[k][2]), "_id": k}
                    for k in pending]  # fmt: skip
            found = es.mget(docs=docs, source=False)["docs"]
            now = time.time()
            for doc in found:
                if doc.get("found"):
                    run.indexed[doc["_id"]] = now - run.sent[doc["_id"]][0]
        run.done.wait(0.25)
