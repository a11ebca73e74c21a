"""Load veille.yaml, apply environment overrides, validate.

Environment overrides (`VEILLE__SECTION__FIELD=value`; how values and map keys are read:
veille.env_overrides) are how secrets (passwords, API keys, tokens, webhook URLs) reach
veille: never put them in the file; one that is there is accepted with a warning naming the
field and its variable, never the value. An invalid file fails at start with the file, the
field path and the reason; a YAML syntax error with the line and column, not the content.
Every brand query is compiled here too, so every command refuses a malformed one the same way.
"""

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from ingest.matcher import BrandMatcher
from schemas.brand_query import QueryError
from schemas.config import VeilleConfig
from veille.env_overrides import ENV_PREFIX, apply_env_overrides, env_name
from veille.settings_schema import secrets_in
from veille.yaml_errors import YamlSyntaxError, load_yaml

__all__ = ["ENV_PREFIX", "ConfigError", "default_config_path", "load_config"]

DEFAULT_CONFIG = "veille.yaml"

log = logging.getLogger(__name__)


class ConfigError(Exception):
    """The configuration cannot be used; the message names file, field path and reason."""


def default_config_path() -> Path:
    return Path(os.environ.get("VEILLE_CONFIG", DEFAULT_CONFIG))


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> VeilleConfig:
    path = Path(path)
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except YamlSyntaxError as exc:
        raise ConfigError(str(exc)) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping, not {type(raw).__name__}")
    secrets_in_file = list(secrets_in(raw))
    try:
        apply_env_overrides(raw, os.environ if environ is None else environ)
        config = VeilleConfig.model_validate(raw)
        BrandMatcher(config.tenants)  # every brand query compiles, or its position is named
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc)) from None
    except QueryError as exc:
        raise ConfigError(f"{path}: brand query: {exc}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    for secret in secrets_in_file:
        log.warning(
            "%s: %s is a secret written in the file: set it from the environment (%s) instead",
            path, ".".join(str(key) for key in secret), env_name(secret),
        )  # fmt: skip
    return config


def format_validation_error(path: Path, exc: ValidationError) -> str:
    """One line per error: where and why; never the input (it may be a secret)."""
    lines = [f"{path}: invalid configuration ({exc.error_count()} error(s))"]
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"  {location}: {error['msg']}")
    return "\n".join(lines)
