"""Kibana saved objects for one tenant (`veille kibana export`): data views on the tenant's
read aliases, two saved searches, Lens panels, and a dashboard holding them.

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

from runtime.indices import incidents_alias, mentions_alias
from schemas.config import ElasticsearchSettings, TenantSettings

CORE_MIGRATION = "8.8.0"
TYPE_MIGRATION = {
    "index-pattern": "8.0.0",
    "search": "8.0.0",
    "lens": "8.9.0",
    "dashboard": "8.10.0",
}
RECORDS = "___records___"
NEGATIVE = 'sentiment.label : "negative"'
POSITIVE = 'sentiment.label : "positive"'


@dataclass(frozen=True)
class Ids:
    """The tenant's object ids."""

    prefix: str
    tenant: str

    def __call__(self, name: str) -> str:
        return f"{self.prefix}{self.tenant}.{name}"


def _object(
    kind: str, object_id: str, attributes: dict[str, Any], references: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "type": kind,
        "id": object_id,
        "attributes": attributes,
        "references": references,
        "coreMigrationVersion": CORE_MIGRATION,
        "typeMigrationVersion": TYPE_MIGRATION[kind],
    }


def _ref(kind: str, object_id: str, name: str) -> dict[str, str]:
    return {"type": kind, "id": object_id, "name": name}


def data_view(object_id: str, title: str, name: str, time_field: str) -> dict[str, Any]:
    return _object(
        "index-pattern", object_id, {"title": title, "name": name, "timeFieldName": time_field}, []
    )


def saved_search(
    object_id: str, view: str, title: str, kql: str, sort: list[list[str]], since: str
) -> dict[str, Any]:
    source = {
        "query": {"query": kql, "language": "kuery"},
        "filter": [],
        "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
    }
    attributes = {
        "title": title,
        "columns": ["author.handle", "brands", "sentiment.label", "virality.score", "text", "url"],
        "sort": sort,
        "timeRestore": True,
        "timeRange": {"from": since, "to": "now"},
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)},
    }
    return _object(
        "search",
        object_id,
        attributes,
        [_ref("index-pattern", view, "kibanaSavedObjectMeta.searchSourceJSON.index")],
    )


# -- Lens columns -------------------------------------------------------------------------


def date_histogram(field: str) -> dict[str, Any]:
    return {
        "label": field,
        "dataType": "date",
        "operationType": "date_histogram",
        "sourceField": field,
        "isBucketed": True,
        "scale": "interval",
        "params": {"interval": "auto", "includeEmptyRows": True},
    }


def terms(field: str, size: int, order_by: str, include: list[str] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "size": size,
        "orderBy": {"type": "column", "columnId": order_by},
        "orderDirection": "desc",
        "otherBucket": False,
        "missingBucket": False,
    }
    if include is not None:
        params |= {"include": include, "includeIsRegex": False}
    return {
        "label": field,
        "dataType": "string",
        "operationType": "terms",
        "sourceField": field,
        "isBucketed": True,
        "scale": "ordinal",
        "params": params,
    }


def count(label: str = "Mentions", kql: str | None = None) -> dict[str, Any]:
    column = {
        "label": label,
        "dataType": "number",
        "operationType": "count",
        "sourceField": RECORDS,
        "isBucketed": False,
        "scale": "ratio",
    }
    if kql:
        column["filter"] = {"query": kql, "language": "kuery"}
    return column


def maximum(field: str, label: str) -> dict[str, Any]:
    return {
        "label": label,
        "dataType": "number",
        "operationType": "max",
        "sourceField": field,
        "isBucketed": False,
        "scale": "ratio",
    }


def formula(text: str, label: str) -> dict[str, Any]:
    return {
        "label": label,
        "dataType": "number",
        "operationType": "formula",
        "isBucketed": False,
        "scale": "ratio",
        "references": [],
        "params": {"formula": text, "isFormulaBroken": False},
    }


NET_SENTIMENT = (
    f"100 * (count(kql='{POSITIVE}') - count(kql='{NEGATIVE}')) / "
    f"(count(kql='{POSITIVE}') + count(kql='{NEGATIVE}'))"
)


def lens(
    object_id: str,
    view: str,
    title: str,
    kind: str,
    columns: dict[str, dict[str, Any]],
    visualization: dict[str, Any],
    kql: str = "",
    extra_refs: tuple[dict[str, str], ...] = (),
) -> dict[str, Any]:
    """A Lens panel of one form-based layer (`layer`) over the data view `view`."""
    layer = {"columns": columns, "columnOrder": list(columns), "incompleteColumns": {}}
    state = {
        "datasourceStates": {"formBased": {"layers": {"layer": layer}}},
        "visualization": visualization,
        "query": {"query": kql, "language": "kuery"},
        "filters": [],
        "internalReferences": [],
        "adHocDataViews": {},
    }
    attributes = {"title": title, "visualizationType": kind, "state": state}
    refs = [_ref("index-pattern", view, "indexpattern-datasource-layer-layer"), *extra_refs]
    return _object("lens", object_id, attributes, refs)


def _xy(
    series: str,
    x: str,
    y: str,
    split: str | None = None,
    extra_layers: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "layerId": "layer",
        "layerType": "data",
        "seriesType": series,
        "xAccessor": x,
        "accessors": [y],
    }
    if split:
        layer["splitAccessor"] = split
    return {
        "preferredSeriesType": series,
        "legend": {"isVisible": True, "position": "right"},
        "layers": [layer, *extra_layers],
    }


def _table(columns: list[str]) -> dict[str, Any]:
    return {"layerId": "layer", "layerType": "data", "columns": [{"columnId": c} for c in columns]}


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
            _xy("bar_stacked", "t", "n", "s"),
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
            _table(["a", "n"]),
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
            _table(["s", "v", "n"]),
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
            _xy("line", "t", "n", extra_layers=(annotations,)),
            extra_refs=(_ref("index-pattern", incidents, "xy-visualization-layer-incidents"),),
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
        refs.append(_ref(child["type"], child["id"], f"{key}:panel_{key}"))
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
    return _object("dashboard", ids("dashboard"), attributes, refs)


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
    ]
    children = [*panels(ids, tenant), *searches(ids)]
    return [*views, *children, dashboard(ids, tenant, children)]


def ndjson(objects: list[dict[str, Any]]) -> Iterator[str]:
    for found in objects:
        yield json.dumps(found, ensure_ascii=False, sort_keys=True) + "\n"
