"""The analysts' side: the history HTTP API (history/api.py)."""

from typing import Annotated, Literal

from pydantic import Field, SecretStr

from schemas.config.base import SettingsModel


class HistoryApiSettings(SettingsModel):
    host: Literal["127.0.0.1", "0.0.0.0"] = "127.0.0.1"
    port: Annotated[int, Field(ge=1024, le=65535)] = 18780
    max_page_size: Annotated[int, Field(ge=1, le=10_000)] = 500
    """A larger `size` is capped to this, and the answer says so."""
    tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="tenant id → bearer token of that tenant's analysts; from the "
        "environment (VEILLE__HISTORY_API__TOKENS__<tenant>), never in the file",
    )
