"""Source and ingest configuration: one target per source, Reddit's User-Agent rule, tokens
from the environment as secrets that never print."""

from pathlib import Path

import pytest

from schemas.config import MastodonSourceSettings, RedditSourceSettings
from veille.settings import ConfigError, load_config

CONFIG = """
tenants: [{id: agence-horizon, name: A, brands: [{id: b, name: B, queries: [{id: q, query: b}]}]}]
sources:
  - {id: x, type: x, query: "air volaris"}
  - {id: masto, type: mastodon, instance: "https://mastodon.social", hashtag: volaris}
"""


def test_tokens_come_from_the_environment_and_stay_secret(tmp_path: Path) -> None:
    path = tmp_path / "veille.yaml"
    path.write_text(CONFIG)
    environ = {"VEILLE__SOURCES__0__BEARER_TOKEN": "s3cret-bearer",
               "VEILLE__INGEST__PUSH__TOKENS__AGENCE-HORIZON": "push-s3cret"}  # fmt: skip
    config = load_config(path, environ)
    x = config.sources[0]
    assert x.type == "x" and x.bearer_token is not None
    assert x.bearer_token.get_secret_value() == "s3cret-bearer"
    assert config.ingest.push.tokens["agence-horizon"].get_secret_value() == "push-s3cret"
    printed = repr(config) + str(config.model_dump())
    assert "s3cret" not in printed


def test_each_source_type_checks_its_own_fields(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one of hashtag, account_id, search"):
        MastodonSourceSettings(id="m", instance="https://m.example", hashtag="a", search="b")
    with pytest.raises(ValueError, match="user_agent"):
        RedditSourceSettings(id="r", subreddit="france", user_agent="python-requests/2.0")
    path = tmp_path / "veille.yaml"
    path.write_text(CONFIG.replace("type: x,", "type: myspace,"))
    with pytest.raises(ConfigError, match=r"sources\.0"):
        load_config(path, {})
