"""The incident page in a real headless browser (Debian's chromium, driven by Playwright):
open the signed link of a page, press acknowledge, see the escalation stop."""

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import free_port, wait_until, workers
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
