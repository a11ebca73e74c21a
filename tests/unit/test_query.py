"""Brand queries: case- and accent-insensitive words, phrases, hashtags, AND, errors."""

import pytest

from ingest.query import BrandMatcher, QueryError, parse
from schemas.config import Tenant


def matcher(*queries: str) -> BrandMatcher:
    tenant = Tenant.model_validate({
        "id": "t", "name": "T",
        "brands": [{"id": "b", "name": "B",
                    "queries": [{"id": f"q{i}", "query": q} for i, q in enumerate(queries)]}],
    })  # fmt: skip
    return BrandMatcher([tenant])


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ('"air volaris"', "J'adore AIR VOLÂRIS !", True),
        ('"air volaris"', "air et volaris", False),
        ("volaris", "Volaris.", True),
        ("volaris", "volarisme", False),  # whole words only
        ("#airvolaris", "vol #AirVolaris ce soir", True),
        ("#airvolaris", "airvolaris sans dièse", False),
        ("@airvolaris", "merci @AirVolaris", True),
        ("volaris remboursement", "Volaris: remboursement refusé", True),
        ("volaris AND remboursement", "Volaris, aucun souci", False),
        ("volaris remboursement OR lumen", "Lumen", True),
        ("été", "un ETE pourri", True),
    ],
)
def test_matching(query: str, text: str, expected: bool) -> None:
    assert bool(matcher(query).match(text)) is expected


def test_match_names_tenant_brand_and_queries() -> None:
    found = matcher("volaris", "lumen").match("Volaris")
    assert [(m.tenant, m.brands, m.queries) for m in found] == [("t", ("b",), ("q0",))]


def test_tenant_filter_restricts_matching() -> None:
    assert matcher("volaris").match("Volaris", tenants={"other"}) == []


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ('"air volaris', 0, "unclosed quote"),
        ("volaris OR", 10, "query ends without a term"),
        ("OR volaris", 0, "OR without a term"),
        ("volaris (lumen)", 8, "parentheses"),
        ("volaris NOT lumen", 8, "NOT"),
        ('volaris ""', 8, "empty phrase"),
    ],
)
def test_malformed_queries_name_the_position(query: str, position: int, reason: str) -> None:
    with pytest.raises(QueryError, match=reason) as error:
        parse(query)
    assert error.value.position == position
    assert f"position {position}" in str(error.value)
