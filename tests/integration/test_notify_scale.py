"""Two `veille alerts notify` processes on tansu (it expires a member killed without leaving):
the one that owns the tenant's partition is killed with kill -9 between level 1 and level 2
of an escalation; the other takes the partition over, resumes the tenant's escalation from
the log, and sends level 2 once; level 1 is not sent again."""

import os
import signal
import time
from pathlib import Path

import pytest

from tests.helpers import start_cli_worker, wait_until
from tests.helpers import write_config as write
from tests.integration.test_notify import (
    SECRET_A,
    SECRET_B,
    body,
    escalating_on_tansu,
    http,
    incident,
    level_1_sent,
)
from tests.local_http import LocalHttp
from tests.tansu import TansuBroker
from veille.runner import prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration
__all__ = ["http"]  # the receiver fixture of test_notify: /a and /b answer 204


def resumed_thread(log: Path) -> bool:
    return "resumed 1 open thread(s)" in log.read_text(errors="replace")


def test_two_notifiers_one_killed_mid_escalation_the_other_resumes_it(
    stack: EmbeddedStack, tansu: TansuBroker, http: LocalHttp, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    for name, secret in (("A", SECRET_A), ("B", SECRET_B)):  # secrets: environment only
        monkeypatch.setenv(
            f"VEILLE__ALERTS__CHANNELS__HOOK_{name}__URL", f"{http.base}/{name.lower()}"
        )
        monkeypatch.setenv(f"VEILLE__ALERTS__CHANNELS__HOOK_{name}__SECRET", secret)
    config = escalating_on_tansu(stack, tansu, http)
    prepare(config)
    path = write(config, tmp_path / "veille.yaml")
    crisis = incident(n=16)
    logs = {name: tmp_path / f"{name}.log" for name in ("n1", "n2")}
    procs = {"n1": start_cli_worker(path, logs["n1"], "alerts", "notify")}
    try:
        notifications = level_1_sent(config, http, crisis)  # by n1 alone
        level_1 = time.monotonic()
        procs["n2"] = start_cli_worker(path, logs["n2"], "alerts", "notify")
        wait_until(lambda: "notify: resumed" in logs["n2"].read_text(errors="replace"),
                   timeout_s=60, what="n2 in the group with partitions")  # fmt: skip
        # the tenant's partition may have moved to n2 when it joined: kill its owner
        owner, heir = ("n2", "n1") if resumed_thread(logs["n2"]) else ("n1", "n2")
        pending = [r for r in notifications.records_for(crisis.tenant, crisis.id)
                   if r.status == "pending"]  # fmt: skip
        assert [r.level for r in pending] == [2], "level 2 should still be due at the kill"
        heir_log_before = logs[heir].read_text(errors="replace").count("resumed 1 open thread")
        os.kill(procs[owner].pid, signal.SIGKILL)
        procs[owner].wait()
        wait_until(lambda: logs[heir].read_text(errors="replace").count("resumed 1 open thread")
                   > heir_log_before, timeout_s=60, what=f"{heir} resumes the thread")  # fmt: skip
        wait_until(lambda: len(http.hits("/a")) >= 2, timeout_s=120, what=f"level 2 by {heir}")
        time.sleep(3)  # a doubled step would show now
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
    assert time.monotonic() - level_1 < 90
    ids = [r.headers["webhook-id"] for r in http.hits("/a")]
    assert len(ids) == 2 and len(set(ids)) == 2  # each step once
    assert [body(r)["data"]["recipient"]["id"] for r in http.hits("/a")] == ["a-alice", "a-bob"]
    records = notifications.records_for(crisis.tenant, crisis.id)
    assert [(r.level, r.status, r.attempts) for r in records] == [(1, "sent", 1), (2, "sent", 1)]
    print(f"killed {owner} (owner of the tenant's partition); {heir} sent level 2")
