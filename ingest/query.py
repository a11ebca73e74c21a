"""The brand query language: parsed and compiled once, evaluated against one folded text.

    ("air volaris" OR @airvolaris OR #airvolaris) AND (rembours* OR annul*) -emploi lang:fr

- terms match whole words; adjacent terms are ANDed (`AND` may be written), `OR` separates
  alternatives, `NOT term` or `-term` excludes, parentheses group; precedence NOT > AND > OR;
- `"quoted phrases"` match consecutive words; `rembours*` matches words starting with
  `rembours` (at least 3 letters before a trailing `*`, also inside phrases);
- matching is case- and accent-insensitive (É = é = e, ß = ss) on both sides;
- `#tag` and `@handle` match only the tag or handle; a plain word also matches its hashtag
  (`volaris` matches `#Volaris`);
- field filters `lang:fr` (the item's language, `fr` also matches `fr-CA`) and
  `source:reddit` (a source's id or kind) narrow a query but never make it match alone.

Every alternative of a query must look for at least one word, phrase, tag or handle
(`NOT x` alone or `lang:fr` alone would match the whole web); a malformed query raises
QueryError naming the 0-based position. Each compiled query also exposes its *anchors*: words
or prefixes of which one must be in a text for the query to match, so a matcher evaluates
only the queries sharing a word with the text (see ingest.matcher).
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

FIELDS = frozenset({"lang", "source"})
MIN_PREFIX = 3
_TOKEN = re.compile(r"[#@]?\w+")
_OPERATORS = frozenset({"AND", "OR", "NOT"})


_SPECIAL_LETTERS = {"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ŧ": "t"}
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def _unspecial(folded: str) -> str:
    for letter, ascii_ in _SPECIAL_LETTERS.items():
        if letter in folded:
            folded = folded.replace(letter, ascii_)
    return folded


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Été' → 'ete', 'Straße' → 'strasse', 'Œuvre' → 'oeuvre'.
    Compatibility forms are unified too (NFKD: 'ﬁ' → 'fi', fullwidth → ASCII)."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return _COMBINING.sub("", unicodedata.normalize("NFKD", _unspecial(folded)))


def ascii_skeleton(text: str) -> str:
    """The ASCII characters of fold(text), in order, others dropped: cheap to compute, and
    every ASCII word of fold(text) is a substring of it (used to pre-filter texts)."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", _unspecial(folded))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def tokens(text: str) -> list[str]:
    """Folded words of a text, `#tags` and `@handles` kept with their sign."""
    return _TOKEN.findall(fold(text))


class QueryError(ValueError):
    def __init__(self, query: str, position: int, reason: str) -> None:
        super().__init__(f"{reason} at position {position} in query {query!r}")
        self.query = query
        self.position = position
        self.reason = reason


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


# --- lexer -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lexeme:
    kind: str  # "(", ")", "phrase", "word", "field", "AND", "OR", "NOT"
    value: str
    position: int


_SPECIAL = '()"'


def _lex(query: str) -> list[_Lexeme]:
    lexemes: list[_Lexeme] = []
    i = 0
    while i < len(query):
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            lexemes.append(_Lexeme(char, char, i))
            i += 1
        elif char == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QueryError(query, i, "unclosed quote")
            lexemes.append(_Lexeme("phrase", query[i + 1 : end], i))
            i = end + 1
        elif char == "-" and i + 1 < len(query) and not query[i + 1].isspace():
            lexemes.append(_Lexeme("NOT", "-", i))
            i += 1
        else:
            start = i
            while i < len(query) and not query[i].isspace() and query[i] not in _SPECIAL:
                i += 1
            word = query[start:i]
            kind = word if word in _OPERATORS else "word"
            name, colon, value = word.partition(":")
            if kind == "word" and colon and name.isalpha() and value:
                if name.lower() not in FIELDS:
                    raise QueryError(query, start, f"unknown field {name!r} (known: lang, source)")
                kind = "field"
            lexemes.append(_Lexeme(kind, word, start))
    return lexemes


