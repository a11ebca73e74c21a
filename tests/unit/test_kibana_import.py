"""`veille kibana import` against a local HTTP receiver on 127.0.0.1: the exact request
(path, query, headers, multipart ndjson), Kibana's `errors[]` reported one per line, the API
key never printed."""

import email
import email.policy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from history.kibana import ndjson, saved_objects
from history.kibana_import import KIBANA_API_KEY_ENV
from tests.helpers import make_config, write_config
from tests.local_http import LocalHttp, Reply, Request
from veille.cli import main

KEY = "c2VjcmV0LWlkOnNlY3JldC1rZXk="
PATH = "/s/agence-horizon/api/saved_objects/_import"


@pytest.fixture
def kibana(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHttp]:
    monkeypatch.setenv(KIBANA_API_KEY_ENV, KEY)
    server = LocalHttp()
    yield server
    server.close()


def _file(request: Request) -> tuple[str | None, bytes]:
    """The multipart body's `file` part: (filename, bytes)."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = email.message_from_bytes(head + request.body, policy=email.policy.HTTP)
    parts = [
        p
        for p in message.iter_parts()
        if p.get_param("name", header="content-disposition") == "file"
    ]
    assert len(parts) == 1
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return parts[0].get_filename(), payload


def _import(kibana: LocalHttp, *extra: str, config: Path | None = None) -> int:
    """`veille kibana import` into agence-horizon's space on the local receiver."""
    before = ["--config", str(config)] if config else []
    space = ["--url", kibana.base, "--space", "agence-horizon"]
    return main([*before, "kibana", "import", *space, *extra])


def test_import_posts_the_tenants_objects_to_its_space(
    kibana: LocalHttp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config("127.0.0.1:9", "http://127.0.0.1:9")
    expected = "".join(ndjson(saved_objects(config.elasticsearch, config.tenants[0])))
    kibana.route(
        PATH, Reply(200, json.dumps({"success": True, "successCount": 11, "errors": []}).encode())
    )
    path = write_config(config, tmp_path / "veille.yaml")
    assert _import(kibana, config=path) == 0
    (request,) = kibana.requests
    assert (request.method, request.path, request.query) == ("POST", PATH, {"overwrite": ["true"]})
    assert request.headers["kbn-xsrf"] == "veille"
    assert request.headers["Authorization"] == f"ApiKey {KEY}"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert _file(request) == ("agence-horizon.ndjson", expected.encode())
    out = capsys.readouterr()
    assert "space agence-horizon: 11 object(s) imported" in out.out
    assert KEY not in out.out + out.err


def test_import_reports_each_error_and_fails(
    kibana: LocalHttp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    objects = tmp_path / "t.ndjson"
    objects.write_text('{"type":"lens","id":"x"}\n', encoding="utf-8")
    errors = [
        {
            "id": "x",
            "type": "lens",
            "meta": {"title": "Volume"},
            "error": {
                "type": "missing_references",
                "references": [{"type": "index-pattern", "id": "v"}],
            },
        },
        {
            "id": "y",
            "type": "dashboard",
            "meta": {"title": "Veille"},
            "error": {"type": "unknown", "message": "bad panelsJSON"},
        },
    ]
    kibana.route(
        PATH,
        Reply(200, json.dumps({"success": False, "successCount": 0, "errors": errors}).encode()),
    )
    assert _import(kibana, "--file", str(objects)) == 1
    err = capsys.readouterr().err
    assert "error: lens x (Volume): missing references: index-pattern v" in err
    assert "error: dashboard y (Veille): unknown: bad panelsJSON" in err
    assert _file(kibana.requests[0])[1] == objects.read_bytes()


def test_a_refused_request_is_clear_and_hides_the_key(
    kibana: LocalHttp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    objects = tmp_path / "t.ndjson"
    objects.write_text("{}\n", encoding="utf-8")
    kibana.route(PATH, Reply(401, f'{{"message":"bad key ApiKey {KEY}"}}'.encode()))
    assert _import(kibana, "--file", str(objects)) == 1
    err = capsys.readouterr().err
    assert f"{kibana.base}{PATH}: HTTP 401" in err
    assert KEY not in err
