"""The wire contracts: strict, versioned, UTC, exportable as JSON Schema."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from schemas import JSON_SCHEMAS, DeadLetter, Mention, Topics, mention_id
from tests.helpers import mention
from veille.cli import main


def test_mention_id_is_stable_and_tenant_scoped() -> None:
    assert mention_id("a", "rss", "1") == mention_id("a", "rss", "1")
    assert mention_id("a", "rss", "1") != mention_id("b", "rss", "1")
    assert mention_id("a", "rss", "1") != mention_id("a", "reddit", "1")


def test_published_at_must_be_aware_and_is_normalised_to_utc() -> None:
    data = json.loads(mention("x").model_dump_json())
    data["published_at"] = "2026-11-21T23:30:00+01:00"
    parsed = Mention.model_validate(data)
    assert parsed.published_at.utcoffset() == timedelta(0)
    assert parsed.published_at.hour == 22
    data["published_at"] = "2026-11-21T23:30:00"
    with pytest.raises(ValidationError, match="timezone"):
        Mention.model_validate(data)


def test_unknown_fields_and_empty_text_are_rejected() -> None:
    data = json.loads(mention("x").model_dump_json())
    with pytest.raises(ValidationError, match="Extra inputs"):
        Mention.model_validate(data | {"client": "other"})
    with pytest.raises(ValidationError, match="at least 1 character"):
        Mention.model_validate(data | {"text": ""})


def test_mentions_are_immutable() -> None:
    m = mention("x")
    with pytest.raises(ValidationError):
        m.tenant = "other"  # type: ignore[misc]


def test_topic_names_and_prefix() -> None:
    assert Topics().all() == [
        "mentions.raw",
        "mentions.scored",
        "mentions.enriched",
        "mentions.dlq",
        "alerts.incidents",
        "alerts.commands",
        "ingest.health",
        "alerts.responses",
    ]
    assert Topics("acme.").raw == "acme.mentions.raw"


def test_schemas_export_writes_one_valid_json_schema_per_contract(tmp_path: Path) -> None:
    assert main(["schemas", "export", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    contracts = [f"{name}.schema.json" for name in JSON_SCHEMAS]
    assert written == sorted([*contracts, "push-api.openapi.json"])
    push_api = json.loads((tmp_path / "push-api.openapi.json").read_text())
    assert "IncomingPost" in push_api["components"]["schemas"]
    assert "/ingest/{tenant}" in push_api["paths"]
    mention_schema = json.loads((tmp_path / "mention.v1.schema.json").read_text())
    assert "published_at" in mention_schema["required"]
    assert mention_schema["additionalProperties"] is False


def test_a_dead_letter_id_depends_on_the_rejected_message_only() -> None:
    def letter(**fields: object) -> DeadLetter:
        base = {"stage": "enrich", "error": "invalid", "value_b64": "e30=",
                "failed_at": datetime.now(UTC)}  # fmt: skip
        return DeadLetter.model_validate(base | fields)

    at = {"topic": "mentions.raw", "partition": 1, "offset": 7}
    first, again = letter(**at), letter(**at, error="another reason")
    assert first.id == again.id and first.id.startswith("dl-")  # rejected again: same id
    assert letter(**at | {"offset": 8}).id != first.id
    assert letter(**at, stage="index").id != first.id
    assert letter().id == letter().id != letter(value_b64="eyJ9").id  # no position: the bytes
    assert DeadLetter.model_validate_json(first.model_dump_json()) == first  # the id travels
