"""`veille tenants provision` against a local HTTP receiver on 127.0.0.1 standing for both
Elasticsearch and Kibana: the exact requests (method, path, body), idempotence (a second run
creates no second API key, an existing space is updated), the dry run, secrets masked."""

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from history.kibana_import import KIBANA_API_KEY_ENV
from history.provisioning import ES_ADMIN_API_KEY_ENV
from tests.helpers import make_config, write_config
from tests.local_http import LocalHttp, Reply, Request
from veille.cli import main

ES_KEY = "ZXMtYWRtaW46c2VjcmV0"
KIBANA_KEY = "a2liYW5hOnNlY3JldA=="
NEW_KEY = "bmV3LWtleTpzZWNyZXQ="
CONFIG = make_config("127.0.0.1:9", "http://127.0.0.1:9")
PREFIX = CONFIG.elasticsearch.index_prefix
NAMES = [
    f"{PREFIX}mentions-agence-horizon.*",
    f"{PREFIX}mentions-agence-horizon.all",
    f"{PREFIX}incidents-agence-horizon.*",
    f"{PREFIX}incidents-agence-horizon.all",
    f"{PREFIX}responses-agence-horizon.*",
    f"{PREFIX}responses-agence-horizon.all",
]
PRIVILEGES = [{"names": NAMES, "privileges": ["read", "view_index_metadata"]}]
META = {"managed_by": "veille", "tenant": "agence-horizon"}


class Cluster:
    """Security and Kibana state as the receiver keeps it: spaces and API keys."""

    def __init__(self) -> None:
        self.spaces: set[str] = set()
        self.keys: list[str] = []

    def space_put(self, request: Request) -> Reply:
        return Reply(200, request.body) if "agence-horizon" in self.spaces else Reply(404)

    def space_post(self, request: Request) -> Reply:
        self.spaces.add(json.loads(request.body)["id"])
        return Reply(200, request.body)

    def api_key(self, request: Request) -> Reply:
        if request.method == "GET":
            found = [{"name": n, "invalidated": False} for n in self.keys]
            return Reply(200, json.dumps({"api_keys": found}).encode())
        self.keys.append(json.loads(request.body)["name"])
        return Reply(
            200, json.dumps({"id": "k1", "name": self.keys[-1], "encoded": NEW_KEY}).encode()
        )


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LocalHttp, Cluster]]:
    monkeypatch.setenv(ES_ADMIN_API_KEY_ENV, ES_KEY)
    monkeypatch.setenv(KIBANA_API_KEY_ENV, KIBANA_KEY)
    http, state = LocalHttp(), Cluster()
    ok = Reply(200, b'{"role": {"created": true}}')
    http.route("/_security/role/veille-agence-horizon-read", lambda r: ok)
    http.route("/api/security/role/veille-agence-horizon-kibana", lambda r: Reply(204))
    http.route("/api/spaces/space/agence-horizon", state.space_put)
    http.route("/api/spaces/space", state.space_post)
    http.route("/_security/api_key", state.api_key)
    imported = json.dumps({"success": True, "successCount": 11, "errors": []}).encode()
    http.route("/s/agence-horizon/api/saved_objects/_import", lambda r: Reply(200, imported))
    yield http, state
    http.close()


TENANT_NAME = CONFIG.tenants[0].name


def _argv(http: LocalHttp, tmp_path: Path) -> list[str]:
    path = write_config(CONFIG, tmp_path / "veille.yaml")
    return ["--config", str(path), "tenants", "provision", "--tenant", "agence-horizon",
            "--kibana-url", http.base, "--elasticsearch-url", http.base,
            "--api-key-file", str(tmp_path / "key")]  # fmt: skip


def test_provision_sends_the_exact_calls_and_is_idempotent(
    server: tuple[LocalHttp, Cluster], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    http, state = server
    assert main(_argv(http, tmp_path)) == 0
    calls = [(r.method, r.path) for r in http.requests]
    assert calls == [
        ("PUT", "/_security/role/veille-agence-horizon-read"),
        ("PUT", "/api/spaces/space/agence-horizon"),
        ("POST", "/api/spaces/space"),
        ("PUT", "/api/security/role/veille-agence-horizon-kibana"),
        ("GET", "/_security/api_key"),
        ("POST", "/_security/api_key"),
        ("POST", "/s/agence-horizon/api/saved_objects/_import"),
    ]
    body = [json.loads(r.body) if "json" in r.headers.get("Content-Type", "") else None
            for r in http.requests]  # fmt: skip
    assert body[0] == {"cluster": [], "indices": PRIVILEGES, "metadata": META}
    assert body[1] == body[2] == {"id": "agence-horizon", "name": TENANT_NAME}
    assert body[4] is None
    assert body[3] == {
        "elasticsearch": {"cluster": [], "indices": PRIVILEGES},
        "kibana": [{"base": [], "feature": {"discover": ["all"], "dashboard": ["all"],
                    "visualize": ["all"]}, "spaces": ["agence-horizon"]}],
        "metadata": META,
    }  # fmt: skip
    assert http.requests[4].query == {
        "name": ["veille-agence-horizon-api"],
        "active_only": ["true"],
    }
    assert body[5] == {
        "name": "veille-agence-horizon-api",
        "role_descriptors": {"veille-agence-horizon-read": body[0]},
        "metadata": META,
    }
    for request in http.requests:
        expected = ES_KEY if request.path.startswith("/_security") else KIBANA_KEY
        assert request.headers["Authorization"] == f"ApiKey {expected}"
    key_file = tmp_path / "key"
    assert key_file.read_text() == NEW_KEY + "\n"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    out = capsys.readouterr()
    assert NEW_KEY not in out.out + out.err and "11 imported" in out.out

    http.requests.clear()
    assert main(_argv(http, tmp_path)) == 0  # again: space updated, no second key
    assert [(r.method, r.path) for r in http.requests] == [
        ("PUT", "/_security/role/veille-agence-horizon-read"),
        ("PUT", "/api/spaces/space/agence-horizon"),
        ("PUT", "/api/security/role/veille-agence-horizon-kibana"),
        ("GET", "/_security/api_key"),
        ("POST", "/s/agence-horizon/api/saved_objects/_import"),
    ]
    assert state.keys == ["veille-agence-horizon-api"]
    assert "an active one exists" in capsys.readouterr().out


def test_dry_run_prints_the_calls_masked_and_sends_nothing(
    server: tuple[LocalHttp, Cluster], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    http, _ = server
    assert main([*_argv(http, tmp_path), "--dry-run"]) == 0
    assert http.requests == []
    out = capsys.readouterr().out
    assert "PUT elasticsearch/_security/role/veille-agence-horizon-read" in out
    assert "PUT kibana/api/security/role/veille-agence-horizon-kibana" in out
    assert "POST elasticsearch/_security/api_key" in out
    assert NAMES[0] in out
    assert ES_KEY not in out and KIBANA_KEY not in out and "ApiKey ***" in out


def test_a_refused_call_stops_with_the_answer_and_no_secret(
    server: tuple[LocalHttp, Cluster], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    http, _ = server
    refused = f"bad key {ES_KEY}".encode()
    http.route("/_security/role/veille-agence-horizon-read", lambda r: Reply(403, refused))
    assert main(_argv(http, tmp_path)) == 1
    err = capsys.readouterr().err
    assert "HTTP 403" in err and ES_KEY not in err
    assert len(http.requests) == 1
