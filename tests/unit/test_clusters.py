"""Near-duplicate clusters: copies of one post are one story; tenants never share one."""

from datetime import UTC, datetime, timedelta

from enrich.clusters import NearDuplicateClusters, normalise

T0 = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
ANGRY = "Trois heures d'attente au téléphone chez Air Volaris, inadmissible, plus jamais."
COPIES = [
    ANGRY.upper(),
    ANGRY.replace(",", "").replace(".", " !!!"),
    ANGRY.replace("Trois", "Quatre"),
    ANGRY + " https://t.co/Xy12ab",
    "RT " + ANGRY,
    ANGRY.replace("téléphone", "telephone"),
]
OTHERS = [
    "Air Volaris annule mon vol pour Lisbonne sans prévenir, remboursement refusé.",
    "Merci Air Volaris, équipage adorable et vol à l'heure",
    "Air Volaris ouvre une ligne Nantes-Lisbonne au printemps",
    "Trois heures de retard à Orly avec Air Volaris, aucune information au comptoir.",
]


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def test_normalise_drops_case_accents_urls_and_punctuation() -> None:
    assert normalise("  Été À  ORLY !!! https://x.fr/a?b=1 …vol ") == "ete a orly vol"


def test_near_identical_texts_share_the_first_mentions_cluster() -> None:
    clusters = NearDuplicateClusters()
    first = clusters.assign("t", "m0", ANGRY, at(0))
    assert (first.cluster_id, first.size, first.growth) == ("m0", 1, 0)
    for i, text in enumerate(COPIES, start=1):
        joined = clusters.assign("t", f"m{i}", text, at(i))
        assert joined.cluster_id == "m0", text
        assert joined.size == i + 1
        assert joined.growth == i  # every earlier copy was published within the hour


def test_different_posts_start_their_own_clusters() -> None:
    clusters = NearDuplicateClusters()
    clusters.assign("t", "angry", ANGRY, at(0))
    for i, text in enumerate(OTHERS):
        other = clusters.assign("t", f"o{i}", text, at(i))
        assert (other.cluster_id, other.size) == (f"o{i}", 1), text


def test_two_hundred_copies_are_one_story() -> None:
    clusters = NearDuplicateClusters()
    assignments = [
        clusters.assign("t", f"c{i:03d}", f"{COPIES[i % len(COPIES)]} #{i}", at(i / 10))
        for i in range(200)
    ]
    assert {a.cluster_id for a in assignments} == {"c000"}
    assert assignments[-1].size == 200


def test_tenants_never_share_a_cluster() -> None:
    clusters = NearDuplicateClusters()
    clusters.assign("agence-horizon", "h1", ANGRY, at(0))
    other = clusters.assign("maison-lumen", "l1", ANGRY, at(1))
    assert (other.cluster_id, other.size) == ("l1", 1)
    again = clusters.assign("agence-horizon", "h2", ANGRY, at(2))
    assert (again.cluster_id, again.size) == ("h1", 2)


def test_an_id_seen_again_keeps_its_cluster_and_does_not_grow_it() -> None:
    clusters = NearDuplicateClusters()
    clusters.assign("t", "m0", ANGRY, at(0))
    clusters.assign("t", "m1", COPIES[0], at(1))
    again = clusters.assign("t", "m1", "the text does not matter any more", at(1))
    assert (again.cluster_id, again.size, again.growth) == ("m0", 2, 1)


def test_growth_counts_copies_within_the_window_ending_at_the_reference_time() -> None:
    clusters = NearDuplicateClusters(growth_window=timedelta(minutes=30))
    clusters.assign("t", "m0", ANGRY, at(0))
    clusters.assign("t", "m1", COPIES[0], at(40))
    late = clusters.assign("t", "m2", COPIES[1], at(50))
    assert (late.size, late.growth) == (3, 1)  # m0 is older than 30 min, m1 counts
    update = clusters.assign("t", "m0", ANGRY, at(0), reference_at=at(55))
    assert update.growth == 2  # an engagement update at 22:55 sees m1 and m2


def test_memory_is_bounded_by_count() -> None:
    clusters = NearDuplicateClusters(max_entries=3)
    clusters.assign("t", "m0", ANGRY, at(0))
    for i, text in enumerate(OTHERS):
        clusters.assign("t", f"o{i}", text, at(1 + i))
    assert len(clusters) == 3
    forgotten = clusters.assign("t", "m1", COPIES[0], at(10))
    assert forgotten.cluster_id == "m1"  # m0 was evicted: a new cluster starts


def test_memory_is_bounded_by_event_time() -> None:
    clusters = NearDuplicateClusters(max_age=timedelta(hours=1))
    clusters.assign("t", "m0", ANGRY, at(0))
    clusters.assign("t", "o0", OTHERS[0], at(120))  # two hours later: m0 is forgotten
    assert len(clusters) == 1
    assert clusters.assign("t", "m1", COPIES[0], at(121)).cluster_id == "m1"


def test_a_big_story_keeps_few_representatives_and_still_gathers_every_copy() -> None:
    clusters = NearDuplicateClusters(max_representatives=2)
    sizes = [clusters.assign("t", f"c{i}", f"{ANGRY} #{i}", at(i)).size for i in range(30)]
    assert sizes == list(range(1, 31))
    assert len(clusters.representatives_of("t")) == 2


def test_a_freed_representative_place_goes_to_a_newcomer() -> None:
    clusters = NearDuplicateClusters(max_representatives=1, max_entries=2)
    clusters.assign("t", "c0", ANGRY, at(0))
    clusters.assign("t", "c1", COPIES[0], at(1))  # joins, not a representative
    clusters.assign("t", "c2", COPIES[1], at(2))  # c0 evicted: c2 represents the story
    assert clusters.representatives_of("t") == ["c2"]
    assert clusters.assign("t", "c3", COPIES[2], at(3)).cluster_id == "c0"
