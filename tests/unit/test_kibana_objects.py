"""Every Kibana saved object of a tenant, validated against the index mappings: references
resolve, every field a panel uses exists with a type that panel accepts, ids are unique per
tenant and distinct across tenants; the export command prints them."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from history.kibana import saved_objects
from history.kibana_lens import RECORDS
from runtime.indices import incidents_alias, mentions_alias, responses_alias
from runtime.indices.templates import mappings
from schemas.config import BrandSettings, TenantSettings, VeilleConfig
from tests.helpers import make_config, write_config
from veille.cli import main

NUMERIC = {"long", "integer", "float", "double", "scaled_float"}
ACCEPTS = {
    "date_histogram": {"date"},
    "terms": {"keyword"},
    "max": NUMERIC,
    "sum": NUMERIC,
    "average": NUMERIC,
    "median": NUMERIC,
}
KQL_FIELD = re.compile(r"([A-Za-z_][\w.]*)\s*:")


def _config() -> VeilleConfig:
    config = make_config("127.0.0.1:9", "http://127.0.0.1:9")
    rival = BrandSettings.model_validate(
        {
            "id": "jet-azur",
            "name": "Jet Azur",
            "role": "competitor",
            "queries": [{"id": "nom", "query": "jet azur"}],
        }
    )
    horizon = config.tenants[0].model_copy(update={"brands": [*config.tenants[0].brands, rival]})
    return config.model_copy(update={"tenants": [horizon, config.tenants[1]]})


def _fields(family: str) -> dict[str, str]:
    """Every field path of a family's mapping (sub-fields too) → its type."""
    out: dict[str, str] = {}

    def walk(properties: dict[str, Any], prefix: str) -> None:
        for name, spec in properties.items():
            path = f"{prefix}{name}"
            if "properties" in spec:
                walk(spec["properties"], f"{path}.")
                continue
            out[path] = spec["type"]
            for sub, subspec in spec.get("fields", {}).items():
                out[f"{path}.{sub}"] = subspec["type"]

    walk(mappings(family)["properties"], "")  # type: ignore[arg-type]
    return out


MENTIONS, INCIDENTS = _fields("mentions"), _fields("incidents")
RESPONSES = _fields("responses")
CONFIG = _config()


def _kql_fields(kql: str, family: dict[str, str], where: str) -> None:
    for field in KQL_FIELD.findall(kql):
        assert field in family, f"{where}: KQL field {field!r} is not mapped"


@pytest.fixture(scope="module")
def objects() -> dict[str, list[dict[str, Any]]]:
    config = CONFIG
    return {t.id: saved_objects(config.elasticsearch, t) for t in config.tenants}


def _by_id(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in found}


def _family(view: dict[str, Any], tenant: str, config: VeilleConfig) -> dict[str, str]:
    title = view["attributes"]["title"]
    if title == mentions_alias(config.elasticsearch, tenant):
        return MENTIONS
    if title == responses_alias(config.elasticsearch, tenant):
        return RESPONSES
    assert title == incidents_alias(config.elasticsearch, tenant), f"{title}: not the tenant's"
    return INCIDENTS


def test_ids_are_unique_per_tenant_and_distinct_across_tenants(
    objects: dict[str, list[dict[str, Any]]],
) -> None:
    seen: dict[str, str] = {}
    for tenant, found in objects.items():
        ids = [o["id"] for o in found]
        assert len(ids) == len(set(ids)), tenant
        for object_id in ids:
            assert object_id.startswith(f"{CONFIG.elasticsearch.index_prefix}{tenant}.")
            assert object_id not in seen, f"{object_id} of {tenant} is also {seen.get(object_id)}'s"
            seen[object_id] = tenant
        kinds = sorted(o["type"] for o in found)
        assert kinds == [
            "dashboard",
            "index-pattern",
            "index-pattern",
            "index-pattern",
            *["lens"] * 7,
            "search",
            "search",
        ]
        for found_object in found:
            assert found_object["coreMigrationVersion"] and found_object["typeMigrationVersion"]


