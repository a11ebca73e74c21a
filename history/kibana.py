"""Kibana saved objects for one tenant (`veille kibana export`): data views on the tenant's
read aliases (mentions, incidents, response times), two saved searches, Lens panels, and a
dashboard holding them.

Contract:
- Every id is `<prefix><tenant>.<object>` (e.g. `veille-agence-horizon.volume`): ids are
  global across spaces since Kibana 8.0, and the tenant id is followed by `.`, outside its
  alphabet, so two tenants' ids never collide and one tenant's are unique.
- Every object carries `coreMigrationVersion` and `typeMigrationVersion` (the Kibana 8.15
  model versions of its type), so Kibana imports it without guessing.
- The data views' titles are the tenant's aliases: nothing here can reach another tenant's
  index. Every field a panel uses is a field of `runtime/indices/templates/*.json`
  (`FIELDS_USED` lists them; tests check each against the mappings and the panel's needs).
- Net sentiment is the formula of docs/history.md, as a Lens formula.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from history.kibana_lens import (
    count,
    data_view,
    date_histogram,
    formula,
    lens,
    maximum,
    ref,
    saved_object,
    saved_search,
    table,
    terms,
    xy,
)
from runtime.indices import incidents_alias, mentions_alias, responses_alias
from schemas.config import ElasticsearchSettings, TenantSettings

NEGATIVE = 'sentiment.label : "negative"'
WEEK_FIGURES = 'kind : "week"'
"""The response watch's weekly figures (schemas/reply_record.py): computed once, by nearest
rank, so the panel reads numbers and needs no percentiles aggregation (noida-db has none)."""
POSITIVE = 'sentiment.label : "positive"'


@dataclass(frozen=True)
class Ids:
    """The tenant's object ids."""

    prefix: str
    tenant: str

    def __call__(self, name: str) -> str:
        return f"{self.prefix}{self.tenant}.{name}"


NET_SENTIMENT = (
    f"100 * (count(kql='{POSITIVE}') - count(kql='{NEGATIVE}')) / "
    f"(count(kql='{POSITIVE}') + count(kql='{NEGATIVE}'))"
)


def panels(ids: Ids, tenant: TenantSettings) -> list[dict[str, Any]]:
    """The Lens panels, in dashboard order."""
    mentions, incidents = ids("mentions"), ids("incidents")
    brands = tenant.brand_ids("own") + tenant.brand_ids("competitor")
    annotations = {
        "layerId": "incidents",
        "layerType": "annotations",
        "persistanceType": "byValue",
        "ignoreGlobalFilters": True,
        "indexPatternId": incidents,
        "annotations": [
            {
                "type": "query",
                "id": "opened",
                "label": "Incident",
                "key": {"type": "point_in_time"},
                "timeField": "opened_at",
                "filter": {"type": "kibana_query", "query": 'kind : "crisis"', "language": "kuery"},
                "textField": "summary",
                "extraFields": ["severity", "brand"],
                "icon": "alert",
                "color": "#BD271E",
            }
        ],
    }
    return [
        lens(
            ids("volume"),
            mentions,
            "Volume par sentiment",
            "lnsXY",
            {
                "t": date_histogram("published_at"),
                "s": terms("sentiment.label", 3, "n"),
                "n": count(),
            },
            xy("bar_stacked", "t", "n", "s"),
        ),
        lens(
            ids("share-of-voice"),
            mentions,
            "Part de voix (concurrents)",
            "lnsPie",
            {"b": terms("brands", max(len(brands), 1), "n", include=brands), "n": count()},
            {
                "shape": "donut",
                "layers": [
                    {
                        "layerId": "layer",
                        "layerType": "data",
                        "primaryGroups": ["b"],
                        "metrics": ["n"],
                        "numberDisplay": "percent",
                        "categoryDisplay": "default",
                        "legendDisplay": "default",
                    }
                ],
            },
        ),
        lens(
            ids("net-sentiment"),
            mentions,
            "Sentiment net",
            "lnsMetric",
            {"net": formula(NET_SENTIMENT, "Sentiment net")},
            {"layerId": "layer", "layerType": "data", "metricAccessor": "net"},
        ),
        lens(
            ids("top-authors"),
            mentions,
            "Auteurs les plus actifs",
            "lnsDatatable",
            {"a": terms("author.handle", 10, "n"), "n": count()},
            table(["a", "n"]),
        ),
        lens(
            ids("top-negative-stories"),
            mentions,
            "Histoires négatives les plus virales",
            "lnsDatatable",
            {
                "s": terms("text.raw", 10, "v"),
                "v": maximum("virality.score", "Viralité"),
                "n": count(),
            },
            table(["s", "v", "n"]),
            kql=NEGATIVE,
        ),
        lens(
            ids("incidents-timeline"),
            mentions,
            "Incidents sur la chronologie",
            "lnsXY",
            {
                "t": date_histogram("published_at"),
                "n": count(kql=NEGATIVE, label="Mentions négatives"),
            },
            xy("line", "t", "n", extra_layers=(annotations,)),
            extra_refs=(ref("index-pattern", incidents, "xy-visualization-layer-incidents"),),
        ),
        lens(
            ids("reply-times"),
            ids("responses"),
            "Temps de première réponse par équipe (médiane, p90, secondes)",
            "lnsXY",
            {
                "w": date_histogram("week_start"),
                "team": terms("team", 10, "m"),
                "m": maximum("median_seconds", "Médiane"),
                "p": maximum("p90_seconds", "p90"),
            },
            xy("line", "w", ["m", "p"], "team"),
            kql=WEEK_FIGURES,
        ),
    ]


