"""The brand query language, shared by the stages that read it: ingest matches posts with it
(ingest/matcher.py), history translates it into Elasticsearch queries (history/translate.py).
The language itself: parser.py; the nodes of a parsed query: nodes.py."""

from schemas.brand_query.nodes import All, Any_, Field, Node, Not, Phrase, Prefix, Word
from schemas.brand_query.parser import (
    MIN_PREFIX,
    CompiledQuery,
    QueryError,
    Text,
    ascii_skeleton,
    compile_query,
    fold,
    parse,
    tokens,
)

__all__ = [
    "MIN_PREFIX",
    "All",
    "Any_",
    "CompiledQuery",
    "Field",
    "Node",
    "Not",
    "Phrase",
    "Prefix",
    "QueryError",
    "Text",
    "Word",
    "ascii_skeleton",
    "compile_query",
    "fold",
    "parse",
    "tokens",
]
