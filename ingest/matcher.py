"""BrandMatcher: every tenant's brand queries, compiled once, matched through an anchor index.

Every query names anchors (words or prefixes, one of which must be in a text for it to
match; see schemas.brand_query). One Aho–Corasick automaton holds them all: a single C pass over
the text's ASCII skeleton (casefold, NFKD, non-ASCII dropped: about a microsecond) finds the
queries sharing an anchor with the text (each query is indexed under its rarest keys: those
fewest queries name); of those, a query that the keys present rule out (an AND-ed word or a
phrase word missing) is dropped at once. Only the rest are evaluated, on the fully folded and
tokenised text; most texts name no brand and cost one pass. Anchors with non-ASCII letters
(Cyrillic, CJK brand names) go to a second automaton run on the fully folded text, only
when there are any. A substring hit is only a candidate: the query itself checks words.

A brand's `exclude` queries veto that brand for a text they match (homonyms, job ads).
"""

from collections import Counter
from dataclasses import dataclass

import ahocorasick

from schemas.brand_query import CompiledQuery, Text, ascii_skeleton, compile_query, fold
from schemas.config import TenantSettings


@dataclass(frozen=True)
class Match:
    tenant: str
    brands: tuple[str, ...]
    queries: tuple[str, ...]


def _automaton(anchors: dict[str, list[int]]) -> "ahocorasick.Automaton | None":
    if not anchors:
        return None
    automaton = ahocorasick.Automaton()
    for key, indexes in anchors.items():
        automaton.add_word(key, (key, tuple(indexes)))
    automaton.make_automaton()
    return automaton


class BrandMatcher:
    """`match(text, …)` gives one Match per tenant whose queries the text satisfies."""

    def __init__(self, tenants: list[TenantSettings]) -> None:
        self.queries: list[CompiledQuery] = []
        self._exclusions: dict[tuple[str, str], list[CompiledQuery]] = {}
        for tenant in tenants:
            for brand in tenant.brands:
                self.queries.extend(
                    compile_query(tenant.id, brand.id, q.id, q.query) for q in brand.queries
                )
                self._exclusions[(tenant.id, brand.id)] = [
                    compile_query(tenant.id, brand.id, f"exclude-{i}", q)
                    for i, q in enumerate(brand.exclude)
                ]
        mentions = Counter(key for query in self.queries for key in query.node.terms())
        anchors: dict[str, list[int]] = {}
        terms: dict[str, list[int]] = {}
        for index, query in enumerate(self.queries):
            for key in query.node.terms():  # looked for, so that possible() can rule out
                terms.setdefault(key, [])
            for key in query.anchors(mentions.__getitem__):  # the rarest keys: indexed
                anchors.setdefault(key, []).append(index)
        ascii_only = {k: v for k, v in anchors.items() if k.isascii()}
        self._ascii_anchors = _automaton(ascii_only)
        self._other_anchors = _automaton({k: v for k, v in anchors.items() if k not in ascii_only})
        self._ascii_terms = _automaton({k: [] for k in terms if k.isascii()})
        self._other_terms = _automaton({k: [] for k in terms if not k.isascii()})

    def candidates(self, text: str) -> list[int]:
        """Indexes of the queries sharing an anchor with the text and not ruled out by the
        keys it lacks, in configuration order. Most texts stop after the first pass."""
        skeleton = ascii_skeleton(text)
        folded = None if text.isascii() else ""  # fold(text), computed only if needed
        found: set[int] = set()
        if self._ascii_anchors is not None:
            for _end, (_key, indexes) in self._ascii_anchors.iter(skeleton):
                found.update(indexes)
        if self._other_anchors is not None and folded is not None:
            folded = fold(text)
            for _end, (_key, indexes) in self._other_anchors.iter(folded):
                found.update(indexes)
        if not found:
            return []
        present: set[str] = set()
        if self._ascii_terms is not None:
            present.update(key for _end, (key, _none) in self._ascii_terms.iter(skeleton))
        if self._other_terms is not None and folded is not None:
            folded = folded or fold(text)
            present.update(key for _end, (key, _none) in self._other_terms.iter(folded))
        queries = self.queries
        return sorted(i for i in found if queries[i].possible(present))

    def match(
        self,
        text: str,
        tenants: set[str] | None = None,
        *,
        lang: str | None = None,
        source: str | None = None,
        source_kind: str | None = None,
    ) -> list[Match]:
        """Matches of `text` (an item's title and body) for `tenants` (None: all of them);
        `lang`, `source` and `source_kind` feed the `lang:` and `source:` filters."""
        candidates = self.candidates(text)
        if not candidates:
            return []
        sources = frozenset(s.casefold() for s in (source, source_kind) if s)
        folded = Text(text, lang, sources)
        found: dict[str, tuple[list[str], list[str]]] = {}
        for index in candidates:
            query = self.queries[index]
            if tenants is not None and query.tenant not in tenants:
                continue
            if query.matches(folded) and not self._excluded(query, folded):
                brands, ids = found.setdefault(query.tenant, ([], []))
                if query.brand not in brands:
                    brands.append(query.brand)
                ids.append(query.query_id)
        return [Match(t, tuple(b), tuple(q)) for t, (b, q) in found.items()]

    def _excluded(self, query: CompiledQuery, text: Text) -> bool:
        return any(x.matches(text) for x in self._exclusions[(query.tenant, query.brand)])
