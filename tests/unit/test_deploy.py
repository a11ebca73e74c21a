"""deploy/: the production compose file, its Dockerfile, configuration and Kibana objects.

No Docker engine runs here, so these files are checked by what they make veille do: every
compose service that runs veille runs a command the CLI really has (its own parser, flags
included), the services together run each pipeline worker once after `veille setup`, every
`VEILLE__…` variable they set is a configuration field that takes effect, and the Kafka and
Elasticsearch that the resulting configuration points at are the compose services, listening
where veille connects. The production configuration validates (alone and with the
environment compose gives the workers), no secret is written in the compose file, and each
tenant's Kibana data views are its own aliases.
"""

import argparse
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import BaseModel, SecretStr

from alerts.notify.preflight import NotifierConfigError, check_notifier
from history.kibana import saved_objects
from runtime.indices import (
    incidents_alias,
    mention_index,
    mentions_alias,
    responses_alias,
    tenant_pattern,
)
from schemas.config import VeilleConfig, WebhookChannelSettings
from veille import cli
from veille.runner import BUILDERS
from veille.settings import ENV_PREFIX, ConfigError, load_config
from veille.workers import WORKERS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
PROD_CONFIG = DEPLOY / "veille.prod.yaml"
README = DEPLOY / "README.md"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONSOLE_SCRIPTS = set(PYPROJECT["project"]["scripts"])
ELASTIC_SUPERUSER = "elastic"
"""The built-in Elasticsearch user whose password the image's ELASTIC_PASSWORD sets."""

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
    assert name in compose["services"], f"compose.yaml has no service {name!r}"
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


def _container_env(service: Mapping[str, Any]) -> dict[str, str]:
    """The environment the container gets, with the operator's variables set."""
    return {k: _interpolate(v, PLACEHOLDERS) for k, v in _environment(service).items()}


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


def veille_command(argv: list[str]) -> argparse.Namespace:
    """What the CLI makes of `argv`; AssertionError unless it is a real veille command: the
    console script pyproject installs, a subcommand and flags the parser knows, a handler in
    veille/cli.py and, for a worker command, workers the runner can build."""
    assert argv and argv[0] in CONSOLE_SCRIPTS, f"`{argv}` does not run a veille console script"
    try:
        args = cli.build_parser().parse_args(argv[1:])
    except SystemExit as exc:  # argparse exits on an unknown command, flag or value
        raise AssertionError(f"`{' '.join(argv)}` is not a veille command") from exc
    func = getattr(args, "func", None)
    assert callable(func) and func.__module__ == cli.__name__, f"`{argv}` runs nothing"
    if func is cli.cmd_worker:
        unknown = set(cli.worker_names(args)) - set(BUILDERS)
        assert not unknown, f"`{argv}` names workers the runner cannot build: {unknown}"
    return args


def _veille_services(compose: dict[str, Any]) -> dict[str, argparse.Namespace]:
    """Every service whose command runs veille, with what the CLI makes of the command."""
    found = {}
    for name, service in compose["services"].items():
        command = _command(service)
        if command and command[0] in CONSOLE_SCRIPTS:
            found[name] = veille_command(command)
    return found


def _services_running(compose: dict[str, Any], func: Any) -> list[str]:
    return sorted(n for n, args in _veille_services(compose).items() if args.func is func)


def _config(compose: dict[str, Any], name: str) -> VeilleConfig:
    """The configuration service `name` runs with: the mounted file and its environment."""
    env = _container_env(_service(compose, name))
    return load_config(
        PROD_CONFIG, environ={k: v for k, v in env.items() if k.startswith(ENV_PREFIX)}
    )


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(address if "://" in address else f"//{address}")
    assert parts.hostname, f"no host in {address!r}"
    return parts.hostname, parts.port or default_port


