"""Notifier stage: alerts.incidents + alerts.responses + ingest.health → page threads and
planned notifications, durable before the offsets are committed; the dispatcher sends them.

Per batch: route each incident event (alerts/notify/route.py), plan its escalation
(plan.py), apply people's answers (acknowledge / resolve / not a crisis: every pending
trigger of the incident is cancelled), plan source-health notices for the tenant's operator
channels; then write threads, new records and cancellations to the notification log
(log.py), and only then hand the new records to the dispatcher. The stream loop commits the
batch's offsets after `handle` returns, so a `kill -9` at any point either finds the state
durable or reads the events again; re-planning gives the same ids, so nothing is doubled.

On an assignment (start, rebalance, a member expired after a kill -9) the member loads the
open threads and the records to send of its partitions: escalation timers resume where they
were, and due steps go out once it has caught up (`tick`). Incidents and answers are keyed
by tenant (schemas/topics.py), so one member owns all of a tenant's threads. An event for an
incident not in memory is looked up in the log before a thread is opened: a thread written
under another partition (topics keyed by incident id before) is adopted, never paged anew.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from kafka import ConsumerRebalanceListener
from kafka.structs import TopicPartition
from pydantic import RootModel

from alerts.notify.contract import Action
from alerts.notify.dispatch import Dispatcher
from alerts.notify.grouping import group_start
from alerts.notify.log import NotificationLog
from alerts.notify.plan import (
    Notified,
    notified_people,
    plan_answer,
    plan_health,
    plan_route,
    plan_severity_change,
)
from alerts.notify.records import NotificationRecord, PageThread
from alerts.notify.route import health_channels, incident_routes, person_channels
from runtime.stream import Received, Rejected
from schemas.config import AlertsSettings, TenantSettings
from schemas.health import SourceHealthEvent
from schemas.incident import IncidentEvent
from schemas.response import IncidentResponse

log = logging.getLogger(__name__)

SEVERITY_RANK = {"warning": 0, "major": 1, "critical": 2}


class NotifierInput(RootModel[IncidentEvent | IncidentResponse | SourceHealthEvent]):
    """What the notifier reads: incident events, people's answers, source health."""


