"""Fault rows of the scaled-out stages: ingest killed mid-stream, the ingest state disk full,
a notification channel down for minutes. Same servers and rows as scenarios.py."""

import os
import resource
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from schemas.config import VeilleConfig
from schemas.mention import Mention
from tests.faults.scenarios import Row, Servers, indexed, lost_doubled
from tests.helpers import make_config, start_cli_worker, wait_until, write_config
from tests.ingest_fleet import Fleet, GrowingFeeds, doubled, raw_mentions
from tests.integration.test_notify import incident, notify_config, publish
from tests.local_http import LocalHttp, Reply, Request
from veille.runner import prepare, start_workers

INGEST = {"allow_networks": ["127.0.0.1/32"]}


def _on_raw(config: VeilleConfig, feeds: GrowingFeeds, timeout_s: float = 90) -> list[Mention]:
    """mentions.raw once every published post is there (or the timeout: the row tells)."""
    published = feeds.published()

    def arrived() -> bool:
        return {(m.source, m.native_id) for m in raw_mentions(config, len(published))} >= published

    with suppress(AssertionError):
        wait_until(arrived, timeout_s=timeout_s, what="every post on mentions.raw")
    return raw_mentions(config, len(published))


def _lost(feeds: GrowingFeeds, mentions: list[Mention]) -> int:
    return len(feeds.published() - {(m.source, m.native_id) for m in mentions})


# --- kill -9 of ingest mid-stream, then a restart -----------------------------------------


def kill_ingest(s: Servers) -> Row:
    """One `veille ingest run` on tansu polling 6 growing feeds, enrich and index in-process;
    killed with SIGKILL once mentions flow, restarted on the same state dir."""
    http = LocalHttp()
    feeds = GrowingFeeds(http, 6)
    config = make_config(s.tansu.bootstrap, s.noida.elasticsearch_url,
                         {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000},
                         enrich={"scorer": "lexicon"}, ingest=INGEST,
                         sources=feeds.sources())  # fmt: skip
    prepare(config)
    fleet = Fleet(config, s.work / "kill-ingest")
    (s.work / "kill-ingest").mkdir(exist_ok=True)
    running = start_workers(config, ("enrich", "index"))
    try:
        feeds.start()
        fleet.start("w0")
        wait_until(lambda: len(indexed(config)) >= 20, timeout_s=120, what="mentions indexed")
        fleet.processes["w0"].send_signal(signal.SIGKILL)
        fleet.processes["w0"].wait()
        at_kill = len(indexed(config))
        fleet.start("w0")
        time.sleep(8)  # the restarted worker polls while the feeds still grow
        feeds.stop()
        mentions = _on_raw(config, feeds)
        ids = sorted({m.id for m in mentions})
        with suppress(AssertionError):
            wait_until(lambda: len(indexed(config)) >= len(ids), timeout_s=120, what="indexed")
    finally:
        feeds.stop()
        fleet.stop()
        running.stop()
        http.close()
    lost = _lost(feeds, mentions)
    observed = f"{lost} posts lost on mentions.raw; " + lost_doubled(ids, indexed(config))
    twice = len(doubled(mentions))
    return Row(f"kill -9 ingest mid-stream ({at_kill} indexed at the kill), restart "
               f"({twice} id(s) produced twice on mentions.raw)",
               f"0 posts lost on mentions.raw; {len(ids)} indexed, 0 lost, 0 doubled",
               observed)  # fmt: skip


# --- the disk of the ingest state full ----------------------------------------------------


@contextmanager
def _small_disk(work: Path) -> Iterator[tuple[Path, str, Path | None]]:
    """(state dir, how, filler): a 4 MiB tmpfs when root may mount one, else a plain dir
    whose worker runs under RLIMIT_FSIZE (filler None)."""
    where = work / "small-disk"
    where.mkdir(exist_ok=True)
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)], capture_output=True
        ).returncode
        == 0
    )
    try:
        if mounted:
            yield where, "a 4 MiB tmpfs", where / "filler"
        else:
            yield where, "RLIMIT_FSIZE 256 KiB", None
    finally:
        if mounted:
            subprocess.run(["umount", str(where)], capture_output=True)


def _fill(filler: Path, leave: int) -> None:
    """Fill the tmpfs but `leave` bytes."""
    free = shutil.disk_usage(filler.parent).free
    with open(filler, "wb") as out:
        out.write(b"\0" * max(0, free - leave))


