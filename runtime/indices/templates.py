"""The index templates, versioned in the repository as JSON (`templates/*.json`), and how they
are put in place.

Contract: four component templates per index prefix — `<prefix>analysis` (the `folded`
normalizer: lowercase + asciifolding, for handles, brands and terms), `<prefix>mentions-
mappings`, `<prefix>incidents-mappings` and `<prefix>responses-mappings` (`dynamic:
strict`: a field the schema does not have is refused, and the document dead-lettered with
the reason) — and, per tenant and family, one composable index template
`<prefix><family>-<tenant>` on the tenant's pattern only, composed of them, carrying the
replicas setting and the tenant's read alias, at priority `PRIORITY` (above the built-in
templates, 100). Patterns of two tenants never overlap (see names.py), so their templates
never compete. Putting them again is harmless. A mapping change bumps the JSON file's
`version`, which is part of every new concrete index name (see `veille index migrate`).
"""

import json
from functools import cache
from importlib.resources import files
from typing import Any

from elasticsearch import Elasticsearch

from runtime.indices.names import Family, read_alias, tenant_pattern
from runtime.indices.notify import ensure_notify_templates
from schemas.config import ElasticsearchSettings

PRIORITY = 200
FAMILIES: tuple[Family, ...] = ("mentions", "incidents", "responses")


@cache
def component(name: str) -> dict[str, Any]:
    """A component template body as versioned in `templates/<name>.json`."""
    text = files("runtime.indices").joinpath("templates", f"{name}.json").read_text("utf-8")
    body: dict[str, Any] = json.loads(text)
    return body


def mapping_version(family: Family) -> int:
    version: int = component(family)["version"]
    return version


def mappings(family: Family) -> dict[str, Any]:
    """The `mappings` of a family's documents (`properties`, `dynamic`)."""
    found: dict[str, Any] = component(family)["template"]["mappings"]
    return found


def component_name(settings: ElasticsearchSettings, name: str) -> str:
    suffix = name if name == "analysis" else f"{name}-mappings"
    return f"{settings.index_prefix}{suffix}"


def index_template_name(settings: ElasticsearchSettings, family: Family, tenant: str) -> str:
    return f"{settings.index_prefix}{family}-{tenant}"


def index_template(settings: ElasticsearchSettings, family: Family, tenant: str) -> dict[str, Any]:
    """The arguments of `put_index_template` for one tenant's template of one family."""
    return {
        "index_patterns": [tenant_pattern(settings, family, tenant)],
        "composed_of": [component_name(settings, "analysis"), component_name(settings, family)],
        "priority": PRIORITY,
        "version": mapping_version(family),
        "template": {
            "settings": {
                "number_of_shards": 1,
                "number_of_replicas": settings.number_of_replicas,
            },
            "aliases": {read_alias(settings, family, tenant): {}},
        },
        "meta": {"managed_by": "veille", "tenant": tenant, "family": family},
    }


def ensure_templates(
    client: Elasticsearch, settings: ElasticsearchSettings, tenants: list[str]
) -> None:
    """Put the component templates and every tenant's index templates (idempotent)."""
    for name in ("analysis", *FAMILIES):
        body = component(name)
        client.cluster.put_component_template(
            name=component_name(settings, name),
            template=body["template"],
            version=body["version"],
            meta=body["_meta"],
        )
    for tenant in tenants:
        for family in FAMILIES:
            client.indices.put_index_template(
                name=index_template_name(settings, family, tenant),
                **index_template(settings, family, tenant),
            )
    ensure_notify_templates(client, settings)


class TenantTemplates:
    """Puts a tenant's templates before a writer's first document of that tenant, once per
    process, so an index is never created without its mappings and read alias (even for a
    tenant added to the configuration after `veille setup`)."""

    def __init__(self, client: Elasticsearch, settings: ElasticsearchSettings) -> None:
        self._client = client
        self._settings = settings
        self._done: set[str] = set()

    def ensure(self, tenants: set[str]) -> None:
        missing = sorted(tenants - self._done)
        if missing:
            ensure_templates(self._client, self._settings, missing)
            self._done.update(missing)
