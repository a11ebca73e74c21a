"""A person's right to erasure: every stored mention of one author, in one tenant, is removed,
and so is every copy of it an incident cites (`top_mentions`), and every response-time
record about one of their posts (schemas/reply_record.py: a first-reply record has the post's
id, an overdue notice its `post_id`; both keep the post's URL).

Contract:
- The author is matched on `author.handle` (normalised like the mapping: lowercase, accents
  folded), through the tenant's read aliases only.
- Incidents are cleaned first, mentions deleted after: a run stopped half-way leaves the
  mention ids findable, and running it again finishes the job (every step is idempotent).
- Deletes and updates are sent to each concrete index the alias resolves to (each checked to
  be the tenant's): noida-db 0.2.3 runs a `_delete_by_query` / `_update_by_query` on an alias
  of several indices on one of them only (measured), Elasticsearch on all; both are right
  with the concrete names.
- A write racing the erasure (an engagement update of the same mention) makes the request
  fail with a version conflict rather than skip a document: run it again.
- Copies outside Elasticsearch are not touched here: Kafka topics keep theirs until the
  topic's `retention_ms` expires them.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from runtime.indices import incidents_alias, mentions_alias
from runtime.indices.names import Family, parse_monthly, read_alias
from schemas.config import ElasticsearchSettings

BATCH = 1000
_DROP_CITED = "ctx._source.top_mentions.removeIf(m -> params.ids.contains(m.id))"


@dataclass(frozen=True)
class Erasure:
    tenant: str
    author: str
    mentions: int
    """Mentions of the author found (deleted unless a dry run)."""
    incidents: int
    """Incidents whose top posts cited one of them."""
    top_mentions: int
    """Citations removed from those incidents."""
    replies: int = 0
    """Response-time records about their posts (first replies, overdue notices)."""
    dry_run: bool = False


def author_mention_ids(
    client: Elasticsearch, settings: ElasticsearchSettings, tenant: str, handle: str
) -> Iterator[str]:
    """Ids of the author's mentions in the tenant's alias, in id order."""
    if not client.indices.exists_alias(name=mentions_alias(settings, tenant)):
        return
    after: list[Any] | None = None
    while True:
        found = client.search(
            index=mentions_alias(settings, tenant),
            size=BATCH,
            query={"term": {"author.handle": handle}},
            source_includes=["id"],
            sort=[{"id": "asc"}],
            search_after=after,
        )
        hits = found["hits"]["hits"]
        for hit in hits:
            yield hit["_source"]["id"]
        if len(hits) < BATCH:
            return
        after = hits[-1]["sort"]


def concrete_indices(
    client: Elasticsearch, settings: ElasticsearchSettings, family: Family, tenant: str
) -> list[str]:
    """The tenant's concrete indices behind its read alias (none if it has none yet);
    RuntimeError if the alias resolves to an index that is not the tenant's."""
    alias = read_alias(settings, family, tenant)
    if not client.indices.exists_alias(name=alias):
        return []
    names = sorted(client.indices.get_alias(name=alias))
    foreign = [n for n in names if parse_monthly(settings, family, tenant, n) is None]
    if foreign:
        raise RuntimeError(f"alias {alias} resolves to indices not of {tenant}: {foreign}")
    return names


def _about(ids: list[str]) -> dict[str, Any]:
    """Response-time records of these posts: a first reply's id is the post's, an overdue
    notice names it in `post_id`."""
    return {"bool": {"should": [{"ids": {"values": ids}}, {"terms": {"post_id": ids}}]}}


def _citing(ids: list[str]) -> dict[str, Any]:
    return {"terms": {"top_mentions.id": ids}}


def _count_cited(client: Elasticsearch, index: str, ids: list[str]) -> tuple[int, int]:
    """(incidents citing any of `ids`, citations of them)."""
    found = client.search(
        index=index, query=_citing(ids), size=10_000, source_includes=["top_mentions"]
    )
    hits = found["hits"]["hits"]
    wanted = set(ids)
    cited = sum(
        1 for h in hits for m in h["_source"].get("top_mentions", []) if m.get("id") in wanted
    )
    return len(hits), cited


def erase_author(
    client: Elasticsearch,
    settings: ElasticsearchSettings,
    tenant: str,
    handle: str,
    dry_run: bool = False,
) -> Erasure:
    """Remove the author's mentions and their citations in incidents; counts of both."""
    mentions = incidents_n = cited_n = replies_n = 0
    ids = list(author_mention_ids(client, settings, tenant, handle))
    incidents = concrete_indices(client, settings, "incidents", tenant)
    stored = concrete_indices(client, settings, "mentions", tenant)
    replies = concrete_indices(client, settings, "responses", tenant)
    script = {"source": _DROP_CITED, "lang": "painless"}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        mentions += len(chunk)
        if incidents:
            client.indices.refresh(index=incidents_alias(settings, tenant))
            n, cited = _count_cited(client, incidents_alias(settings, tenant), chunk)
            incidents_n, cited_n = incidents_n + n, cited_n + cited
            for index in incidents if n and not dry_run else []:
                client.update_by_query(
                    index=index,
                    query=_citing(chunk),
                    refresh=True,
                    script={**script, "params": {"ids": chunk}},
                )
        for index in replies:
            client.indices.refresh(index=index)
            replies_n += client.count(index=index, query=_about(chunk))["count"]
            if not dry_run:
                client.delete_by_query(index=index, query=_about(chunk), refresh=True)
        for index in [] if dry_run else stored:
            client.delete_by_query(index=index, query={"ids": {"values": chunk}}, refresh=True)
    return Erasure(tenant, handle, mentions, incidents_n, cited_n, replies_n, dry_run)
