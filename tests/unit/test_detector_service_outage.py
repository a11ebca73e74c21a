"""The `service_outage` trigger on both engines (tests/unit/detection_engines.py): a wave of
negative service requests about one brand opens a crisis of its own trigger; the same wave
made of other negative posts, or with too few service requests, is an ordinary crisis. And
the routing: a service outage goes only to the routes naming its trigger."""

from datetime import timedelta

from alerts.detection.observation import IntentPart, Observation
from alerts.notify.route import incident_routes
from schemas.config import AlertsSettings, DetectionSettings, RouteSettings
from tests.unit.test_detector import T0, obs, opened, quiet_weeks, run

ONSET = 2 * 7 * 24 * 60 + 14 * 60  # after two ordinary weeks, Monday 14:00 UTC


def outage_wave(service_every: int) -> list[Observation]:
    """40 minutes of negative posts, accelerating; every `service_every`-th one a service
    request (0: none)."""
    out = []
    for m in range(40):
        for k in range(1 if m < 20 else 3):
            post = obs(ONSET + m + k / 3, -0.8, ident=f"o{m}-{k}")
            if service_every and len(out) % service_every == 0:
                post = Observation(**{**{f: getattr(post, f) for f in post.__struct_fields__},
                                      "intent": IntentPart("service_request")})  # fmt: skip
            out.append(post)
    return out


def first_crisis(service_every: int, rule: DetectionSettings | None = None) -> str:
    rule = rule or DetectionSettings()
    [crisis, *_] = opened(run(quiet_weeks(3) + outage_wave(service_every), rule))
    assert crisis.at - (T0 + timedelta(minutes=ONSET)) <= timedelta(minutes=12)
    return crisis.incident.trigger


def test_a_wave_of_service_requests_is_a_service_outage() -> None:
    assert first_crisis(1) == "service_outage"


def test_other_negative_waves_stay_negative_accelerations() -> None:
    assert first_crisis(0) == "negative_acceleration"  # no intent at all
    assert first_crisis(3) == "negative_acceleration"  # a third are service requests
    assert first_crisis(3, DetectionSettings(service_outage_share=0.3)) == "service_outage"


def test_a_service_outage_goes_only_to_routes_naming_it() -> None:
    [crisis, *_] = opened(run(quiet_weeks(3) + outage_wave(1)))
    outage = crisis.incident
    ordinary = outage.model_copy(update={"trigger": "negative_acceleration"})
    settings = AlertsSettings.model_validate({
        "channels": {"oncall": {"type": "console"}, "advisers": {"type": "console"}},
        "routes": [RouteSettings(channels=["oncall"], kinds=["crisis"]),
                   RouteSettings(channels=["advisers"], triggers=["service_outage"])],
    })  # fmt: skip
    assert [r.channels for _, r in incident_routes(settings, outage)] == [["advisers"]]
    assert [r.channels for _, r in incident_routes(settings, ordinary)] == [["oncall"]]
