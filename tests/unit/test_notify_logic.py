"""The notifier's pure logic with an injected clock: quiet hours, retry backoff, escalation
plans, severity routes, tenant isolation, signed links."""

from datetime import UTC, datetime, time, timedelta

import pytest

from alerts.notify.contract import ChannelError
from alerts.notify.links import LinkError, LinkSigner
from alerts.notify.plan import notified_people, plan_answer, plan_route, plan_severity_change
from alerts.notify.quiet_hours import release_at
from alerts.notify.records import PageThread, notification_id
from alerts.notify.retry import next_attempt
from alerts.notify.route import health_channels, incident_routes, person_channels
from schemas.config import AlertsSettings, NotifySettings, QuietHoursSettings, TenantSettings
from schemas.incident import Incident

SAT_2330_PARIS = datetime(2026, 11, 21, 22, 30, tzinfo=UTC)


def incident(severity: str = "warning", tenant: str = "a", kind: str = "crisis") -> Incident:
    return Incident(
        id="i1", tenant=tenant, brand="b", kind=kind, status="open", severity=severity,
        trigger="negative_acceleration", opened_at=SAT_2330_PARIS, updated_at=SAT_2330_PARIS,
        window_minutes=10, count=12, stories=11, signal=13.2, baseline=0.5, peak_signal=13.2,
        negative_share=0.9, summary="…",
    )  # fmt: skip


def tenant(tid: str) -> TenantSettings:
    return TenantSettings.model_validate({
        "id": tid, "name": tid, "brands": [{"id": "b", "name": "B", "queries": [
            {"id": "q", "query": "b"}]}],
        "oncall": {"people": [{"id": f"{tid}-p1", "name": f"P1 {tid}"},
                              {"id": f"{tid}-p2", "name": f"P2 {tid}"}],
                   "escalation_policies": [{"id": "pol", "levels": [
                       {"targets": [f"{tid}-p1"], "delay_minutes": 15},
                       {"targets": [f"{tid}-p2"], "delay_minutes": 15}], "repeat": 1}]},
    })  # fmt: skip


def thread(inc: Incident) -> PageThread:
    return PageThread(incident_id=inc.id, tenant=inc.tenant, brand=inc.brand, topic="t",
                      partition=0, incident=inc, opened_at=SAT_2330_PARIS,
                      updated_at=SAT_2330_PARIS)  # fmt: skip


def test_quiet_hours_hold_until_their_end_in_local_time() -> None:
    hours = QuietHoursSettings(start=time(22), end=time(8), timezone="Europe/Paris")
    paris = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
    assert release_at(hours, SAT_2330_PARIS, "America/Montreal") == paris  # named: Paris
    noon = datetime(2026, 11, 21, 11, 0, tzinfo=UTC)
    assert release_at(hours, noon, "Europe/Paris") == noon
    summer = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)  # 23:30 CEST → 08:00 CEST = 06:00 UTC
    assert release_at(hours, summer, "Europe/Paris") == datetime(2026, 7, 2, 6, 0, tzinfo=UTC)
    tenants = QuietHoursSettings(start=time(22), end=time(8))  # no zone: the tenant's own
    montreal = datetime(2026, 11, 22, 3, 30, tzinfo=UTC)  # 22:30 in Montreal (UTC-5)
    assert release_at(tenants, montreal, "America/Montreal") == datetime(
        2026, 11, 22, 13, 0, tzinfo=UTC
    )  # 08:00 there
    assert release_at(tenants, montreal, "Europe/Paris") == datetime(
        2026, 11, 22, 7, 0, tzinfo=UTC
    )  # the same instant is 04:30 in Paris: 08:00 CET


def quiet_route(severities: list[str] | None = None) -> AlertsSettings:
    return AlertsSettings.model_validate({
        "channels": {"chat": {"type": "console"}, "pager": {"type": "console"}},
        "routes": [
            {"tenant": "a", "channels": ["pager"], "severities": ["critical"],
             "escalation": "pol"},
            {"tenant": "a", "channels": ["chat"], "quiet_hours": {}},
        ],
    })  # fmt: skip


