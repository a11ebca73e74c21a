"""Elasticsearch connection, every index name, their templates and the bulk options.

Contract: each tenant has its own indices `<prefix>mentions-<tenant>`,
`<prefix>incidents-<tenant>` and the notifier's `<prefix>notify-log-<tenant>` (one document per
notification), `<prefix>notify-threads-<tenant>` (one per incident's page thread) and
`<prefix>notify-links-<tenant>` (one per used incident link), so one client's data never
shares an index (or a Kibana data view) with another's. Document `_id` = mention or incident
id, so a redelivered record overwrites itself instead of appearing twice. Every bulk write
uses `bulk_options`.
"""

from typing import Any

from elasticsearch import Elasticsearch

from schemas.config import ElasticsearchSettings

MENTION_MAPPINGS: dict[str, Any] = {
    "dynamic": "false",
    "properties": {
        "id": {"type": "keyword"},
        "tenant": {"type": "keyword"},
        "brands": {"type": "keyword"},
        "queries": {"type": "keyword"},
        "source": {"type": "keyword"},
        "source_kind": {"type": "keyword"},
        "native_id": {"type": "keyword"},
        "url": {"type": "keyword", "ignore_above": 2048},
        "author": {
            "properties": {
                "handle": {"type": "keyword"},
                "name": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
                "followers": {"type": "long"},
            }
        },
        "title": {"type": "text", "analyzer": "french"},
        "text": {"type": "text", "analyzer": "french"},
        "lang": {"type": "keyword"},
        "language": {"type": "keyword"},
        "published_at": {"type": "date"},
        "fetched_at": {"type": "date"},
        "enriched_at": {"type": "date"},
        "engagement": {
            "properties": {
                "likes": {"type": "long"},
                "reposts": {"type": "long"},
                "replies": {"type": "long"},
                "observed_at": {"type": "date"},
            }
        },
        "sentiment": {
            "properties": {
                "label": {"type": "keyword"},
                "score": {"type": "float"},
                "model": {"type": "keyword"},
                "model_version": {"type": "keyword"},
                "probabilities": {
                    "properties": {
                        "negative": {"type": "float"},
                        "neutral": {"type": "float"},
                        "positive": {"type": "float"},
                    }
                },
            }
        },
        "virality": {
            "properties": {
                "score": {"type": "float"},
                "velocity_per_minute": {"type": "float"},
                "cluster_growth": {"type": "integer"},
                "components": {
                    "properties": {
                        name: {"type": "float"}
                        for name in ("reach", "engagement", "velocity", "cluster", "source_weight")
                    }
                },
            }
        },
        "cluster": {"properties": {"id": {"type": "keyword"}, "size": {"type": "integer"}}},
    },
}


INCIDENT_MAPPINGS: dict[str, Any] = {
    "dynamic": "false",
    "properties": {
        "id": {"type": "keyword"},
        "tenant": {"type": "keyword"},
        "brand": {"type": "keyword"},
        "kind": {"type": "keyword"},
        "status": {"type": "keyword"},
        "severity": {"type": "keyword"},
        "trigger": {"type": "keyword"},
        "opened_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "resolved_at": {"type": "date"},
        "resolved_by": {"type": "keyword"},
        "count": {"type": "integer"},
        "stories": {"type": "integer"},
        "signal": {"type": "float"},
        "baseline": {"type": "float"},
        "peak_signal": {"type": "float"},
        "negative_share": {"type": "float"},
        "summary": {"type": "text"},
        "top_terms": {"type": "keyword"},
    },
}


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
        "partition": {"type": "integer"},
        "opened_at": {"type": "date"},
        "updated_at": {"type": "date"},
    },
}


def make_client(settings: ElasticsearchSettings) -> Elasticsearch:
    auth: dict[str, Any] = {}
    if settings.api_key is not None:
        auth["api_key"] = settings.api_key.get_secret_value()
    elif settings.username and settings.password is not None:
        auth["basic_auth"] = (settings.username, settings.password.get_secret_value())
    if settings.ca_certs:
        auth["ca_certs"] = settings.ca_certs
    return Elasticsearch(settings.hosts, request_timeout=settings.request_timeout_s, **auth)


def mentions_index(settings: ElasticsearchSettings, tenant: str) -> str:
    return f"{settings.index_prefix}mentions-{tenant}"


def incidents_index(settings: ElasticsearchSettings, tenant: str) -> str:
    return f"{settings.index_prefix}incidents-{tenant}"


def notify_log_index(settings: ElasticsearchSettings, tenant: str) -> str:
    return f"{settings.index_prefix}notify-log-{tenant}"


def notify_threads_index(settings: ElasticsearchSettings, tenant: str) -> str:
    return f"{settings.index_prefix}notify-threads-{tenant}"


def notify_links_index(settings: ElasticsearchSettings, tenant: str) -> str:
    return f"{settings.index_prefix}notify-links-{tenant}"


def bulk_options(settings: ElasticsearchSettings) -> dict[str, Any]:
    """`helpers.bulk` / `streaming_bulk` options: chunks, and 429 retried with the configured
    exponential backoff (`bulk_initial_backoff_s` doubled up to `bulk_max_backoff_s`)."""
    return {
        "chunk_size": settings.bulk_chunk_size,
        "max_retries": settings.bulk_max_retries,
        "initial_backoff": settings.bulk_initial_backoff_s,
        "max_backoff": settings.bulk_max_backoff_s,
    }


def ensure_templates(client: Elasticsearch, settings: ElasticsearchSettings) -> None:
    """Templates for every tenant's mention and incident indices: explicit mappings."""
    client.indices.put_index_template(
        name=f"{settings.index_prefix}mentions",
        index_patterns=[mentions_index(settings, "*")],
        template={
            "settings": {
                "number_of_shards": 1,
                "number_of_replicas": settings.number_of_replicas,
                "refresh_interval": "1s",
            },
            "mappings": MENTION_MAPPINGS,
        },
        priority=100,
    )
    client.indices.put_index_template(
        name=f"{settings.index_prefix}incidents",
        index_patterns=[incidents_index(settings, "*")],
        template={
            "settings": {"number_of_shards": 1, "number_of_replicas": settings.number_of_replicas},
            "mappings": INCIDENT_MAPPINGS,
        },
        priority=100,
    )
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
