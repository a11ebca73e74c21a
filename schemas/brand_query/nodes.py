"""Folded text and the nodes of a compiled brand query (the language: parser.py).

`fold` is the one normalisation both sides go through (case, accents, compatibility
forms); `Text` is a text folded and tokenised once; each node evaluates itself on a Text,
names the keys it looks for (`terms`), the keys one of which a text must contain for it to
match (`anchors`, used by the matcher's index), and whether a set of keys found in a text
leaves it possible at all (`possible`).
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

FIELDS = frozenset({"lang", "source"})
SEARCH_FIELDS = FIELDS | {"intent"}
"""Fields of a search of the index only: `intent:` is known once a mention is enriched, never
when ingest matches a post."""
MIN_PREFIX = 3
_TOKEN = re.compile(r"[#@]?\w+")


_SPECIAL_LETTERS = {"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ŧ": "t"}
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def _unspecial(folded: str) -> str:
    for letter, ascii_ in _SPECIAL_LETTERS.items():
        if letter in folded:
            folded = folded.replace(letter, ascii_)
    return folded


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Été' → 'ete', 'Straße' → 'strasse', 'Œuvre' → 'oeuvre'.
    Compatibility forms are unified too (NFKD: 'ﬁ' → 'fi', fullwidth → ASCII), and
    lower-cased again after: some decompose to capitals ('ℌ' → 'H', '🄰' → 'A')."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return _COMBINING.sub("", _decomposed(folded))


def _decomposed(casefolded: str) -> str:
    return unicodedata.normalize("NFKD", _unspecial(casefolded)).casefold()


def ascii_skeleton(text: str) -> str:
    """The ASCII characters of fold(text), in order, others dropped: cheap to compute, and
    every ASCII word of fold(text) is a substring of it (used to pre-filter texts)."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return _decomposed(folded).encode("ascii", "ignore").decode("ascii")


def tokens(text: str) -> list[str]:
    """Folded words of a text, `#tags` and `@handles` kept with their sign."""
    return _TOKEN.findall(fold(text))


class Text:
    """One text, folded and tokenised once, with the fields filters look at."""

    __slots__ = ("__dict__", "lang", "sources", "vocabulary", "words")

    def __init__(
        self, text: str, lang: str | None = None, sources: frozenset[str] = frozenset()
    ) -> None:
        folded = fold(text)
        raw = _TOKEN.findall(folded)
        self.vocabulary = set(raw)
        if "#" in folded or "@" in folded:
            self.words = [t.lstrip("#@") for t in raw]
            self.vocabulary.update(self.words)
        else:
            self.words = raw
        self.lang = lang.casefold() if lang else None
        self.sources = sources

    @cached_property
    def joined(self) -> str:
        return " " + " ".join(self.words) + " "


# --- nodes -----------------------------------------------------------------------------------

Anchors = frozenset[str] | None
"""Keys (words, or prefixes) of which one must be a substring of the folded text for the
node to match; None: the node cannot anchor (NOT, field filters)."""
Weight = Callable[[str], int]
"""How many queries of the configuration name a key: anchors prefer the rarest keys."""


def _cheapest(options: list[frozenset[str]], weight: Weight) -> frozenset[str]:
    return min(options, key=lambda keys: (sum(map(weight, keys)), -min(map(len, keys))))


@dataclass(frozen=True)
class Word:
    word: str  # folded; may start with # or @
    position: int

    def __call__(self, text: Text) -> bool:
        return self.word in text.vocabulary

    def terms(self) -> set[str]:
        return {self.word}

    def anchors(self, weight: Weight) -> Anchors:
        return frozenset({self.word})

    def possible(self, present: set[str]) -> bool:
        return self.word in present


@dataclass(frozen=True)
class Prefix:
    prefix: str
    position: int

    def __call__(self, text: Text) -> bool:
        prefix = self.prefix
        return any(word.startswith(prefix) for word in text.vocabulary)

    def terms(self) -> set[str]:
        return {self.prefix}

    def anchors(self, weight: Weight) -> Anchors:
        return frozenset({self.prefix})

    def possible(self, present: set[str]) -> bool:
        return self.prefix in present


@dataclass(frozen=True)
class Phrase:
    parts: tuple[str, ...]  # bare folded words; a part ending in '*' is a prefix
    position: int

    @cached_property
    def _pattern(self) -> re.Pattern[str] | str:
        if not any(p.endswith("*") for p in self.parts):
            return " " + " ".join(self.parts) + " "
        body = " ".join(
            re.escape(p[:-1]) + r"\w*" if p.endswith("*") else re.escape(p) for p in self.parts
        )
        return re.compile(f" {body} ")

    def __call__(self, text: Text) -> bool:
        pattern = self._pattern
        if isinstance(pattern, str):
            return pattern in text.joined
        return pattern.search(text.joined) is not None

    def terms(self) -> set[str]:
        return {p.removesuffix("*") for p in self.parts}

    def anchors(self, weight: Weight) -> Anchors:
        return _cheapest([frozenset({key}) for key in self.terms()], weight)

    def possible(self, present: set[str]) -> bool:
        return all(p.removesuffix("*") in present for p in self.parts)


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    position: int

    def __call__(self, text: Text) -> bool:
        if self.name == "lang":
            lang = text.lang
            return lang is not None and (lang == self.value or lang.split("-")[0] == self.value)
        if self.name == "intent":
            return False  # search only (SEARCH_FIELDS): a matched text has no intent yet
        return self.value in text.sources

    def terms(self) -> set[str]:
        return set()

    def anchors(self, weight: Weight) -> Anchors:
        return None

    def possible(self, present: set[str]) -> bool:
        return True


@dataclass(frozen=True)
class Not:
    child: "Node"
    position: int

    def __call__(self, text: Text) -> bool:
        return not self.child(text)

    def terms(self) -> set[str]:
        return set()  # never an anchor: not counted

    def anchors(self, weight: Weight) -> Anchors:
        return None

    def possible(self, present: set[str]) -> bool:
        return True


@dataclass(frozen=True)
class All:
    children: tuple["Node", ...]
    position: int

    def __call__(self, text: Text) -> bool:
        return all(child(text) for child in self.children)

    def terms(self) -> set[str]:
        return set().union(*(child.terms() for child in self.children))

    def anchors(self, weight: Weight) -> Anchors:
        options = [a for c in self.children if (a := c.anchors(weight)) is not None]
        return _cheapest(options, weight) if options else None

    def possible(self, present: set[str]) -> bool:
        return all(child.possible(present) for child in self.children)


@dataclass(frozen=True)
class Any_:
    children: tuple["Node", ...]
    position: int

    def __call__(self, text: Text) -> bool:
        return any(child(text) for child in self.children)

    def terms(self) -> set[str]:
        return set().union(*(child.terms() for child in self.children))

    def anchors(self, weight: Weight) -> Anchors:
        union: set[str] = set()
        for child in self.children:
            anchors = child.anchors(weight)
            if anchors is None:
                return None
            union |= anchors
        return frozenset(union)

    def possible(self, present: set[str]) -> bool:
        return any(child.possible(present) for child in self.children)


Node = Word | Prefix | Phrase | Field | Not | All | Any_