def searches(ids: Ids) -> list[dict[str, Any]]:
    view = ids("mentions")
    return [
        saved_search(
            ids("negative-24h"),
            view,
            "Mentions négatives, dernières 24 h",
            NEGATIVE,
            [["published_at", "desc"]],
            "now-24h",
        ),
        saved_search(
            ids("viral-week"),
            view,
            "Les plus virales cette semaine",
            "",
            [["virality.score", "desc"]],
            "now-7d",
        ),
    ]


def dashboard(ids: Ids, tenant: TenantSettings, children: list[dict[str, Any]]) -> dict[str, Any]:
    """Two panels per row, each 24 of the 48 columns wide."""
    entries, refs = [], []
    for i, child in enumerate(children):
        key = str(i)
        entries.append(
            {
                "type": child["type"],
                "panelIndex": key,
                "panelRefName": f"panel_{key}",
                "embeddableConfig": {},
                "gridData": {"x": 24 * (i % 2), "y": 15 * (i // 2), "w": 24, "h": 15, "i": key},
            }
        )
        refs.append(ref(child["type"], child["id"], f"{key}:panel_{key}"))
    attributes = {
        "title": f"Veille — {tenant.name}",
        "description": f"Mentions de {tenant.name} ({tenant.id}), fuseau {tenant.timezone}",
        "panelsJSON": json.dumps(entries),
        "optionsJSON": json.dumps(
            {"useMargins": True, "syncColors": True, "hidePanelTitles": False}
        ),
        "timeRestore": True,
        "timeFrom": "now-7d",
        "timeTo": "now",
        "kibanaSavedObjectMeta": {
            "searchSourceJSON": json.dumps(
                {"query": {"query": "", "language": "kuery"}, "filter": []}
            )
        },
    }
    return saved_object("dashboard", ids("dashboard"), attributes, refs)


def saved_objects(settings: ElasticsearchSettings, tenant: TenantSettings) -> list[dict[str, Any]]:
    """Every saved object of the tenant, those referred to before those referring."""
    ids = Ids(settings.index_prefix, tenant.id)
    views = [
        data_view(
            ids("mentions"),
            mentions_alias(settings, tenant.id),
            f"Mentions — {tenant.name}",
            "published_at",
        ),
        data_view(
            ids("incidents"),
            incidents_alias(settings, tenant.id),
            f"Incidents — {tenant.name}",
            "opened_at",
        ),
        data_view(
            ids("responses"),
            responses_alias(settings, tenant.id),
            f"Temps de réponse — {tenant.name}",
            "week_start",
        ),
    ]
    children = [*panels(ids, tenant), *searches(ids)]
    return [*views, *children, dashboard(ids, tenant, children)]


def ndjson(objects: list[dict[str, Any]]) -> Iterator[str]:
    for found in objects:
        yield json.dumps(found, ensure_ascii=False, sort_keys=True) + "\n"
