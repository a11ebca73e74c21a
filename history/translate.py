"""The brand query language (schemas/brand_query) translated to an Elasticsearch query: one
translation, used by `veille search` and the HTTP API.

On the index the words are analysed with the `french` analyzer (elision, case, light stemming,
which also folds accents), so a word also finds its plural and its accented forms; the brand
matcher (ingest) matches exact folded words. Differences stated:
- `#tag` and `@handle` find the word in the text (the tokenizer drops the sign); `@handle`
  also finds the posts *by* that author (`author.handle`, case- and accent-insensitive);
- `rembours*` is a prefix of the indexed (stemmed) words; a `*` inside a quoted phrase other
  than on its last word cannot be searched: QueryError with its position;
- `lang:fr` finds `fr` and `fr-*`; `source:x` a source's id or kind, as in ingest;
- a search also knows `intent:service_request` (the indexed `intent.label`), and may be made
  of filters only (`intent:question lang:fr`): parse(query, search=True).
"""

from typing import Any

from schemas.brand_query import (
    All,
    Any_,
    Field,
    Node,
    Not,
    Phrase,
    Prefix,
    QueryError,
    Word,
    parse,
)

TEXT_FIELDS = ("text", "title")


def to_elasticsearch(query: str) -> dict[str, Any]:
    """The Elasticsearch query for a brand query; QueryError (with position) if it is invalid."""
    return _node(query, parse(query, search=True))


def _any(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return (
        clauses[0]
        if len(clauses) == 1
        else {"bool": {"should": clauses, "minimum_should_match": 1}}
    )


def _node(query: str, node: Node) -> dict[str, Any]:
    if isinstance(node, Word):
        return _word(node.word)
    if isinstance(node, Prefix):
        return _any([{"prefix": {field: node.prefix}} for field in TEXT_FIELDS])
    if isinstance(node, Phrase):
        return _phrase(query, node)
    if isinstance(node, Field):
        if node.name == "intent":
            return {"term": {"intent.label": node.value}}
        if node.name == "lang":
            return _any([{"term": {"lang": node.value}}, {"prefix": {"lang": f"{node.value}-"}}])
        return _any([{"term": {"source": node.value}}, {"term": {"source_kind": node.value}}])
    if isinstance(node, Not):
        return {"bool": {"must_not": [_node(query, node.child)]}}
    if isinstance(node, All):
        return {"bool": {"must": [_node(query, child) for child in node.children]}}
    if isinstance(node, Any_):
        return _any([_node(query, child) for child in node.children])
    raise AssertionError(f"unknown query node {node!r}")  # every Node kind is handled above


def _word(word: str) -> dict[str, Any]:
    bare = word.lstrip("#@")
    clauses = [{"match_phrase": {field: bare}} for field in TEXT_FIELDS]
    if word.startswith("@"):
        clauses.append({"term": {"author.handle": word}})
    return _any(clauses)


def _phrase(query: str, node: Phrase) -> dict[str, Any]:
    if any(part.endswith("*") for part in node.parts[:-1]):
        reason = "a '*' inside a phrase (other than on its last word) cannot be searched"
        raise QueryError(query, node.position, reason)
    text = " ".join(part.removesuffix("*") for part in node.parts)
    kind = "match_phrase_prefix" if node.parts[-1].endswith("*") else "match_phrase"
    return _any([{kind: {field: text}} for field in TEXT_FIELDS])
