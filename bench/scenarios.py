"""Realistic mention streams with known crises, to measure detection (and to test it).

Per brand: a base rate that follows the day (quiet nights, busy evenings) and the week
(weekend lulls), drifts slowly over the weeks, ~15 % negative and ~25 % positive mentions,
small virality. Benign spikes: a product launch (mostly positive), a TV mention (mostly
neutral), a positive campaign. Crises of four shapes: sudden, slow-burn, weekend night, and a
single negative post going viral — with near-duplicate copies, as angry posts get copied.
Everything is drawn from one seed: the same seed gives the same stream.
"""

import hashlib
import math
import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from alerts.detection.observation import (
    AuthorPart,
    ClusterPart,
    Observation,
    SentimentPart,
    ViralityPart,
)

PARIS = ZoneInfo("Europe/Paris")
SHAPES = ("sudden", "slow_burn", "weekend_night", "viral_post")
BENIGN = ("launch", "tv", "campaign")


@dataclass(frozen=True)
class Crisis:
    brand: str
    shape: str
    onset: datetime
    end: datetime


@dataclass(frozen=True)
class BenignSpike:
    brand: str
    kind: str
    start: datetime
    end: datetime


@dataclass
class Scenario:
    start: datetime
    end: datetime
    warmup_end: datetime
    brands: list[str]
    observations: list[Observation] = field(default_factory=list)
    crises: list[Crisis] = field(default_factory=list)
    benign: list[BenignSpike] = field(default_factory=list)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:  # normal approximation keeps large means cheap
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _usual_rate(base: float, local: datetime) -> float:
    hour = local.hour
    day = 0.12 if hour < 6 else 0.6 if hour < 8 else 1.3 if 18 <= hour <= 22 else 1.0
    week = 0.6 if local.weekday() >= 5 else 1.0
    return base * day * week


class _Writer:
    def __init__(self, rng: random.Random, tenant: str) -> None:
        self.rng = rng
        self.tenant = tenant
        self.out: list[Observation] = []

    def post(self, brand: str, at: datetime, polarity: str, virality: float = -1.0,
             cluster: str | None = None, followers: int | None = None) -> str:  # fmt: skip
        rng = self.rng
        score = {"negative": -rng.uniform(0.3, 0.95), "positive": rng.uniform(0.3, 0.95),
                 "neutral": rng.uniform(-0.04, 0.04)}[polarity]  # fmt: skip
        if virality < 0:
            virality = min(75.0, rng.expovariate(1 / 8))
        ident = f"{brand}-{len(self.out):07d}"
        self.out.append(Observation(
            id=ident, tenant=self.tenant, brands=(brand,), published_at=at,
            sentiment=SentimentPart(score, polarity), virality=ViralityPart(virality),
            author=AuthorPart(followers if followers is not None else rng.randrange(10, 5000)),
            text=f"{polarity} post {ident} about {brand}", url=f"https://social.example/{ident}",
            cluster=ClusterPart(cluster) if cluster else None,
        ))  # fmt: skip
        return ident


def _mix(rng: random.Random, negative: float, positive: float) -> str:
    draw = rng.random()
    return (
        "negative" if draw < negative else "positive" if draw < negative + positive else "neutral"
    )


