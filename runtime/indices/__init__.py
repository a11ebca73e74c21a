"""Elasticsearch: the client, every index and alias name, their templates, the bulk options.

Writers name a concrete index from the document's own date (`mention_index`,
`incident_index`); every reader goes through the tenant's read alias (`mentions_alias`,
`incidents_alias`), never a wildcard, so project code cannot read across tenants.
Document `_id` = mention or incident id: a redelivered record overwrites itself. Details:
names.py (naming contract), templates.py (templates and mappings), client.py.
"""

from datetime import datetime

from runtime.indices.client import bulk_options, make_client
from runtime.indices.names import monthly_index, read_alias, tenant_pattern
from runtime.indices.notify import (
    ensure_notify_templates,
    notify_links_index,
    notify_log_index,
    notify_threads_index,
)
from runtime.indices.templates import TenantTemplates, ensure_templates, mapping_version
from schemas.config import ElasticsearchSettings

__all__ = [
    "TenantTemplates",
    "bulk_options",
    "ensure_notify_templates",
    "ensure_templates",
    "incident_index",
    "incidents_alias",
    "make_client",
    "mention_index",
    "mentions_alias",
    "notify_links_index",
    "notify_log_index",
    "notify_threads_index",
    "response_index",
    "responses_alias",
    "tenant_pattern",
]


def mention_index(settings: ElasticsearchSettings, tenant: str, published_at: datetime) -> str:
    """The concrete index a mention is written to: its tenant's, for its publication month."""
    return monthly_index(settings, "mentions", tenant, published_at, mapping_version("mentions"))


def incident_index(settings: ElasticsearchSettings, tenant: str, opened_at: datetime) -> str:
    """The concrete index an incident is written to: its tenant's, for the month it opened."""
    return monthly_index(settings, "incidents", tenant, opened_at, mapping_version("incidents"))


def mentions_alias(settings: ElasticsearchSettings, tenant: str) -> str:
    return read_alias(settings, "mentions", tenant)


def incidents_alias(settings: ElasticsearchSettings, tenant: str) -> str:
    return read_alias(settings, "incidents", tenant)


def response_index(settings: ElasticsearchSettings, tenant: str, placed_at: datetime) -> str:
    """The concrete index of a response-time record (schemas/reply_record.py: which date)."""
    return monthly_index(settings, "responses", tenant, placed_at, mapping_version("responses"))


def responses_alias(settings: ElasticsearchSettings, tenant: str) -> str:
    return read_alias(settings, "responses", tenant)
