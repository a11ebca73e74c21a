"""Configuration from the environment and its traps: secrets taken as plain strings, never
echoed; id-keyed maps settable although ids hold hyphens; URLs checked at load; YAML errors
that name where, not what."""

import logging
from pathlib import Path

import pytest
import yaml

from veille.env_overrides import env_name
from veille.settings import ConfigError, load_config

TENANTS = [
    {"id": "agence-horizon", "name": "A", "brands": [
        {"id": "b", "name": "B", "queries": [{"id": "q", "query": "b"}]}]},
    {"id": "maison-lumen", "name": "M", "brands": [
        {"id": "b", "name": "B", "queries": [{"id": "q", "query": "b"}]}]},
]  # fmt: skip
HOOKED = {
    "channels": {"oncall-hook": {"type": "webhook"}},
    "routes": [{"channels": ["oncall-hook"]}],
}


def write(tmp_path: Path, **extra: object) -> Path:
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump({"tenants": TENANTS, **extra}))
    return path


SECRETS = ["@tok3n", "[abc", "{x", "0123", "12345", "true", "*alias", "a: b", "- item", "null",
           "%tag", "!!python/object x"]  # fmt: skip


@pytest.mark.parametrize("secret", SECRETS)
def test_a_secret_from_the_environment_is_a_plain_string(tmp_path: Path, secret: str) -> None:
    environ = {
        "VEILLE__INGEST__PUSH__TOKENS__AGENCE_HORIZON": secret,
        "VEILLE__KAFKA__SASL_PASSWORD": secret,
        "VEILLE__ELASTICSEARCH__API_KEY": secret,
    }
    config = load_config(write(tmp_path), environ)
    assert config.ingest.push.tokens["agence-horizon"].get_secret_value() == secret
    assert config.kafka.sasl_password is not None
    assert config.kafka.sasl_password.get_secret_value() == secret
    assert config.elasticsearch.api_key is not None
    assert config.elasticsearch.api_key.get_secret_value() == secret


def test_a_source_secret_and_a_text_field_are_plain_strings_too(tmp_path: Path) -> None:
    sources = [{"id": "x", "type": "x", "query": "b"}]
    environ = {"VEILLE__SOURCES__0__BEARER_TOKEN": "[b3arer", "VEILLE__TENANTS__0__NAME": "42",
               "VEILLE__KAFKA__PARTITIONS": "12"}  # fmt: skip
    config = load_config(write(tmp_path, sources=sources), environ)
    token = getattr(config.sources[0], "bearer_token")  # noqa: B009
    assert token.get_secret_value() == "[b3arer"
    assert config.tenants[0].name == "42"
    assert config.kafka.partitions == 12  # a number field still reads a number


def test_a_hyphenated_tenant_token_is_set_with_underscores(tmp_path: Path) -> None:
    environ = {"VEILLE__INGEST__PUSH__TOKENS__AGENCE_HORIZON": "t1",
               "VEILLE__INGEST__PUSH__TOKENS__MAISON_LUMEN": "t2"}  # fmt: skip
    tokens = load_config(write(tmp_path), environ).ingest.push.tokens
    assert {k: v.get_secret_value() for k, v in tokens.items()} == {
        "agence-horizon": "t1", "maison-lumen": "t2"}  # fmt: skip


def test_a_whole_map_can_be_set_as_json(tmp_path: Path) -> None:
    environ = {"VEILLE__INGEST__PUSH__TOKENS": '{"agence-horizon": "@t1", "maison-lumen": "t2"}'}
    tokens = load_config(write(tmp_path), environ).ingest.push.tokens
    assert tokens["agence-horizon"].get_secret_value() == "@t1"
    assert tokens["maison-lumen"].get_secret_value() == "t2"


def test_a_token_for_a_tenant_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    environ = {"VEILLE__INGEST__PUSH__TOKENS__AGENCE_HORIZONN": "s3cret-token"}
    with pytest.raises(ConfigError, match="unknown tenant 'agence_horizonn'") as error:
        load_config(write(tmp_path), environ)
    assert "s3cret" not in str(error.value)


