"""Helpers shared by the JSON API sources: fetch, check the documented shape, convert.

A response that does not have the documented shape raises SourceError naming the field,
never a KeyError deep in a source: the worker logs it and the other sources go on.
"""

import json
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ingest.http import Response, SafeClient
from ingest.sources.base import SourceError
from schemas.config import SourceSettings

M = TypeVar("M", bound=BaseModel)


class Shape(BaseModel):
    """A documented payload: only the fields veille reads are declared; others ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


async def get_json(
    client: SafeClient,
    settings: SourceSettings,
    url: str,
    model: type[M],
    *,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[M, Response]:
    """GET `url` and validate its JSON body as `model`."""
    response = await client.get(
        url,
        params=params,
        headers=headers,
        timeout_s=settings.timeout_s,
        max_bytes=settings.max_bytes,
    )
    return parse(model, response.body, url), response


def parse(model: type[M], body: bytes, what: str) -> M:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise SourceError(f"not JSON from {what}: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise SourceError(
            f"unexpected JSON shape from {what}: {where}: {first['msg']}"
            f" ({exc.error_count()} problem(s))"
        ) from None


def parse_each(
    model: type[M], raw: list[Any], what: str
) -> tuple[list[M], list[tuple[str, bytes]]]:
    """Each element of a page validated on its own: the good ones, and (reason, the element's
    JSON) for each one that does not have the documented shape — one bad item is a dead
    letter, never a failed poll."""
    good: list[M] = []
    rejected: list[tuple[str, bytes]] = []
    for element in raw:
        try:
            good.append(model.model_validate(element))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "item"
            reason = f"unexpected item shape from {what}: {where}: {first['msg']}"
            rejected.append((reason, json.dumps(element).encode()))  # ASCII: lone surrogates too
    return good, rejected


def header_float(response: Response, name: str) -> float | None:
    value = response.headers.get(name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def parse_time(value: str) -> datetime:
    """An ISO 8601 time as UTC ('Z' accepted; naive taken as UTC)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
