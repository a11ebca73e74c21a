"""The Elasticsearch client and the options of every bulk write."""

from typing import Any

from elasticsearch import Elasticsearch

from schemas.config import ElasticsearchSettings


def make_client(settings: ElasticsearchSettings) -> Elasticsearch:
    auth: dict[str, Any] = {}
    if settings.api_key is not None:
        auth["api_key"] = settings.api_key.get_secret_value()
    elif settings.username and settings.password is not None:
        auth["basic_auth"] = (settings.username, settings.password.get_secret_value())
    if settings.ca_certs:
        auth["ca_certs"] = settings.ca_certs
    return Elasticsearch(settings.hosts, request_timeout=settings.request_timeout_s, **auth)


def bulk_options(settings: ElasticsearchSettings) -> dict[str, Any]:
    """`helpers.bulk` / `streaming_bulk` options: chunks, and 429 retried with the configured
    exponential backoff (`bulk_initial_backoff_s` doubled up to `bulk_max_backoff_s`)."""
    return {
        "chunk_size": settings.bulk_chunk_size,
        "max_retries": settings.bulk_max_retries,
        "initial_backoff": settings.bulk_initial_backoff_s,
        "max_backoff": settings.bulk_max_backoff_s,
    }
