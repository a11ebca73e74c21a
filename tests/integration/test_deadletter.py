"""Bad input goes to mentions.dlq with its reason, and never stops the stream (both brokers)."""

import pytest

from schemas.config import VeilleConfig
from schemas.deadletter import DeadLetter
from schemas.enriched import ScoredMention
from schemas.topics import Topics
from tests.helpers import mention, produce, read_topic, workers

pytestmark = pytest.mark.integration


def test_invalid_messages_are_dead_lettered_and_the_stream_goes_on(
    broker_config: VeilleConfig,
) -> None:
    config = broker_config
    topics = Topics(config.kafka.topic_prefix)
    good_before = mention("Air Volaris ouvre une ligne Nantes-Lisbonne")
    good_after = mention("Merci Air Volaris, équipage adorable")
    no_text = mention("x").model_dump(mode="json") | {"text": ""}
    bad = {
        b"\xff\xfe not utf-8 \xc3": "invalid Mention",
        b'{"truncated": ': "invalid Mention",
        str(no_text).encode(): "invalid Mention",  # Python repr, not JSON
        mention("ok").model_dump_json().replace('"text":"ok"', '"text":""').encode(): "text",
        mention("ok").model_dump_json().replace('"tenant"', '"client"').encode(): "tenant",
    }
    values = [good_before.model_dump_json().encode(), *bad, good_after.model_dump_json().encode()]
    with workers(config, "enrich"):
        produce(config, topics.raw, values, keys=["same-partition"] * len(values))
        letters = [DeadLetter.model_validate_json(v) for v in read_topic(config, topics.dlq, 5)]
        enriched = [
            ScoredMention.model_validate_json(v) for v in read_topic(config, topics.scored, 2)
        ]

    assert sorted(m.id for m in enriched) == sorted([good_before.id, good_after.id])
    assert len(letters) == len(bad)
    by_value = {letter.original_value(): letter for letter in letters}
    assert set(by_value) == set(bad)  # the original bytes, untouched
    for value, expected in bad.items():
        letter = by_value[value]
        assert letter.stage == "enrich"
        assert expected in letter.error
        assert letter.topic == topics.raw and letter.offset is not None
