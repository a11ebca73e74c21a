"""Brand query matching: texts/s against 100 queries (target ≥ 50,000 texts/s).

100 queries (20 tenants × 5 brands, with phrases, wildcards, NOT, tags, field filters) are
matched against 20,000 synthetic French posts of 10–40 words, a few percent of which name a
brand. Baseline, same run: the same compiled queries evaluated one after the other on every
text (no inverted index), which is what the first version of the matcher did.
"""

import random
import time

from ingest.matcher import BrandMatcher
from schemas.brand_query import Text
from schemas.config import TenantSettings

TARGET_TEXTS_PER_S = 50_000
WORDS = str.split(
    "le la les un une des et ou mais donc vol avion retard annulé bagage perdu service client "
    "attente téléphone heures aéroport billet prix remboursement promo soldes livraison colis "
    "commande magasin lampe salon cuisine super génial nul honteux merci bravo encore jamais "
    "toujours aujourd'hui hier demain weekend soir matin Paris Lyon Marseille équipe appli "
    "site bug panne réseau forfait facture abonnement résiliation conseiller réponse"
)
BRANDS = [
    "volaris",
    "lumen",
    "nordica",
    "biolait",
    "cafeo",
    "tramix",
    "velodia",
    "opaline",
    "kerbrun",
    "sylvane",
    "mistralia",
    "ondine",
    "pyrame",
    "caldera",
    "fjordia",
    "granita",
    "helvane",
    "isara",
    "jorvik",
    "kalista",
]


def queries_for(brand: str, k: int) -> list[str]:
    shapes = [
        f'"air {brand}" OR @{brand} OR #{brand}',
        f"{brand} (rembours* OR annul* OR retard) -emploi",
        f'("{brand} store" OR {brand}) NOT (stage OR alternance) lang:fr',
        f"{brand}* AND (panne OR bug OR nul OR honteux)",
        f'"service client {brand}" OR ({brand} -source:reddit attente)',
    ]
    return [shapes[k % len(shapes)]]


def make_tenants() -> list[TenantSettings]:
    def brand(t: int, b: int) -> dict[str, object]:
        queries = queries_for(f"{BRANDS[t]}{b}", b)
        return {
            "id": f"b{b}",
            "name": f"B{b}",
            "queries": [{"id": f"q{b}", "query": q} for q in queries],
        }

    return [
        TenantSettings.model_validate(
            {"id": f"t{t}", "name": f"T{t}", "brands": [brand(t, b) for b in range(5)]}
        )
        for t in range(20)
    ]


def make_texts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        words = rng.choices(WORDS, k=rng.randint(10, 40))
        if rng.random() < 0.05:
            words.insert(rng.randrange(len(words)), f"{rng.choice(BRANDS)}{rng.randrange(5)}")
        texts.append(" ".join(words).capitalize() + " !")
    return texts


def naive(matcher: BrandMatcher, text: str) -> set[tuple[str, str]]:
    folded = Text(text, "fr", frozenset({"rss"}))
    return {(q.tenant, q.query_id) for q in matcher.queries if q.matches(folded)}


def indexed(matcher: BrandMatcher, text: str) -> set[tuple[str, str]]:
    found = matcher.match(text, lang="fr", source_kind="rss")
    return {(m.tenant, query) for m in found for query in m.queries}


def rate(run: object, texts: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    hits = sum(bool(run(text)) for text in texts)  # type: ignore[operator]
    return len(texts) / (time.perf_counter() - started), hits


def main() -> int:
    matcher = BrandMatcher(make_tenants())
    assert len(matcher.queries) == 100
    texts = make_texts(20_000)
    fast, hits = rate(lambda t: matcher.match(t, lang="fr", source_kind="rss"), texts)
    baseline, naive_hits = rate(lambda t: naive(matcher, t), texts[:5000])
    disagree = [t for t in texts[:5000] if naive(matcher, t) != indexed(matcher, t)]
    if disagree:
        print(f"the index changed {len(disagree)} results, e.g. {disagree[0]!r}")
        return 1
    verdict = "meets" if fast >= TARGET_TEXTS_PER_S else "MISSES"
    print(f"queries: {len(matcher.queries)}, texts: {len(texts)}, texts matching: {hits}")
    print(f"indexed matcher: {fast:,.0f} texts/s ({verdict} the {TARGET_TEXTS_PER_S:,} target)")
    print(
        f"baseline (every query on every text): {baseline:,.0f} texts/s "
        f"(matched {naive_hits} of 5,000)"
    )
    print(f"ratio indexed / baseline: {fast / baseline:.1f}x (same results on 5,000 texts)")
    return 0
