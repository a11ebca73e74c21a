"""`veille kibana import`: saved objects into one Kibana space, through the saved-objects API.

Contract: one `POST {url}/s/{space}/api/saved_objects/_import?overwrite=true`, the objects as a
multipart `file` (`<space>.ndjson`), header `kbn-xsrf: veille`, `Authorization: ApiKey <key>`
with the key from the environment (`KIBANA_API_KEY_ENV`; never printed, never in an error).
Kibana answers 200 with `success`, `successCount` and `errors[]` (one entry per object it
refused, e.g. a missing reference): each becomes one line of `ImportResult.problems`.
"""

import os
from dataclasses import dataclass, field
from typing import Any

import httpx

KIBANA_API_KEY_ENV = "VEILLE_KIBANA_API_KEY"


class KibanaImportError(RuntimeError):
    """The import could not be sent or Kibana refused the request as a whole."""


@dataclass(frozen=True)
class ImportResult:
    success: bool
    imported: int
    problems: list[str] = field(default_factory=list)


def describe_error(entry: dict[str, Any]) -> str:
    """One `errors[]` entry of Kibana's answer as a line an operator can act on."""
    error = entry.get("error", {})
    what = f"{entry.get('type')} {entry.get('id')}"
    if entry.get("meta", {}).get("title") or entry.get("title"):
        what += f" ({entry.get('meta', {}).get('title') or entry.get('title')})"
    kind = error.get("type", "unknown")
    if kind == "missing_references":
        missing = ", ".join(f"{r.get('type')} {r.get('id')}" for r in error.get("references", []))
        return f"{what}: missing references: {missing}"
    if kind == "conflict":
        return f"{what}: conflicts with an existing object"
    detail = error.get("message") or error.get("reason") or ""
    return f"{what}: {kind}{': ' + detail if detail else ''}"


def import_objects(url: str, space: str, body: str, timeout_s: float = 30.0) -> ImportResult:
    """Send `body` (ndjson) to the space; KibanaImportError if Kibana refuses the request."""
    key = os.environ.get(KIBANA_API_KEY_ENV)
    if not key:
        raise KibanaImportError(f"set {KIBANA_API_KEY_ENV} to a Kibana API key (base64 id:key)")
    endpoint = f"{url.rstrip('/')}/s/{space}/api/saved_objects/_import"
    try:
        answer = httpx.post(
            endpoint,
            params={"overwrite": "true"},
            headers={"kbn-xsrf": "veille", "Authorization": f"ApiKey {key}"},
            files={"file": (f"{space}.ndjson", body.encode("utf-8"), "application/ndjson")},
            timeout=timeout_s,
        )
    except httpx.HTTPError as exc:
        raise KibanaImportError(f"{endpoint}: {type(exc).__name__}") from None
    if answer.status_code != 200:
        raise KibanaImportError(
            f"{endpoint}: HTTP {answer.status_code}: {answer.text[:300].replace(key, '***')}"
        )
    found: dict[str, Any] = answer.json()
    problems = [describe_error(e) for e in found.get("errors") or []]
    return ImportResult(bool(found.get("success")), int(found.get("successCount", 0)), problems)
