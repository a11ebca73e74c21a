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
- a search of the index (`parse(query, search=True)`: history/translate.py) also knows
  `intent:service_request` (an enriched mention's intent label, one of
  schemas.enriched.IntentLabel), and a search may be made of filters only
  (`intent:service_request lang:fr`): it is bounded by the tenant's index, not the web.

Every alternative of a brand query must look for at least one word, phrase, tag or handle
(`NOT x` alone or `lang:fr` alone would match the whole web); a malformed query raises
QueryError naming the 0-based position (so does nesting deeper than MAX_DEPTH). Each
compiled query also exposes its *anchors*: words or prefixes of which one must be in a text
for the query to match, so a matcher evaluates only the queries sharing a word with the text
(see ingest.matcher).
"""

from dataclasses import dataclass
from typing import get_args

from schemas.brand_query.nodes import (
    FIELDS,
    MIN_PREFIX,
    SEARCH_FIELDS,
    All,
    Any_,
    Field,
    Node,
    Not,
    Phrase,
    Prefix,
    Text,
    Weight,
    Word,
    ascii_skeleton,
    fold,
    tokens,
)
from schemas.enriched import IntentLabel

INTENTS = frozenset(get_args(IntentLabel))

__all__ = [
    "MAX_DEPTH",
    "MIN_PREFIX",
    "CompiledQuery",
    "QueryError",
    "Text",
    "ascii_skeleton",
    "compile_query",
    "fold",
    "parse",
    "tokens",
]

_OPERATORS = frozenset({"AND", "OR", "NOT"})
MAX_DEPTH = 100
"""Parentheses and NOTs nested deeper than this are refused (the parser and the compiled
nodes recurse: a query 10,000 parentheses deep would overflow the stack)."""


class QueryError(ValueError):
    def __init__(self, query: str, position: int, reason: str) -> None:
        super().__init__(f"{reason} at position {position} in query {query!r}")
        self.query = query
        self.position = position
        self.reason = reason


# --- lexer -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lexeme:
    kind: str  # "(", ")", "phrase", "word", "field", "AND", "OR", "NOT"
    value: str
    position: int


_SPECIAL = '()"'


def _lex(query: str, fields: frozenset[str]) -> list[_Lexeme]:
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
                if name.lower() not in fields:
                    known = ", ".join(sorted(fields))
                    raise QueryError(query, start, f"unknown field {name!r} (known: {known})")
                if name.lower() == "intent" and fold(value) not in INTENTS:
                    known = ", ".join(sorted(INTENTS))
                    raise QueryError(query, start, f"unknown intent {value!r} (known: {known})")
                kind = "field"
            lexemes.append(_Lexeme(kind, word, start))
    return lexemes


# --- parser ----------------------------------------------------------------------------------


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary (AND? unary)*;
    unary := NOT unary | primary; primary := ( or ) | phrase | field | word."""

    def __init__(self, query: str, fields: frozenset[str] = FIELDS) -> None:
        self.query = query
        self.lexemes = _lex(query, fields)
        self.i = 0
        self.depth = 0  # parentheses and NOTs open around the current lexeme

    def nested(self, lexeme: _Lexeme) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(lexeme.position, f"nested deeper than {MAX_DEPTH} levels")

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
            self.nested(lexeme)
            node = Not(self.unary(), lexeme.position)
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        lexeme = self.peek()
        assert lexeme is not None
        self.i += 1
        if lexeme.kind == "(":
            if (inner := self.peek()) is not None and inner.kind == ")":
                raise self.error(lexeme.position, "empty parentheses")
            self.nested(lexeme)
            node = self.alternatives()
            self.depth -= 1
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


def parse(query: str, *, search: bool = False) -> Node:
    """The query's syntax tree; QueryError (with the position) when it is malformed or, for a
    brand query, could match without any word (an alternative made only of NOT and field
    filters). `search`: a search of the index (SEARCH_FIELDS, filters alone allowed)."""
    node = _Parser(query, SEARCH_FIELDS if search else FIELDS).parse()
    if not search:
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
