"""The ingest state log without a broker: a source's partition is stable, a journaled commit
replayed into another store gives the same state, applying twice changes nothing, and a
store that cannot be written says so (StateStoreError)."""

import zlib
from pathlib import Path

import pytest

from ingest.cursors import CursorStore, Emitted, StateStoreError
from ingest.statelog import StateDelta, partition_of


def test_a_source_partition_is_stable_and_spread() -> None:
    assert partition_of("news", 12) == zlib.crc32(b"news") % 12  # not Python's salted hash()
    spread = {partition_of(f"source-{i}", 12) for i in range(200)}
    assert spread == set(range(12))


def delta(n: int, cursor: str) -> bytes:
    return StateDelta(
        source="news", cursor={"etag": cursor},
        seen=[(f"p{n}", (1, 2, 3), [f"m{n}"])],
        emitted=[(f"m{n}", 1_700_000_000.0 + n, "news", f'{{"id": "m{n}"}}')],
    ).model_dump_json().encode()  # fmt: skip


def test_replayed_records_rebuild_the_previous_owners_state(tmp_path: Path) -> None:
    log = [StateDelta.model_validate_json(delta(n, f"v{n}")) for n in range(3)]
    heir = CursorStore(tmp_path / "heir.sqlite3")
    assert heir.applied_offset(5) is None
    heir.apply([d.change() for d in log[:2]], 5, 2)
    heir.apply([d.change() for d in log[1:]], 5, 3)  # overlapping: applied twice, harmless
    assert heir.applied_offset(5) == 3
    assert heir.cursor("news") == {"etag": "v2"}  # the latest record wins
    seen = heir.seen("news", ["p0", "p1", "p2", "p9"])
    assert sorted(seen) == ["p0", "p1", "p2"] and seen["p2"].mention_ids == ["m2"]
    assert sorted(heir.emitted(["m0", "m1", "m2"])) == ["m0", "m1", "m2"]

    owner = CursorStore(tmp_path / "owner.sqlite3")  # what the owner committed locally
    for d in log:
        source, cursor, items, emitted = d.change()
        owner.commit(source, cursor, items, emitted)
    assert owner.cursor("news") == heir.cursor("news")
    assert owner.seen("news", ["p0", "p1", "p2"]).keys() == seen.keys()


def test_a_store_that_cannot_be_written_raises_state_store_error(tmp_path: Path) -> None:
    store = CursorStore(tmp_path / "s.sqlite3")
    store.close()
    with pytest.raises(StateStoreError):
        store.commit("news", {}, {}, [Emitted("m", 0.0, "news", "{}")])
    (tmp_path / "dir.sqlite3").mkdir()
    with pytest.raises(StateStoreError):
        CursorStore(tmp_path / "dir.sqlite3")
