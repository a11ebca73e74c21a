"""The history HTTP API on the embedded engine, through FastAPI's test client."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from history.api import create_app
from runtime.indices import make_client
from schemas.config import VeilleConfig
from tests.history_data import dated, store

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)
HORIZON = {"Authorization": "Bearer horizon-secret"}
LUMEN = {"Authorization": "Bearer lumen-secret"}


@pytest.fixture
def api(noida_config: VeilleConfig) -> TestClient:
    config = noida_config.model_copy(update={"history_api": noida_config.history_api.model_copy(
        update={"tokens": {"agence-horizon": "horizon-secret", "maison-lumen": "lumen-secret"},
                "max_page_size": 2})})  # fmt: skip
    config = VeilleConfig.model_validate(config.model_dump(mode="python"))
    docs = [dated(f"Air Volaris retard numéro {i}", -0.6 if i % 2 else 0.5, hours_ago=i * 5 + 1,
                  handle=f"@user{i % 2}", virality=i) for i in range(5)]  # fmt: skip
    docs.append(dated("Lumen lampe cassée", -0.7, 1, tenant="maison-lumen", brand="lumen"))
    store(config, docs)
    return TestClient(create_app(config, make_client(config.elasticsearch), lambda: NOW))


def test_pages_are_capped_and_chained(api: TestClient) -> None:
    first = api.get("/tenants/agence-horizon/mentions", params={"q": "volaris", "size": 50},
                    headers=HORIZON).json()  # fmt: skip
    assert first["capped_to"] == 2 and len(first["mentions"]) == 2 and first["total"] == 5
    seen = [m["id"] for m in first["mentions"]]
    cursor = first.get("next")
    while cursor:
        got = api.get("/tenants/agence-horizon/mentions", params={"cursor": cursor},
                      headers=HORIZON).json()  # fmt: skip
        seen += [m["id"] for m in got["mentions"]]
        cursor = got.get("next")
    assert len(seen) == len(set(seen)) == 5


def test_tokens_and_bad_input(api: TestClient) -> None:
    url = "/tenants/agence-horizon/mentions"
    assert api.get(url).status_code == 401
    assert api.get(url, headers=LUMEN).status_code == 403
    bad = api.get(url, params={"q": "volaris AND (retard"}, headers=HORIZON)
    assert bad.status_code == 400 and bad.json()["detail"]["position"] == 12
    unknown = api.get(url, params={"colour": "red"}, headers=HORIZON)
    assert unknown.status_code == 400 and "colour" in unknown.json()["detail"]
    future = api.get(url, params={"until": (NOW + timedelta(days=2)).isoformat()},
                     headers=HORIZON)  # fmt: skip
    assert future.status_code == 400 and "future" in future.json()["detail"]
    lumen_page = api.get("/tenants/maison-lumen/mentions", params={"size": 1}, headers=LUMEN)
    assert lumen_page.status_code == 200
    lumen_two = api.get("/tenants/maison-lumen/mentions", headers=LUMEN).json()
    assert "next" not in lumen_two  # one mention: one page


def test_a_cursor_of_another_tenant_is_refused(api: TestClient) -> None:
    first = api.get("/tenants/agence-horizon/mentions", params={"size": 1},
                    headers=HORIZON).json()  # fmt: skip
    stolen = api.get("/tenants/maison-lumen/mentions", params={"cursor": first["next"]},
                     headers=LUMEN)  # fmt: skip
    assert stolen.status_code == 400 and "cursor" in stolen.json()["detail"]


def test_aggregations_csv_incidents_and_openapi(api: TestClient) -> None:
    aggs = api.get("/tenants/agence-horizon/aggregations", params={"since": "2d"},
                   headers=HORIZON).json()  # fmt: skip
    assert aggs["time_zone"] == "Europe/Paris"
    assert sum(b["negative"] + b["neutral"] + b["positive"] for b in aggs["volume"]) == 5
    assert sum(b["negative"] for b in aggs["volume"]) == 2
    assert aggs["share_of_voice"] == {"air-volaris": 1.0}
    assert aggs["top_terms"]["method"].startswith("terms")  # noida-db: the stated fallback
    assert {a["handle"]: a["mentions"] for a in aggs["top_authors"]} == {"@user0": 3, "@user1": 2}
    assert aggs["top_stories"][0]["virality"]["score"] == 4
    csv = api.get("/tenants/agence-horizon/mentions.csv", headers=HORIZON)
    assert csv.status_code == 200 and len(csv.text.splitlines()) == 6
    assert api.get("/tenants/agence-horizon/incidents", headers=HORIZON).json() == {
        "incidents": []}  # fmt: skip
    spec = api.get("/openapi.json").json()
    assert "/tenants/{tenant}/mentions" in spec["paths"]
