"""`veille tenants provision`: what one tenant needs in a production cluster with security, and
in its Kibana, put in place by idempotent calls.

Contract — the calls, in order (`provision_calls`):
1. Elasticsearch role `veille-<tenant>-read`: `PUT /_security/role/<name>`, read and
   view_index_metadata on the tenant's concrete pattern and read alias of both families (see
   runtime/indices/names.py: the pattern never reaches another tenant; the concrete pattern is
   needed because Kibana's CSV export opens points in time on the concrete indices).
2. Kibana space `<tenant>`: `PUT /api/spaces/space/<tenant>`; a 404 (no such space yet) is
   followed by `POST /api/spaces/space` with the same body.
3. Kibana role `veille-<tenant>-kibana`: `PUT /api/security/role/<name>`, the same index
   privileges plus Discover, Dashboard and Visualize in that space only.
4. API key `veille-<tenant>-api` for the tenant's API token: `GET /_security/api_key?name=…
   &active_only=true` first; `POST /_security/api_key` with the role descriptor of step 1 only
   if no active key of that name exists (a key's secret cannot be read back, so a second run
   creates none). The new key's `encoded` value is written to a file (mode 0600), never printed.
5. The tenant's saved objects (history/kibana.py) imported into its space with
   `overwrite=true` (history/kibana_import.py).
Credentials: Elasticsearch with `$VEILLE_ES_ADMIN_API_KEY`, Kibana with
`$VEILLE_KIBANA_API_KEY`; a dry run sends nothing and prints every call with them masked.
"""

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from history.kibana import ndjson, saved_objects
from history.kibana_import import KIBANA_API_KEY_ENV, import_objects
from runtime.indices.names import read_alias, tenant_pattern
from runtime.indices.templates import FAMILIES
from schemas.config import ElasticsearchSettings, TenantSettings

ES_ADMIN_API_KEY_ENV = "VEILLE_ES_ADMIN_API_KEY"
READ_PRIVILEGES = ["read", "view_index_metadata"]
KIBANA_FEATURES = {"discover": ["all"], "dashboard": ["all"], "visualize": ["all"]}


class ProvisionError(RuntimeError):
    """A call was refused: what, and the answer (credentials masked)."""


@dataclass(frozen=True)
class Call:
    service: str  # "elasticsearch" | "kibana"
    method: str
    path: str
    body: dict[str, Any] | None = None

    def describe(self) -> str:
        auth = f"Authorization: ApiKey *** (${_key_env(self.service)})"
        text = f"{self.method} {self.service}{self.path}  [{auth}]"
        return text if self.body is None else f"{text}\n  {json.dumps(self.body, sort_keys=True)}"


def _key_env(service: str) -> str:
    return ES_ADMIN_API_KEY_ENV if service == "elasticsearch" else KIBANA_API_KEY_ENV


def role_name(tenant: str) -> str:
    return f"veille-{tenant}-read"


def kibana_role_name(tenant: str) -> str:
    return f"veille-{tenant}-kibana"


def api_key_name(tenant: str) -> str:
    return f"veille-{tenant}-api"


def index_privileges(settings: ElasticsearchSettings, tenant: str) -> list[dict[str, Any]]:
    names = []
    for family in FAMILIES:
        names += [tenant_pattern(settings, family, tenant), read_alias(settings, family, tenant)]
    return [{"names": names, "privileges": READ_PRIVILEGES}]


def es_role(settings: ElasticsearchSettings, tenant: str) -> dict[str, Any]:
    return {"cluster": [], "indices": index_privileges(settings, tenant),
            "metadata": {"managed_by": "veille", "tenant": tenant}}  # fmt: skip


def space(tenant: TenantSettings) -> dict[str, Any]:
    return {"id": tenant.id, "name": tenant.name}


def kibana_role(settings: ElasticsearchSettings, tenant: str) -> dict[str, Any]:
    return {
        "elasticsearch": {"cluster": [], "indices": index_privileges(settings, tenant)},
        "kibana": [{"base": [], "feature": KIBANA_FEATURES, "spaces": [tenant]}],
        "metadata": {"managed_by": "veille", "tenant": tenant},
    }