def state_disk_full(s: Servers) -> list[Row]:
    http = LocalHttp()
    feeds = GrowingFeeds(http, 4, every_s=0.02)
    rows: list[Row] = []
    with _small_disk(s.work) as (state, how, filler):
        config = make_config(s.noida.kafka_bootstrap, s.noida.elasticsearch_url,
                             ingest={**INGEST, "state_dir": str(state)},
                             sources=feeds.sources())  # fmt: skip
        prepare(config)
        path = write_config(config, s.work / "disk-full.yaml")
        log = s.work / "disk-full.log"
        feeds.start()
        limit = None if filler is not None else (256 * 1024, 256 * 1024)
        process = _ingest(path, log, limit)
        with suppress(AssertionError):  # running, then the disk fills up under it
            wait_until(lambda: raw_mentions(config, 20), timeout_s=60, what="mentions flowing")
        if filler is not None:
            _fill(filler, 16 * 1024)
        try:
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        text = log.read_text(errors="replace")
        said = "state store cannot be written" in text
        if not said:  # what it said instead, for the row
            print(text[-3000:])
        rows.append(Row(f"ingest state disk full ({how})",
                        "ingest stopped: exit 1, the state store error logged",
                        f"ingest {_exit(process)}, the state store error "
                        f"{'logged' if said else 'not logged'}"))  # fmt: skip
        if filler is not None:
            filler.unlink()
        process = _ingest(path, log, None)
        try:
            time.sleep(5)
            feeds.stop()
            mentions = _on_raw(config, feeds)
        finally:
            feeds.stop()
            process.terminate()
            process.wait(timeout=30)
            http.close()
    published = len(feeds.published())
    rows.append(Row(f"ingest state disk full, then room again: restart ({published} posts, "
                    f"{len(doubled(mentions))} id(s) produced twice)",
                    "0 posts lost on mentions.raw",
                    f"{_lost(feeds, mentions)} posts lost on mentions.raw"))  # fmt: skip
    return rows


def _exit(process: subprocess.Popen[bytes]) -> str:
    code = process.returncode
    return "still running (killed)" if code is None or code < 0 else f"stopped: exit {code}"


def _ingest(path: Path, log: Path, fsize: tuple[int, int] | None) -> subprocess.Popen[bytes]:
    if fsize is None:
        return start_cli_worker(path, log, "ingest", "run")
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, fsize)

    return subprocess.Popen([sys.executable, "-m", "veille.cli", "--config", str(path),
                             "ingest", "run"], stdout=open(log, "ab"),
                            stderr=subprocess.STDOUT, preexec_fn=limit)  # fmt: skip


# --- a notification channel failing for minutes --------------------------------------------


def channel_down(s: Servers, outage_s: float) -> list[Row]:
    """Tenant A's webhook answers 503 for `outage_s`; tenant B's channel works. A crisis of
    each at the start, and one more of B half-way through the outage."""
    http = LocalHttp()
    down_until = [float("inf")]
    accepted: list[str] = []
    lock = threading.Lock()

    def hook_a(request: Request) -> Reply:
        if time.monotonic() < down_until[0]:
            return Reply(503, b"down")
        with lock:
            accepted.append(request.headers.get("webhook-id", ""))
        return Reply(204)

    http.route("/a", hook_a)
    http.route("/b", Reply(204))
    config = notify_config(s.noida, http, web={"enabled": False})
    prepare(config)
    rows: list[Row] = []
    with _running(config, "notify"):
        down_until[0] = time.monotonic() + outage_s
        publish(config, incident(n=31), incident("maison-lumen", "lumen", n=31))
        b_first = _waited(lambda: http.hits("/b"), 60)
        time.sleep(max(0.0, outage_s / 2 - b_first))
        sent_at = time.monotonic()
        publish(config, incident("maison-lumen", "lumen", n=32))
        wait_until(lambda: len(http.hits("/b")) >= 2, timeout_s=60, what="B's second page")
        b_second = time.monotonic() - sent_at
        still_down = time.monotonic() < down_until[0]
        with suppress(AssertionError):
            wait_until(lambda: accepted, timeout_s=outage_s + 60, what="A delivered")
        time.sleep(5)  # a second delivery would show now
    attempts = len(http.hits("/a"))
    ids = set(accepted)
    rows.append(Row(f"channel hook_a failing for {outage_s:.0f} s: the other tenant's channel",
                    "2 pages of B delivered during the outage, each within 10 s",
                    f"{len(http.hits('/b'))} pages of B delivered"
                    f"{' during the outage' if still_down else ' (after the outage)'}, "
                    f"each within {_within(max(b_first, b_second))}"))  # fmt: skip
    rows.append(Row(f"channel hook_a failing for {outage_s:.0f} s, then back ({attempts} "
                    f"attempts)", "A's page delivered once after it came back",
                    f"A's page delivered {_times(len(accepted))} after it came back"
                    f"{'' if len(ids) <= 1 else f' ({len(ids)} notification ids)'}"))  # fmt: skip
    http.close()
    return rows


def _times(n: int) -> str:
    return {0: "never", 1: "once"}.get(n, f"{n} times")


def _within(seconds: float) -> str:
    return "10 s" if seconds <= 10 else f"{seconds:.0f} s"


def _waited(check: object, timeout_s: float) -> float:
    started = time.monotonic()
    wait_until(check, timeout_s=timeout_s)  # type: ignore[arg-type]
    return time.monotonic() - started


@contextmanager
def _running(config: VeilleConfig, *names: str) -> Iterator[None]:
    running = start_workers(config, names)
    try:
        yield
    finally:
        running.stop()