def test_references_resolve_and_fields_exist_with_accepted_types(
    objects: dict[str, list[dict[str, Any]]],
) -> None:
    config = CONFIG
    for tenant, found in objects.items():
        by_id = _by_id(found)
        for obj in found:
            for ref in obj["references"]:
                assert ref["id"] in by_id, f"{obj['id']}: {ref} does not resolve"
                assert by_id[ref["id"]]["type"] == ref["type"], f"{obj['id']}: {ref}"
            refs = {r["name"]: by_id[r["id"]] for r in obj["references"]}
            attributes = obj["attributes"]
            if obj["type"] == "index-pattern":
                family = _family(obj, tenant, config)
                assert family[attributes["timeFieldName"]] == "date"
            elif obj["type"] == "search":
                source = json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
                family = _family(refs[source["indexRefName"]], tenant, config)
                for field in [*attributes["columns"], *(s[0] for s in attributes["sort"])]:
                    assert field in family, f"{obj['id']}: {field} is not mapped"
                _kql_fields(source["query"]["query"], family, obj["id"])
            elif obj["type"] == "lens":
                _check_lens(obj, refs, tenant, config)
            else:
                panels = json.loads(attributes["panelsJSON"])
                assert {f"{p['panelIndex']}:{p['panelRefName']}" for p in panels} == set(refs)
                assert len(panels) == len(found) - 4  # every lens and search, not the views


def _check_lens(
    obj: dict[str, Any], refs: dict[str, dict[str, Any]], tenant: str, config: VeilleConfig
) -> None:
    state = obj["attributes"]["state"]
    for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
        family = _family(refs[f"indexpattern-datasource-layer-{layer_id}"], tenant, config)
        _kql_fields(state["query"]["query"], family, obj["id"])
        assert layer["columnOrder"] == list(layer["columns"])
        for column_id, column in layer["columns"].items():
            where = f"{obj['id']} column {column_id}"
            operation, field = column["operationType"], column.get("sourceField")
            if operation == "count":
                assert field == RECORDS, where
            elif operation == "formula":
                _kql_fields(
                    " ".join(re.findall(r"kql='([^']*)'", column["params"]["formula"])),
                    family,
                    where,
                )
            else:
                assert family.get(field) in ACCEPTS[operation], f"{where}: {field} ({operation})"
            if "orderBy" in column.get("params", {}):
                assert column["params"]["orderBy"]["columnId"] in layer["columns"], where
            _kql_fields(column.get("filter", {}).get("query", ""), family, where)
    for layer in state["visualization"].get("layers", [state["visualization"]]):
        if layer.get("layerType") == "annotations":
            view = refs[f"xy-visualization-layer-{layer['layerId']}"]
            assert view["id"] == layer["indexPatternId"]
            family = _family(view, tenant, config)
            for note in layer["annotations"]:
                for field in [note["timeField"], note["textField"], *note["extraFields"]]:
                    assert field in family, f"{obj['id']}: annotation field {field}"
                assert family[note["timeField"]] == "date"
                _kql_fields(note["filter"]["query"], family, obj["id"])
            continue
        columns = state["datasourceStates"]["formBased"]["layers"][layer["layerId"]]["columns"]
        used = [layer.get(k) for k in ("xAccessor", "splitAccessor", "metricAccessor")]
        used += (
            layer.get("accessors", [])
            + layer.get("primaryGroups", [])
            + layer.get("metrics", [])
            + [c["columnId"] for c in layer.get("columns", [])]
        )
        for column_id in filter(None, used):
            assert column_id in columns, f"{obj['id']}: accessor {column_id}"


def test_share_of_voice_counts_own_and_competitor_brands(
    objects: dict[str, list[dict[str, Any]]],
) -> None:
    prefix = CONFIG.elasticsearch.index_prefix
    panel = _by_id(objects["agence-horizon"])[f"{prefix}agence-horizon.share-of-voice"]
    column = panel["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]["layer"][
        "columns"
    ]["b"]
    assert column["sourceField"] == "brands"
    assert column["params"]["include"] == ["air-volaris", "jet-azur"]


def test_export_prints_the_objects_as_ndjson(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = CONFIG
    path = write_config(config, tmp_path / "veille.yaml")
    assert main(["--config", str(path), "kibana", "export", "--tenant", "maison-lumen"]) == 0
    lines = capsys.readouterr().out.splitlines()
    tenant: TenantSettings = config.tenants[1]
    assert [json.loads(line) for line in lines] == saved_objects(config.elasticsearch, tenant)
