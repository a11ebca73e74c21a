"""The base of every settings class, and the checks they share.

Naming rule: every class of `schemas.config` is `<What it configures>Settings` (a union of
several is `Any<What>Settings`); only the whole file is `VeilleConfig`. The classes that do the
work (a source, a channel) keep the plain names, so no import needs an alias.
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
"""A tenant, brand, query or source id: lowercase letters, digits, `_` and `-`."""


class SettingsModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


def require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