def test_warning_goes_to_chat_after_quiet_hours_critical_pages_now() -> None:
    settings = quiet_route()
    notify = NotifySettings(group_wait_s=0)
    warning = incident("warning")
    routes = incident_routes(settings, warning)
    assert [i for i, _ in routes] == [1]  # no page for a warning
    records = plan_route(thread(warning), 1, routes[0][1], tenant("a"), notify, SAT_2330_PARIS)
    assert [r.due_at for r in records] == [datetime(2026, 11, 22, 7, 0, tzinfo=UTC)]
    assert "heures calmes" in records[0].note
    critical = incident("critical")
    routes = incident_routes(settings, critical)
    assert [i for i, _ in routes] == [0, 1]
    chat = plan_route(thread(critical), 1, routes[1][1], tenant("a"), notify, SAT_2330_PARIS)
    assert chat[0].due_at == SAT_2330_PARIS  # critical goes through quiet hours


def test_escalation_plan_steps_delays_repeat_and_group_wait() -> None:
    settings = quiet_route()
    notify = NotifySettings(group_wait_s=30)
    critical = incident("critical")
    route = settings.routes[0]
    records = plan_route(thread(critical), 0, route, tenant("a"), notify, SAT_2330_PARIS)
    first = SAT_2330_PARIS + timedelta(seconds=30)
    assert [(r.recipient.id if r.recipient else None, r.due_at - first) for r in records] == [
        ("a-p1", timedelta(0)), ("a-p2", timedelta(minutes=15)),
        ("a-p1", timedelta(minutes=30)), ("a-p2", timedelta(minutes=45)),
    ]  # fmt: skip
    again = plan_route(thread(critical), 0, route, tenant("a"), notify, SAT_2330_PARIS)
    assert [r.id for r in again] == [r.id for r in records]  # re-planning finds the same ids
    assert len({r.id for r in records}) == 4


def test_a_tenant_never_gets_another_tenants_routes_or_people() -> None:
    settings = AlertsSettings.model_validate({
        "channels": {"ca": {"type": "console"}, "cb": {"type": "console"}},
        "routes": [{"tenant": "a", "channels": ["ca"], "escalation": "pol"},
                   {"tenant": "b", "channels": ["cb"], "escalation": "pol"}],
    })  # fmt: skip
    inc = incident("critical", tenant="b")
    routes = incident_routes(settings, inc)
    assert [r.channels for _, r in routes] == [["cb"]]
    records = plan_route(thread(inc), routes[0][0], routes[0][1], tenant("b"),
                         NotifySettings(), SAT_2330_PARIS)  # fmt: skip
    assert {r.recipient.id for r in records if r.recipient} == {"b-p1", "b-p2"}
    assert {r.channel for r in records} == {"cb"}
    assert health_channels(settings, "a") == ["ca"]  # health falls back to its own channels


def test_retry_backoff_only_for_recoverable_errors_until_give_up() -> None:
    settings = NotifySettings(retry_initial_s=1, retry_max_s=60, give_up_after_h=1)
    now = SAT_2330_PARIS
    down = ChannelError("HTTP 503", recoverable=True)
    waits = [(next_attempt(settings, n, now, down, now) or now) - now for n in (1, 2, 3, 8)]
    assert waits == [timedelta(seconds=s) for s in (1, 2, 4, 60)]
    slow = ChannelError("HTTP 429", recoverable=True, retry_after_s=30)
    assert next_attempt(settings, 1, now, slow, now) == now + timedelta(seconds=30)
    assert next_attempt(settings, 1, now, ChannelError("400", recoverable=False), now) is None
    assert next_attempt(settings, 3, now, down, now + timedelta(hours=2)) is None


def test_links_are_signed_and_expire() -> None:
    signer = LinkSigner("secret", "http://x", timedelta(hours=1))
    token = signer.token("a", "i1", "n1", SAT_2330_PARIS)
    claims = signer.verify(token, SAT_2330_PARIS + timedelta(minutes=59))
    assert (claims.tenant, claims.incident_id, claims.token_id) == ("a", "i1", "n1")
    with pytest.raises(LinkError, match="expiré"):
        signer.verify(token, SAT_2330_PARIS + timedelta(hours=1))
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(LinkError, match="signature"):
        signer.verify(forged, SAT_2330_PARIS)
    with pytest.raises(LinkError):
        LinkSigner("other", "http://x", timedelta(hours=1)).verify(token, SAT_2330_PARIS)


