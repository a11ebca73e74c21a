"""The incident page in a real headless browser (Debian's chromium, driven by Playwright):
open the signed link of a page, press acknowledge, see the escalation stop; a grouped
message's link lists each of its incidents, answered one by one or all at once."""

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from schemas.response import IncidentResponse
from schemas.topics import Topics
from tests.helpers import free_port, read_topic, wait_until, workers
from tests.integration.test_notify import (
    SATURDAY_NIGHT,
    FakeClock,
    body,
    incident,
    notifier,
    notify_config,
    publish,
)
from tests.local_http import LocalHttp, Reply
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def browser_page() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None:
        message = "needs Debian's chromium: apt-get update && apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=ARGS, headless=True
        )
        try:
            yield context.new_page()
        finally:
            context.close()


@pytest.fixture
def http() -> Iterator[LocalHttp]:
    server = LocalHttp()
    server.route("/a", Reply(204))
    server.route("/b", Reply(204))
    yield server
    server.close()


def test_open_the_link_press_acknowledge_and_the_escalation_stops(
    stack: EmbeddedStack, http: LocalHttp, browser_page: Any
) -> None:
    port = free_port()
    clock = FakeClock(SATURDAY_NIGHT)
    config = notify_config(stack, http, web={
        "listen_port": port, "public_url": f"http://127.0.0.1:{port}",
        "link_secret": "test-link-secret-0123456789"})  # fmt: skip
    crisis = incident()
    crisis = crisis.model_copy(update={"top_mentions": [crisis.top_mentions[0].model_copy(
        update={"text": "<script>alert(1)</script> Vol annulé \x1b[31mhonteux"})]})  # fmt: skip
    with workers(config, "notify", builders=notifier(clock)) as running:
        publish(config, crisis)
        wait_until(lambda: http.hits("/a"), timeout_s=60, what="level 1")
        link = body(http.hits("/a")[0])["data"]["link"]
        assert link.startswith(f"http://127.0.0.1:{port}/i/")
        page = browser_page
        page.goto(link)
        assert "ouvert, non acquitté" in page.inner_text("#status")
        assert "Bob A" in page.inner_text("#steps")  # who else will be paged
        assert page.locator("script").count() == 0  # posts' text is escaped
        assert "<script>alert(1)</script> Vol annulé honteux" in page.content().replace(
            "&lt;", "<").replace("&gt;", ">")  # fmt: skip
        page.fill("input[name=by]", "Alice")
        page.click("button[value=acknowledge]")
        assert "l'escalade est arrêtée" in page.inner_text("h1")
        stage = running.workers["notify"].stage
        wait_until(lambda: any(t.status == "acknowledged" for t in stage.threads()),
                   timeout_s=30, what="the acknowledgement")  # fmt: skip
        clock.advance(minutes=20)  # level 2 was due after 15
        wait_until(lambda: len(http.hits("/a")) >= 2, timeout_s=30, what="the ack notice")
        threading.Event().wait(1.0)
        page.click("#back")
        steps = page.inner_text("#steps")
        assert "annulée · acquitté par Alice" in steps
        assert "acquitté" in page.inner_text("#status")
        assert "Ce lien a déjà servi" in page.content()  # single use
    assert [body(r)["type"] for r in http.hits("/a")] == [
        "incident.trigger",
        "incident.acknowledge",
    ]


def test_a_grouped_messages_link_lists_each_incident_and_answers_each_one(
    stack: EmbeddedStack, http: LocalHttp, browser_page: Any
) -> None:
    """Three brands in crisis within group_wait: one message, whose link opens a page listing
    all three; one is acknowledged alone, then "acknowledge all" acknowledges the two others,
    each as its own answer; nobody reaches level 2; the link is then used up."""
    port = free_port()
    clock = FakeClock(SATURDAY_NIGHT)
    config = notify_config(stack, http, group_wait_s=2, web={
        "listen_port": port, "public_url": f"http://127.0.0.1:{port}",
        "link_secret": "test-link-secret-0123456789"})  # fmt: skip
    crises = [incident(brand=f"marque-{n}") for n in range(3)]
    with workers(config, "notify", builders=notifier(clock)) as running:
        publish(config, *crises)
        stage = running.workers["notify"].stage
        wait_until(lambda: http.hits("/a") and len(stage.threads()) == 3, timeout_s=60,
                   what="the grouped page")  # fmt: skip

        def status(incident_id: str) -> str:
            return next(t.status for t in stage.threads() if t.incident_id == incident_id)

        [hit] = http.hits("/a")
        data = body(hit)["data"]
        page = browser_page
        page.goto(data["link"])
        sections = page.locator("section.incident")
        listed = [sections.nth(n).get_attribute("data-incident") for n in range(sections.count())]
        assert listed == [data["incident"]["id"], *(other["id"] for other in data["grouped"])]
        assert sorted(listed) == sorted(c.id for c in crises)  # every incident of the message
        for n in range(1, len(listed) + 1):
            assert "ouvert, non acquitté" in page.inner_text(f"#status-{n}")
            assert "Bob A" in page.inner_text(f"#steps-{n}")

        page.fill("input[name=by]", "Alice")
        page.click("#incident-2 button[value=acknowledge]")  # this one only
        assert "l'escalade est arrêtée" in page.inner_text("h1")
        wait_until(lambda: status(listed[1]) == "acknowledged", what="the one acknowledged")
        assert [status(listed[0]), status(listed[2])] == ["open", "open"]
        page.click("#back")
        assert "acquitté" in page.inner_text("#status-2")
        assert "Déjà répondu" in page.inner_text("#incident-2")
        assert page.locator("#incident-1 button[value=acknowledge]").count() == 1

        page.fill("input[name=by]", "Bruno")
        page.click("#acknowledge-all")
        assert "l'escalade est arrêtée" in page.inner_text("h1")
        wait_until(lambda: all(status(i) == "acknowledged" for i in listed), what="all acked")
        clock.advance(minutes=20)  # level 2 was due after 15
        wait_until(lambda: len(http.hits("/a")) >= 4, timeout_s=30, what="the ack notices")
        threading.Event().wait(1.0)
        page.click("#back")
        assert page.locator("#acknowledge-all").count() == 0
        assert page.locator("section.incident button").count() == 0  # used, for each
        answer = f"{data['link']}/answer"
        again = httpx.post(answer, data={"action": "resolve", "by": "Eve"})
        assert again.status_code == 409  # single use, for the whole group too
        outside = httpx.post(f"{answer}?incident=maison-lumen-lumen-1",
                             data={"action": "acknowledge", "by": "Eve"})  # fmt: skip
        assert outside.status_code == 403  # only the incidents the link names

    responses = [IncidentResponse.model_validate_json(v) for v in
                 read_topic(config, Topics(config.kafka.topic_prefix).responses, 3)]  # fmt: skip
    assert sorted((r.incident_id, r.action, r.by, r.via) for r in responses) == sorted(
        [(listed[1], "acknowledge", "Alice", "link")]
        + [(i, "acknowledge", "Bruno", "link") for i in (listed[0], listed[2])]
    )  # three answers, one per incident
    kinds = [body(r)["type"] for r in http.hits("/a")]
    assert kinds == ["incident.trigger"] + ["incident.acknowledge"] * 3  # nobody at level 2
