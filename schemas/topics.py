"""Topic names: the one place they are spelled.

A prefix lets several deployments share one cluster.
"""

from dataclasses import dataclass

RAW = "mentions.raw"
ENRICHED = "mentions.enriched"
DLQ = "mentions.dlq"
INCIDENTS = "alerts.incidents"
COMMANDS = "alerts.commands"
HEALTH = "ingest.health"


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

    def all(self) -> list[str]:
        return [self.raw, self.enriched, self.dlq, self.incidents, self.commands, self.health]
