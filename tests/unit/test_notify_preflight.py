"""What stops the notifier at start (or the file at load) instead of at the first page: a
route naming an escalation policy its tenant lacks, a routed channel without its secret, an
iCalendar layer naming nobody."""

import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts.notify.preflight import NotifierConfigError, check_notifier
from schemas.config import VeilleConfig
from veille.runner import build_notify
from veille.settings import ConfigError, load_config

BRAND = {"id": "volaris", "name": "Air Volaris", "queries": [{"id": "q", "query": "volaris"}]}
ONCALL = {
    "people": [{"id": "lea", "name": "Léa"}],
    "escalation_policies": [{"id": "crise", "levels": [{"targets": ["lea"]}]}],
}


def config_data(**alerts: Any) -> dict[str, Any]:
    return {
        "tenants": [
            {"id": "acme", "name": "Acme", "brands": [BRAND], "oncall": ONCALL},
            {"id": "bolt", "name": "Bolt", "brands": [BRAND]},
        ],
        "alerts": alerts,
    }


def load(tmp_path: Path, data: dict[str, Any], environ: dict[str, str] | None = None) -> Any:
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_config(path, environ=environ or {})


def test_a_route_naming_a_policy_its_tenant_lacks_is_refused_at_load(tmp_path: Path) -> None:
    console = {"console": {"type": "console"}}
    good = config_data(channels=console, routes=[
        {"tenant": "acme", "channels": ["console"], "escalation": "crise"}])  # fmt: skip
    assert load(tmp_path, good).alerts.routes[0].escalation == "crise"
    typo = config_data(channels=console, routes=[
        {"tenant": "acme", "channels": ["console"], "escalation": "crisis"}])  # fmt: skip
    with pytest.raises(ConfigError, match=r"escalation policy 'crisis'.*'acme'"):
        load(tmp_path, typo)
    every = config_data(channels=console, routes=[{"channels": ["console"], "escalation": "crise"}])
    with pytest.raises(ConfigError, match=r"escalation policy 'crise'.*'bolt'"):
        load(tmp_path, every)  # '*' covers bolt, which has no policy 'crise'


def test_a_routed_channel_without_its_secret_stops_the_notifier_at_start(tmp_path: Path) -> None:
    data = config_data(
        channels={"hook": {"type": "webhook"}, "pager": {"type": "pagerduty"},
                  "idle": {"type": "slack"}},
        routes=[{"channels": ["hook", "pager"]}],
    )  # fmt: skip
    config: VeilleConfig = load(tmp_path, data)
    with pytest.raises(NotifierConfigError) as error:
        check_notifier(config.alerts, config.tenants)
    message = str(error.value)
    assert "VEILLE__ALERTS__CHANNELS__HOOK__URL" in message
    assert "VEILLE__ALERTS__CHANNELS__HOOK__SECRET" in message
    assert "VEILLE__ALERTS__CHANNELS__PAGER__ROUTING_KEY" in message
    assert "IDLE" not in message  # a channel no route uses may stay unset
    with pytest.raises(ConfigError, match="veille alerts notify: routed channels cannot send"):
        build_notify(config, threading.Event())  # before any connection is made

    environ = {
        "VEILLE__ALERTS__CHANNELS__HOOK__URL": "http://127.0.0.1:9/hook",
        "VEILLE__ALERTS__CHANNELS__HOOK__SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "VEILLE__ALERTS__CHANNELS__PAGER__ROUTING_KEY": "R0UT1NGKEY-secret-value",
    }
    ready: VeilleConfig = load(tmp_path, data, environ)
    check_notifier(ready.alerts, ready.tenants)


def test_an_ical_layer_naming_nobody_stops_the_notifier_at_start(tmp_path: Path) -> None:
    ics = tmp_path / "astreinte.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        "DTSTART:20261009T170000Z\r\nDTEND:20261012T060000Z\r\nDTSTAMP:20261001T120000Z\r\n"
        "UID:1@t\r\nSUMMARY:Zoé Dubois\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    data = config_data(
        channels={"console": {"type": "console"}}, routes=[{"channels": ["console"]}]
    )
    data["tenants"][0]["oncall"] = ONCALL | {
        "schedules": [{"id": "astreinte", "layers": [{"id": "importe", "ical": str(ics)}]}]
    }
    config: VeilleConfig = load(tmp_path, data)
    with pytest.raises(NotifierConfigError, match=r"tenant 'acme'.*Zoé Dubois"):
        check_notifier(config.alerts, config.tenants)


def test_a_channel_for_no_one_in_particular_must_be_able_to_send(tmp_path: Path) -> None:
    """A route without escalation and the source-health notices name no person: an e-mail
    channel there needs its `to`, an SMS channel cannot be there at all."""
    sms = {"type": "sms", "url": "http://127.0.0.1:9/sms"}
    channels: dict[str, Any] = {"mail": {"type": "email"}, "chat": {"type": "console"}, "sms": sms}
    paged = config_data(channels=channels, routes=[
        {"tenant": "acme", "channels": ["mail", "sms"], "escalation": "crise"},
        {"tenant": "bolt", "channels": ["chat"]}])  # fmt: skip
    with pytest.raises(NotifierConfigError, match=r"mail \(e-mail: set its `to`\)") as error:
        config = load(tmp_path, paged)
        check_notifier(config.alerts, config.tenants)
    assert "sms" not in str(error.value)  # health prefers mail to a page: SMS is not used
    channels["mail"]["to"] = ["ops@acme.example"]
    config = load(tmp_path, paged)
    check_notifier(config.alerts, config.tenants)
    team = config_data(channels=channels, routes=[{"tenant": "bolt", "channels": ["sms"]}])
    config = load(tmp_path, team)
    with pytest.raises(NotifierConfigError, match=r"sms \(SMS: only in a route with an"):
        check_notifier(config.alerts, config.tenants)
