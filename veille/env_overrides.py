"""Environment overrides of the configuration file: `VEILLE__SECTION__FIELD=value`.

- `__` separates the keys of a path; each key is read case-insensitively (lowercased).
  List items are addressed by index: `VEILLE__TENANTS__0__NAME`.
- A string field (every secret among them: passwords, tokens, webhook URLs) takes the value
  as it is, never parsed: `@tok`, `[abc`, `0123` stay those strings. Any other field takes
  the value parsed as YAML (`42` is an int, `true` a bool, `["a", "b"]` a list, and a JSON
  object sets a whole map). An empty value means unset (null), as `${VAR:-}` gives in compose.
- A map keyed by an id (push tokens by tenant id, alert channels by name, …): the key of
  the variable names the entry whose id, lowercased with every `-` read as `_`, is the same.
  The ids looked at are the keys the map has in the file, and for the maps that refer to ids
  defined elsewhere, those ids (`ingest.push.tokens`: the tenant ids; `alerts.channels`: the
  channels routes name). So `VEILLE__INGEST__PUSH__TOKENS__AGENCE_HORIZON` sets the token of
  tenant `agence-horizon`. Two ids that read the same (`a-b` and `a_b`) make the variable
  ambiguous: it is refused, and the whole map can then be set as JSON
  (`VEILLE__INGEST__PUSH__TOKENS='{"a-b": "…"}'`). A key that matches no id is taken as it
  is (lowercased); validation then refuses it where the map only accepts known ids.
"""

from collections.abc import Callable, Mapping
from typing import Any

from schemas.config import VeilleConfig
from veille.settings_schema import child_types, is_map, is_text
from veille.yaml_errors import load_yaml

ENV_PREFIX = "VEILLE__"


def _tenant_ids(raw: dict[str, Any]) -> list[str]:
    tenants = raw.get("tenants")
    return [t["id"] for t in tenants or [] if isinstance(t, dict) and isinstance(t.get("id"), str)]


def _routed_channels(raw: dict[str, Any]) -> list[str]:
    routes = (raw.get("alerts") or {}).get("routes") if isinstance(raw.get("alerts"), dict) else []
    return [c for r in routes or [] if isinstance(r, dict) for c in r.get("channels") or []
            if isinstance(c, str)]  # fmt: skip


KEY_REFERENCES: dict[tuple[str | int, ...], Callable[[dict[str, Any]], list[str]]] = {
    ("ingest", "push", "tokens"): _tenant_ids,
    ("alerts", "channels"): _routed_channels,
}
"""Maps whose keys are ids defined elsewhere in the file, and how to list those ids."""


def env_name(path: tuple[str | int, ...]) -> str:
    """The variable that sets `path` (a hyphenated id written with `_`)."""
    return ENV_PREFIX + "__".join(str(key).upper().replace("-", "_") for key in path)


def apply_env_overrides(raw: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Applies every `VEILLE__…` variable to `raw`, in the order of their names (so a whole
    map is set before one of its entries). Raises ValueError naming the variable, never
    its value."""
    for name, value in sorted(environ.items()):
        if name.startswith(ENV_PREFIX):
            parts = [part for part in name[len(ENV_PREFIX) :].split("__") if part]
            if parts:
                _apply(raw, parts, value, name)


def _apply(raw: dict[str, Any], parts: list[str], value: str, name: str) -> None:
    node: Any = raw
    annotations: list[Any] = [VeilleConfig]
    path: tuple[str | int, ...] = ()
    for depth, part in enumerate(parts):
        key = _key(raw, node, annotations, path, part, name)
        annotations, path = child_types(annotations, node, key), (*path, key)
        if depth == len(parts) - 1:
            _store(node, key, _parse(value, annotations, name), name)
        else:
            node = _child(node, key, name)


def _key(
    raw: dict[str, Any], node: Any, annotations: list[Any], path: tuple[str | int, ...],
    part: str, name: str,
) -> str | int:  # fmt: skip
    if isinstance(node, list):
        if not part.isdigit() or int(part) >= len(node):
            raise ValueError(f"{name}: {part!r} is not an index of a list of {len(node)} item(s)")
        return int(part)
    if not is_map(annotations):
        return part.lower()
    wanted = part.lower().replace("-", "_")
    ids = list(node) if isinstance(node, dict) else []
    if path in KEY_REFERENCES:
        ids += KEY_REFERENCES[path](raw)
    same = sorted({i for i in ids if isinstance(i, str) and i.lower().replace("-", "_") == wanted})
    if len(same) > 1:
        raise ValueError(
            f"{name}: ambiguous, it could name any of {', '.join(same)}: set the whole map "
            f"as JSON in {env_name(path)}"
        )
    return same[0] if same else part.lower()


def _parse(value: str, annotations: list[Any], name: str) -> Any:
    if not value:
        return None
    if not annotations or is_text(annotations):
        return value
    return load_yaml(value, name)


def _store(node: Any, key: str | int, value: Any, name: str) -> None:
    if isinstance(node, list) and isinstance(key, int):
        node[key] = value
        return
    if not isinstance(node, dict):
        raise ValueError(f"{name}: cannot set {key!r} inside a {type(node).__name__}")
    node[key] = value


def _child(node: Any, key: str | int, name: str) -> Any:
    if isinstance(node, list) and isinstance(key, int):
        return node[key]
    if isinstance(node, dict):
        if node.get(key) is None:
            node[key] = {}
        return node[key]
    raise ValueError(f"{name}: cannot descend into {key!r} of a {type(node).__name__}")
