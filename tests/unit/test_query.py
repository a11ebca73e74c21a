"""Brand queries: the language (AND/OR/NOT, parentheses, phrases, wildcards, tags, handles,
field filters, exclusions), accent- and case-insensitivity, the index, and errors."""

from pathlib import Path

import pytest

from ingest.matcher import BrandMatcher
from schemas.brand_query import Field, QueryError, fold, parse
from schemas.config import TenantSettings


def matcher(*queries: str, exclude: tuple[str, ...] = ()) -> BrandMatcher:
    tenant = TenantSettings.model_validate({
        "id": "t", "name": "T",
        "brands": [{"id": "b", "name": "B", "exclude": list(exclude),
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
        ("airvolaris", "vol #AirVolaris ce soir", True),  # a word matches its hashtag
        ("@airvolaris", "merci @AirVolaris", True),
        ("@airvolaris", "merci #airvolaris", False),
        ("volaris remboursement", "Volaris: remboursement refusé", True),
        ("volaris AND remboursement", "Volaris, aucun souci", False),
        ("volaris remboursement OR lumen", "Lumen", True),
        ("été", "un ETE pourri", True),
        ("ete", "un Été pourri", True),
        ("strasse", "Hauptstraße", False),
        ("hauptstrasse", "HAUPTSTRASSE et Hauptstraße", True),
        ("rembours*", "toujours pas remboursée", True),
        ("rembours*", "rembou", False),
        ('"air vola*"', "air volaris", True),
        ('"air vola*"', "air france volaris", False),
        ("volaris NOT emploi", "Volaris recrute: offre d'emploi", False),
        ("volaris NOT emploi", "Volaris en retard", True),
        ("volaris -emploi", "Volaris emploi", False),
        ("volaris -(emploi OR stage)", "stage chez Volaris", False),
        ("volaris -(emploi OR stage)", "Volaris encore", True),
        ("(volaris OR lumen) (retard OR annul*)", "Lumen: livraison annulée", True),
        ("(volaris OR lumen) (retard OR annul*)", "Lumen: superbe", False),
        ("volaris OR lumen retard", "volaris", True),  # AND binds tighter than OR
        ("NOT emploi volaris", "volaris", True),
        ("air-volaris", "Air Volaris", True),
        ("air-volaris", "air, volaris", True),  # punctuation is not a word
        ("air-volaris", "volaris air", False),
        ("l'avion", "L’avion est parti", True),  # either apostrophe separates words
        ("l'avion", "l'avion", True),
    ],
)
def test_matching(query: str, text: str, expected: bool) -> None:
    assert bool(matcher(query).match(text)) is expected


@pytest.mark.parametrize(
    ("query", "lang", "source", "kind", "expected"),
    [
        ("volaris lang:fr", "fr", "news", "rss", True),
        ("volaris lang:fr", "fr-CA", "news", "rss", True),
        ("volaris lang:fr", "en", "news", "rss", False),
        ("volaris lang:fr", None, "news", "rss", False),
        ("volaris source:reddit", "fr", "r-france", "reddit", True),
        ("volaris source:r-france", "fr", "r-france", "reddit", True),
        ("volaris -source:reddit", "fr", "r-france", "reddit", False),
        ("volaris -source:reddit", "fr", "news", "rss", True),
    ],
)
def test_field_filters(
    query: str, lang: str | None, source: str, kind: str, expected: bool
) -> None:
    found = matcher(query).match("Volaris", lang=lang, source=source, source_kind=kind)
    assert bool(found) is expected


def test_match_names_tenant_brand_and_queries() -> None:
    found = matcher("volaris", "lumen", "#volaris").match("#Volaris")
    assert [(m.tenant, m.brands, m.queries) for m in found] == [("t", ("b",), ("q0", "q2"))]


def test_tenant_filter_restricts_matching() -> None:
    assert matcher("volaris").match("Volaris", tenants={"other"}) == []


def test_brand_exclusions_veto_the_brand() -> None:
    brand = matcher("volaris", exclude=('"volaris fc"', "football"))
    assert brand.match("Volaris en retard")
    assert not brand.match("Le Volaris FC gagne")
    assert not brand.match("volaris, football ce soir")


def test_only_queries_sharing_a_word_with_the_text_are_evaluated() -> None:
    many = matcher("volaris", "lumen", '"air france"', "rembours* -emploi", "#crise")
    assert many.candidates("air lumen") == [1]
    assert many.candidates("Remboursez la FRANCE") == [3]  # "air france" ruled out: no air
    assert many.candidates("#crise air france") == [2, 4]
    assert many.candidates("rien") == []


def test_non_ascii_brand_names_are_indexed_too() -> None:
    cyrillic = matcher("москва", "volaris")
    assert cyrillic.candidates("Я люблю МОСКВА") == [0]
    assert cyrillic.match("Я люблю МОСКВА")
    assert not cyrillic.match("Я люблю москвабург")
    both = matcher("volaris москва")  # a non-ASCII word that is not the anchor
    assert both.match("Volaris à МОСКВА") and not both.match("Volaris à Paris")


def test_fold_is_case_and_accent_insensitive() -> None:
    assert fold("ÉTÉ Œuvre ﬁn Ça ＡＢ") == "ete oeuvre fin ca ab"


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ('"air volaris', 0, "unclosed quote"),
        ("volaris OR", 10, "query ends without a term"),
        ("OR volaris", 0, "OR without a term"),
        ("volaris AND", 11, "AND needs a term"),
        ("volaris (lumen", 8, "unclosed parenthesis"),
        ("volaris lumen)", 13, "unexpected"),
        ("volaris ()", 8, "empty parentheses"),
        ("volaris NOT", 8, "NOT needs a term"),
        ('volaris ""', 8, "empty phrase"),
        ("volaris re*", 8, "3 letters before"),
        ("vol*aris", 0, "only at the end"),
        ("volaris pays:fr", 8, "unknown field 'pays'"),
        ("NOT volaris", 0, "looks for no word"),
        ("lang:fr", 0, "looks for no word"),
        ("volaris OR -lumen", 11, "looks for no word"),
        ("volaris OR (lang:fr -x)", 12, "looks for no word"),
        ("", 0, "empty query"),
        ("volaris #", 8, "malformed hashtag"),
        ("volaris ...", 8, "nothing to match"),
    ],
)
def test_malformed_queries_name_the_position(query: str, position: int, reason: str) -> None:
    with pytest.raises(QueryError, match=reason) as error:
        parse(query)
    assert error.value.position == position
    assert f"position {position}" in str(error.value)


