"""Properties of the brand query language (schemas/brand_query/), checked with hypothesis:
parse raises nothing but QueryError (with a position inside the query); a query printed back
from its tree reparses to the same tree; matching is case- and accent-insensitive as
documented; the matcher's index never loses a match a query makes on its own. Example counts
come from the hypothesis profile (tests/conftest.py: `suite` in `make test`, `faults` in
`make faults`)."""

import unicodedata

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from ingest.matcher import BrandMatcher
from schemas.brand_query.nodes import All, Any_, Field, Node, Not, Phrase, Prefix, Word
from schemas.brand_query.parser import (
    MAX_DEPTH,
    MIN_PREFIX,
    QueryError,
    Text,
    ascii_skeleton,
    fold,
    parse,
    tokens,
)
from schemas.config import TenantSettings

pytestmark = pytest.mark.fuzz

LETTERS = "abcdefghijklmnopqrstuvwxyz"
ACCENTS = ["\u0301", "\u0300", "\u0302", "\u0308", "\u0327", "\u030a"]  # é è ê ë ç å
words = st.text(LETTERS, min_size=1, max_size=8).filter(
    lambda w: w.upper() not in ("AND", "OR", "NOT")  # operators once upper-cased
)


def render(node: Node) -> str:
    """Query text for a tree, every group parenthesised (printing is a test tool only)."""
    match node:
        case Prefix(prefix=prefix):
            return f"{prefix}*"
        case Word(word=word):
            return word
        case Phrase(parts=parts):
            return '"' + " ".join(parts) + '"'
        case Field(name=name, value=value):
            return f"{name}:{value}"
        case Not(child=child):
            return f"NOT ({render(child)})"
        case All(children=children):
            return "(" + " AND ".join(map(render, children)) + ")"
        case Any_(children=children):
            return "(" + " OR ".join(map(render, children)) + ")"
    raise AssertionError(node)


def shape(node: Node) -> object:
    """The tree without positions: what a query means."""
    match node:
        case Not(child=child):
            return ("not", shape(child))
        case All(children=children) | Any_(children=children):
            return (type(node).__name__, tuple(map(shape, children)))
        case Field(name=name, value=value):
            return ("field", name, value)
        case Word(word=word):
            return ("word", word)
        case Prefix(prefix=prefix):
            return ("prefix", prefix)
        case Phrase(parts=parts):
            return ("phrase", parts)
    raise AssertionError(node)


def _accented(word: str, marks: list[str]) -> str:
    composed = "".join(c + (marks[i % len(marks)] if marks else "") for i, c in enumerate(word))
    return unicodedata.normalize("NFC", composed)


@st.composite
def terms(draw: st.DrawFn) -> str:
    word = draw(words)
    kind = draw(st.sampled_from(["word", "prefix", "phrase", "tag", "handle", "hyphen"]))
    if kind == "prefix":
        return draw(st.text(LETTERS, min_size=MIN_PREFIX, max_size=8)) + "*"
    if kind == "phrase":
        return '"' + " ".join(draw(st.lists(words, min_size=1, max_size=3))) + '"'
    if kind in ("tag", "handle"):
        return ("#" if kind == "tag" else "@") + word
    if kind == "hyphen":
        return f"{word}-{draw(words)}"
    return word


queries = st.recursive(
    terms(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" ", " AND "]), inner).map("".join),
        st.tuples(inner, inner).map(" OR ".join),
        inner.map(lambda q: f"({q})"),
        inner.map(lambda q: f"{q} -{q}"),
        inner.map(lambda q: f"{q} NOT ({q})"),
        inner.map(lambda q: f"{q} lang:fr"),
    ),
    max_leaves=12,
)
query_chars = st.text(st.sampled_from(list('()"-*#@: \tabcAND OR NOT lang:source:é\u202e\x00')))


