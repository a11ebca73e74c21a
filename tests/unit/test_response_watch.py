"""Response-time watch as pure functions (history/response.py): what needs an answer, the
delay rules in the tenant's zone across a weekend and a daylight-saving change, and reply
matching down a thread. No clock: `now` is given."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts.notify.channels.text import lines, subject
from alerts.notify.contract import Notification
from alerts.notify.text import page_text
from history.reply_records import first_reply, overdue_post, weeks_of
from history.response import (
    answer_due,
    in_business_hours,
    needs_answer,
    reply_times,
    waiting_posts,
)
from schemas.config import ResponseSettings, TeamSettings, VeilleConfig
from schemas.reply_record import OverdueDigest
from tests.helpers import make_config
from tests.response_data import BRAND_ACCOUNTS, post

PARIS = ZoneInfo("Europe/Paris")
RULES = ResponseSettings(teams=[
    TeamSettings(id="advisers", intents=["service_request"]),
    TeamSettings(id="community", intents=["complaint"]),
])  # fmt: skip


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)  # type: ignore[misc]


@pytest.mark.parametrize(("published", "delay"), [
    (local(2026, 11, 6, 17, 30), timedelta(hours=1)),  # Friday before closing
    (local(2026, 11, 6, 18, 0), timedelta(hours=4)),  # Friday closing time: off hours
    (local(2026, 11, 7, 11, 0), timedelta(hours=4)),  # Saturday late morning
    (local(2026, 11, 8, 23, 30), timedelta(hours=4)),  # Sunday night, due Monday 03:30
    (local(2026, 11, 9, 8, 59), timedelta(hours=4)),  # Monday before opening
    (local(2026, 11, 9, 9, 0), timedelta(hours=1)),  # Monday opening
])  # fmt: skip
def test_the_delay_follows_business_hours_across_a_weekend(
    published: datetime, delay: timedelta
) -> None:
    assert answer_due(published, RULES, PARIS) - published == delay


def test_business_hours_move_with_the_clocks_at_daylight_saving() -> None:
    """07:30 UTC is 08:30 in Paris on Friday 27 March 2026 (off hours), 09:30 on Monday 30
    March after the change to summer time (business hours)."""
    before = datetime(2026, 3, 27, 7, 30, tzinfo=UTC)
    after = datetime(2026, 3, 30, 7, 30, tzinfo=UTC)
    assert not in_business_hours(before, RULES, PARIS)
    assert in_business_hours(after, RULES, PARIS)
    assert answer_due(before, RULES, PARIS) - before == timedelta(hours=4)
    assert answer_due(after, RULES, PARIS) - after == timedelta(hours=1)


def test_a_delay_across_the_autumn_change_is_elapsed_time() -> None:
    """Sunday 25 October 2026 01:30 CEST: 4 h later is 04:30 UTC, 04:30 local after the
    clocks went back (not 05:30 as wall-clock arithmetic would say)."""
    published = local(2026, 10, 25, 1, 30)
    due = answer_due(published, RULES, PARIS)
    assert due == datetime(2026, 10, 25, 3, 30, tzinfo=UTC)
    assert due.astimezone(PARIS).hour == 4


def test_own_zone_and_hours_of_a_tenant() -> None:
    rules = ResponseSettings(business_start=time(8), business_end=time(20), business_days=[
        0, 1, 2, 3, 4, 5], business_delay_minutes=30)  # fmt: skip
    montreal = ZoneInfo("America/Montreal")
    saturday = datetime(2026, 11, 7, 8, 0, tzinfo=montreal)
    assert answer_due(saturday, rules, montreal) - saturday == timedelta(minutes=30)


def test_what_needs_an_answer() -> None:
    at = local(2026, 11, 9, 10, 0)
    assert needs_answer(post("mon colis ?", at, "service_request"), BRAND_ACCOUNTS)
    assert needs_answer(post("quel forfait ?", at, "question", score=0.0), BRAND_ACCOUNTS)
    assert needs_answer(post("service nul", at, "complaint", score=-0.7), BRAND_ACCOUNTS)
    assert not needs_answer(post("bof, mais ça va", at, "complaint", score=0.1), BRAND_ACCOUNTS)
    assert not needs_answer(post("merci !", at, "praise", score=0.8), BRAND_ACCOUNTS)
    assert not needs_answer(post("communiqué", at, "news", score=0.0), BRAND_ACCOUNTS)
    brand = post("Pouvez-vous nous écrire en DM ?", at, "question", handle="@airvolaris")
    assert not needs_answer(brand, BRAND_ACCOUNTS)  # the brand's own post (handles: any case)


def test_a_brand_reply_answers_the_post_and_stores_the_first_reply_time() -> None:
    at = local(2026, 11, 9, 10, 0)
    ask = post("vol annulé, remboursement ?", at, native_id="100")
    other = post("bagage perdu", at + timedelta(minutes=5), native_id="101")
    reply = post("Nous regardons", at + timedelta(minutes=42), "other", 0.0, native_id="200",
                 in_reply_to="100", handle="@AirVolaris")  # fmt: skip
    later = post("Remboursé", at + timedelta(hours=3), "other", 0.0, native_id="201",
                 in_reply_to="100", handle="@AirVolaris")  # fmt: skip
    waiting = waiting_posts([later, other, reply, ask], BRAND_ACCOUNTS, RULES, PARIS)
    assert [w.post.native_id for w in waiting] == ["100", "101"]  # oldest first
    answered, open_ = waiting
    assert answered.first_reply == reply and answered.reply_time == timedelta(minutes=42)
    assert open_.first_reply is None and open_.reply_time is None
    assert open_.team == "advisers" and open_.due == other.published_at + timedelta(hours=1)
    now = at + timedelta(hours=2)
    assert not answered.overdue(now) and open_.overdue(now)
    assert open_.age(now) == timedelta(hours=1, minutes=55)


def test_a_brand_reply_down_the_thread_answers_every_post_above_it() -> None:
    at = local(2026, 11, 7, 22, 0)  # Saturday night
    root = post("ma ligne est coupée", at, native_id="1")
    again = post("toujours rien ??", at + timedelta(hours=1), native_id="2", in_reply_to="1")
    brand = post("Désolés, un technicien passe demain", at + timedelta(hours=2), "other", 0.0,
                 native_id="3", in_reply_to="2", handle="@AirVolaris")  # fmt: skip
    waiting = waiting_posts([root, again, brand], BRAND_ACCOUNTS, RULES, PARIS)
    assert [(w.post.native_id, w.reply_time) for w in waiting] == [
        ("1", timedelta(hours=2)), ("2", timedelta(hours=1))]  # fmt: skip


def test_replies_that_do_not_answer() -> None:
    at = local(2026, 11, 9, 10, 0)
    ask = post("remboursement ?", at, native_id="7")
    stranger = post("pareil pour moi", at + timedelta(minutes=3), native_id="8", in_reply_to="7",
                    intent="other")  # fmt: skip
    elsewhere = post(
        "Bonjour, en DM svp",
        at + timedelta(minutes=9),
        "other",
        native_id="9",
        in_reply_to="7",
        handle="@aide@volaris.social",
        source_kind="mastodon",
    )
    earlier = post("Annonce", at - timedelta(minutes=1), "news", native_id="6",
                   in_reply_to="7", handle="@AirVolaris")  # fmt: skip
    [waiting] = waiting_posts([ask, stranger, elsewhere, earlier], BRAND_ACCOUNTS, RULES, PARIS)
    assert waiting.first_reply is None  # another user; id 7 at another source; before the post


def test_team_routing_and_its_settings() -> None:
    assert RULES.team_of("service_request") == "advisers"
    assert RULES.team_of("question") is None
    with pytest.raises(ValueError, match="intent owned by a team"):
        ResponseSettings(teams=[TeamSettings(id="a", intents=["question"]),
                                TeamSettings(id="b", intents=["question"])])  # fmt: skip
    with pytest.raises(ValueError, match="intent and topic owned by a team"):
        ResponseSettings(
            teams=[
                TeamSettings(id="a", intents=["question"], topics=["fibre"]),
                TeamSettings(id="b", intents=["question"], topics=["fibre"]),
            ]
        )
    with pytest.raises(ValueError, match="business_start"):
        ResponseSettings(business_start=time(18), business_end=time(9))


def test_reply_times_per_team_and_week_in_the_tenant_zone() -> None:
    """Sunday 8 November 23:30 in Paris is in week 45, Monday 00:30 in week 46 (both on a
    Sunday in UTC); median and p90 by nearest rank; unanswered posts are not counted."""
    posts, delays = [], [10, 20, 30, 40, 50, 60, 70, 80, 90, 600]
    for n, minutes in enumerate(delays):
        at = local(2026, 11, 4, 10, 0) + timedelta(hours=n)
        posts += [post("colis ?", at, native_id=f"p{n}"),
                  post("ok", at + timedelta(minutes=minutes), "other", native_id=f"r{n}",
                       in_reply_to=f"p{n}", handle="@AirVolaris")]  # fmt: skip
    sunday = post("ligne coupée", local(2026, 11, 8, 23, 30), "complaint", -0.8, native_id="s")
    monday = post("ligne coupée", local(2026, 11, 9, 0, 30), "complaint", -0.8, native_id="m")
    posts += [sunday, monday, post("re", local(2026, 11, 9, 1, 0), "other", native_id="sr",
              in_reply_to="s", handle="@AirVolaris")]  # fmt: skip
    posts += [
        post(
            "re",
            local(2026, 11, 9, 1, 0),
            "other",
            native_id="mr",
            in_reply_to="m",
            handle="@AirVolaris",
        ),
        post("toujours rien", local(2026, 11, 5, 9, 0)),
    ]
    stats = reply_times(waiting_posts(posts, BRAND_ACCOUNTS, RULES, PARIS), PARIS)
    assert [(s.week, s.team, s.answered, s.median, s.p90) for s in stats] == [
        ("2026-W45", "advisers", 10, timedelta(minutes=50), timedelta(minutes=90)),
        ("2026-W45", "community", 1, timedelta(minutes=90), timedelta(minutes=90)),
        ("2026-W46", "community", 1, timedelta(minutes=30), timedelta(minutes=30)),
    ]


def test_experts_by_topic_take_the_questions_of_their_brand_queries() -> None:
    rules = ResponseSettings(teams=[
        TeamSettings(id="advisers", intents=["service_request", "question"]),
        TeamSettings(id="fibre", intents=["question"], topics=["fibre", "box"]),
        TeamSettings(id="mobile", intents=["question"], topics=["roaming"]),
    ])  # fmt: skip
    assert rules.team_of("question", ["nom", "box"]) == "fibre"
    assert rules.team_of("question", ["roaming"]) == "mobile"
    assert rules.team_of("question", ["nom"]) == "advisers"  # no topic matched: the general team
    assert rules.team_of("service_request", ["box"]) == "advisers"  # experts take questions only
    ask = post("la box ne synchronise plus ?", local(2026, 11, 9, 10, 0), "question", 0.0)
    ask = ask.model_copy(update={"queries": ["box"]})
    [waiting] = waiting_posts([ask], BRAND_ACCOUNTS, rules, PARIS)
    assert waiting.team == "fibre"


def test_first_reply_records_and_weekly_figures() -> None:
    at = local(2026, 11, 9, 10, 0)  # Monday, week 46
    posts = []
    for n, minutes in enumerate([5, 30, 90]):
        ask = post("colis ?", at + timedelta(hours=n), native_id=f"p{n}")
        posts += [
            ask,
            post(
                "ok",
                ask.published_at + timedelta(minutes=minutes),
                "other",
                native_id=f"r{n}",
                in_reply_to=f"p{n}",
                handle="@AirVolaris",
            ),
        ]
    records = [r for w in waiting_posts(posts, BRAND_ACCOUNTS, RULES, PARIS)
               if (r := first_reply(w, PARIS)) is not None]  # fmt: skip
    assert [(r.week, r.reply_seconds, r.on_time) for r in records] == [
        ("2026-W46", 300.0, True),
        ("2026-W46", 1800.0, True),
        ("2026-W46", 5400.0, False),
    ]
    assert records[0].id == posts[0].id  # one record per post: a tick repeated overwrites it
    now = at + timedelta(days=1)
    [week] = weeks_of("agence-horizon", records, PARIS, now)
    assert (week.team, week.answered, week.answered_on_time) == ("advisers", 3, 2)
    assert (week.median_seconds, week.p90_seconds) == (1800.0, 5400.0)
    assert week.week_start == local(2026, 11, 9, 0, 0)
    assert week.id == weeks_of("agence-horizon", records[::-1], PARIS, now)[0].id


def test_team_channels_and_topics_are_checked_at_load() -> None:
    config = make_config("127.0.0.1:9", "http://127.0.0.1:9")
    raw = config.model_dump(mode="json")
    raw["tenants"][0]["response"] = {"teams": [
        {"id": "advisers", "intents": ["service_request"], "channels": ["nowhere"]}]}  # fmt: skip
    with pytest.raises(ValueError, match="team 'advisers': unknown channel 'nowhere'"):
        VeilleConfig.model_validate(raw)
    raw["tenants"][0]["response"] = {"teams": [
        {"id": "experts", "intents": ["question"], "topics": ["fibre"]}]}  # fmt: skip
    with pytest.raises(ValueError, match="topic 'fibre' is no brand query id"):
        VeilleConfig.model_validate(raw)


def test_an_overdue_list_reads_oldest_first_on_every_channel() -> None:
    at = local(2026, 11, 7, 22, 0)
    posts = [overdue_post(w) for w in waiting_posts(
        [post("bagage perdu \x1b[31m", at, native_id="1"), post("remboursement ?",
         at + timedelta(hours=1), native_id="2")], BRAND_ACCOUNTS, RULES, PARIS)]  # fmt: skip
    digest = OverdueDigest(tenant="agence-horizon", team="advisers", at=at + timedelta(hours=6),
                           posts=posts)  # fmt: skip
    note = Notification(id="n", action="info", tenant="agence-horizon", recipient=None,
                        overdue=digest)  # fmt: skip
    text = page_text(note)
    assert (
        text.splitlines()[0] == "[SANS RÉPONSE] 2 post(s) en retard pour advisers (agence-horizon)"
    )
    assert text.index("bagage perdu") < text.index("remboursement ?") and "\x1b" not in text
    assert subject(note).startswith("[SANS RÉPONSE] 2 post(s)")
    assert lines(note)[-2].startswith("· sam. 07/11 22:00 service_request")