def _listeners(value: str) -> dict[str, tuple[str, int]]:
    """KAFKA_LISTENERS-style `NAME://host:port,…` as {name: (host, port)}."""
    listeners = {}
    for item in value.split(","):
        name, address = item.split("://", 1)
        host, port = address.rsplit(":", 1)
        listeners[name] = (host, int(port))
    return listeners


# --- compose.yaml: the commands -----------------------------------------------------------


def test_every_veille_service_runs_a_real_cli_command(compose: dict[str, Any]) -> None:
    services = _veille_services(compose)  # each command is checked by `veille_command`
    assert services, "compose.yaml runs no veille command"
    for name in services:
        assert "entrypoint" not in _service(compose, name), f"{name}: the command is all of it"


@pytest.mark.parametrize(
    "argv",
    [
        ["veille", "enrich", "rnu"],  # no such subcommand
        ["veille", "enrich", "run", "--no-such-flag"],  # no such flag
        ["veille", "run", "no-such-worker"],  # no such worker
        ["veille", "alerts", "replay"],  # required flags missing
        ["veile", "setup"],  # no such console script
        ["veille", "stack"],  # an action is required
    ],
)
def test_the_command_check_refuses_what_the_cli_lacks(argv: list[str]) -> None:
    with pytest.raises(AssertionError):
        veille_command(argv)


def test_compose_runs_each_pipeline_worker_once(compose: dict[str, Any]) -> None:
    run = [w for n in _services_running(compose, cli.cmd_worker)
           for w in cli.worker_names(_veille_services(compose)[n])]  # fmt: skip
    assert sorted(run) == sorted(WORKERS), f"compose runs the workers {run}"


def test_workers_start_once_setup_has_created_topics_and_templates(
    compose: dict[str, Any],
) -> None:
    setups = _services_running(compose, cli.cmd_setup)
    assert len(setups) == 1, f"services running `veille setup`: {setups}"
    setup = _service(compose, setups[0])
    assert setup.get("restart", "no") == "no", "a one-shot must not restart"
    for name in _services_running(compose, cli.cmd_worker):
        service = _service(compose, name)
        condition = service["depends_on"][setups[0]]["condition"]
        assert condition == "service_completed_successfully", name
        assert service["restart"] == "unless-stopped", name
    # setup itself waits for what it writes to: the Kafka and Elasticsearch veille points at
    config = _config(compose, setups[0])
    kafka, _ = _host_port(config.kafka.bootstrap_servers.split(",")[0], 9092)
    search, _ = _host_port(config.elasticsearch.hosts[0], 9200)
    for dependency in (kafka, search):
        assert setup["depends_on"][dependency]["condition"] == "service_healthy"
        assert "healthcheck" in _service(compose, dependency), f"{dependency} has no healthcheck"


# --- compose.yaml: the environment --------------------------------------------------------


def _field(config: VeilleConfig, variable: str) -> Any:
    """The configuration value a `VEILLE__…` variable names; AssertionError if none."""
    node: Any = config
    for part in variable.removeprefix(ENV_PREFIX).lower().split("__"):
        if isinstance(node, BaseModel):
            assert part in type(node).model_fields, f"{variable}: no field {part!r}"
            node = getattr(node, part)
        elif isinstance(node, dict):
            key = next((k for k in node if k in (part, part.replace("_", "-"))), None)
            assert key is not None, f"{variable}: no entry {part!r}"
            node = node[key]
        else:
            assert isinstance(node, list) and part.isdigit() and int(part) < len(node), variable
            node = node[int(part)]
    return node.get_secret_value() if isinstance(node, SecretStr) else node


def test_every_veille_variable_sets_a_config_field(compose: dict[str, Any]) -> None:
    checked = 0
    for name in _veille_services(compose):
        env = _container_env(_service(compose, name))
        assert env.get("VEILLE_CONFIG"), f"{name}: VEILLE_CONFIG unset"
        for variable, value in env.items():
            if variable.startswith(ENV_PREFIX) and value:
                held = _field(load_config(PROD_CONFIG, environ={variable: value}), variable)
                assert held in (value, yaml.safe_load(value)), f"{name}: {variable} not held"
                checked += 1
    assert checked
    with pytest.raises(ConfigError, match="bootstrap_servres"):  # a typo is refused at load
        load_config(PROD_CONFIG, environ={"VEILLE__KAFKA__BOOTSTRAP_SERVRES": "kafka:9092"})
    with pytest.raises(AssertionError):
        _field(load_config(PROD_CONFIG, environ={}), "VEILLE__KAFKA__BOOTSTRAP_SERVRES")