def api_key(settings: ElasticsearchSettings, tenant: str) -> dict[str, Any]:
    return {
        "name": api_key_name(tenant),
        "role_descriptors": {role_name(tenant): es_role(settings, tenant)},
        "metadata": {"managed_by": "veille", "tenant": tenant},
    }


def provision_calls(settings: ElasticsearchSettings, tenant: TenantSettings) -> list[Call]:
    """Steps 1-4 of the contract (step 5 is the saved-objects import)."""
    t = tenant.id
    return [
        Call("elasticsearch", "PUT", f"/_security/role/{role_name(t)}", es_role(settings, t)),
        Call("kibana", "PUT", f"/api/spaces/space/{t}", space(tenant)),
        Call(
            "kibana", "PUT", f"/api/security/role/{kibana_role_name(t)}", kibana_role(settings, t)
        ),
        Call("elasticsearch", "GET", f"/_security/api_key?name={api_key_name(t)}&active_only=true"),
        Call("elasticsearch", "POST", "/_security/api_key", api_key(settings, t)),
    ]


def _send(base: str, call: Call, timeout_s: float) -> httpx.Response:
    env = _key_env(call.service)
    key = os.environ.get(env)
    if not key:
        raise ProvisionError(f"set {env} to an API key (base64 id:key)")
    headers = {"Authorization": f"ApiKey {key}", "kbn-xsrf": "veille"}
    try:
        return httpx.request(call.method, base.rstrip("/") + call.path, json=call.body,
                             headers=headers, timeout=timeout_s)  # fmt: skip
    except httpx.HTTPError as exc:
        raise ProvisionError(f"{call.method} {call.path}: {type(exc).__name__}") from None


def _check(call: Call, answer: httpx.Response) -> None:
    if answer.status_code not in (200, 201, 204):  # Kibana role API: 204
        key = os.environ.get(_key_env(call.service)) or "\0"
        text = answer.text[:300].replace(key, "***")
        raise ProvisionError(f"{call.method} {call.path}: HTTP {answer.status_code}: {text}")


def provision(
    es_url: str, kibana_url: str, settings: ElasticsearchSettings, tenant: TenantSettings,
    key_file: Path, timeout_s: float = 30.0,
) -> list[str]:  # fmt: skip
    """Runs every step; the lines say what each did."""
    role, space_put, kibana, key_get, key_post = provision_calls(settings, tenant)
    done = []
    _check(role, _send(es_url, role, timeout_s))
    done.append(f"elasticsearch role {role_name(tenant.id)}")
    answer = _send(kibana_url, space_put, timeout_s)
    if answer.status_code == 404:
        answer = _send(kibana_url, Call("kibana", "POST", "/api/spaces/space", space_put.body),
                       timeout_s)  # fmt: skip
    _check(space_put, answer)
    done.append(f"kibana space {tenant.id}")
    _check(kibana, _send(kibana_url, kibana, timeout_s))
    done.append(f"kibana role {kibana_role_name(tenant.id)}")
    answer = _send(es_url, key_get, timeout_s)
    _check(key_get, answer)
    if answer.json().get("api_keys"):
        done.append(f"api key {api_key_name(tenant.id)}: an active one exists, none created")
    else:
        answer = _send(es_url, key_post, timeout_s)
        _check(key_post, answer)
        key_file.write_text(answer.json()["encoded"] + "\n", encoding="utf-8")
        key_file.chmod(stat.S_IRUSR | stat.S_IWUSR)
        done.append(f"api key {api_key_name(tenant.id)}: created, written to {key_file}")
    body = "".join(ndjson(saved_objects(settings, tenant)))
    result = import_objects(kibana_url, tenant.id, body, timeout_s)
    if not result.success or result.problems:
        raise ProvisionError("saved objects: " + "; ".join(result.problems or ["refused"]))
    done.append(f"saved objects: {result.imported} imported into space {tenant.id}")
    return done
