"""CursorStore: what the ingest worker must remember across restarts, in one local SQLite file.

Per source: its cursor (ETag/Last-Modified, since_id, pagination cursor…) and the native ids
it has already turned into mentions (with their engagement and mention ids, for updates).
Per mention id: the emitted mention, so a post reached again through another source is not
re-emitted, and recent posts can be re-observed.

Why a local store rather than a compacted Kafka topic: ingest is one process per
configuration (deploy/README.md: keep one `veille-ingest`), the state is read on every poll
(a seen-check per item), and it must be committed atomically with the cursor *after* the
producer flush. SQLite gives that in one transaction, with no broker feature to rely on
(the embedded noida-db needs a retention on every topic and does not compact) and no topic
to re-read at start. The price: the file must live on a volume (`ingest.state_dir`); losing
it re-emits recent items once, which the deterministic mention ids absorb downstream.

Contract: `commit` is the only write and is atomic; nothing is remembered for a batch that
was not produced. Files are named after the topic prefix, so deployments (and tests)
sharing a directory never share state.
"""

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
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


class CursorStore:
    def __init__(self, path: str | Path | None) -> None:
        """`path` None: in memory (state lost at exit; the demo)."""
        target = ":memory:"
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            target = str(path)
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)

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
        seen: dict[str, tuple[tuple[int, int, int] | None, list[str]]],
        emitted: list[Emitted],
    ) -> None:
        """Atomically: the source's new cursor, its newly seen items, the emitted mentions."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
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
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def save_health(self, snapshots: dict[str, SourceHealthSnapshot]) -> None:
        """Each source's latest health, for `veille ingest health` (one transaction)."""
        now = time.time()
        rows = [(source, snap.model_dump_json(), now) for source, snap in snapshots.items()]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO health VALUES (?, ?, ?)", rows)
            self._db.execute("COMMIT")

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
