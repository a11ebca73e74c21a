"""The notifier's own state indices, one set per tenant: `<prefix>notify-log-<tenant>` (one
document per notification), `<prefix>notify-threads-<tenant>` (one per incident's page
thread) and `<prefix>notify-links-<tenant>` (one per used incident link). They are read by
id by the notifier only (alerts/notify/log.py says why they live in the search engine)."""

from typing import Any

from elasticsearch import Elasticsearch

from schemas.config import ElasticsearchSettings

NOTIFY_LOG_MAPPINGS: dict[str, Any] = {
    "dynamic": "false",
    "properties": {
        "id": {"type": "keyword"},
        "tenant": {"type": "keyword"},
        "incident_id": {"type": "keyword"},
        "topic": {"type": "keyword"},
        "partition": {"type": "integer"},
        "channel": {"type": "keyword"},
        "action": {"type": "keyword"},
        "status": {"type": "keyword"},
        "step": {"type": "integer"},
        "due_at": {"type": "date"},
        "sent_at": {"type": "date"},
        "possible_duplicate": {"type": "boolean"},
    },
}

NOTIFY_THREAD_MAPPINGS: dict[str, Any] = {
    "dynamic": "false",
    "properties": {
        "incident_id": {"type": "keyword"},
        "tenant": {"type": "keyword"},
        "brand": {"type": "keyword"},
        "status": {"type": "keyword"},
        "topic": {"type": "keyword"},
        "partition": {"type": "integer"},
        "opened_at": {"type": "date"},
        "updated_at": {"type": "date"},
    },
}


def notify_log_index(settings: ElasticsearchSettings, tenant: str) -> str:
    return f"{settings.index_prefix}notify-log-{tenant}"


def notify_threads_index(settings: ElasticsearchSettings, tenant: str) -> str:
    return f"{settings.index_prefix}notify-threads-{tenant}"


def notify_links_index(settings: ElasticsearchSettings, tenant: str) -> str:
    return f"{settings.index_prefix}notify-links-{tenant}"


def ensure_notify_templates(client: Elasticsearch, settings: ElasticsearchSettings) -> None:
    """Templates for every tenant's notifier state indices (idempotent)."""
    for name, pattern, mappings in (
        ("notify-log", notify_log_index(settings, "*"), NOTIFY_LOG_MAPPINGS),
        ("notify-threads", notify_threads_index(settings, "*"), NOTIFY_THREAD_MAPPINGS),
        ("notify-links", notify_links_index(settings, "*"), {"dynamic": "false"}),
    ):
        client.indices.put_index_template(
            name=f"{settings.index_prefix}{name}",
            index_patterns=[pattern],
            template={
                "settings": {
                    "number_of_shards": 1,
                    "number_of_replicas": settings.number_of_replicas,
                },
                "mappings": mappings,
            },
            priority=100,
        )
    # threads indices made before `topic` was mapped: map it (documents written from now on
    # are found by `NotificationLog.load`; older ones through the log's per-id fallback)
    client.indices.put_mapping(
        index=notify_threads_index(settings, "*"), properties={"topic": {"type": "keyword"}},
        allow_no_indices=True,
    )  # fmt: skip