# --- parser ----------------------------------------------------------------------------------


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary (AND? unary)*;
    unary := NOT unary | primary; primary := ( or ) | phrase | field | word."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.lexemes = _lex(query)
        self.i = 0

    def error(self, position: int, reason: str) -> QueryError:
        return QueryError(self.query, position, reason)

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.i] if self.i < len(self.lexemes) else None

    def parse(self) -> Node:
        if not self.lexemes:
            raise self.error(0, "empty query")
        node = self.alternatives()
        extra = self.peek()
        if extra is not None:
            raise self.error(extra.position, f"unexpected {extra.value!r}")
        return node

    def alternatives(self) -> Node:
        start = self.peek()
        children = [self.conjunction()]
        while (lexeme := self.peek()) is not None and lexeme.kind == "OR":
            self.i += 1
            children.append(self.conjunction())
        assert start is not None
        return children[0] if len(children) == 1 else Any_(tuple(children), start.position)

    def conjunction(self) -> Node:
        first = self.peek()
        if first is None:
            raise self.error(len(self.query), "query ends without a term")
        if first.kind in ("OR", "AND"):
            raise self.error(first.position, f"{first.kind} without a term before it")
        children = [self.unary()]
        while (lexeme := self.peek()) is not None and lexeme.kind not in ("OR", ")"):
            if lexeme.kind == "AND":
                self.i += 1
                following = self.peek()
                if following is None or following.kind in ("AND", "OR", ")"):
                    where = len(self.query) if following is None else following.position
                    raise self.error(where, "AND needs a term after it")
            children.append(self.unary())
        return children[0] if len(children) == 1 else All(tuple(children), first.position)

    def unary(self) -> Node:
        lexeme = self.peek()
        if lexeme is None:
            raise self.error(len(self.query), "query ends without a term")
        if lexeme.kind == "NOT":
            self.i += 1
            following = self.peek()
            if following is None or following.kind in ("AND", "OR", ")"):
                raise self.error(lexeme.position, "NOT needs a term after it")
            return Not(self.unary(), lexeme.position)
        return self.primary()

    def primary(self) -> Node:
        lexeme = self.peek()
        assert lexeme is not None
        self.i += 1
        if lexeme.kind == "(":
            if (inner := self.peek()) is not None and inner.kind == ")":
                raise self.error(lexeme.position, "empty parentheses")
            node = self.alternatives()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise self.error(lexeme.position, "unclosed parenthesis")
            self.i += 1
            return node
        if lexeme.kind == ")":
            raise self.error(lexeme.position, "unmatched ')'")
        if lexeme.kind in ("OR", "AND"):
            raise self.error(lexeme.position, f"{lexeme.kind} without a term before it")
        if lexeme.kind == "field":
            name, _, value = lexeme.value.partition(":")
            return Field(name.lower(), fold(value), lexeme.position)
        if lexeme.kind == "phrase":
            return self.phrase(lexeme)
        return self.word(lexeme)

    def phrase(self, lexeme: _Lexeme) -> Node:
        parts = [self.part(raw, lexeme.position) for raw in lexeme.value.split()]
        bare = tuple(p for part in parts for p in part)
        if not bare:
            raise self.error(lexeme.position, "empty phrase")
        if len(bare) == 1:
            return (
                Prefix(bare[0][:-1], lexeme.position)
                if bare[0].endswith("*")
                else Word(bare[0], lexeme.position)
            )
        return Phrase(bare, lexeme.position)

    def part(self, raw: str, position: int) -> list[str]:
        """Bare folded words of one whitespace-free piece; a trailing '*' kept on the last."""
        wildcard = raw.endswith("*")
        body = raw[:-1] if wildcard else raw
        if "*" in body:
            raise self.error(position, "a wildcard '*' is allowed only at the end of a word")
        words = [w.lstrip("#@") for w in tokens(body)]
        if wildcard:
            if not words or len(words[-1]) < MIN_PREFIX:
                raise self.error(position, f"a wildcard needs {MIN_PREFIX} letters before '*'")
            words[-1] += "*"
        return words

    def word(self, lexeme: _Lexeme) -> Node:
        raw, position = lexeme.value, lexeme.position
        sign = raw[0] if raw[0] in "#@" else ""
        if sign:
            handle = tokens(raw)
            if len(handle) != 1 or handle[0][0] != sign or raw.endswith("*"):
                raise self.error(position, f"malformed {'hashtag' if sign == '#' else 'handle'}")
            return Word(handle[0], position)
        words = self.part(raw, position)
        if not words:
            raise self.error(position, f"nothing to match in {raw!r}")
        if len(words) > 1:  # air-volaris, l'avion: the words in a row
            return Phrase(tuple(words), position)
        return (
            Prefix(words[0][:-1], position) if words[0].endswith("*") else Word(words[0], position)
        )


@dataclass(frozen=True)
class CompiledQuery:
    """One query of one brand of one tenant, ready to evaluate."""

    tenant: str
    brand: str
    query_id: str
    node: Node

    def matches(self, text: Text) -> bool:
        return self.node(text)

    def possible(self, present: set[str]) -> bool:
        """False when the keys found in a text (substrings) rule a match out."""
        return self.node.possible(present)

    def anchors(self, weight: Weight = lambda key: 1) -> frozenset[str]:
        anchors = self.node.anchors(weight)
        assert anchors is not None  # parse() refuses queries without
        return anchors


def parse(query: str) -> Node:
    """The query's syntax tree; QueryError (with the position) when it is malformed or could
    match without any word (an alternative made only of NOT and field filters)."""
    node = _Parser(query).parse()
    _require_anchors(query, node)
    return node


def _require_anchors(query: str, node: Node) -> None:
    if node.anchors(lambda key: 1) is not None:
        return
    if isinstance(node, Any_):
        for child in node.children:
            _require_anchors(query, child)
    raise QueryError(
        query,
        node.position,
        "this alternative looks for no word, phrase, tag or handle "
        "(NOT and field filters only narrow a query)",
    )


def compile_query(tenant: str, brand: str, query_id: str, query: str) -> CompiledQuery:
    return CompiledQuery(tenant, brand, query_id, parse(query))
