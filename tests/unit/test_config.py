"""Configuration: validated at start; errors name the file, the field path and the reason."""

from pathlib import Path

import pytest
import yaml

from veille.settings import ConfigError, load_config

VALID = {
    "tenants": [
        {"id": "acme", "name": "Acme", "brands": [
            {"id": "volaris", "name": "Air Volaris", "queries": [{"id": "q", "query": "volaris"}]}
        ]}
    ],
    "alerts": {"channels": {"hook": {"type": "webhook"}}, "routes": [{"channels": ["hook"]}]},
}  # fmt: skip


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_repository_default_config_is_valid(repo_root: Path) -> None:
    config = load_config(repo_root / "veille.yaml", environ={})
    assert [t.id for t in config.tenants] == ["agence-horizon", "maison-lumen"]
    assert config.sources[0].type == "rss"


def test_invalid_field_names_file_path_and_reason(tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(VALID))
    data["tenants"][0]["brands"][0]["queries"] = []
    data["kafka"] = {"partitions": 0}
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    message = str(error.value)
    assert str(path) in message
    assert "tenants.0.brands.0.queries: List should have at least 1 item" in message
    assert "kafka.partitions: Input should be greater than or equal to 1" in message


def test_unknown_field_is_an_error_not_silently_ignored(tmp_path: Path) -> None:
    data = VALID | {"kafak": {}}
    with pytest.raises(ConfigError, match="kafak: Extra inputs are not permitted"):
        load_config(write(tmp_path, data), environ={})


def test_unknown_channel_in_route_is_an_error(tmp_path: Path) -> None:
    data = VALID | {"alerts": {"routes": [{"channels": ["pager"]}]}}
    with pytest.raises(ConfigError, match="unknown channel 'pager'"):
        load_config(write(tmp_path, data), environ={})


def test_duplicate_tenant_ids_are_refused(tmp_path: Path) -> None:
    data = VALID | {"tenants": VALID["tenants"] * 2}
    with pytest.raises(ConfigError, match="duplicate tenant id 'acme'"):
        load_config(write(tmp_path, data), environ={})


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml", environ={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("tenants: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad, environ={})


def test_environment_overrides_secrets_and_nested_values(tmp_path: Path) -> None:
    environ = {
        "VEILLE__ALERTS__CHANNELS__HOOK__URL": "https://hooks.example/T0KEN",
        "VEILLE__ELASTICSEARCH__PASSWORD": "s3cret",
        "VEILLE__KAFKA__PARTITIONS": "12",
        "VEILLE__TENANTS__0__NAME": "Acme Corp",
        "OTHER__KAFKA__PARTITIONS": "99",
    }
    config = load_config(write(tmp_path, VALID), environ=environ)
    hook = config.alerts.channels["hook"]
    assert hook.type == "webhook" and hook.url is not None
    assert hook.url.get_secret_value() == "https://hooks.example/T0KEN"
    assert config.kafka.partitions == 12
    assert config.tenants[0].name == "Acme Corp"
    # secrets never print
    assert "s3cret" not in repr(config) and "T0KEN" not in str(config.model_dump())


def test_an_empty_override_means_unset(tmp_path: Path) -> None:
    environ = {"VEILLE__ALERTS__CHANNELS__HOOK__URL": ""}  # what ${VAR:-} gives in compose
    hook = load_config(write(tmp_path, VALID), environ=environ).alerts.channels["hook"]
    assert hook.type == "webhook" and hook.url is None


def test_environment_override_of_a_missing_list_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="VEILLE__TENANTS__5__NAME"):
        load_config(write(tmp_path, VALID), environ={"VEILLE__TENANTS__5__NAME": "x"})


def test_kafka_client_options_are_merged_over_the_defaults(tmp_path: Path) -> None:
    """Setting one consumer option (tansu's session timeout) keeps the others: replacing the
    whole map dropped `receive_message_max_bytes`, which noida-db needs."""
    data = yaml.safe_load(yaml.safe_dump(VALID))
    data["kafka"] = {
        "consumer": {"session_timeout_ms": 6000},
        "producer": {"compression_type": None, "linger_ms": 20},
    }
    kafka = load_config(write(tmp_path, data), environ={}).kafka
    assert kafka.consumer["session_timeout_ms"] == 6000
    assert kafka.consumer["receive_message_max_bytes"] == 256 * 1024 * 1024
    assert kafka.consumer["max_poll_records"] == 500
    assert kafka.producer == {
        "linger_ms": 20, "max_request_size": 8 * 1024 * 1024, "compression_type": None,
    }  # fmt: skip