def test_a_grouped_link_names_every_incident_and_is_used_once_per_incident() -> None:
    signer = LinkSigner("secret", "http://x", timedelta(hours=1))
    single = signer.verify(signer.token("a", "i1", "n1", SAT_2330_PARIS), SAT_2330_PARIS)
    assert single.incidents == ("i1",) and single.use_id("i1") == "n1"  # as before
    token = signer.token("a", "i1", "n1", SAT_2330_PARIS, others=("i2", "i3"))
    claims = signer.verify(token, SAT_2330_PARIS)
    assert claims.incidents == ("i1", "i2", "i3")
    assert [claims.use_id(i) for i in claims.incidents] == ["n1:i1", "n1:i2", "n1:i3"]
    signature = token.split(".")[1]
    widened = signer.token("a", "i1", "n1", SAT_2330_PARIS, others=("i2", "i3", "b-i9"))
    with pytest.raises(LinkError, match="signature"):  # the list is signed: no incident added
        signer.verify(f"{widened.split('.')[0]}.{signature}", SAT_2330_PARIS)


def test_answers_and_worse_severity_reach_each_person_paged_on_a_personal_channel() -> None:
    """E-mail and SMS write to a person: an acknowledgement, a resolution or a rise of
    severity goes to each person a trigger was sent to there (once each), while a shared
    channel (chat, PagerDuty) is told once; the ids of the shared ones are those of before."""
    settings = AlertsSettings.model_validate({
        "channels": {"mail": {"type": "email"}, "chat": {"type": "console"}},
        "routes": [{"tenant": "a", "channels": ["mail", "chat"], "escalation": "pol"}],
    })  # fmt: skip
    assert person_channels(settings) == {"mail"}
    paged = thread(incident("major")).model_copy(update={"channels": ["mail", "chat"]})
    plan = plan_route(paged, 0, settings.routes[0], tenant("a"), NotifySettings(group_wait_s=0),
                      SAT_2330_PARIS)  # fmt: skip
    sent = [r.model_copy(update={"status": "sent", "sent_at": r.due_at}) for r in plan[:4]]
    notified = notified_people([*sent, *plan[4:]], person_channels(settings))
    assert {c: [p.id for p in people] for c, people in notified.items()} == {
        "mail": ["a-p1", "a-p2"]
    }  # sent only: a-p1 and a-p2 once each, not the pending repeat round
    acked = plan_answer(paged, "acknowledge", "Léa", SAT_2330_PARIS, notified)
    assert [(r.channel, r.recipient.id if r.recipient else None) for r in acked] == [
        ("mail", "a-p1"), ("mail", "a-p2"), ("chat", None)
    ]  # fmt: skip
    assert acked[2].id == notification_id("i1", "acknowledge", "chat")
    worse = paged.model_copy(update={"incident": paged.incident.model_copy(
        update={"severity": "critical"})})  # fmt: skip
    told = plan_severity_change(worse, settings.routes, "major", SAT_2330_PARIS, notified, "UTC")
    assert [r.recipient.id if r.recipient else None for r in told] == ["a-p1", "a-p2", None]
    assert told[2].id == notification_id("i1", "severity", "critical", "chat")
    assert all(r.reason == "aggravation : major → critical" for r in told)


def test_source_health_goes_to_a_channel_that_does_not_page_by_default() -> None:
    def routes(*channels: str) -> AlertsSettings:
        return AlertsSettings.model_validate({
            "channels": {"pd": {"type": "pagerduty"}, "og": {"type": "opsgenie"},
                         "chat": {"type": "slack"}, "mail": {"type": "email"}},
            "routes": [{"tenant": "a", "channels": list(channels)}],
        })  # fmt: skip

    assert health_channels(routes("pd", "chat", "og", "mail"), "a") == ["chat", "mail"]
    assert health_channels(routes("pd"), "a") == ["pd"]  # rather than a blind weekend
    explicit = routes("pd", "chat").model_copy(
        update={"notify": NotifySettings(operator_channels=["pd"])}
    )
    assert health_channels(explicit, "a") == ["pd"]  # as configured


def test_quiet_hours_without_a_zone_are_each_tenants_own_night() -> None:
    route = quiet_route().routes[1]  # chat, quiet 22:00–08:00, no zone named
    at = datetime(2026, 11, 22, 3, 30, tzinfo=UTC)  # 22:30 in Montreal, 04:30 in Paris
    for zone, released in (("America/Montreal", 13), ("Europe/Paris", 7)):
        there = tenant("a").model_copy(update={"timezone": zone})
        [record] = plan_route(thread(incident("warning")), 1, route, there,
                              NotifySettings(group_wait_s=0), at)  # fmt: skip
        assert record.due_at == datetime(2026, 11, 22, released, 0, tzinfo=UTC), zone