def test_two_ids_that_read_the_same_make_the_variable_ambiguous(tmp_path: Path) -> None:
    tenants = [TENANTS[0], {**TENANTS[1], "id": "agence_horizon"}]
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump({"tenants": tenants}))
    with pytest.raises(ConfigError, match=r"ambiguous.*agence-horizon, agence_horizon"):
        load_config(path, {"VEILLE__INGEST__PUSH__TOKENS__AGENCE_HORIZON": "t"})
    environ = {"VEILLE__INGEST__PUSH__TOKENS": '{"agence_horizon": "t"}'}  # the way out
    assert list(load_config(path, environ).ingest.push.tokens) == ["agence_horizon"]


def test_a_hyphenated_channel_named_by_a_route_is_set_with_underscores(tmp_path: Path) -> None:
    environ = {"VEILLE__ALERTS__CHANNELS__ONCALL_HOOK__URL": "https://hooks.example/x"}
    channel = load_config(write(tmp_path, alerts=HOOKED), environ).alerts.channels["oncall-hook"]
    assert channel.type == "webhook" and channel.url is not None
    assert channel.url.get_secret_value() == "https://hooks.example/x"


def test_env_name_of_a_path_writes_hyphens_as_underscores() -> None:
    assert env_name(("ingest", "push", "tokens", "agence-horizon")) == (
        "VEILLE__INGEST__PUSH__TOKENS__AGENCE_HORIZON"
    )


BAD_URLS = ["hooks.example/x", "https://", "ftp://hooks.example/x",
            "https://hooks.example:99999/x", "https://hooks .example/x"]  # fmt: skip


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_malformed_webhook_url_is_refused_at_load_without_echoing_it(
    tmp_path: Path, url: str
) -> None:
    where = r"alerts\.channels\.oncall-hook\.webhook\.url: Value error"
    environ = {"VEILLE__ALERTS__CHANNELS__ONCALL_HOOK__URL": url}
    with pytest.raises(ConfigError, match=where) as error:
        load_config(write(tmp_path, alerts=HOOKED), environ)
    assert "hooks" not in str(error.value).replace("oncall-hook", "")


def test_a_source_url_without_a_host_is_refused(tmp_path: Path) -> None:
    sources = [{"id": "feed", "type": "rss", "url": "https://"}]
    with pytest.raises(ConfigError, match=r"sources\.0\.rss\.url"):
        load_config(write(tmp_path, sources=sources), {})


def test_a_yaml_syntax_error_names_line_and_column_not_the_content(tmp_path: Path) -> None:
    path = tmp_path / "veille.yaml"
    path.write_text("kafka:\n  sasl_password: [hunter2-s3cret\n  partitions: 3\n")
    with pytest.raises(ConfigError) as error:
        load_config(path, {})
    message = str(error.value)
    assert message.startswith(f"{path}: not valid YAML at line ")
    assert "column" in message and "hunter2" not in message and "s3cret" not in message
    path.write_text("kafka:\n  sasl_password: *hunter2\n")  # PyYAML quotes the alias name
    with pytest.raises(ConfigError) as error:
        load_config(path, {})
    assert "hunter2" not in str(error.value) and "line 2, column 18" in str(error.value)


def test_a_bad_yaml_value_for_a_non_text_field_names_the_variable_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="VEILLE__KAFKA__CONSUMER: not valid YAML") as error:
        load_config(write(tmp_path), {"VEILLE__KAFKA__CONSUMER": "{s3cret: [x"})
    assert "s3cret" not in str(error.value)


def test_a_secret_in_the_file_is_accepted_with_one_warning_without_its_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, ingest={"push": {"tokens": {"agence-horizon": "file-s3cret"}}})
    with caplog.at_level(logging.WARNING):
        config = load_config(path, {})
    assert config.ingest.push.tokens["agence-horizon"].get_secret_value() == "file-s3cret"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"{path}: ingest.push.tokens.agence-horizon is a secret written in the file: set it "
        "from the environment (VEILLE__INGEST__PUSH__TOKENS__AGENCE_HORIZON) instead"
    ]
    assert "s3cret" not in caplog.text


def test_a_secret_from_the_environment_gives_no_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        environ = {"VEILLE__ALERTS__CHANNELS__ONCALL_HOOK__URL": "https://hooks.example/x"}
        load_config(write(tmp_path, alerts=HOOKED), environ)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
