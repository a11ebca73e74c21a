"""Index stage: mentions.enriched → Elasticsearch, `_id` = mention id, into the tenant's
monthly index of the mention's `published_at` (runtime/indices/names.py): an engagement
update (same id, same `published_at`) overwrites the document it updates. A source that
changed a post's `published_at` across a month boundary would leave the older copy in the
previous month's index (a known gap: no source seen so far redates a post).

Uses `helpers.streaming_bulk`, which chunks and retries 429 with exponential backoff
(`elasticsearch.bulk_max_retries`, waiting `bulk_initial_backoff_s` doubled at each retry up
to `bulk_max_backoff_s`; the client's transport also retries a whole-request 429).
A document Elasticsearch refuses (mapping error, 4xx) is dead-lettered with its reason;
any other failure (429 after every retry, 5xx, connection) raises, so the worker rewinds and
retries the batch and commits nothing. `handle` returns only once Elasticsearch acknowledged
every document, so the worker's commit follows a durable write.

One writer per mention: mentions.enriched carries one copy of a mention per brand it matched
(schemas/topics.py); only the copy keyed by its primary brand is indexed, the others are
skipped (committed, not written): the versions of one mention thus reach the index from one
partition, in order. A message keyed otherwise (by mention id, as before the topic was keyed
by brand) is indexed.

A batch holding several versions of one mention id (an engagement update right behind the
first observation; same key, same partition, in order) indexes only the last one: the earlier
would be overwritten at once (same `_id`). `indexed_total` counts messages whose mention id
is now in the index (skipped copies not included).
"""

from collections import Counter
from collections.abc import Iterator
from typing import Any

from elasticsearch import Elasticsearch, helpers

from runtime import metrics
from runtime.indices import TenantTemplates, bulk_options, mention_index
from runtime.stream import Received, Rejected
from schemas.config import ElasticsearchSettings
from schemas.enriched import EnrichedMention
from schemas.topics import brand_of_key, primary_brand


class IndexingFailed(RuntimeError):
    """Elasticsearch failed for reasons other than the documents themselves; retry later."""


class IndexStage:
    name = "index"

    def __init__(self, client: Elasticsearch, settings: ElasticsearchSettings) -> None:
        self._client = client
        self._settings = settings
        self._templates = TenantTemplates(client, settings)
        self.indexed_total = 0

    def _actions(self, latest: dict[str, Received[EnrichedMention]]) -> Iterator[dict[str, Any]]:
        for received in latest.values():
            mention = received.value
            yield {
                "_op_type": "index",
                "_index": mention_index(self._settings, mention.tenant, mention.published_at),
                "_id": mention.id,
                "_source": mention.model_dump(mode="json"),
            }

    def handle(self, batch: list[Received[EnrichedMention]]) -> list[Rejected]:
        try:
            return self._index(batch)
        except Exception:  # the worker rewinds and retries the batch
            metrics.BULK_RETRIES.inc()
            raise

    def _index(self, everything: list[Received[EnrichedMention]]) -> list[Rejected]:
        batch = [r for r in everything if _indexed_copy(r)]
        if not batch:
            return []
        by_id = {r.value.id: r for r in batch}  # the last version of each id wins
        versions = Counter(r.value.id for r in batch)
        self._templates.ensure({r.value.tenant for r in batch})
        rejected: list[Rejected] = []
        results = helpers.streaming_bulk(
            self._client,
            self._actions(by_id),
            **bulk_options(self._settings),
            raise_on_error=False,
            raise_on_exception=True,
        )
        for ok, item in results:
            outcome = next(iter(item.values()))
            if ok:
                self.indexed_total += versions[outcome["_id"]]
                m = by_id[outcome["_id"]].value
                metrics.record_hops(m.published_at, m.fetched_at, m.enriched_at)
                continue
            status = int(outcome.get("status", 0))
            if 400 <= status < 500 and status != 429:
                metrics.BULK_ERRORS.labels("rejected").inc()
                reason = f"Elasticsearch refused the document ({status}): {outcome.get('error')}"
                rejected.append(Rejected(by_id[outcome["_id"]].record, reason))
            else:
                metrics.BULK_ERRORS.labels("failed").inc()
                raise IndexingFailed(f"bulk item failed with status {status}: {outcome}")
        return rejected

    def flush(self) -> None:
        """streaming_bulk returns once Elasticsearch acknowledged every item: nothing pending."""


def _indexed_copy(received: Received[EnrichedMention]) -> bool:
    """The copy of its mention this stage writes (see the module's docstring)."""
    key = brand_of_key(received.record.key)
    return key is None or key[1] == primary_brand(received.value)