@given(st.one_of(st.text(), query_chars, queries))
def test_parse_raises_only_query_error_with_a_position_inside(query: str) -> None:
    try:
        parse(query)
    except QueryError as error:
        assert 0 <= error.position <= len(query)
        assert error.query == query and error.reason


@example(5000, "(")  # the failure found: RecursionError
@given(st.integers(1, 20_000), st.sampled_from(["(", "NOT ", "-", "NOT (", "-("]))
def test_deep_nesting_is_a_query_error_not_a_crash(depth: int, opener: str) -> None:
    """Found by the first property: 5,000 parentheses were a RecursionError."""
    closer = ")" * opener.count("(")
    query = "volaris " + opener * depth + "x" + closer * depth
    levels = depth * len(opener.replace(" ", "").replace("NOT", "-"))
    if levels <= MAX_DEPTH:
        parse(query)
        return
    with pytest.raises(QueryError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse(query)


@given(queries)
def test_a_printed_query_reparses_to_the_same_meaning(query: str) -> None:
    try:
        node = parse(query)
    except QueryError:
        assume(False)
        raise
    printed = render(node)
    again = parse(printed)
    assert shape(again) == shape(node), printed
    assert render(again) == printed


@given(words, st.lists(st.sampled_from(ACCENTS), max_size=3), st.text(LETTERS + " ,.!'"))
def test_matching_ignores_case_and_accents_on_both_sides(
    word: str, marks: list[str], context: str
) -> None:
    variant = _accented(word, marks)
    for query in (word, variant.upper(), f'"{word} {word}"'):
        node = parse(query)
        for text in (f"{context} {variant} {variant} {context}", f"{word.upper()} {word}"):
            assert node(Text(text)) and node(Text(text.upper())) and node(Text(text.lower()))
            assert node(Text(text.swapcase())), (query, text)


@example("ℌ")  # the failure found: NFKD gave a capital, fold('ℌ') was 'H'
@given(st.text())
def test_fold_is_idempotent_and_lower_case(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert folded.casefold() == folded
    assert tokens(folded) == tokens(text)


@given(st.text())
def test_every_ascii_word_of_the_folded_text_is_in_its_skeleton(text: str) -> None:
    skeleton = ascii_skeleton(text)
    for word in Text(text).vocabulary:
        if word.isascii():
            assert word.lstrip("#@") in skeleton


def _matcher(queries_: list[str]) -> BrandMatcher:
    tenant = TenantSettings.model_validate({
        "id": "t", "name": "T",
        "brands": [{"id": "b", "name": "B",
                    "queries": [{"id": f"q{i}", "query": q} for i, q in enumerate(queries_)]}],
    })  # fmt: skip
    return BrandMatcher([tenant])


texts = st.lists(
    st.one_of(words, words.map(str.upper), words.map(lambda w: "#" + w), st.text(max_size=5)),
    max_size=12,
).map(" ".join)


@given(st.lists(queries, min_size=1, max_size=5), texts, st.sampled_from([None, "fr", "en"]))
def test_the_index_never_loses_a_match_a_query_makes_alone(
    queries_: list[str], text: str, lang: str | None
) -> None:
    try:
        matcher = _matcher(queries_)
    except ValueError:  # a generated query the language refuses (QueryError in settings)
        assume(False)
        raise
    folded = Text(text, lang)
    alone = [q.query_id for q in matcher.queries if q.matches(folded)]
    found = matcher.match(text, lang=lang)
    assert [list(m.queries) for m in found] == ([alone] if alone else [])


def test_a_letter_decomposing_to_a_capital_matches_case_insensitively() -> None:
    """Regression (found by the fold property): 'ℌ' and '🄰' fold to capitals under NFKD, so
    `hello` did not match 'ℌello', and the index (the skeleton) missed it too."""
    assert fold("ℌello 🄰") == "hello a"
    assert [m.queries for m in _matcher(["hello"]).match("ℌELLO")] == [("q0",)]
