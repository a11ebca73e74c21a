"""Brand queries, first version: OR of AND-groups of terms and "quoted phrases".

    "air volaris" OR @airvolaris OR #airvolaris OR volaris remboursement

Adjacent terms are ANDed (`volaris remboursement` needs both words); `AND` may be written.
Matching is case- and accent-insensitive (é = e) on whole words; `#tag` and `@handle` match
the tag or handle as written. A malformed query raises QueryError naming the position.
Compiled once per configuration.
"""

import re
import unicodedata
from dataclasses import dataclass

from schemas.config import Tenant

_TOKEN = re.compile(r"[#@]?\w+", re.UNICODE)
_QUERY_PART = re.compile(r'\s*(?:(")|(\()|(\))|(\S+))')


class QueryError(ValueError):
    def __init__(self, query: str, position: int, reason: str) -> None:
        super().__init__(f"{reason} at position {position} in query {query!r}")
        self.position = position


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Été' → 'ete'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


Phrase = tuple[str, ...]


@dataclass(frozen=True)
class CompiledQuery:
    tenant: str
    brand: str
    query_id: str
    groups: tuple[tuple[Phrase, ...], ...]  # OR of groups; a group is an AND of phrases

    def matches(self, words: list[str], vocabulary: set[str]) -> bool:
        return any(all(_contains(words, vocabulary, p) for p in g) for g in self.groups)


def _contains(words: list[str], vocabulary: set[str], phrase: Phrase) -> bool:
    if len(phrase) == 1:
        return phrase[0] in vocabulary
    if not all(word in vocabulary for word in phrase):
        return False
    n = len(phrase)
    return any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1))


def parse(query: str) -> tuple[tuple[Phrase, ...], ...]:
    groups: list[tuple[Phrase, ...]] = []
    current: list[Phrase] = []
    position = 0
    while position < len(query):
        match = _QUERY_PART.match(query, position)
        if match is None:  # only trailing whitespace is left
            break
        start = match.start(match.lastindex or 0)
        if match.group(1):
            end = query.find('"', match.end())
            if end < 0:
                raise QueryError(query, start, "unclosed quote")
            phrase = tuple(tokens(query[match.end() : end]))
            if not phrase:
                raise QueryError(query, start, "empty phrase")
            current.append(phrase)
            position = end + 1
            continue
        if match.group(2) or match.group(3):
            raise QueryError(query, start, "parentheses are not supported yet")
        word = match.group(4)
        position = match.end()
        if word == "OR":
            if not current:
                raise QueryError(query, start, "OR without a term before it")
            groups.append(tuple(current))
            current = []
        elif word == "AND":
            if not current:
                raise QueryError(query, start, "AND without a term before it")
        elif word == "NOT" or word.startswith("-"):
            raise QueryError(query, start, "NOT is not supported yet")
        else:
            parts = tuple(tokens(word))
            if not parts:
                raise QueryError(query, start, f"nothing to match in {word!r}")
            current.append(parts)
    if not current:
        raise QueryError(query, len(query), "query ends without a term")
    groups.append(tuple(current))
    return tuple(groups)


@dataclass(frozen=True)
class Match:
    tenant: str
    brands: tuple[str, ...]
    queries: tuple[str, ...]


class BrandMatcher:
    """Every tenant's brand queries, compiled; `match(text)` gives one Match per tenant."""

    def __init__(self, tenants: list[Tenant]) -> None:
        self._queries = [
            CompiledQuery(tenant.id, brand.id, q.id, parse(q.query))
            for tenant in tenants
            for brand in tenant.brands
            for q in brand.queries
        ]

    def match(self, text: str, tenants: set[str] | None = None) -> list[Match]:
        words = tokens(text)
        vocabulary = set(words)
        found: dict[str, tuple[list[str], list[str]]] = {}
        for query in self._queries:
            if tenants is not None and query.tenant not in tenants:
                continue
            if query.matches(words, vocabulary):
                brands, ids = found.setdefault(query.tenant, ([], []))
                if query.brand not in brands:
                    brands.append(query.brand)
                ids.append(query.query_id)
        return [Match(t, tuple(b), tuple(q)) for t, (b, q) in found.items()]
