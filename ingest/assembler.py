"""BatchAssembler: a source's fetched items → a Batch: dedup → match → mention → batch.

Contract, for a Fetched batch from `source` (a polled source, or a tenant's push):
- dedup: an item whose native id this source already emitted is an engagement update at
  most (ingest/reobserve.py); an item listed twice in one fetch is taken once;
- match: each new item's title and text against the brand queries of the source's tenants;
- mention: one Mention per matched tenant (ids from the canonical URL, so one post reaching
  two sources is one mention); a matched item whose `published_at` the event-time rule
  refuses (too far ahead of `now`, the time it was fetched, or older than the floor:
  schemas/event_time.py), or that cannot become a Mention, is a dead letter with the
  reason — never silently re-dated — and is remembered, so it is never retried forever;
- batch: new items oldest first (each partition carries event time in order).
Nothing is dropped silently: each item or mention the in-batch de-duplication drops is
logged and counted in `duplicates_dropped`.
"""

import logging
from datetime import datetime, timedelta

from ingest.cursors import CursorStore, SeenItem
from ingest.delivery import Batch
from ingest.http import SafeClient
from ingest.matcher import BrandMatcher
from ingest.normalize import to_mention
from ingest.reobserve import counts, engagement_updates
from ingest.sources.base import Completing, FeedItem, Fetched, Origin
from schemas.config import EventTimeSettings, IngestSettings
from schemas.event_time import event_time_problem
from schemas.mention import Mention

log = logging.getLogger(__name__)


class BatchAssembler:
    def __init__(
        self,
        matcher: BrandMatcher,
        store: CursorStore,
        settings: IngestSettings,
        event_time: EventTimeSettings,
    ) -> None:
        self._matcher = matcher
        self._store = store
        self._event_time = event_time
        self._horizon = timedelta(hours=settings.engagement_horizon_h)
        self.duplicates_dropped = 0

    def assemble(self, source: Origin, fetched: Fetched, now: datetime) -> Batch:
        """The Batch of one poll (or one push) of `source`, seen at `now`."""
        seen = self._store.seen(source.id, (i.native_id for i in fetched.items))
        batch = Batch(rejected=[(f"{source.id}: {why}", raw) for why, raw in fetched.rejected])
        fresh: dict[str, FeedItem] = {}
        for item in fetched.items:
            if item.native_id in seen:
                self._add_updates(item, seen[item.native_id], now, batch)
            elif item.native_id in fresh:
                self._dropped(f"{source.id}: item {item.native_id!r} listed twice: taken once")
            else:
                fresh[item.native_id] = item
        batch.new_items = len(fresh)
        # oldest first: feeds list newest first, and each partition must carry event time in
        # order, or the alert worker's watermark would make the older ones late
        batch.items = sorted(fresh.values(), key=lambda i: i.published_at)
        made: dict[str, str] = {}  # mention id → the native id it came from
        for item in batch.items:
            mentions = self._mentions(source, item, now, batch)
            kept = [m for m in mentions if self._first(source, m, item, made)]
            batch.new.extend(kept)
            batch.seen[item.native_id] = (counts(item), [m.id for m in kept])
        return batch

    def updates(self, source: Origin, items: list[FeedItem], now: datetime) -> Batch:
        """A Batch of only the engagement updates `items` (looked up by id) carry."""
        seen = self._store.seen(source.id, (i.native_id for i in items))
        batch = Batch()
        for item in items:
            if item.native_id in seen:
                self._add_updates(item, seen[item.native_id], now, batch)
        return batch

    async def complete(self, client: SafeClient, source: Origin, batch: Batch) -> None:
        """Let a Completing source fill its matched items' text (e.g. a blog's article)."""
        if not batch.new or not isinstance(source, Completing):
            return
        items = {i.native_id: i for i in batch.items}
        done: dict[str, FeedItem] = {}
        for index, mention in enumerate(batch.new):
            item = done.get(mention.native_id)
            if item is None:
                item = done[mention.native_id] = await source.complete(
                    client, items[mention.native_id]
                )
            if item.text != mention.text:
                batch.new[index] = mention.model_copy(update={"text": item.text})

    def _mentions(
        self, source: Origin, item: FeedItem, now: datetime, batch: Batch
    ) -> list[Mention]:
        text = f"{item.title or ''}\n{item.text}"
        matches = self._matcher.match(
            text, source.tenants, lang=item.lang, source=source.id, source_kind=source.kind
        )
        if not matches:
            return []
        problem = event_time_problem(item.published_at, now, self._event_time)
        if problem is not None:  # refused, never re-dated: one post must not move event time
            reason = f"{source.id}: item {item.native_id!r}: {problem}"
            batch.rejected.append((reason, repr(item).encode()))
            return []
        try:
            return [to_mention(item, source.id, source.kind, m, now) for m in matches]
        except ValueError as exc:  # a poison item: dead-lettered, never retried forever
            reason = f"{source.id}: item {item.native_id!r}: {exc}"
            batch.rejected.append((reason, repr(item).encode()))
            return []

    def _first(
        self, source: Origin, mention: Mention, item: FeedItem, made: dict[str, str]
    ) -> bool:
        """Whether `mention` is the first of its id in this batch (else: logged, counted)."""
        first = made.setdefault(mention.id, item.native_id)
        if first == item.native_id:
            return True
        self._dropped(
            f"{source.id}: item {item.native_id!r} is mention {mention.id} of item {first!r} "
            f"(same tenant and canonical URL {mention.url!r}): not sent again"
        )
        return False

    def _dropped(self, what: str) -> None:
        self.duplicates_dropped += 1
        log.warning("ingest: de-duplicated in batch: %s", what)

    def _add_updates(self, item: FeedItem, seen: SeenItem, now: datetime, batch: Batch) -> None:
        updates = engagement_updates(item, seen, now, self._horizon, self._store)
        if updates:
            batch.updates.extend(updates)
            batch.seen[item.native_id] = (counts(item), seen.mention_ids)