def test_veille_reaches_kafka_where_kafka_advertises_itself(compose: dict[str, Any]) -> None:
    for service in _veille_services(compose):
        _check_kafka_reached(compose, service)


def _check_kafka_reached(compose: dict[str, Any], service: str) -> None:
    config = _config(compose, service)
    host, port = _host_port(config.kafka.bootstrap_servers.split(",")[0], 9092)
    env = _environment(_service(compose, host))
    advertised = _listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    protocols = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    listener = next((n for n, address in advertised.items() if address == (host, port)), None)
    assert listener, f"{service}: Kafka advertises {advertised}, veille connects to {host}:{port}"
    assert protocols[listener] == config.kafka.security_protocol
    assert _listeners(env["KAFKA_LISTENERS"])[listener][1] == port  # bound where advertised
    check = " ".join(_strings(_service(compose, host)["healthcheck"]["test"]))
    assert f":{port}" in check, "the healthcheck asks another listener than veille's"


def test_veille_reaches_elasticsearch_with_its_password(compose: dict[str, Any]) -> None:
    for service in _veille_services(compose):
        _check_search_reached(compose, service)


def _check_search_reached(compose: dict[str, Any], service: str) -> None:
    config = _config(compose, service)
    assert config.elasticsearch.hosts, f"{service}: no Elasticsearch host"
    for url in config.elasticsearch.hosts:
        host, port = _host_port(url, 9200)
        search = _service(compose, host)
        check = " ".join(_strings(search["healthcheck"]["test"]))
        assert f":{port}/" in check, f"{host} is checked on another port than {port}"
        search_env = _container_env(search)
        assert config.elasticsearch.username == ELASTIC_SUPERUSER
        assert config.elasticsearch.password is not None
        assert config.elasticsearch.password.get_secret_value() == search_env["ELASTIC_PASSWORD"]


