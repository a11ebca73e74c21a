"""The main terms of a set of French posts: what a buzz is about, in a few words."""

import heapq
import re
from collections import Counter
from collections.abc import Iterable

_WORD = re.compile(r"[#@]?[^\W\d_][\w'’-]{2,}", re.UNICODE)
_STOPWORDS_TEXT = """
alors aucun aussi autre avant avec avoir bon car ce cela ces cet cette ceux chez comme
comment dans des donc dont elle elles encore est et etc été être fait faire fois font
hors ici ils je juste leur leurs mais mes même moi mon nos notre nous ont ou où par
parce pas peu peut plus pour pourquoi quand que quel quelle quelles quels qui rien sans
ses son sont sous sur ta tes toi ton tous tout toute toutes très trop une vos votre vous
the and for avez suis était sera c'est j'ai qu'il n'est d'un d'une l'on cest jai
toujours vraiment
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def top_terms(texts: Iterable[str], exclude: set[str], limit: int = 8) -> list[str]:
    """Most frequent words (counted once per post), without stopwords or `exclude`; ties in
    alphabetical order, so the result never depends on the process (set order does: string
    hashing is salted per process)."""
    counts: Counter[str] = Counter()
    for text in texts:
        words = {w.lower().strip("'’-") for w in _WORD.findall(text)}
        counts.update(w for w in words if w not in STOPWORDS and w not in exclude and len(w) > 2)
    ranked = heapq.nsmallest(limit, counts.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked]
