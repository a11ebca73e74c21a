"""The base of every settings class, and the checks they share.

Naming rule: every class of `schemas.config` is `<What it configures>Settings` (a union of
several is `Any<What>Settings`); only the whole file is `VeilleConfig`. The classes that do the
work (a source, a channel) keep the plain names, so no import needs an alias.
"""

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
"""A tenant, brand, query or source id: lowercase letters, digits, `_` and `-`."""


def check_http_url(url: str) -> str:
    """`url` if it is an absolute http(s) URL with a host (and a valid port, no spaces);
    the error never quotes it (a webhook URL is a secret)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number in range)
    except ValueError:
        raise ValueError("not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL with a host")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ValueError("must not contain spaces or control characters")
    return url


def _check_secret_http_url(url: SecretStr) -> SecretStr:
    if url.get_secret_value():  # empty: unset, as an empty environment value
        check_http_url(url.get_secret_value())
    return url


HttpUrlStr = Annotated[str, AfterValidator(check_http_url)]
"""An http(s) URL, checked when the file is loaded (a source's feed, an API base)."""

SecretHttpUrl = Annotated[SecretStr, AfterValidator(_check_secret_http_url)]
"""An http(s) URL that is a secret (a webhook): checked at load, never printed."""


class SettingsModel(BaseModel):
    """Unknown keys are refused; the docstring under a field is its description (the
    configuration reference, docs/configuration.md, is generated from them)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


def require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
