"""CursorStore: what the ingest worker remembers, in one local SQLite file — a cache of the
ingest state log (ingest/statelog.py), which is what a source's next owner reads.

Per source: its cursor (ETag/Last-Modified, since_id, pagination cursor…) and the native ids
it has already turned into mentions (with their engagement and mention ids, for updates).
Per mention id: the emitted mention, so a post reached again through another source is not
re-emitted, and recent posts can be re-observed. Per state-log partition: the offset up to
which the log was applied here.

Why a local store in front of the log: the state is read on every poll (a seen-check per
item) and must be committed atomically with the cursor *after* the producer flush; SQLite
gives that in one transaction. Since sources are shared among ingest workers (ingest/
ownership.py), the file is no longer the truth: every commit is first journaled on the
state topic, and a worker that gains a source applies the log's records for it (`apply`)
before polling it. Losing the file costs one replay of the log, nothing more.

Contract: `commit` and `apply` are the only writes and each is atomic; nothing is remembered
for a batch that was not produced. Files are named after the topic prefix, so deployments
(and tests) sharing a directory never share state.
"""

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.health import SourceHealthSnapshot

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (source TEXT PRIMARY KEY, cursor TEXT NOT NULL,
                                    updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS seen (source TEXT NOT NULL, native_id TEXT NOT NULL,
                                 seen_at REAL NOT NULL, engagement TEXT,
                                 mention_ids TEXT NOT NULL DEFAULT '[]',
                                 PRIMARY KEY (source, native_id));
CREATE TABLE IF NOT EXISTS emitted (id TEXT PRIMARY KEY, published_at REAL NOT NULL,
                                    source TEXT NOT NULL, mention TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS emitted_published ON emitted (published_at);
CREATE TABLE IF NOT EXISTS applied (partition INTEGER PRIMARY KEY, next_offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS health (source TEXT PRIMARY KEY, snapshot TEXT NOT NULL,
                                   updated_at REAL NOT NULL);
"""


@dataclass(frozen=True)
class SeenItem:
    engagement: tuple[int, int, int] | None
    mention_ids: list[str]


@dataclass(frozen=True)
class Emitted:
    id: str
    published_at: float
    source: str
    mention_json: str


class StateStoreError(Exception):
    """The local store cannot be written (its disk full, its file unwritable): the worker
    stops, since it could not remember what it produced."""


Seen = dict[str, tuple[tuple[int, int, int] | None, list[str]]]
"""Newly seen items of one source: native id → (engagement, mention ids)."""
Change = tuple[str, dict[str, Any] | None, Seen, list[Emitted]]
"""One commit: source, cursor (None: unchanged), seen items, emitted mentions."""


class CursorStore:
    def __init__(self, path: str | Path | None) -> None:
        """`path` None: in memory (state lost at exit; the demo)."""
        target = ":memory:"
        self.path = str(path) if path is not None else target
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            target = str(path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:  # e.g. its disk full: said in one line at start
            raise StateStoreError(f"{self.path}: {exc}") from exc

    @classmethod
    def for_prefix(cls, state_dir: str | None, topic_prefix: str) -> "CursorStore":
        if state_dir is None:
            return cls(None)
        name = f"{topic_prefix or 'default.'}cursors.sqlite3"
        return cls(Path(state_dir) / name)

    def cursor(self, source: str) -> dict[str, Any]:
        with self._lock:
            row = self._db.execute(
                "SELECT cursor FROM cursors WHERE source = ?", (source,)
            ).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def seen(self, source: str, native_ids: Iterable[str]) -> dict[str, SeenItem]:
        """Those of `native_ids` already emitted by `source`."""
        ids = list(dict.fromkeys(native_ids))
        found: dict[str, SeenItem] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for native_id, engagement, mention_ids in self._db.execute(
                    f"SELECT native_id, engagement, mention_ids FROM seen "
                    f"WHERE source = ? AND native_id IN ({marks})",
                    (source, *chunk),
                ):
                    counts = tuple(json.loads(engagement)) if engagement else None
                    found[native_id] = SeenItem(counts, json.loads(mention_ids))
        return found

    def emitted(self, ids: Iterable[str]) -> dict[str, Emitted]:
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Emitted] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for row in self._db.execute(
                    f"SELECT id, published_at, source, mention FROM emitted WHERE id IN ({marks})",
                    chunk,
                ):
                    found[row[0]] = Emitted(*row)
        return found

    def recent(self, source: str, published_after: float, limit: int) -> list[Emitted]:
        """The newest mentions `source` emitted, published after `published_after`."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, published_at, source, mention FROM emitted "
                "WHERE source = ? AND published_at > ? ORDER BY published_at DESC LIMIT ?",
                (source, published_after, limit),
            ).fetchall()
        return [Emitted(*row) for row in rows]

    def commit(
        self,
        source: str,
        cursor: dict[str, Any] | None,
        seen: Seen,
        emitted: list[Emitted],
    ) -> None:
        """Atomically: the source's new cursor, its newly seen items, the emitted mentions."""
        self._transaction(lambda: self._write(source, cursor, seen, emitted))

    def apply(self, changes: list[Change], partition: int, next_offset: int) -> None:
        """Atomically: state-log records (in log order: a later one wins) and the offset up
        to which `partition` of the log is now applied."""

        def write() -> None:
            for change in changes:
                self._write(*change)
            self._db.execute("INSERT OR REPLACE INTO applied VALUES (?, ?)",
                             (partition, next_offset))  # fmt: skip

        self._transaction(write)

    def applied_offset(self, partition: int) -> int | None:
        """The next state-log offset of `partition` to apply here (None: never applied)."""
        with self._lock:
            row = self._db.execute(
                "SELECT next_offset FROM applied WHERE partition = ?", (partition,)
            ).fetchone()
        return int(row[0]) if row else None

    def _transaction(self, write: Callable[[], object]) -> None:
        """Raises StateStoreError when SQLite cannot write (e.g. the disk is full)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    write()
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise StateStoreError(f"{self.path}: {exc}") from exc

    def _write(self, source: str, cursor: dict[str, Any] | None, seen: Seen,
               emitted: list[Emitted]) -> None:  # fmt: skip
        now = time.time()
        if cursor is not None:
            self._db.execute(
                "INSERT OR REPLACE INTO cursors VALUES (?, ?, ?)",
                (source, json.dumps(cursor), now),
            )
        self._db.executemany(
            "INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?)",
            [
                (source, nid, now, json.dumps(e) if e else None, json.dumps(m))
                for nid, (e, m) in seen.items()
            ],
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO emitted VALUES (?, ?, ?, ?)",
            [(e.id, e.published_at, e.source, e.mention_json) for e in emitted],
        )

    def save_health(self, snapshots: dict[str, SourceHealthSnapshot]) -> None:
        """Each source's latest health, for `veille ingest health` (one transaction)."""
        now = time.time()
        rows = [(source, snap.model_dump_json(), now) for source, snap in snapshots.items()]
        self._transaction(
            lambda: self._db.executemany("INSERT OR REPLACE INTO health VALUES (?, ?, ?)", rows)
        )

    def health(self) -> dict[str, SourceHealthSnapshot]:
        with self._lock:
            rows = self._db.execute("SELECT source, snapshot FROM health ORDER BY source")
            return {source: SourceHealthSnapshot.model_validate_json(s) for source, s in rows}

    def prune(self, older_than_s: float) -> None:
        """Forget items seen, and mentions published, more than `older_than_s` ago."""
        limit = time.time() - older_than_s
        with self._lock:
            self._db.execute("DELETE FROM seen WHERE seen_at < ?", (limit,))
            self._db.execute("DELETE FROM emitted WHERE published_at < ?", (limit,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
