"""CursorStore: atomic commits that survive reopening, per-prefix files, pruning."""

import time
from pathlib import Path

from ingest.cursors import CursorStore, Emitted


def test_commit_survives_reopening_and_prefixes_are_apart(tmp_path: Path) -> None:
    store = CursorStore.for_prefix(str(tmp_path), "a.")
    store.commit("feed", {"etag": '"1"'}, {"x": ((1, 2, 3), ["m1"])},
                 [Emitted("m1", time.time(), "feed", "{}")])  # fmt: skip
    store.close()
    again = CursorStore.for_prefix(str(tmp_path), "a.")
    assert again.cursor("feed") == {"etag": '"1"'}
    seen = again.seen("feed", ["x", "y"])
    assert list(seen) == ["x"] and seen["x"].engagement == (1, 2, 3)
    assert seen["x"].mention_ids == ["m1"] and list(again.emitted(["m1", "m2"])) == ["m1"]
    assert CursorStore.for_prefix(str(tmp_path), "b.").cursor("feed") == {}


def test_prune_forgets_old_items_only(tmp_path: Path) -> None:
    store = CursorStore(tmp_path / "s.sqlite3")
    old, new = time.time() - 10 * 86400, time.time()
    store.commit("feed", None, {"x": (None, [])}, [Emitted("old", old, "feed", "{}"),
                                                   Emitted("new", new, "feed", "{}")])  # fmt: skip
    store.prune(5 * 86400)
    assert list(store.emitted(["old", "new"])) == ["new"]
    assert store.seen("feed", ["x"])  # seen just now
    store.prune(0)
    assert not store.seen("feed", ["x"])
