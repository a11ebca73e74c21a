"""Index names, patterns and mappings: the naming contract and full schema coverage."""

import types
import typing
from datetime import UTC, datetime
from fnmatch import fnmatch
from typing import Any, Literal, get_args, get_origin

import pytest
from pydantic import BaseModel

from enrich.virality import virality
from runtime.indices import (
    incident_index,
    mention_index,
    mentions_alias,
    tenant_pattern,
)
from runtime.indices.names import parse_monthly
from runtime.indices.templates import index_template, mapping_version, mappings
from schemas.config import ElasticsearchSettings
from schemas.enriched import EnrichedMention
from schemas.incident import Incident
from schemas.reply_record import FirstReply, OverdueNotice, WeekReplyTimes
from tests.helpers import mention

ES = ElasticsearchSettings(index_prefix="veille-")
NOV = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)


def test_concrete_index_is_the_month_of_the_document() -> None:
    name = mention_index(ES, "agence-horizon", NOV)
    assert name == f"veille-mentions-agence-horizon.v{mapping_version('mentions')}-2026.11.01"
    assert mention_index(ES, "agence-horizon", NOV.replace(month=12, day=1, hour=0)) != name
    assert incident_index(ES, "agence-horizon", NOV).startswith("veille-incidents-agence-horizon.")
    parsed = parse_monthly(ES, "mentions", "agence-horizon", name)
    assert parsed is not None and (parsed.month.year, parsed.month.month) == (2026, 11)


def test_name_matches_ilm_parse_origination_date() -> None:
    import re  # the pattern of Elasticsearch's IndexLifecycleOriginationDateParser

    assert re.match(r"^.*-(\d{4}.\d{2}.\d{2})(-[\d]+)?$", mention_index(ES, "t", NOV))


@pytest.mark.parametrize(
    ("one", "other"),
    [("agence", "agence-horizon"), ("a", "a_b"), ("x-1", "x-10"), ("agence-horizon", "agence")],
)
def test_no_tenant_pattern_reaches_another_tenant(one: str, other: str) -> None:
    pattern = tenant_pattern(ES, "mentions", one)
    assert fnmatch(mention_index(ES, one, NOV), pattern)
    assert fnmatch(mentions_alias(ES, one), pattern)
    assert not fnmatch(mention_index(ES, other, NOV), pattern)
    assert not fnmatch(mentions_alias(ES, other), pattern)
    assert parse_monthly(ES, "mentions", one, mention_index(ES, other, NOV)) is None


def test_read_alias_is_no_concrete_index_name() -> None:
    assert parse_monthly(ES, "mentions", "t", mentions_alias(ES, "t")) is None


def test_tenant_template_carries_its_alias_above_builtin_priority() -> None:
    body = index_template(ES, "mentions", "agence-horizon")
    assert body["index_patterns"] == ["veille-mentions-agence-horizon.*"]
    assert list(body["template"]["aliases"]) == ["veille-mentions-agence-horizon.all"]
    assert body["priority"] > 100


def _leaves(model: type[BaseModel], prefix: str = "") -> dict[str, Any]:
    """Every field path of a model, recursively, with its (unwrapped) annotation."""
    found: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        found |= _walk(field.annotation, f"{prefix}{name}")
    return found


def _walk(annotation: Any, path: str) -> dict[str, Any]:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        out: dict[str, Any] = {}
        for arg in get_args(annotation):
            if arg is not type(None):
                out |= _walk(arg, path)
        return out
    if origin is list:
        return _walk(get_args(annotation)[0], path)
    if origin is typing.Annotated:
        return _walk(get_args(annotation)[0], path)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _leaves(annotation, f"{path}.")
    if origin is dict:
        keys, values = get_args(annotation)
        if get_origin(keys) is Literal:
            return {f"{path}.{key}": values for key in get_args(keys)}
        return {f"{path}.*": values}
    return {path: annotation}


def _mapped(properties: dict[str, Any], path: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = {"properties": properties}
    for part in path.split("."):
        node = (node or {}).get("properties", {}).get(part)
        if node is None:
            return None
    return node


@pytest.mark.parametrize(("family", "model"), [
    ("mentions", EnrichedMention), ("incidents", Incident), ("responses", FirstReply),
    ("responses", WeekReplyTimes), ("responses", OverdueNotice),
])  # fmt: skip
def test_every_schema_field_is_mapped(family: Literal["mentions", "incidents", "responses"],
                                      model: type[BaseModel]) -> None:  # fmt: skip
    body = mappings(family)
    assert body["dynamic"] == "strict"
    missing = []
    for path in _leaves(model):
        if path.endswith(".*"):  # free keys: those the code writes (checked below)
            assert _mapped(body["properties"], path[:-2]) is not None, path
            continue
        if _mapped(body["properties"], path) is None:
            missing.append(path)
    assert missing == []


def test_every_virality_component_the_code_writes_is_mapped() -> None:
    components = virality(mention("Air Volaris"), velocity=2.0, cluster_growth=3).components
    for name in components:
        assert _mapped(mappings("mentions")["properties"], f"virality.components.{name}"), name


def test_text_is_french_with_keyword_subfield_and_handles_folded() -> None:
    props = mappings("mentions")["properties"]
    assert props["text"]["analyzer"] == "french" and props["text"]["fields"]["raw"]["type"] == (
        "keyword"
    )
    assert props["author"]["properties"]["handle"]["normalizer"] == "folded"
    assert props["engagement"]["properties"]["likes"]["type"] == "long"
