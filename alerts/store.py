"""IncidentStore: incidents kept durably in Elasticsearch, in the tenant's monthly index of the
month it opened (`runtime.indices.incident_index`; `_id` = incident id and `opened_at` never
changes, so each event overwrites the same document),
so analysts see them in Kibana next to the mentions and a restart loses none."""

from elasticsearch import Elasticsearch, helpers

from runtime.indices import TenantTemplates, bulk_options, incident_index
from schemas.config import ElasticsearchSettings
from schemas.incident import Incident


class IncidentStore:
    def __init__(self, client: Elasticsearch, settings: ElasticsearchSettings) -> None:
        self._client = client
        self._settings = settings
        self._templates = TenantTemplates(client, settings)

    def save(self, incidents: list[Incident]) -> None:
        """Index the latest state of each incident; raises unless every one was written."""
        latest = {incident.id: incident for incident in incidents}
        if not latest:
            return
        self._templates.ensure({i.tenant for i in latest.values()})
        helpers.bulk(
            self._client,
            (
                {
                    "_index": incident_index(self._settings, i.tenant, i.opened_at),
                    "_id": i.id,
                    "_source": i.model_dump(mode="json"),
                }
                for i in latest.values()
            ),
            **bulk_options(self._settings),
        )
