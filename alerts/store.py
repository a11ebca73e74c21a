"""IncidentStore: incidents kept durably in Elasticsearch, one index per tenant
(`<prefix>incidents-<tenant>`, `_id` = incident id: each event overwrites the same document),
so analysts see them in Kibana next to the mentions and a restart loses none."""

from elasticsearch import Elasticsearch, helpers

from runtime.indices import bulk_options, incidents_index
from schemas.config import ElasticsearchSettings
from schemas.incident import Incident


class IncidentStore:
    def __init__(self, client: Elasticsearch, settings: ElasticsearchSettings) -> None:
        self._client = client
        self._settings = settings

    def save(self, incidents: list[Incident]) -> None:
        """Index the latest state of each incident; raises unless every one was written."""
        latest = {incident.id: incident for incident in incidents}
        if not latest:
            return
        helpers.bulk(
            self._client,
            (
                {
                    "_index": incidents_index(self._settings, i.tenant),
                    "_id": i.id,
                    "_source": i.model_dump(mode="json"),
                }
                for i in latest.values()
            ),
            **bulk_options(self._settings),
        )