def generate(
    seed: int = 7,
    brands: int = 10,
    weeks: int = 6,
    warmup_weeks: int = 2,
    crises_per_brand: int = 2,
    benign_per_brand_week: float = 1.0,
    start: datetime = datetime(2026, 9, 7, tzinfo=PARIS),  # a Monday
    shapes: tuple[str, ...] = SHAPES,
    benign_kinds: tuple[str, ...] = BENIGN,
) -> Scenario:
    rng = random.Random(seed)
    start = start.astimezone(UTC)
    end = start + timedelta(weeks=weeks)
    warmup_end = start + timedelta(weeks=warmup_weeks)
    names = [f"brand-{i:02d}" for i in range(brands)]
    scenario = Scenario(start, end, warmup_end, names)
    writer = _Writer(rng, "scenario")
    for brand in names:
        base = math.exp(rng.uniform(math.log(2), math.log(30)))  # mentions/hour at noon
        drift = rng.uniform(-0.3, 0.5)
        spikes = _plan_benign(rng, brand, warmup_end, end, benign_per_brand_week, benign_kinds)
        crises = _plan_crises(rng, brand, warmup_end, end, crises_per_brand, shapes)
        scenario.benign.extend(spikes)
        scenario.crises.extend(crises)
        minute = start
        while minute < end:
            progress = (minute - start) / (end - start)
            usual = _usual_rate(base * (1 + drift * progress), minute.astimezone(PARIS)) / 60
            negative, positive, rate = 0.15, 0.25, usual
            for spike in spikes:
                if spike.start <= minute < spike.end:
                    factor, negative, positive = {
                        "launch": (6.0, 0.07, 0.6), "tv": (10.0, 0.15, 0.15),
                        "campaign": (4.0, 0.08, 0.55),
                    }[spike.kind]  # fmt: skip
                    rate = usual * factor
            for _ in range(_poisson(rng, rate)):
                at = minute + timedelta(seconds=rng.randrange(60))
                writer.post(brand, at, _mix(rng, negative, positive))
            for crisis in crises:
                if crisis.onset <= minute < crisis.end:
                    _crisis_minute(writer, crisis, minute, base)
            minute += timedelta(minutes=1)
    writer.out.sort(key=lambda o: (o.published_at, o.id))
    scenario.observations = writer.out
    return scenario


