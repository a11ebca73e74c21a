"""deploy/: the production compose file, its Dockerfile, configuration and Kibana objects.

No Docker engine runs here, so these files are checked by construction: the compose file
parses, every `veille …` command in it exists in the CLI, the production configuration
validates (alone and with the environment compose gives the workers), no secret is written in
the compose file, and each tenant's Kibana data views are its own aliases.
"""

import argparse
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts.notify.preflight import NotifierConfigError, check_notifier
from history.kibana import saved_objects
from runtime.indices import incidents_alias, mention_index, mentions_alias, tenant_pattern
from schemas.config import WebhookChannelSettings
from veille import cli
from veille.settings import ENV_PREFIX, load_config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
PROD_CONFIG = DEPLOY / "veille.prod.yaml"
README = DEPLOY / "README.md"

SERVICES = {
    "kafka",
    "elasticsearch",
    "kibana",
    "veille-setup",
    "veille-ingest",
    "veille-enrich",
    "veille-stories",
    "veille-index",
    "veille-alerts",
    "veille-notify",
}
WORKER_SERVICES = {
    "veille-ingest": (["veille", "ingest", "run"], "ingest"),
    "veille-enrich": (["veille", "enrich", "run"], "enrich"),
    "veille-stories": (["veille", "enrich", "stories"], "stories"),
    "veille-index": (["veille", "enrich", "index"], "index"),
    "veille-alerts": (["veille", "alerts", "run"], "alerts"),
    "veille-notify": (["veille", "alerts", "notify"], "notify"),
}
VEILLE_SERVICES = ["veille-setup", *sorted(WORKER_SERVICES)]

# What the operator exports before `docker compose up`; placeholders stand in for them here.
PLACEHOLDERS = {
    "ELASTIC_PASSWORD": "placeholder-elastic-password",
    "KIBANA_PASSWORD": "placeholder-kibana-password",
    "VEILLE_ONCALL_WEBHOOK_URL": "https://hooks.example.invalid/oncall",
    "VEILLE_ONCALL_WEBHOOK_SECRET": "whsec_cGxhY2Vob2xkZXItc2lnbmluZy1rZXktMDEyMw==",
    "VEILLE_LINK_SECRET": "placeholder-link-secret-0123456789",
}
SECRET_VARIABLES = set(PLACEHOLDERS)  # every variable the operator sets is a secret

# Compose interpolation: $$ (a literal $), ${VAR}, ${VAR:-default}, ${VAR:?error}, $VAR.
INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)
WHOLE_REFERENCE = re.compile(
    r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}$"
)
CURL_USER = re.compile(r"(?:-u|--user)\s+[\"']?([^\s:\"']+):([^\s\"']+)")
SECRET_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|WEBHOOK", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), "compose.yaml must be a mapping"
    return loaded


def _service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    service = compose["services"][name]
    assert isinstance(service, dict), f"service {name} must be a mapping"
    return service


