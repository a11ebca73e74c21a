"""Load veille.yaml, apply environment overrides, validate.

Environment overrides: `VEILLE__SECTION__FIELD=value` sets `section.field` (list items by
index, e.g. `VEILLE__TENANTS__0__NAME`). Values are parsed as YAML scalars, so `42` is an int;
an empty value means unset (null), as `${VAR:-}` gives in compose files.
This is how secrets (passwords, API keys, webhook URLs) reach veille: never put them in the file.
An invalid file fails at start with the file, the field path and the reason.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from schemas.config import VeilleConfig

ENV_PREFIX = "VEILLE__"
DEFAULT_CONFIG = "veille.yaml"


class ConfigError(Exception):
    """The configuration cannot be used; the message names file, field path and reason."""


def default_config_path() -> Path:
    return Path(os.environ.get("VEILLE_CONFIG", DEFAULT_CONFIG))


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> VeilleConfig:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping, not {type(raw).__name__}")
    try:
        apply_env_overrides(raw, os.environ if environ is None else environ)
        return VeilleConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc)) from None
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def format_validation_error(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid configuration ({exc.error_count()} error(s))"]
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"  {location}: {error['msg']}")
    return "\n".join(lines)


def apply_env_overrides(raw: dict[str, Any], environ: Mapping[str, str]) -> None:
    for name, value in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [part.lower() for part in name[len(ENV_PREFIX) :].split("__") if part]
        if keys:
            _set_path(raw, keys, yaml.safe_load(value) if value else None, name)


def _set_path(node: Any, keys: list[str], value: Any, env_name: str) -> None:
    *parents, last = keys
    for key in parents:
        node = _child(node, key, env_name, create=True)
    if isinstance(node, list):
        index = _index(node, last, env_name)
        node[index] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ValueError(f"{env_name}: cannot set {last!r} inside a {type(node).__name__}")


def _child(node: Any, key: str, env_name: str, create: bool) -> Any:
    if isinstance(node, list):
        return node[_index(node, key, env_name)]
    if isinstance(node, dict):
        if key not in node or node[key] is None:
            node[key] = {}
        return node[key]
    raise ValueError(f"{env_name}: cannot descend into {key!r} of a {type(node).__name__}")


def _index(node: list[Any], key: str, env_name: str) -> int:
    if not key.isdigit() or int(key) >= len(node):
        raise ValueError(f"{env_name}: {key!r} is not an index of a list of {len(node)} item(s)")
    return int(key)
