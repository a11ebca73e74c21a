"""The raw topic's key: the mention id, so every observation of a mention (its engagement
updates) shares one partition, and one tenant's mentions spread over all of them."""

from datetime import timedelta
from typing import Any

from ingest.cursors import CursorStore
from ingest.delivery import MentionSink
from schemas.mention import Engagement
from schemas.topics import Topics, raw_key
from tests.helpers import mention

ANGRY = "Trois heures d'attente au téléphone chez Air Volaris, inadmissible !"


class RecordingProducer:
    """Stands in for DurableProducer: records what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None, bytes]] = []
        self.flushes = 0

    def send(self, topic: str, key: str | None, value: bytes) -> None:
        self.sent.append((topic, key, value))

    def flush(self, timeout_s: float | None = None) -> None:
        self.flushes += 1

    def close(self, timeout_s: float = 10.0) -> None:
        return


def sink(producer: Any, topics: Topics) -> MentionSink:
    return MentionSink(producer, topics, CursorStore(None), timeout_s=5)


def test_raw_key_is_the_mention_id() -> None:
    copy = mention(ANGRY)
    assert raw_key(copy) == copy.id
    other = mention(ANGRY, tenant="maison-lumen", brand="lumen")
    assert raw_key(other) == other.id != raw_key(copy)  # mention ids are scoped by tenant


def test_updates_of_a_mention_share_its_key_and_a_tenant_spreads_on_the_ingest_path() -> None:
    topics = Topics("p.")
    producer = RecordingProducer()
    copies = [mention(ANGRY + f" #{i}", minute=i) for i in range(5)]
    seen_at = copies[0].published_at + timedelta(minutes=9)
    update = copies[0].model_copy(update={"engagement": Engagement(likes=40, observed_at=seen_at)})
    other = mention("Maison Lumen ouvre à Bordeaux", tenant="maison-lumen", brand="lumen")
    sink(producer, topics).produce([*copies, update, other], [])

    assert len({m.id for m in copies}) == 5  # different mentions…
    keys = [key for topic, key, _ in producer.sent if topic == topics.raw]
    assert keys == [m.id for m in copies] + [copies[0].id, other.id]  # …each its own key
    assert producer.flushes == 1
