"""Topic names, and the key of each topic's messages: the one place they are spelled.

A prefix lets several deployments share one cluster.

Keys (Kafka sends equal keys to one partition, in order):
- `mentions.raw`: the mention's tenant (`raw_key`). Near-duplicate clusters are scoped per
  tenant (enrich/clusters.py), so every mention of a tenant — every copy of a post, and every
  engagement update of a mention (its id is derived from the tenant) — reaches one partition,
  hence one enrich worker, in the order produced. The price: one tenant's enrichment runs on
  one worker at a time; enrich scales out across tenants, not within one.
- `mentions.enriched`: the mention id (versions of one mention stay in order; the load spreads
  over every partition for the index and alert workers).
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
ENRICHED = "mentions.enriched"
DLQ = "mentions.dlq"
INCIDENTS = "alerts.incidents"
COMMANDS = "alerts.commands"
HEALTH = "ingest.health"
RESPONSES = "alerts.responses"


def raw_key(mention: Mention) -> str:
    """Kafka key of a mention on `mentions.raw`: its tenant, so that a near-duplicate
    cluster's whole scope (the tenant) and every observation of a mention id share a
    partition. Every producer of the raw topic must use it."""
    return mention.tenant


def incident_key(incident: Incident) -> str:
    """Kafka key of an incident event on `alerts.incidents`: its tenant. Every producer of
    the incidents topic must use it."""
    return incident.tenant


def response_key(response: IncidentResponse) -> str:
    """Kafka key of a person's answer on `alerts.responses`: the incident's tenant, so that
    it reaches the notifier that owns the incident's page thread."""
    return response.tenant


@dataclass(frozen=True)
class Topics:
    prefix: str = ""

    @property
    def raw(self) -> str:
        return self.prefix + RAW

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
            self.raw, self.enriched, self.dlq, self.incidents, self.commands, self.health,
            self.responses,
        ]  # fmt: skip
