"""`veille index migrate`: a mapping change (a new `version` in `runtime/indices/templates/
<family>.json`) copies every older concrete index of a tenant into the index of the same month
at the current version, moves the read alias, and drops the old one — with no downtime and no
lost update.

Contract (the order is what makes it safe):
1. The templates are put first (idempotent), so the current version's index template exists.
   Writers running the new code already write to `.v<current>-` (the index name comes from the
   version, see runtime/indices/names.py): an update arriving during the copy lands in the new
   index, never in the old one.
2. Each old index gets a write block (`index.blocks.write`), so a writer still running the old
   code fails loudly (and retries, at-least-once) instead of writing where the copy has already
   passed.
3. The copy is a `_reindex` with `op_type: create` and `conflicts: proceed`: a document the
   new index already holds (written by a new writer, hence newer) is never overwritten by its
   older copy. Older versions of one month are copied newest first, so the newest copy wins.
4. Check: every id of the old index must be in the new one (counted by `ids` queries, batch by
   batch); otherwise the old index stays, blocked and on the alias, and the run fails.
5. The alias moves in one atomic `_aliases` call (add the new index, remove the old one), then
   the old index is deleted.
Reads never stop: the alias always holds every document. During the copy it holds both
indices of a month, so a search may see a mention twice until step 5. Indices of a version
newer than the code's are left alone (a rolled-back deployment never migrates downward).
A mapping change that is not additive (a renamed field) needs a reindex script: not handled.
Running it again resumes: blocks, creates and alias moves are all idempotent.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch

from runtime.indices.names import Family, monthly_index, parse_monthly, read_alias, tenant_pattern
from runtime.indices.templates import FAMILIES, ensure_templates, mapping_version
from schemas.config import ElasticsearchSettings

log = logging.getLogger(__name__)
BATCH = 1000


class MigrationError(RuntimeError):
    """The new index lacks ids of the old one: nothing was dropped."""


@dataclass(frozen=True)
class Move:
    """One old concrete index copied into the current version's index of its month."""

    tenant: str
    family: Family
    source: str
    target: str
    documents: int
    """Documents in the source (what the check requires in the target)."""
    created: int = 0
    """Documents the copy created (the others were already there, newer)."""


def planned_moves(
    client: Elasticsearch, settings: ElasticsearchSettings, tenant: str
) -> list[Move]:
    """The tenant's indices below the current mapping version, newest version first per month."""
    moves = []
    for family in FAMILIES:
        current = mapping_version(family)
        names = client.indices.get(
            index=tenant_pattern(settings, family, tenant),
            allow_no_indices=True,
            expand_wildcards="open",
        )
        found = [parse_monthly(settings, family, tenant, name) for name in names]
        old = [f for f in found if f is not None and f.version < current]
        for index in sorted(old, key=lambda f: (f.month, -f.version)):
            at = datetime.combine(index.month, datetime.min.time(), UTC)
            target = monthly_index(settings, family, tenant, at, current)
            count = client.count(index=index.name)["count"]
            moves.append(Move(tenant, family, index.name, target, count))
    return moves


def _ids(client: Elasticsearch, index: str) -> Iterator[list[str]]:
    """The ids of `index`, in batches, in id order."""
    after: list[Any] | None = None
    while True:
        found = client.search(
            index=index, size=BATCH, source=False, sort=[{"id": "asc"}], search_after=after
        )["hits"]["hits"]
        if not found:
            return
        yield [hit["_id"] for hit in found]
        after = found[-1]["sort"]


def missing_ids(client: Elasticsearch, source: str, target: str) -> int:
    """How many ids of `source` the `target` does not hold."""
    missing = 0
    for batch in _ids(client, source):
        held = client.count(index=target, query={"ids": {"values": batch}})["count"]
        missing += len(batch) - held
    return missing


def move(client: Elasticsearch, settings: ElasticsearchSettings, planned: Move) -> Move:
    """Block, copy, check, switch the alias, drop the source (steps 2-5 of the contract)."""
    alias = read_alias(settings, planned.family, planned.tenant)
    client.indices.put_settings(index=planned.source, settings={"index.blocks.write": True})
    if not client.indices.exists(index=planned.target):
        client.indices.create(index=planned.target)  # the template gives mappings and alias
    done = client.reindex(
        source={"index": planned.source},
        dest={"index": planned.target, "op_type": "create"},
        conflicts="proceed",
        refresh=True,
        wait_for_completion=True,
    )
    client.indices.refresh(index=planned.target)
    missing = missing_ids(client, planned.source, planned.target)
    if missing:
        raise MigrationError(
            f"{planned.target} lacks {missing} id(s) of {planned.source}: "
            "the old index stays (write-blocked, on the alias); run again"
        )
    client.indices.update_aliases(
        actions=[
            {"add": {"index": planned.target, "alias": alias}},
            {"remove": {"index": planned.source, "alias": alias}},
        ]
    )
    client.indices.delete(index=planned.source)
    created = int(done.get("created", 0))
    log.info("migrated %s → %s (%d created, %d newer kept)", planned.source, planned.target,
             created, planned.documents - created)  # fmt: skip
    return Move(planned.tenant, planned.family, planned.source, planned.target,
                planned.documents, created)  # fmt: skip


def migrate(
    client: Elasticsearch, settings: ElasticsearchSettings, tenants: list[str], dry_run: bool
) -> list[Move]:
    """Every older index of `tenants` moved to the current version (only planned if a dry run)."""
    if not dry_run:
        ensure_templates(client, settings, tenants)
    out: list[Move] = []
    for tenant in tenants:
        for planned in planned_moves(client, settings, tenant):
            out.append(planned if dry_run else move(client, settings, planned))
    return out