def _environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment as written (mapping or KEY=VALUE list), values as strings."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    for key, value in env.items():  # compose accepts scalars only
        assert not isinstance(value, list | dict), f"environment {key} must be a scalar string"
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def _interpolate(value: str, variables: Mapping[str, str]) -> str:
    """What compose makes of a value, given the operator's environment `variables`."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        op, arg = match["op"] or "", match["arg"] or ""
        if variables.get(name) or (name in variables and op in ("", "-", "?", "+")):
            return arg if op.endswith("+") else variables[name]
        if op.endswith("-"):
            return arg
        if op.endswith("?"):
            raise AssertionError(f"compose would refuse to start: {name} unset ({arg})")
        return ""

    return INTERPOLATION.sub(substitute, value)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _command(service: Mapping[str, Any]) -> list[str] | None:
    command = service.get("command")
    if command is None:
        return None
    assert isinstance(command, list), f"command must be in exec (list) form, not {command!r}"
    return [str(part) for part in command]


def _parse(argv: list[str]) -> argparse.Namespace:
    try:
        return cli.build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits on an unknown command
        raise AssertionError(f"`veille {' '.join(argv)}` is not a veille command") from exc


# --- compose.yaml ------------------------------------------------------------------------


def test_compose_declares_every_service(compose: dict[str, Any]) -> None:
    services = compose.get("services")
    assert isinstance(services, dict)
    missing = SERVICES - services.keys()
    assert not missing, f"compose.yaml lacks services {sorted(missing)}"


def test_every_veille_command_exists_in_the_cli(compose: dict[str, Any]) -> None:
    checked = []
    for name, service in compose["services"].items():
        command = _command(service)
        if not command or command[0] != "veille":
            continue
        args = _parse(command[1:])
        assert callable(getattr(args, "func", None)), f"{name}: `{command}` runs nothing"
        checked.append(name)
    assert set(VEILLE_SERVICES) <= set(checked), f"veille services with a command: {checked}"


def test_setup_service_runs_veille_setup(compose: dict[str, Any]) -> None:
    command = _command(_service(compose, "veille-setup"))
    assert command == ["veille", "setup"]
    assert _parse(command[1:]).func is cli.cmd_setup


def test_worker_services_run_their_worker(compose: dict[str, Any]) -> None:
    workers = {}
    for name, (expected_command, _worker) in WORKER_SERVICES.items():
        command = _command(_service(compose, name))
        assert command == expected_command, f"{name} runs {command}"
        args = _parse(command[1:])
        assert args.func is cli.cmd_worker
        workers[name] = args.worker
    assert workers == {name: worker for name, (_cmd, worker) in WORKER_SERVICES.items()}
    assert set(workers.values()) == {"ingest", "enrich", "stories", "index", "alerts", "notify"}


def test_startup_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("kafka", "elasticsearch", "kibana"):
        assert "healthcheck" in services[name], f"{name} needs a healthcheck"
    kafka_check = " ".join(_strings(services["kafka"]["healthcheck"]["test"]))
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in kafka_check
    setup_deps = services["veille-setup"]["depends_on"]
    for dependency in ("kafka", "elasticsearch"):
        assert setup_deps[dependency]["condition"] == "service_healthy"
    assert services["veille-setup"].get("restart", "no") == "no", "a one-shot must not restart"
    for name in WORKER_SERVICES:
        service = services[name]
        deps = service["depends_on"]
        assert deps["veille-setup"]["condition"] == "service_completed_successfully", name
        assert service["restart"] == "unless-stopped", name


def test_kafka_is_a_single_kraft_node_without_auto_topic_creation(
    compose: dict[str, Any],
) -> None:
    kafka = _service(compose, "kafka")
    assert kafka["image"] == "apache/kafka:3.9.0"
    env = _environment(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "1"
    node_id = env["KAFKA_NODE_ID"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{node_id}@")
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert f"{controller}://" in env["KAFKA_LISTENERS"]
    protocols = dict(
        pair.split(":") for pair in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert controller in protocols and "PLAINTEXT" in protocols
    # the KRaft storage format needs a base64 UUID (16 bytes: 22 characters)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"])
    data_dir = env["KAFKA_LOG_DIRS"]
    assert any(str(v).endswith(f":{data_dir}") for v in kafka["volumes"])


def test_kibana_is_only_published_on_localhost(compose: dict[str, Any]) -> None:
    kibana = _service(compose, "kibana")
    assert kibana["ports"], "kibana publishes port 5601"
    for port in kibana["ports"]:
        assert str(port).startswith("127.0.0.1:"), f"kibana port {port} is reachable from outside"
    assert _environment(kibana)["ELASTICSEARCH_USERNAME"] == "kibana_system"


def test_kibana_setup_sets_the_password_and_imports_nothing_shared(
    compose: dict[str, Any],
) -> None:
    """No saved object spans every tenant: each tenant's go into its own space
    (`veille kibana import`); deploy/kibana holds no ndjson."""
    setup = _service(compose, "kibana-setup")
    script = "\n".join(_command(setup) or [])
    assert "/_security/user/kibana_system/_password" in script
    assert "_import" not in script
    assert not list((DEPLOY / "kibana").glob("*.ndjson"))


def test_veille_services_share_image_config_and_connection_settings(
    compose: dict[str, Any],
) -> None:
    for name in VEILLE_SERVICES:
        service = _service(compose, name)
        build = service["build"]
        assert (DEPLOY / build["context"]).resolve() == ROOT, name
        assert (ROOT / build["dockerfile"]).resolve() == DOCKERFILE.resolve(), name
        env = _environment(service)
        mounts = [str(v).split(":") for v in service["volumes"]]
        assert [(DEPLOY / m[0]).resolve() for m in mounts if m[1] == env["VEILLE_CONFIG"]] == [
            PROD_CONFIG.resolve()
        ], f"{name}: VEILLE_CONFIG must be the mounted veille.prod.yaml"
        assert all(m[2:] == ["ro"] for m in mounts if m[1] == env["VEILLE_CONFIG"]), name
        assert "entrypoint" not in service, f"{name}: the command is the whole command line"


@pytest.mark.parametrize("name", VEILLE_SERVICES)
def test_prod_config_validates_with_the_service_environment(
    compose: dict[str, Any], name: str
) -> None:
    env = {
        k: _interpolate(v, PLACEHOLDERS) for k, v in _environment(_service(compose, name)).items()
    }
    overrides = {k: v for k, v in env.items() if k.startswith(ENV_PREFIX)}
    assert overrides, f"{name} sets no VEILLE__ override"
    config = load_config(PROD_CONFIG, environ=overrides)
    assert config.kafka.bootstrap_servers == "kafka:9092"
    assert config.elasticsearch.hosts == ["http://elasticsearch:9200"]
    assert config.elasticsearch.username == "elastic"
    assert config.elasticsearch.password is not None
    assert config.elasticsearch.password.get_secret_value() == PLACEHOLDERS["ELASTIC_PASSWORD"]


def test_alerts_service_gets_every_routed_webhook_url(compose: dict[str, Any]) -> None:
    env = {
        k: _interpolate(v, PLACEHOLDERS)
        for k, v in _environment(_service(compose, "veille-alerts")).items()
    }
    config = load_config(PROD_CONFIG, environ=env)
    routed = {channel for route in config.alerts.routes for channel in route.channels}
    webhooks = {
        name: channel
        for name, channel in config.alerts.channels.items()
        if isinstance(channel, WebhookChannelSettings) and name in routed
    }
    assert "oncall_webhook" in webhooks
    for name, channel in webhooks.items():
        url = channel.url
        assert url is not None, f"routed webhook {name!r} gets no URL from compose"
        assert url.get_secret_value() == PLACEHOLDERS["VEILLE_ONCALL_WEBHOOK_URL"]


def test_no_secret_is_written_in_compose(compose: dict[str, Any]) -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    secret_values = 0
    for name, service in compose["services"].items():
        for key, value in _environment(service).items():
            if not SECRET_KEY.search(key):
                continue
            secret_values += 1
            reference = WHOLE_REFERENCE.match(value)
            assert reference, f"{name}: {key} must be a ${{VAR}} reference, not a literal"
            assert reference["name"] in SECRET_VARIABLES, f"{name}: {key} from an unknown var"
            if reference["op"] and reference["op"].endswith("-"):
                assert not reference["arg"], f"{name}: {key} has a literal default"
        # Commands and healthchecks read secrets from the container's environment ($$VAR), so
        # that compose does not copy them into the container's configuration.
        for field in ("command", "healthcheck"):
            for part in _strings(service.get(field)):
                unescaped = part.replace("$$", "")
                for variable in SECRET_VARIABLES:
                    assert not re.search(rf"\$\{{?{variable}\b", unescaped), (
                        f"{name}: {field} lets compose expand {variable}; write $${variable}"
                    )
                for user, password in CURL_USER.findall(part):
                    assert password.startswith("$"), f"{name}: literal password for {user}"
    assert secret_values >= 5, "expected the passwords and the webhook URL among the env"
    for credentials in re.findall(r"[a-z][a-z0-9+.-]*://([^/@\s:]+):([^/@\s]+)@", text):
        assert credentials[1].startswith("$"), f"credentials in a URL: {credentials[0]}:…"
    for variable in SECRET_VARIABLES:
        assert variable in text


def test_every_variable_the_operator_sets_is_documented(compose: dict[str, Any]) -> None:
    used = set()
    for text in _strings(compose):
        for match in INTERPOLATION.finditer(text):
            if not match["escaped"]:
                used.add(match["braced"] or match["named"])
    assert used == set(PLACEHOLDERS), f"compose.yaml reads {sorted(used)}"
    readme = README.read_text(encoding="utf-8")
    for variable in used:
        assert variable in readme, f"deploy/README.md does not mention {variable}"


# --- veille.prod.yaml --------------------------------------------------------------------


def test_prod_config_validates_alone() -> None:
    config = load_config(PROD_CONFIG, environ={})
    assert config.kafka.partitions == 6
    assert config.kafka.replication_factor == 1
    assert config.tenants and config.tenants[0].brands and config.tenants[0].brands[0].queries
    assert [s.poll_interval_s for s in config.sources] == [300]
    assert {"console", "oncall_webhook"} <= set(config.alerts.channels)
    assert any(
        r.tenant == "*" and {"console", "oncall_webhook"} <= set(r.channels)
        for r in config.alerts.routes
    )


def test_prod_config_holds_no_secret() -> None:
    config = load_config(PROD_CONFIG, environ={})
    assert config.elasticsearch.password is None
    assert config.elasticsearch.api_key is None
    assert config.kafka.sasl_password is None
    for name, channel in config.alerts.channels.items():
        if isinstance(channel, WebhookChannelSettings):
            assert channel.url is None, f"webhook {name!r}: its URL belongs in the environment"


# --- Dockerfile --------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_runs_veille_as_a_non_root_user_with_no_entrypoint() -> None:
    instructions = _instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    entrypoints = [arg for op, arg in instructions if op == "ENTRYPOINT"]
    assert all(json.loads(arg) == [] for arg in entrypoints), "the image needs no ENTRYPOINT"
    cmds = [arg for op, arg in instructions if op == "CMD"]
    assert cmds and json.loads(cmds[-1]) == ["veille", "--help"]
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_dockerfile_installs_cpu_torch_before_veille() -> None:
    runs = [arg for op, arg in _instructions() if op == "RUN"]
    torch = next(i for i, r in enumerate(runs) if "torch==" in r)
    assert "--index-url https://download.pytorch.org/whl/cpu" in runs[torch]
    assert "torch==2.13.0" in runs[torch]
    veille = next(i for i, r in enumerate(runs) if re.search(r"pip install \.(\s|$)", r))
    assert torch < veille


def test_dockerfile_copies_every_package() -> None:
    copied: set[str] = set()
    for op, arg in _instructions():
        if op == "COPY":
            copied.update(part.rstrip("/") for part in arg.split()[:-1])
    pyproject = ROOT / "pyproject.toml"
    packages = re.search(r"include = \[([^\]]*)\]", pyproject.read_text(encoding="utf-8"))
    assert packages, "pyproject.toml lists its packages"
    for pattern in re.findall(r'"([^"]+)"', packages.group(1)):
        assert pattern.rstrip("*") in copied, f"the Dockerfile does not copy {pattern}"
    assert "pyproject.toml" in copied


def test_dockerfile_copy_sources_exist() -> None:
    for op, arg in _instructions():
        if op == "COPY" and not arg.startswith("--from"):
            for source in arg.split()[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


# --- kibana: one set of saved objects per tenant -----------------------------------------


def test_each_prod_tenants_data_view_is_its_alias_only() -> None:
    config = load_config(PROD_CONFIG, environ={})
    month = datetime(2026, 11, 3, tzinfo=UTC)
    for tenant in config.tenants:
        views = [
            o for o in saved_objects(config.elasticsearch, tenant) if o["type"] == "index-pattern"
        ]
        titles = {v["attributes"]["title"] for v in views}
        assert titles == {
            mentions_alias(config.elasticsearch, tenant.id),
            incidents_alias(config.elasticsearch, tenant.id),
        }
        assert not any("*" in title for title in titles)
        pattern = tenant_pattern(config.elasticsearch, "mentions", tenant.id)
        assert fnmatch(mention_index(config.elasticsearch, tenant.id, month), pattern)


def test_notify_service_gets_every_secret_its_routed_channels_need(
    compose: dict[str, Any],
) -> None:
    env = {
        k: _interpolate(v, PLACEHOLDERS)
        for k, v in _environment(_service(compose, "veille-notify")).items()
    }
    config = load_config(PROD_CONFIG, environ=env)
    check_notifier(config.alerts, config.tenants)  # what `veille alerts notify` checks at start
    assert config.alerts.notify.web.link_secret is not None
    without = {k: v for k, v in env.items() if not k.endswith("ONCALL_WEBHOOK__SECRET")}
    unset = load_config(PROD_CONFIG, environ=without)
    with pytest.raises(NotifierConfigError, match="ONCALL_WEBHOOK__SECRET"):
        check_notifier(unset.alerts, unset.tenants)
