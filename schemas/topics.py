"""Topic names, and the key of each topic's messages: the one place they are spelled.

A prefix lets several deployments share one cluster. Kafka sends equal keys to one
partition, in order; a consumer group gives each partition to one member at a time.

Keys, and the order each stage may rely on:
- `mentions.raw`: the mention id (`raw_key`). Every observation of one mention (each copy of
  a post reached through several sources has the same id, `schemas.mention.post_mention_id`;
  each engagement update) is on one partition in the order produced, and the load spreads
  over every partition whatever the tenants: the inference workers (`veille enrich run`,
  stateless: sentiment and intent) scale by mention id, up to the partition count.
- `mentions.scored`: the tenant (`scored_key`), so that one worker of the per-tenant state
  stage (`veille enrich stories`: near-duplicate clusters, velocity) sees all of a tenant's
  mentions. Order, stated honestly: the observations of one mention id reach it in raw order
  (one raw partition, read in order by one inference worker at a time, sent in order on one
  key), except after a failure: an inference worker that dies (or is rebalanced away)
  between producing and committing has its uncommitted suffix scored again by the next
  owner, so a run of versions already seen can follow the newer ones (v1 v2 v1 v2: the
  newest comes last again). Mentions of one tenant with different ids interleave as the
  raw partitions' progress does (each inference batch is sent in event-time order, but
  batches of different raw partitions alternate, and a raw partition whose worker died lags
  by the session timeout and its backlog).
  Clusters, velocity and the indexer tolerate both (a repeated id is the same member;
  velocity ignores an observation not newer than the last; the last version indexed wins).
- `mentions.enriched`: (tenant, brand) (`brand_key`): one message per brand the mention
  matched (same value each), so that each (tenant, brand)'s detector state lives with one
  alert worker, and the alert group scales by brand. The indexer writes only the copy on the
  mention's primary brand (`primary_brand`, the least brand id) and skips the others: one
  writer per mention id, its versions in order on one partition. Event time per partition:
  each stories batch is sent in event-time order; across batches it carries the disorder of
  `mentions.scored` above, which the detector's allowed lateness must cover (live: the
  relative lag of the raw partitions, expected to be seconds, not measured; a replay or a
  backlog at full speed can exceed it and count mentions late).
- `alerts.commands`: (tenant, brand) too, with the partition count of `mentions.enriched`:
  a resolve command lands on the partition number its brand's mentions use, which the alert
  group's range assignment gives to the same member, the one holding the incident.
- `alerts.incidents` and `alerts.responses`: the incident's tenant (`incident_key`,
  `response_key`). Both topics have the same partition count, so a tenant's incident events
  and the people's answers to them (acknowledge, resolve) land on partitions of the same
  number, which the notifier's consumer group assigns to one member (range assignment): one
  notifier owns a tenant's page threads, hears every answer to them, and groups the tenant's
  simultaneous incidents (`group_wait_s`) into one message. Events of one incident stay in
  order (one key, one partition); a hot tenant's pages are sent by one notifier.
"""

from dataclasses import dataclass

from schemas.incident import Incident
from schemas.mention import Mention
from schemas.response import IncidentResponse

RAW = "mentions.raw"
SCORED = "mentions.scored"
ENRICHED = "mentions.enriched"
DLQ = "mentions.dlq"
INCIDENTS = "alerts.incidents"
COMMANDS = "alerts.commands"
HEALTH = "ingest.health"
RESPONSES = "alerts.responses"

BRAND_KEY_SEPARATOR = "/"
"""Outside the id alphabet of tenants and brands, and never in a mention id (hex)."""


def raw_key(mention: Mention) -> str:
    """Kafka key of a mention on `mentions.raw`: its id, so that every observation of it
    shares a partition and mentions spread over all of them. Every producer of the raw
    topic must use it."""
    return mention.id


def scored_key(mention: Mention) -> str:
    """Kafka key on `mentions.scored`: the tenant, the scope of a near-duplicate cluster."""
    return mention.tenant


def incident_key(incident: Incident) -> str:
    """Kafka key of an incident event on `alerts.incidents`: its tenant. Every producer of
    the incidents topic must use it."""
    return incident.tenant


def response_key(response: IncidentResponse) -> str:
    """Kafka key of a person's answer on `alerts.responses`: the incident's tenant, so that
    it reaches the notifier that owns the incident's page thread."""
    return response.tenant


def brand_key(tenant: str, brand: str) -> str:
    """Kafka key on `mentions.enriched` and `alerts.commands`: one (tenant, brand)."""
    return f"{tenant}{BRAND_KEY_SEPARATOR}{brand}"


def brand_of_key(key: bytes | None) -> tuple[str, str] | None:
    """(tenant, brand) of a `brand_key`; None for any other key (a message keyed by mention
    id, as `mentions.enriched` was before it was keyed by brand: it stands for all brands)."""
    if key is None:
        return None
    tenant, sep, brand = key.decode("utf-8", "replace").partition(BRAND_KEY_SEPARATOR)
    return (tenant, brand) if sep and tenant and brand else None


def primary_brand(mention: Mention) -> str:
    """The brand whose `mentions.enriched` copy of the mention is indexed."""
    return min(mention.brands)


@dataclass(frozen=True)
class Topics:
    prefix: str = ""

    @property
    def raw(self) -> str:
        return self.prefix + RAW

    @property
    def scored(self) -> str:
        """Mentions with sentiment and intent (schemas.enriched.ScoredMention)."""
        return self.prefix + SCORED

    @property
    def enriched(self) -> str:
        return self.prefix + ENRICHED

    @property
    def dlq(self) -> str:
        return self.prefix + DLQ

    @property
    def incidents(self) -> str:
        return self.prefix + INCIDENTS

    @property
    def commands(self) -> str:
        return self.prefix + COMMANDS

    @property
    def health(self) -> str:
        """Source health events (schemas.health.SourceHealthEvent), e.g. source_silent."""
        return self.prefix + HEALTH

    @property
    def responses(self) -> str:
        """Acknowledgements and resolutions by people (schemas.response.IncidentResponse)."""
        return self.prefix + RESPONSES

    def all(self) -> list[str]:
        return [
            self.raw, self.scored, self.enriched, self.dlq, self.incidents, self.commands,
            self.health, self.responses,
        ]  # fmt: skip
