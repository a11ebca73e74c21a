"""Grouping, pure, on an injected clock: five brands of one tenant in crisis within
`group_wait_s` reach the same person as one message; another tenant, another person or a
wait already over starts its own."""

from datetime import timedelta

from alerts.notify.grouping import group_start, message_groups
from alerts.notify.plan import plan_answer, plan_route
from alerts.notify.records import NotificationRecord, PageThread
from schemas.config import NotifySettings
from tests.unit.test_notify_logic import SAT_2330_PARIS, incident, quiet_route, tenant, thread

WAIT = timedelta(seconds=30)
NOTIFY = NotifySettings(group_wait_s=30)


def crisis(brand: str, tenant_id: str = "a") -> PageThread:
    paged = thread(incident("critical", tenant=tenant_id).model_copy(
        update={"id": f"{tenant_id}-{brand}", "brand": brand}))  # fmt: skip
    return paged.model_copy(update={"incident_id": f"{tenant_id}-{brand}", "brand": brand,
                                    "channels": ["pager", "chat"]})  # fmt: skip


def plan(brand: str, after_s: float, waiting: list[NotificationRecord],
         tenant_id: str = "a") -> list[NotificationRecord]:  # fmt: skip
    """The plan of a crisis of `brand` seen `after_s` after the first, joining `waiting`."""
    now = SAT_2330_PARIS + timedelta(seconds=after_s)
    route = quiet_route().routes[0].model_copy(update={"tenant": tenant_id})
    first = group_start(waiting, tenant_id, route.channels, now, WAIT)
    return plan_route(crisis(brand, tenant_id), 0, route, tenant(tenant_id), NOTIFY, now, first)


def test_five_brands_within_group_wait_are_one_message_per_person_and_step() -> None:
    waiting: list[NotificationRecord] = []
    for n, brand in enumerate(["b1", "b2", "b3", "b4", "b5"]):
        waiting += plan(brand, after_s=n * 6, waiting=waiting)  # 0 s … 24 s
    first = [r for r in waiting if r.step == 0]
    assert {r.due_at for r in first} == {SAT_2330_PARIS + WAIT}  # all wait for the first
    due_first = sorted(first, key=lambda r: r.incident_id or "")
    groups = message_groups(due_first)
    assert [[r.incident_id for r in g] for g in groups] == [["a-b1", "a-b2", "a-b3", "a-b4",
                                                             "a-b5"]]  # fmt: skip
    level_2 = [r for r in waiting if r.step == 1]  # their escalations stay together too
    assert len({r.due_at for r in level_2}) == 1 and len(message_groups(level_2)) == 1


def test_a_wait_already_over_another_tenant_or_person_is_not_joined() -> None:
    waiting = plan("b1", after_s=0, waiting=[])
    late = plan("b2", after_s=31, waiting=waiting)  # the first group already went out
    assert late[0].due_at == SAT_2330_PARIS + timedelta(seconds=61)
    other = plan("b1", after_s=5, waiting=waiting, tenant_id="z")
    assert other[0].due_at == SAT_2330_PARIS + timedelta(seconds=35)
    both = [waiting[0], other[0], waiting[1]]  # a-p1, z-p1, a-p2: three people
    assert [len(g) for g in message_groups(both)] == [1, 1, 1]
    held = [r.model_copy(update={"status": "sent"}) for r in waiting]
    assert plan("b3", after_s=5, waiting=held)[0].due_at == SAT_2330_PARIS + timedelta(seconds=35)


def test_only_triggers_are_grouped() -> None:
    answers = [r for b in ("b1", "b2") for r in plan_answer(
        crisis(b), "acknowledge", "Léa", SAT_2330_PARIS, {})]  # fmt: skip
    assert len(answers) == 4
    assert [len(g) for g in message_groups(answers)] == [1, 1, 1, 1]
