"""Test session fixtures: the real servers, started and stopped by the test session itself.

- `stack`: one noida-db (Kafka protocol + Elasticsearch API) for the whole session.
- `tansu`: one tansu broker, for crash recovery (it expires killed group members).
Each test gets its own topic prefix, consumer groups and index prefix, so tests sharing a
server never see each other's data.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from schemas.config import StackSettings, VeilleConfig
from tests.helpers import TANSU_CONSUMER, free_port, make_config
from tests.local_http import LocalHttp
from tests.tansu import TansuBroker
from veille.stack import EmbeddedStack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    settings = StackSettings(
        data_dir=str(tmp_path_factory.mktemp("noida")),
        kafka_port=free_port(),
        elasticsearch_port=free_port(),
    )
    embedded = EmbeddedStack(settings)
    embedded.up()
    yield embedded
    embedded.down()


@pytest.fixture(scope="session")
def tansu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    broker = TansuBroker(free_port(), tmp_path_factory.mktemp("tansu") / "tansu.log")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(params=["noida", "tansu"])
def broker_config(request: pytest.FixtureRequest, stack: EmbeddedStack) -> VeilleConfig:
    """A config on each Kafka-protocol server in turn (Elasticsearch is always noida-db)."""
    if request.param == "tansu":
        tansu: TansuBroker = request.getfixturevalue("tansu")
        return make_config(tansu.bootstrap, stack.elasticsearch_url, TANSU_CONSUMER)
    return make_config(stack.kafka_bootstrap, stack.elasticsearch_url)


@pytest.fixture
def noida_config(stack: EmbeddedStack) -> VeilleConfig:
    return make_config(stack.kafka_bootstrap, stack.elasticsearch_url)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


# Hypothesis example counts: `suite` (the default: bounded, for `make test`) and `faults`
# (`make faults`: long runs). Choose with `--hypothesis-profile=NAME`.
settings.register_profile("suite", max_examples=60, deadline=None, print_blob=True)
settings.register_profile("faults", max_examples=3000, deadline=None, print_blob=True)
settings.load_profile("suite")


@pytest.fixture
def http() -> Iterator[LocalHttp]:
    """A local HTTP server on 127.0.0.1 (tests/local_http.py: routes, recorded requests), closed
    after the test. A module that needs preset routes overrides it."""
    server = LocalHttp()
    yield server
    server.close()