def _plan_benign(rng: random.Random, brand: str, start: datetime, end: datetime,
                 per_week: float, kinds: tuple[str, ...]) -> list[BenignSpike]:  # fmt: skip
    if not kinds:
        return []
    count = round(per_week * (end - start) / timedelta(weeks=1))
    spikes = []
    for _ in range(count):
        kind = rng.choice(kinds)
        at = start + timedelta(minutes=rng.randrange(int((end - start).total_seconds() // 60)))
        at = at.replace(hour=rng.choice([9, 11, 14, 19, 20]), minute=0, second=0)
        length = {"launch": timedelta(hours=3), "tv": timedelta(minutes=45),
                  "campaign": timedelta(hours=10)}[kind]  # fmt: skip
        spikes.append(BenignSpike(brand, kind, at, at + length))
    return spikes


def _plan_crises(rng: random.Random, brand: str, start: datetime, end: datetime, count: int,
                 shapes: tuple[str, ...]) -> list[Crisis]:  # fmt: skip
    crises: list[Crisis] = []
    span_days = (end - start).days
    for n in range(count):
        shape = shapes[(zlib.crc32(brand.encode()) + n) % len(shapes)]
        day = start + timedelta(days=1 + rng.randrange(max(1, span_days - 2)))
        if shape == "weekend_night":
            while day.astimezone(PARIS).weekday() != 5:
                day += timedelta(days=1)
            onset = day.astimezone(PARIS).replace(hour=23, minute=rng.randrange(60)).astimezone(UTC)
        else:
            onset = day.astimezone(PARIS).replace(
                hour=rng.randrange(8, 22), minute=rng.randrange(60)).astimezone(UTC)  # fmt: skip
        if onset >= end - timedelta(hours=6):
            continue
        length = {"sudden": 3, "slow_burn": 4, "weekend_night": 4, "viral_post": 2}[shape]
        if any(abs((c.onset - onset).total_seconds()) < 86400 for c in crises):
            continue
        crises.append(Crisis(brand, shape, onset, onset + timedelta(hours=length)))
    return crises


def _crisis_minute(writer: _Writer, crisis: Crisis, minute: datetime, base: float) -> None:
    """The extra negative posts of one minute of a crisis (plus copies of a few)."""
    rng = writer.rng
    elapsed = (minute - crisis.onset).total_seconds() / 60
    if crisis.shape == "viral_post":
        if elapsed == 0:
            writer.post(crisis.brand, minute, "negative", virality=92.0,
                        cluster=f"viral-{crisis.brand}", followers=40_000)  # fmt: skip
        per_hour = 4.0
    elif crisis.shape == "slow_burn":
        per_hour = (max(20.0, 6 * base)) * min(1.0, elapsed / 180)
    else:  # sudden, weekend_night
        per_hour = max(20.0, 6 * base) * min(1.0, 0.5 + elapsed / 30)
    for _ in range(_poisson(rng, per_hour / 60)):
        at = minute + timedelta(seconds=rng.randrange(60))
        copy = rng.random() < 0.3
        cluster = f"copy-{crisis.brand}-{int(elapsed) // 20}" if copy else None
        writer.post(crisis.brand, at, "negative", cluster=cluster)


@dataclass(frozen=True)
class Report:
    crises: int
    detected: int
    delays_min: list[float]
    false_pages: int
    brand_weeks: float
    missed: list[Crisis]

    @property
    def recall(self) -> float:
        return self.detected / self.crises if self.crises else 1.0

    @property
    def false_pages_per_brand_week(self) -> float:
        return self.false_pages / self.brand_weeks if self.brand_weeks else 0.0

    def percentile(self, q: float) -> float:
        if not self.delays_min:
            return float("nan")
        ordered = sorted(self.delays_min)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def evaluate(scenario: Scenario, opened: list[tuple[str, datetime]],
             catch_within: timedelta = timedelta(hours=3)) -> Report:  # fmt: skip
    """`opened`: (brand, event time) of every crisis page. After the warm-up weeks only."""
    delays: list[float] = []
    missed: list[Crisis] = []
    explained: set[int] = set()
    crises = [c for c in scenario.crises if c.onset >= scenario.warmup_end]
    for crisis in crises:
        hits = [
            i
            for i, (brand, at) in enumerate(opened)
            if brand == crisis.brand and crisis.onset <= at <= crisis.onset + catch_within
        ]
        if hits:
            delays.append((opened[hits[0]][1] - crisis.onset).total_seconds() / 60)
        else:
            missed.append(crisis)
        explained.update(
            i
            for i, (brand, at) in enumerate(opened)
            if brand == crisis.brand and crisis.onset <= at <= crisis.end
        )
    false_pages = sum(1 for i, (_, at) in enumerate(opened)
                      if i not in explained and at >= scenario.warmup_end)  # fmt: skip
    weeks = (scenario.end - scenario.warmup_end) / timedelta(weeks=1)
    return Report(len(crises), len(crises) - len(missed), delays, false_pages,
                  weeks * len(scenario.brands), missed)  # fmt: skip


def enriched_line(o: Observation, tenant: str = "scenario") -> bytes:
    """An observation as one JSON line in the schemas EnrichedMention format."""
    at = o.published_at.isoformat().replace("+00:00", "Z")
    record = {
        "schema_version": 1,
        "id": hashlib.sha256(o.id.encode()).hexdigest()[:32],
        "tenant": tenant,
        "brands": list(o.brands),
        "queries": ["q"],
        "source": "scenario",
        "source_kind": "replay",
        "native_id": o.id,
        "url": o.url,
        "author": {"handle": None, "name": None, "followers": o.author.followers},
        "title": None,
        "text": o.text,
        "lang": "fr",
        "published_at": at,
        "published_at_known": o.published_at_known,
        "fetched_at": at,
        "engagement": None,
        "sentiment": {
            "label": o.sentiment.label,
            "probabilities": {"negative": 0.0, "neutral": 1.0, "positive": 0.0},
            "score": o.sentiment.score,
            "model": "scenario",
            "model_version": "1",
        },
        "virality": {"score": o.virality.score, "components": {}},
        "language": "fr",
        "enriched_at": at,
        "cluster": {"id": o.cluster.id, "size": 1} if o.cluster is not None else None,
        "intent": None if o.intent is None else {
            "label": o.intent.label, "probabilities": {o.intent.label: 1.0},
            "model": "scenario", "model_version": "1",
        },
    }  # fmt: skip
    return _ENCODER.encode(record)


_ENCODER = msgspec.json.Encoder()