def test_the_index_never_changes_a_result() -> None:
    from bench.bench_ingest_query import indexed, make_tenants, make_texts, naive

    many = BrandMatcher(make_tenants())
    texts = [*make_texts(400, seed=3), "Ça va VOLARIS0 #Volaris1 @lumen2 air-nordica3 réembours"]
    assert [indexed(many, t) for t in texts] == [naive(many, t) for t in texts]
    assert sum(bool(indexed(many, t)) for t in texts) >= 5  # the sample does match


def test_config_check_names_a_malformed_query(tmp_path: Path) -> None:
    from veille.cli import main

    path = tmp_path / "veille.yaml"
    path.write_text(
        "tenants: [{id: t, name: T, brands: [{id: b, name: B,"
        " queries: [{id: q, query: 'volaris (retard'}]}]}]\n"
    )
    assert main(["--config", str(path), "config", "check"]) == 2


def test_intent_is_a_search_field_never_a_brand_query_field() -> None:
    assert parse("intent:Service_Request", search=True) == Field("intent", "service_request", 0)
    with pytest.raises(QueryError, match=r"unknown field 'intent' \(known: lang, source\)"):
        parse("volaris intent:question")  # ingest matches before any intent exists
    with pytest.raises(QueryError, match="unknown intent 'refund'"):
        parse("intent:refund", search=True)
    with pytest.raises(QueryError, match="looks for no word"):
        parse("lang:fr")  # a brand query still needs a word; a search does not
    assert parse("lang:fr", search=True) == Field("lang", "fr", 0)
