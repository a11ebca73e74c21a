"""Building blocks of Kibana saved objects (8.15 model): the object envelope, data views,
saved searches, Lens columns and one-layer Lens panels. history/kibana.py composes a tenant's
objects from them."""

import json
from typing import Any

CORE_MIGRATION = "8.8.0"
TYPE_MIGRATION = {
    "index-pattern": "8.0.0",
    "search": "8.0.0",
    "lens": "8.9.0",
    "dashboard": "8.10.0",
}
RECORDS = "___records___"


def saved_object(
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


def ref(kind: str, object_id: str, name: str) -> dict[str, str]:
    return {"type": kind, "id": object_id, "name": name}


def data_view(object_id: str, title: str, name: str, time_field: str) -> dict[str, Any]:
    return saved_object(
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
    return saved_object(
        "search",
        object_id,
        attributes,
        [ref("index-pattern", view, "kibanaSavedObjectMeta.searchSourceJSON.index")],
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
    refs = [ref("index-pattern", view, "indexpattern-datasource-layer-layer"), *extra_refs]
    return saved_object("lens", object_id, attributes, refs)


def xy(
    series: str,
    x: str,
    y: str | list[str],
    split: str | None = None,
    extra_layers: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "layerId": "layer",
        "layerType": "data",
        "seriesType": series,
        "xAccessor": x,
        "accessors": [y] if isinstance(y, str) else y,
    }
    if split:
        layer["splitAccessor"] = split
    return {
        "preferredSeriesType": series,
        "legend": {"isVisible": True, "position": "right"},
        "layers": [layer, *extra_layers],
    }


def table(columns: list[str]) -> dict[str, Any]:
    return {"layerId": "layer", "layerType": "data", "columns": [{"columnId": c} for c in columns]}
