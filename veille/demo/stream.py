"""The demo weekend, written by the project itself (deterministic: same seed, same stream).

Two tenants, so the demo also shows isolation: the agency "Agence Horizon" watches the
fictional airline Air Volaris; "Maison Lumen", a fictional retailer, is another client.
Friday and Saturday are quiet: news, praise, questions, the odd grumble — and, every couple
of hours, a customer's request to Air Volaris (a lost bag, a refund, a changed booking)
that nobody answers: the seed of the crisis. From Saturday 21:00 UTC (22:00 in Paris) a
wave of angry posts about fares and an unanswered customer service accelerates through the
night. The requests are drawn from their own seed, after every other post, so adding them
left the rest of the weekend as it was.
"""

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

WEEKEND_START = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)  # Friday 07:00 in Paris
CRISIS_ONSET = datetime(2026, 11, 21, 21, 0, tzinfo=UTC)  # Saturday 22:00 in Paris
WEEKEND_END = datetime(2026, 11, 21, 23, 45, tzinfo=UTC)
SEED = 20261121


@dataclass(frozen=True)
class DemoPost:
    id: str
    published_at: datetime
    author: str
    title: str
    text: str
    crisis: bool
    service: bool = False  # a customer's request to the brand (none is ever answered)


_VOLARIS_ORDINARY = [
    "Air Volaris ouvre une nouvelle ligne Nantes-Lisbonne à partir de mars",
    "Merci Air Volaris, vol à l'heure et équipage vraiment sympathique !",
    "Quelqu'un sait si Air Volaris accepte les bagages cabine de 12 kg ?",
    "Embarquement rapide avec @airvolaris ce matin, très agréable",
    "Air Volaris publie ses résultats trimestriels, trafic en hausse de 8 %",
    "Premier voyage avec Air Volaris demain, des conseils pour l'enregistrement ?",
    "Super accueil à bord d'Air Volaris, bravo à l'équipe",
    "Air Volaris recrute des hôtesses et stewards à Toulouse",
    "Petit retard de vingt minutes sur mon vol Air Volaris, rien de grave",
    "Le nouveau menu à bord d'Air Volaris est plutôt bon",
    "#airvolaris vue magnifique sur les Alpes pendant le vol",
    "Air Volaris : les horaires d'hiver sont en ligne",
    "Bagage un peu long à arriver avec Air Volaris, mais tout est là",
    "Air Volaris annonce des vols supplémentaires pour les fêtes",
]
_VOLARIS_SERVICE = [
    "Bonjour Air Volaris, mon bagage n'est pas arrivé à Lisbonne (vol AV{n}), comment le "
    "récupérer ?",
    "Air Volaris, j'attends toujours le remboursement de mon vol AV{n} annulé, pouvez-vous "
    "m'aider ?",
    "@airvolaris bonjour, je n'arrive pas à modifier ma réservation du vol AV{n}, que faire ?",
    "Air Volaris, mon enregistrement en ligne pour le vol AV{n} bloque, qui peut m'aider ?",
    "Bonjour @airvolaris, ma valise est arrivée cassée du vol AV{n}, comment faire une "
    "réclamation ?",
    "Air Volaris, toujours pas de réponse à ma demande de remboursement du vol AV{n}, "
    "quelqu'un peut me répondre ?",
]
SERVICE_EVERY = timedelta(hours=2)
_VOLARIS_ANGRY_SUBJECTS = [
    "Vol Air Volaris AV{n} annulé sans explication",
    "Les prix des billets Air Volaris explosent encore",
    "Toujours aucune réponse du service client @airvolaris",
    "Trois heures d'attente au téléphone chez Air Volaris",
    "Remboursement refusé par Air Volaris après l'annulation",
    "Air Volaris facture maintenant le bagage cabine",
    "Bloqué à l'aéroport depuis six heures par Air Volaris",
    "Frais cachés partout chez Air Volaris #airvolaris",
]
_ANGER = [
    "c'est honteux !",
    "scandale absolu.",
    "inadmissible, plus jamais.",
    "quelle arnaque, je suis furieux.",
    "service client nul, on nous méprise.",
    "catastrophe totale, honte à vous.",
    "lamentable, je porte plainte.",
    "c'est du vol, écœurant.",
]
_LUMEN_ORDINARY = [
    "Maison Lumen lance sa collection de lampes en verre recyclé",
    "Très contente de ma commande chez Maison Lumen, livrée en deux jours",
    "Maison Lumen ouvre une boutique à Bordeaux samedi",
    "Quelqu'un a testé le service de retour de Maison Lumen ?",
    "Jolie vitrine de Noël chez Maison Lumen rue de Rivoli",
    "Maison Lumen : livraison un peu lente cette semaine",
]
_HANDLES = [
    "julie_b",
    "marc_voyage",
    "sam.lyon",
    "nadia_k",
    "tom_r",
    "lea.vol",
    "karim_b",
    "sophie_m",
    "paul_t",
    "ines_z",
    "hugo_d",
    "claire_v",
    "yanis_a",
    "emma_l",
]


def _rate_per_hour(at: datetime, crisis: bool) -> float:
    """Ordinary mentions follow the day (busy evenings, quiet nights); the crisis accelerates."""
    if crisis:
        minutes = (at - CRISIS_ONSET).total_seconds() / 60
        return 6.0 * 2 ** (minutes / 30)  # doubles every 30 minutes
    paris_hour = (at.hour + 1) % 24
    if paris_hour < 7:
        return 0.6
    return 5.0 if 18 <= paris_hour <= 22 else 3.0


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of one minute."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _times(rng: random.Random, start: datetime, end: datetime, crisis: bool) -> list[datetime]:
    """A non-homogeneous Poisson process, sampled minute by minute."""
    times: list[datetime] = []
    at = start
    while at < end:
        for _ in range(_poisson(rng, _rate_per_hour(at, crisis) / 60)):
            times.append(at + timedelta(seconds=rng.randrange(60)))
        at += timedelta(minutes=1)
    return sorted(times)


def demo_weekend(seed: int = SEED) -> list[DemoPost]:
    """Every post of the weekend, sorted by publication time."""
    rng = random.Random(seed)
    posts: list[DemoPost] = []

    def add(at: datetime, text: str, crisis: bool, service: bool = False,
            pick: random.Random = rng) -> None:  # fmt: skip
        title = text if len(text) <= 80 else text[:77] + "…"
        posts.append(DemoPost(f"demo-{len(posts):05d}", at, pick.choice(_HANDLES), title, text,
                              crisis, service))  # fmt: skip

    for at in _times(rng, WEEKEND_START, WEEKEND_END, crisis=False):
        add(at, rng.choice(_VOLARIS_ORDINARY), crisis=False)
    for at in _times(rng, WEEKEND_START, WEEKEND_END, crisis=False)[::2]:
        add(at, rng.choice(_LUMEN_ORDINARY), crisis=False)
    for at in _times(rng, CRISIS_ONSET, WEEKEND_END, crisis=True):
        subject = rng.choice(_VOLARIS_ANGRY_SUBJECTS).format(n=rng.randrange(100, 999))
        add(at, f"{subject}, {rng.choice(_ANGER)}", crisis=True)
    requests = random.Random(seed + 1)
    at = WEEKEND_START + timedelta(hours=2)  # Friday 09:00 in Paris
    while at < CRISIS_ONSET:
        text = requests.choice(_VOLARIS_SERVICE).format(n=requests.randrange(100, 999))
        add(at + timedelta(minutes=requests.randrange(60)), text, False, True, requests)
        at += SERVICE_EVERY
    posts.sort(key=lambda p: (p.published_at, p.id))
    return posts
