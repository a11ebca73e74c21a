"""What the worker loop tells about an invalid message."""

from kafka.consumer.fetcher import ConsumerRecord

from runtime.stream import decode
from schemas.mention import Mention
from tests.helpers import mention


def record(value: bytes | None) -> ConsumerRecord:
    return ConsumerRecord(
        topic="t", partition=0, leader_epoch=-1, offset=7, timestamp=0, timestamp_type=0,
        key=None, value=value, headers=[], checksum=None, serialized_key_size=-1,
        serialized_value_size=-1, serialized_header_size=-1,
    )  # fmt: skip


def test_valid_message_decodes() -> None:
    m = mention("Air Volaris")
    assert decode(record(m.model_dump_json().encode()), Mention) == m


def test_reasons_name_what_is_wrong() -> None:
    assert decode(record(None), Mention) == "empty message (tombstone)"
    assert "Invalid JSON" in str(decode(record(b"\xff{"), Mention))
    broken = mention("x").model_dump_json().replace('"text":"x"', '"text":""').encode()
    reason = decode(record(broken), Mention)
    assert isinstance(reason, str) and reason.startswith("invalid Mention: text:")