def test_kafka_is_a_single_kraft_node_without_auto_topic_creation(
    compose: dict[str, Any],
) -> None:
    (setup,) = _services_running(compose, cli.cmd_setup)
    config = _config(compose, setup)
    host, _ = _host_port(config.kafka.bootstrap_servers.split(",")[0], 9092)
    kafka = _service(compose, host)
    assert re.search(r":\d+(\.\d+)+$", kafka["image"]), "pin the Kafka image to a version"
    env = _environment(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    # veille setup creates the topics (partitions, retention), never a client by accident
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
    node_id = env["KAFKA_NODE_ID"]
    assert voters[0].startswith(f"{node_id}@")
    nodes = len(voters)
    for factor in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                   "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                   "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"):  # fmt: skip
        assert int(env[factor]) <= nodes, f"{factor} needs more brokers than {nodes}"
    assert config.kafka.replication_factor <= nodes
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert controller in _listeners(env["KAFKA_LISTENERS"])
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in _listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    # the KRaft storage format needs a base64 UUID (16 bytes: 22 characters)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"])
    data_dir = env["KAFKA_LOG_DIRS"]
    assert any(str(v).endswith(f":{data_dir}") for v in kafka["volumes"])


def test_kibana_is_only_published_on_localhost(compose: dict[str, Any]) -> None:
    kibana = _service(compose, "kibana")
    assert kibana["ports"], "kibana publishes port 5601"
    for port in kibana["ports"]:
        assert str(port).startswith("127.0.0.1:"), f"kibana port {port} is reachable from outside"


def test_kibana_setup_sets_kibanas_password_and_imports_nothing_shared(
    compose: dict[str, Any],
) -> None:
    """kibana-setup gives Kibana's own user the password Kibana logs in with. No saved
    object spans every tenant: each tenant's go into its own space (`veille kibana
    import`); deploy/kibana holds no ndjson."""
    kibana = _container_env(_service(compose, "kibana"))
    setup = _service(compose, "kibana-setup")
    script = "\n".join(_command(setup) or [])
    user = kibana["ELASTICSEARCH_USERNAME"]
    assert f"/_security/user/{user}/_password" in script
    password = re.search(r'\\?"password\\?"\s*:\s*\\?"\$\$\{?(\w+)', script)
    assert password, "kibana-setup sets no password from its environment"
    assert _container_env(setup)[password.group(1)] == kibana["ELASTICSEARCH_PASSWORD"]
    assert "_import" not in script
    assert not list((DEPLOY / "kibana").glob("*.ndjson"))


def test_veille_services_share_image_and_mounted_config(compose: dict[str, Any]) -> None:
    for name in _veille_services(compose):
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


def test_alerts_service_gets_every_routed_webhook_url(compose: dict[str, Any]) -> None:
    (alerts,) = [n for n, a in _veille_services(compose).items()
                 if a.func is cli.cmd_worker and cli.worker_names(a) == ("alerts",)]  # fmt: skip
    config = _config(compose, alerts)
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
    op, image = instructions[0]
    version = re.fullmatch(r"python:(\d+)\.(\d+)-slim", image)
    assert op == "FROM" and version, f"the image is built FROM {image}"
    required = re.fullmatch(r">=(\d+)\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert required and version.groups() == required.groups(), "the Python pyproject requires"
    entrypoints = [arg for op, arg in instructions if op == "ENTRYPOINT"]
    assert all(json.loads(arg) == [] for arg in entrypoints), "the image needs no ENTRYPOINT"
    cmds = [arg for op, arg in instructions if op == "CMD"]
    assert cmds, "the image needs a CMD"
    command = json.loads(cmds[-1])
    assert command[0] in CONSOLE_SCRIPTS, f"CMD {command} runs no veille console script"
    with pytest.raises(SystemExit) as help_shown:  # `--help` prints the commands and exits 0
        cli.build_parser().parse_args(command[1:])
    assert help_shown.value.code == 0
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_dockerfile_installs_cpu_torch_before_veille() -> None:
    runs = [arg for op, arg in _instructions() if op == "RUN"]
    torch = next(i for i, r in enumerate(runs) if "torch==" in r)
    assert "--index-url https://download.pytorch.org/whl/cpu" in runs[torch]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    wanted = re.search(r"torch==[\w.+]+", makefile)
    assert wanted and wanted.group() in runs[torch].split(), "the torch `make install` puts"
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
            responses_alias(config.elasticsearch, tenant.id),
        }
        assert not any("*" in title for title in titles)
        pattern = tenant_pattern(config.elasticsearch, "mentions", tenant.id)
        assert fnmatch(mention_index(config.elasticsearch, tenant.id, month), pattern)


def test_notify_service_gets_every_secret_its_routed_channels_need(
    compose: dict[str, Any],
) -> None:
    (notify,) = [n for n, a in _veille_services(compose).items()
                 if a.func is cli.cmd_worker and cli.worker_names(a) == ("notify",)]  # fmt: skip
    env = _container_env(_service(compose, notify))
    config = load_config(PROD_CONFIG, environ=env)
    check_notifier(config.alerts, config.tenants)  # what `veille alerts notify` checks at start
    assert config.alerts.notify.web.link_secret is not None
    without = {k: v for k, v in env.items() if not k.endswith("ONCALL_WEBHOOK__SECRET")}
    unset = load_config(PROD_CONFIG, environ=without)
    with pytest.raises(NotifierConfigError, match="ONCALL_WEBHOOK__SECRET"):
        check_notifier(unset.alerts, unset.tenants)