class NotifierStage(ConsumerRebalanceListener):  # type: ignore[misc]
    name = "notify"

    def __init__(
        self,
        settings: AlertsSettings,
        tenants: list[TenantSettings],
        notification_log: NotificationLog,
        dispatcher: Dispatcher,
        clock: Callable[[], datetime],
    ) -> None:
        self._settings = settings
        self._tenants = {t.id: t for t in tenants}
        self._log = notification_log
        self._dispatcher = dispatcher
        self._clock = clock
        self._lock = threading.Lock()
        self._threads: dict[str, PageThread] = {}
        self._owned: set[tuple[str, int]] = set()
        self._needs_load: set[tuple[str, int]] = set()

    # --- what the dispatcher asks -------------------------------------------------------
    def thread_of(self, record: NotificationRecord) -> PageThread | None:
        """The record's thread: in memory, else (resolved, not loaded) from the log."""
        assert record.incident_id is not None
        with self._lock:
            thread = self._threads.get(record.incident_id)
        return thread or self._log.thread(record.tenant, record.incident_id)

    def threads(self) -> list[PageThread]:
        with self._lock:
            return list(self._threads.values())

    # --- assignment -----------------------------------------------------------------------
    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self._needs_load |= {(tp.topic, tp.partition) for tp in assigned}

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        lost = {(tp.topic, tp.partition) for tp in revoked}
        self._dispatcher.close_gate()
        self._dispatcher.forget(lambda r: (r.topic, r.partition) in lost)
        with self._lock:
            for key in [k for k, t in self._threads.items() if (t.topic, t.partition) in lost]:
                del self._threads[key]
        self._owned -= lost

    def _load(self) -> None:
        """Load what newly owned partitions left open (raises while the log is down: the
        stream loop retries)."""
        if not self._needs_load:
            return
        threads, records = self._log.load(self._needs_load)
        with self._lock:
            for thread in threads:
                self._threads[thread.incident_id] = thread
        self._dispatcher.schedule(records)
        log.info("notify: resumed %d open thread(s), %d notification(s) to send",
                 len(threads), len(records))  # fmt: skip
        self._owned |= self._needs_load
        self._needs_load = set()

    # --- the stream -----------------------------------------------------------------------
    def handle(self, batch: list[Received[NotifierInput]]) -> list[Rejected]:
        self._load()
        now = self._clock()
        changed: dict[str, PageThread] = {}
        planned: list[NotificationRecord] = []
        cancelled: list[NotificationRecord] = []
        for received in batch:
            item = received.value.root
            topic, partition = received.record.topic, received.record.partition
            if isinstance(item, IncidentEvent):
                planned += self._on_incident(item, topic, partition, now, changed)
            elif isinstance(item, IncidentResponse):
                more, gone = self._on_response(item, now, changed)
                planned += more
                cancelled += gone
            else:
                planned += self._on_health(item, topic, partition, now)
        # Records before threads: a crash in between replays the batch onto a thread not yet
        # answered, which plans the same ids again (an acknowledgement's notices included);
        # nothing is sent meanwhile, the dispatcher waits until the inputs are read (tick).
        stored = self._log.create(planned)
        self._log.save(cancelled)
        self._log.save_threads(changed.values())
        self._dispatcher.cancel(r.id for r in cancelled)
        self._dispatcher.schedule(stored)
        return []

    def tick(self) -> None:
        """Caught up with every input partition: answers already on the topics are known, so
        due escalation steps may go out."""
        self._load()
        self._dispatcher.open()

    def flush(self) -> None:
        """Every write of `handle` was acknowledged by the log before it returned."""

    def _on_incident(
        self, event: IncidentEvent, topic: str, partition: int, now: datetime,
        changed: dict[str, PageThread],
    ) -> list[NotificationRecord]:  # fmt: skip
        incident = event.incident
        tenant = self._tenants.get(incident.tenant)
        with self._lock:
            thread = changed.get(incident.id) or self._threads.get(incident.id)
        if thread is None and tenant is not None:
            found = self._log.thread(incident.tenant, incident.id)
            if found is not None and (found.topic, found.partition) != (topic, partition):
                found = found.model_copy(update={"topic": topic, "partition": partition})
            thread = found
        if thread is None:
            if event.event == "resolved" or tenant is None:
                return []
            thread = PageThread(
                incident_id=incident.id, tenant=incident.tenant, brand=incident.brand,
                topic=topic, partition=partition, incident=incident, opened_at=now,
                updated_at=now,
            )  # fmt: skip
        old = thread.incident.severity
        thread = thread.model_copy(update={"incident": incident, "updated_at": now})
        records: list[NotificationRecord] = []
        if event.event == "resolved":
            if thread.status != "resolved":
                by = incident.resolved_by or "auto"
                records += plan_answer(thread, "resolve", by, now, self._notified(thread))
                thread = thread.model_copy(update={"status": "resolved"})
        elif thread.status == "open" and tenant is not None:
            if SEVERITY_RANK[incident.severity] > SEVERITY_RANK[old] and thread.routes:
                routes = [self._settings.routes[i] for i in thread.routes]
                records += plan_severity_change(thread, routes, old, now, self._notified(thread),
                                                tenant.timezone)  # fmt: skip
            for index, route in incident_routes(self._settings, incident):
                if index in thread.routes:
                    continue
                wait = timedelta(seconds=self._settings.notify.group_wait_s)
                first = group_start(self._dispatcher.pending(), incident.tenant, route.channels,
                                    now, wait)  # fmt: skip
                records += plan_route(thread, index, route, tenant, self._settings.notify, now,
                                      first)  # fmt: skip
                thread = thread.model_copy(update={
                    "routes": [*thread.routes, index],
                    "channels": list(dict.fromkeys([*thread.channels, *route.channels])),
                })  # fmt: skip
        changed[thread.incident_id] = thread
        with self._lock:
            self._threads[thread.incident_id] = thread
        return records

    def _on_response(
        self, response: IncidentResponse, now: datetime, changed: dict[str, PageThread]
    ) -> tuple[list[NotificationRecord], list[NotificationRecord]]:
        with self._lock:
            thread = changed.get(response.incident_id) or self._threads.get(response.incident_id)
        if thread is None:
            thread = self._log.thread(response.tenant, response.incident_id)
        if thread is None:
            log.warning("notify: answer %s for unknown incident %s", response.id,
                        response.incident_id)  # fmt: skip
            return [], []
        if any(r.id == response.id for r in thread.responses):
            return [], []  # the same answer, delivered again
        status = "acknowledged" if response.action == "acknowledge" else "resolved"
        if thread.status == "resolved" or (thread.status == status):
            thread = thread.model_copy(update={"responses": [*thread.responses, response]})
            changed[thread.incident_id] = thread
            return [], []
        thread = thread.model_copy(update={
            "status": status, "updated_at": now, "responses": [*thread.responses, response],
        })  # fmt: skip
        with self._lock:
            self._threads[thread.incident_id] = thread
        changed[thread.incident_id] = thread
        verb: Action = "acknowledge" if status == "acknowledged" else "resolve"
        why = f"{'acquitté' if status == 'acknowledged' else 'résolu'} par {response.by}"
        cancelled = [
            r.model_copy(update={"status": "cancelled", "note": why})
            for r in self._dispatcher.pending()
            if r.incident_id == thread.incident_id and r.action == "trigger"
        ]
        log.info("notify: incident %s %s by %s via %s; %d pending step(s) cancelled",
                 thread.incident_id, status, response.by, response.via, len(cancelled))  # fmt: skip
        return plan_answer(thread, verb, response.by, now, self._notified(thread)), cancelled

    def _notified(self, thread: PageThread) -> Notified:
        """Who was paged on the thread's channels that write to a person (from the log)."""
        channels = person_channels(self._settings) & set(thread.channels)
        if not channels:
            return {}
        return notified_people(self._log.records_for(thread.tenant, thread.incident_id), channels)

    def _on_health(
        self, event: SourceHealthEvent, topic: str, partition: int, now: datetime
    ) -> list[NotificationRecord]:
        tenants = event.tenants or list(self._tenants)
        return [
            record
            for tenant in tenants
            for record in plan_health(
                event, topic, partition, tenant, health_channels(self._settings, tenant), now
            )
        ]
