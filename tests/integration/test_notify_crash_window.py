"""The notifier's batch against a crash between its writes (the real search engine holds the
log): an acknowledgement whose batch dies halfway is replayed after the restart and still
tells every channel of the thread, once; no trigger it stopped is left to fire."""

from collections.abc import Iterable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from kafka.structs import TopicPartition

from alerts.notify.dispatch import Dispatcher
from alerts.notify.log import NotificationLog
from alerts.notify.records import NotificationRecord
from alerts.notify.responses import make_response
from alerts.notify.send import Sender
from alerts.notify.stage import NotifierInput, NotifierStage
from runtime.indices import make_client
from runtime.stream import Received
from schemas.config import VeilleConfig
from schemas.incident import IncidentEvent
from tests.integration.test_notify import SATURDAY_NIGHT, incident, notify_config
from tests.local_http import LocalHttp
from veille.runner import prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

TOPIC = "alerts.incidents"


class Killed(Exception):
    """The process died here."""


class DiesOnceOnAnswer(NotificationLog):
    """The log of a notifier killed while it writes an acknowledgement's notices."""

    armed = True

    def create(self, records: list[NotificationRecord]) -> list[NotificationRecord]:
        if self.armed and any(r.action == "acknowledge" for r in records):
            self.armed = False
            raise Killed
        return super().create(records)


def notifier(config: VeilleConfig, log: NotificationLog) -> NotifierStage:
    """A fresh notifier process: nothing in memory, its partition assigned."""
    holder: list[NotifierStage] = []
    clock = lambda: SATURDAY_NIGHT  # noqa: E731
    sender = Sender({}, log, config.alerts.notify, None, clock,
                    lambda record: holder[0].thread_of(record))  # fmt: skip
    stage = NotifierStage(config.alerts, config.tenants, log, Dispatcher(sender, clock), clock)
    holder.append(stage)
    stage.on_partitions_assigned([TopicPartition(TOPIC, 0)])
    return stage


def batch(*items: Any) -> list[Received[NotifierInput]]:
    record: Any = SimpleNamespace(topic=TOPIC, partition=0)
    return [Received(record, NotifierInput.model_validate(item)) for item in items]


def statuses(log: NotificationLog, incident_id: str) -> list[tuple[str, int, str]]:
    records: Iterable[NotificationRecord] = log.records_for("agence-horizon", incident_id)
    return sorted((r.action, r.level, r.status) for r in records)


def test_an_acknowledgement_killed_mid_batch_still_tells_its_channels(
    stack: EmbeddedStack, http: LocalHttp
) -> None:
    config = notify_config(stack, http)
    crisis = incident(n=7)
    opened = IncidentEvent(event="opened", at=SATURDAY_NIGHT, incident=crisis,
                           emitted_at=SATURDAY_NIGHT)  # fmt: skip
    at = SATURDAY_NIGHT + timedelta(minutes=1)
    ack = make_response("acknowledge", crisis.id, crisis.tenant, crisis.brand, "Alice", "cli",
                        "n1", at)  # fmt: skip
    prepare(config)  # the log's index templates
    client = make_client(config.elasticsearch)
    dying = DiesOnceOnAnswer(client, config.elasticsearch)
    first = notifier(config, dying)
    assert first.handle(batch(opened)) == []
    try:
        first.handle(batch(ack))
        raise AssertionError("the batch should have died")
    except Killed:
        pass  # its offsets were never committed: the restart reads the answer again
    log = NotificationLog(client, config.elasticsearch)

    restarted = notifier(config, log)
    restarted.handle(batch(ack))  # the same answer, read again
    assert statuses(log, crisis.id) == [
        ("acknowledge", 0, "pending"),  # hook_a is told, once
        ("trigger", 1, "cancelled"),
        ("trigger", 2, "cancelled"),
    ]
    assert [t.status for t in restarted.threads()] == ["acknowledged"]
    restarted.handle(batch(ack))  # once more: nothing new
    assert len(log.records_for("agence-horizon", crisis.id)) == 3
