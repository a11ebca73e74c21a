"""Escalation plans (pure) and the on-call settings' reference checks at load."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from alerts.notify.oncall import EscalationStep, escalation_steps
from schemas.config import OnCallSettings
from veille.settings import ConfigError, load_config

AGENCY_CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "oncall-agency.yaml"
"""An agency with layered rotations, a backup schedule and a manager."""

PEOPLE = [
    {"id": "camille", "name": "Camille"},
    {"id": "karim", "name": "Karim"},
    {"id": "sophie", "name": "Sophie (manager)"},
]
SCHEDULE = {
    "id": "astreinte",
    "layers": [
        {
            "id": "semaine",
            "members": ["camille", "karim"],
            "length": "weekly",
            "start": "2026-11-02",
        }
    ],
}


def oncall(**changes: Any) -> OnCallSettings:
    data: dict[str, Any] = {"people": PEOPLE, "schedules": [SCHEDULE], "escalation_policies": []}
    data.update(changes)
    return OnCallSettings.model_validate(data)


def test_levels_then_repeats_with_cumulative_delays_and_french_reasons() -> None:
    policy = {
        "id": "crise",
        "repeat": 2,
        "levels": [
            {"targets": ["astreinte"], "delay_minutes": 15},
            {"targets": ["karim"], "delay_minutes": 10, "notify_previous": True},
            {"targets": ["sophie"], "delay_minutes": 20},
        ],
    }
    steps = escalation_steps(oncall(escalation_policies=[policy]), "crise")
    assert [(s.index, s.delay, s.level, s.targets) for s in steps] == [
        (0, timedelta(0), 1, ("astreinte",)),
        (1, timedelta(minutes=15), 2, ("karim", "astreinte")),
        (2, timedelta(minutes=25), 3, ("sophie",)),
        (3, timedelta(minutes=45), 1, ("astreinte",)),
        (4, timedelta(minutes=60), 2, ("karim", "astreinte")),
        (5, timedelta(minutes=70), 3, ("sophie",)),
        (6, timedelta(minutes=90), 1, ("astreinte",)),
        (7, timedelta(minutes=105), 2, ("karim", "astreinte")),
        (8, timedelta(minutes=115), 3, ("sophie",)),
    ]
    assert steps[0].reason == "niveau 1 : première notification (tour 1/3)"
    assert steps[1].reason == "niveau 2 : pas d'acquittement après 15 min (tour 1/3)"
    assert steps[3].reason == "niveau 1 : pas d'acquittement après 45 min, nouveau tour (tour 2/3)"
    assert steps[8].reason == "niveau 3 : pas d'acquittement après 115 min (tour 3/3)"


def test_single_level_without_repeat_is_one_step() -> None:
    policy = {"id": "simple", "levels": [{"targets": ["camille"]}]}
    assert escalation_steps(oncall(escalation_policies=[policy]), "simple") == (
        EscalationStep(
            0, timedelta(0), 1, ("camille",), "niveau 1 : première notification (tour 1/1)"
        ),
    )


def test_notify_previous_does_not_repeat_a_target() -> None:
    policy = {
        "id": "p",
        "levels": [
            {"targets": ["camille", "karim"], "delay_minutes": 5},
            {"targets": ["karim", "sophie"], "notify_previous": True},
        ],
    }
    steps = escalation_steps(oncall(escalation_policies=[policy]), "p")
    assert steps[1].targets == ("karim", "sophie", "camille")


def test_unknown_policy_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="nope"):
        escalation_steps(oncall(), "nope")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "schedules": [
                    {**SCHEDULE, "layers": [{**SCHEDULE["layers"][0], "members": ["zoe"]}]}
                ]
            },
            "schedule 'astreinte', layer 'semaine' names unknown person 'zoe'",
        ),
        (
            {
                "schedules": [
                    {
                        **SCHEDULE,
                        "overrides": [
                            {
                                "start": "2026-11-21T00:00",
                                "end": "2026-11-22T00:00",
                                "person": "zoe",
                            }
                        ],
                    }
                ]
            },
            "override names unknown person 'zoe'",
        ),
        (
            {
                "escalation_policies": [
                    {"id": "p", "levels": [{"targets": ["astreinte"]}, {"targets": ["secours"]}]}
                ]
            },
            "escalation policy 'p', level 2 names unknown target 'secours'",
        ),
        (
            {"schedules": [{**SCHEDULE, "id": "karim"}]},
            "'karim' is both a person id and a schedule",
        ),
        ({"schedules": [{**SCHEDULE, "time_zone": "Europe/Lutece"}]}, "unknown IANA time zone"),
        (
            {
                "schedules": [
                    {**SCHEDULE, "layers": [{**SCHEDULE["layers"][0], "length": "custom"}]}
                ]
            },
            "length_hours goes with length: custom",
        ),
        (
            {
                "schedules": [
                    {
                        **SCHEDULE,
                        "layers": [
                            {
                                **SCHEDULE["layers"][0],
                                "restrictions": [{"start": "fri 19:00", "end": "08:00"}],
                            }
                        ],
                    }
                ]
            },
            "give a weekday on both ends",
        ),
        (
            {
                "schedules": [
                    {
                        **SCHEDULE,
                        "layers": [
                            {
                                **SCHEDULE["layers"][0],
                                "restrictions": [{"start": "fry 19:00", "end": "mon 08:00"}],
                            }
                        ],
                    }
                ]
            },
            "unknown weekday 'fry'",
        ),
        (
            {
                "schedules": [
                    {
                        **SCHEDULE,
                        "overrides": [
                            {
                                "start": "2026-11-22T00:00",
                                "end": "2026-11-21T00:00",
                                "person": "karim",
                            }
                        ],
                    }
                ]
            },
            "ends before it starts",
        ),
        (
            {"schedules": [{**SCHEDULE, "layers": [{"id": "ics", "ical": "/nonexistent/a.ics"}]}]},
            "ical file '/nonexistent/a.ics' not found",
        ),
    ],
)
def test_bad_references_are_named_at_load(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        oncall(**changes)


def test_config_file_error_names_the_tenant_path_and_the_unknown_person(tmp_path: Path) -> None:
    tenant = {
        "id": "acme",
        "name": "Acme",
        "brands": [{"id": "b", "name": "B", "queries": [{"id": "q", "query": "b"}]}],
        "oncall": {
            "people": PEOPLE,
            "schedules": [
                {
                    **SCHEDULE,
                    "overrides": [
                        {"start": "2026-11-21T00:00", "end": "2026-11-22T00:00", "person": "lea"}
                    ],
                }
            ],
        },
    }
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump({"tenants": [tenant]}))
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert "tenants.0.oncall" in str(error.value) and "'lea'" in str(error.value)


def test_the_demo_config_pages_the_weekend_rotation_on_saturday_night(repo_root: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from alerts.notify.oncall import coverage, recipients

    config = load_config(AGENCY_CONFIG, environ={})
    horizon = config.tenant("agence-horizon").oncall
    saturday_night = datetime(2026, 11, 21, 22, 0, tzinfo=ZoneInfo("Europe/Paris"))
    found = coverage(horizon, "astreinte", saturday_night)
    assert found is not None and found.layer == "week-end"
    steps = escalation_steps(horizon, "crise")
    assert [s.level for s in steps] == [1, 2, 3] * 3
    assert recipients(horizon, steps[0].targets, saturday_night)[0].id == found.person
    assert recipients(horizon, steps[2].targets, saturday_night)[0].id == "sophie"
