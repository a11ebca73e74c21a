"""NotificationLog: the notifier's durable state — what is due, what was sent, on which
channel, to whom, when, and the provider's answer — and the page threads.

Store: Elasticsearch, one index per tenant (`runtime.indices.notify_log_index`,
`notify_threads_index`, `notify_links_index`), `_id` = notification id / incident id. Why not
a SQLite file: it would be one disk on one host, a single point of failure, and it cannot be
shared by the members of the notifier's consumer group. Why not a compacted topic: each
member would replay a changelog at every rebalance, and the incident page and `veille
incidents list` would need a second copy to query. Elasticsearch is already veille's
replicated system of record (the incidents live there); a write acknowledged by it is durable
(translog) and readable by id at once; each record carries the input (topic, partition) that
owns it, so a member that gains a partition loads exactly that partition's open state
(`load`). Every write is idempotent: records are created with `op_type=create` (a replayed
plan finds them and keeps their status), updates overwrite the whole document.

Raises `elasticsearch` errors on failure; callers retry (the stream loop retries the batch,
the dispatcher reschedules).
"""

from collections.abc import Iterable, Iterator
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError, helpers

from alerts.notify.records import OPEN_RECORDS, NotificationRecord, PageThread
from runtime.indices import (
    bulk_options,
    notify_links_index,
    notify_log_index,
    notify_threads_index,
)
from schemas.config import ElasticsearchSettings

PAGE = 1_000


class NotificationLog:
    def __init__(self, client: Elasticsearch, settings: ElasticsearchSettings) -> None:
        self._client = client
        self._settings = settings

    def create(self, records: list[NotificationRecord]) -> list[NotificationRecord]:
        """Create the records not stored yet; return each record as stored (an existing one
        keeps its status: a replayed plan changes nothing)."""
        if not records:
            return []
        actions = (
            {"_op_type": "create", "_index": notify_log_index(self._settings, r.tenant),
             "_id": r.id, "_source": r.model_dump(mode="json")}
            for r in records
        )  # fmt: skip
        existing: list[NotificationRecord] = []
        for ok, item in helpers.streaming_bulk(
            self._client, actions, raise_on_error=False, **bulk_options(self._settings)
        ):
            result = item["create"]
            if ok:
                continue
            if result.get("status") != 409:
                raise RuntimeError(f"notification log: create failed: {result.get('error')}")
            existing.append(self._get(result["_index"], result["_id"]))
        kept = {r.id: r for r in existing}
        return [kept.get(r.id, r) for r in records]

    def save(self, records: Iterable[NotificationRecord]) -> None:
        """Overwrite each record with its new state; raises unless all were written."""
        helpers.bulk(
            self._client,
            (
                {"_index": notify_log_index(self._settings, r.tenant), "_id": r.id,
                 "_source": r.model_dump(mode="json")}
                for r in records
            ),
            **bulk_options(self._settings),
        )  # fmt: skip

    def save_threads(self, threads: Iterable[PageThread]) -> None:
        helpers.bulk(
            self._client,
            (
                {"_index": notify_threads_index(self._settings, t.tenant), "_id": t.incident_id,
                 "_source": t.model_dump(mode="json")}
                for t in threads
            ),
            **bulk_options(self._settings),
        )  # fmt: skip

    def thread(self, tenant: str, incident_id: str) -> PageThread | None:
        try:
            found = self._client.get(
                index=notify_threads_index(self._settings, tenant), id=incident_id
            )
        except NotFoundError:
            return None
        return PageThread.model_validate(found["_source"])

    def find_thread(self, incident_id: str) -> PageThread | None:
        """The thread of `incident_id`, whatever its tenant (for the CLI)."""
        self._refresh(notify_threads_index(self._settings, "*"))
        hits = self._search(
            notify_threads_index(self._settings, "*"),
            {"term": {"incident_id": incident_id}}, "incident_id",
        )  # fmt: skip
        return next((PageThread.model_validate(h) for h in hits), None)

    def threads(self, tenant: str) -> list[PageThread]:
        """Every thread of a tenant, newest first."""
        index = notify_threads_index(self._settings, tenant)
        self._refresh(index)
        found = [PageThread.model_validate(h) for h in self._search(index, None, "incident_id")]
        return sorted(found, key=lambda t: t.opened_at, reverse=True)

    def records_for(self, tenant: str, incident_id: str) -> list[NotificationRecord]:
        index = notify_log_index(self._settings, tenant)
        self._refresh(index)
        hits = self._search(index, {"term": {"incident_id": incident_id}}, "id")
        return sorted((NotificationRecord.model_validate(h) for h in hits),
                      key=lambda r: (r.due_at, r.id))  # fmt: skip

    def load(
        self, owned: set[tuple[str, int]]
    ) -> tuple[list[PageThread], list[NotificationRecord]]:
        """The threads still open and the records still to send of the (topic, partition)s
        in `owned` (a member's assignment), after a start or a rebalance."""
        if not owned:
            return [], []
        by_partition = [
            {"bool": {"filter": [{"term": {"topic": t}}, {"term": {"partition": p}}]}}
            for t, p in owned
        ]
        self._refresh(notify_threads_index(self._settings, "*"))
        self._refresh(notify_log_index(self._settings, "*"))
        threads = self._search(
            notify_threads_index(self._settings, "*"),
            {"bool": {"should": by_partition, "minimum_should_match": 1,
                      "must_not": [{"term": {"status": "resolved"}}]}},
            "incident_id",
        )  # fmt: skip
        records = self._search(
            notify_log_index(self._settings, "*"),
            {"bool": {"should": by_partition, "minimum_should_match": 1,
                      "filter": [{"terms": {"status": list(OPEN_RECORDS)}}]}},
            "id",
        )  # fmt: skip
        return (
            [PageThread.model_validate(t) for t in threads],
            [NotificationRecord.model_validate(r) for r in records],
        )

    def claim_link(self, tenant: str, token_id: str, use: dict[str, Any]) -> bool:
        """Record the one use of an incident link; False if it was used already."""
        try:
            self._client.create(
                index=notify_links_index(self._settings, tenant), id=token_id, document=use,
                refresh="wait_for",
            )  # fmt: skip
        except Exception as exc:
            if getattr(exc, "status_code", None) == 409 or getattr(exc, "status", None) == 409:
                return False
            raise
        return True

    def link_used(self, tenant: str, token_id: str) -> bool:
        return bool(
            self._client.exists(index=notify_links_index(self._settings, tenant), id=token_id)
        )

    def _get(self, index: str, doc_id: str) -> NotificationRecord:
        return NotificationRecord.model_validate(
            self._client.get(index=index, id=doc_id)["_source"]
        )

    def _refresh(self, pattern: str) -> None:
        self._client.indices.refresh(index=pattern, allow_no_indices=True, ignore_unavailable=True)

    def _search(self, pattern: str, query: dict[str, Any] | None, key: str) -> Iterator[Any]:
        after: list[Any] | None = None
        while True:
            found = self._client.search(
                index=pattern, query=query or {"match_all": {}}, size=PAGE,
                sort=[{key: "asc"}], search_after=after, allow_no_indices=True,
                ignore_unavailable=True,
            )  # fmt: skip
            hits = found["hits"]["hits"]
            for hit in hits:
                yield hit["_source"]
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]
