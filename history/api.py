"""The history HTTP API (FastAPI): one tenant's mentions, aggregations, CSV export and
incidents, behind that tenant's bearer token (`history_api.tokens`).

Contract:
- `/tenants/{tenant}/…` needs `Authorization: Bearer <that tenant's token>`: none or an
  unknown token → 401; another tenant's token → 403. Tokens are compared in constant time
  and never logged.
- Bad input → 400 with a `detail` that says what to change: a query that does not parse
  (its `position`), an unknown query parameter (named), a time range inverted or in the
  future. A `size` above `max_page_size` is capped, and the answer says so (`capped_to`).
- Mention pages: newest first, one point in time per search; `next` is an opaque cursor
  signed for the tenant (HMAC, key per process): a cursor of another tenant, or forged, is
  refused (400), so a point-in-time id can never carry a read across tenants.
- OpenAPI at `/openapi.json` (`veille api openapi FILE` writes it).
"""

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from elasticsearch import Elasticsearch, NotFoundError
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse

from history import aggregations
from history.output import csv_lines
from history.search import (
    MentionFilter,
    SearchInputError,
    iterate,
    open_pit,
    page,
    parse_duration,
)
from runtime.indices import incidents_alias
from runtime.indices.names import parse_monthly
from schemas.brand_query import QueryError
from schemas.config import VeilleConfig
from schemas.enriched import SentimentLabel

Clock = Callable[[], datetime]


class _Cursors:
    """Opaque page cursors, signed per tenant with a key held by this process only."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def _mac(self, tenant: str, body: bytes) -> str:
        return hmac.new(self._key, tenant.encode() + b"\x1f" + body, hashlib.sha256).hexdigest()

    def encode(self, tenant: str, state: dict[str, Any]) -> str:
        body = json.dumps(state, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(body).decode() + "." + self._mac(tenant, body)

    def decode(self, tenant: str, cursor: str) -> dict[str, Any]:
        try:
            encoded, mac = cursor.rsplit(".", 1)
            body = base64.urlsafe_b64decode(encoded.encode())
        except ValueError:
            raise HTTPException(400, "malformed cursor") from None
        if not hmac.compare_digest(mac, self._mac(tenant, body)):
            raise HTTPException(400, "cursor not issued for this tenant by this server")
        state: dict[str, Any] = json.loads(body)
        return state


def create_app(config: VeilleConfig, client: Elasticsearch, now: Clock | None = None) -> FastAPI:
    clock = now or (lambda: datetime.now(UTC))
    settings = config.elasticsearch
    api_settings = config.history_api
    tenants = {t.id: t for t in config.tenants}
    cursors = _Cursors()
    description = "A tenant's stored mentions, aggregations and incidents."
    app = FastAPI(title="veille history", version="1", description=description)

    def tenant_of(tenant: str, authorization: Annotated[str | None, Header()] = None) -> str:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, "Authorization: Bearer <token> required")
        owner = next((t for t, secret in api_settings.tokens.items()
                      if hmac.compare_digest(secret.get_secret_value(), token)), None)  # fmt: skip
        if owner is None:
            raise HTTPException(401, "unknown token")
        if owner != tenant or tenant not in tenants:
            raise HTTPException(403, f"this token does not grant access to tenant {tenant!r}")
        return tenant

    Tenant = Annotated[str, Depends(tenant_of)]

    def only(request: Request, known: set[str]) -> None:
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise HTTPException(400, f"unknown parameter(s): {', '.join(unknown)} "
                                     f"(known: {', '.join(sorted(known))})")  # fmt: skip

    def where(tenant: str, q: str | None, since: str, until: datetime | None,
              sentiment: SentimentLabel | None) -> MentionFilter:  # fmt: skip
        current = clock()
        end = until or current
        try:
            found = MentionFilter.checked(tenant, end - parse_duration(since), end, current,
                                          query=q, sentiment=sentiment)  # fmt: skip
            found.to_elasticsearch()
        except QueryError as exc:
            raise HTTPException(400, {"error": exc.reason, "position": exc.position,
                                      "query": exc.query}) from None  # fmt: skip
        except SearchInputError as exc:
            raise HTTPException(400, str(exc)) from None
        return found

    common = {"q", "since", "until", "sentiment"}

    @app.get("/tenants/{tenant}/mentions")
    def mentions(request: Request, tenant: Tenant, q: str | None = None, since: str = "7d",
                 until: datetime | None = None, sentiment: SentimentLabel | None = None,
                 size: Annotated[int, Query(ge=1)] = 50,
                 cursor: str | None = None) -> dict[str, Any]:  # fmt: skip
        only(request, common | {"size", "cursor"})
        capped = min(size, api_settings.max_page_size)
        if cursor:
            state = cursors.decode(tenant, cursor)
            filt = where(tenant, state["q"], state["since"],
                         datetime.fromisoformat(state["until"]), state["sentiment"])  # fmt: skip
            pit, after = state["pit"], state["after"]
        else:
            filt = where(tenant, q, since, until, sentiment)
            pit, after = open_pit(client, settings, tenant), None
        got = page(client, settings, filt, capped, pit, after)
        answer: dict[str, Any] = {"total": got.total, "mentions": [h["_source"] for h in got.hits]}
        if capped < size:
            answer["capped_to"] = capped
            answer["note"] = f"size {size} is above the cap, {capped} returned per page"
        if got.after is not None:
            answer["next"] = cursors.encode(tenant, {
                "pit": got.pit or pit, "after": got.after, "q": filt.query, "since": since
                if not cursor else state["since"], "until": filt.end.isoformat(),
                "sentiment": filt.sentiment})  # fmt: skip
        else:
            client.close_point_in_time(id=got.pit or pit)
        return answer

    @app.get("/tenants/{tenant}/mentions.csv")
    def export(request: Request, tenant: Tenant, q: str | None = None, since: str = "7d",
               until: datetime | None = None,
               sentiment: SentimentLabel | None = None) -> StreamingResponse:  # fmt: skip
        only(request, common)
        filt = where(tenant, q, since, until, sentiment)
        lines: Iterator[str] = csv_lines(iterate(client, settings, filt, None))
        return StreamingResponse(lines, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{tenant}-mentions.csv"'})  # fmt: skip

    @app.get("/tenants/{tenant}/aggregations")
    def aggs(request: Request, tenant: Tenant, q: str | None = None, since: str = "7d",
             until: datetime | None = None, sentiment: SentimentLabel | None = None,
             interval: aggregations.Interval = "day") -> dict[str, Any]:  # fmt: skip
        only(request, common | {"interval"})
        filt = where(tenant, q, since, until, sentiment)
        zone = tenants[tenant].timezone
        volume = aggregations.volume(client, settings, filt, interval, zone)
        brands = [b.id for b in tenants[tenant].brands]
        method, terms = aggregations.top_terms(client, settings, filt)
        return {
            "time_zone": zone,
            "volume": [{"start": b.start.isoformat(), **b.counts} for b in volume],
            "share_of_voice": aggregations.share_of_voice(client, settings, filt, brands),
            "top_terms": {
                "method": method,
                "terms": [{"term": t, "mentions": n} for t, n in terms],
            },
            "top_authors": [
                {"handle": h, "mentions": n}
                for h, n in aggregations.top_authors(client, settings, filt)
            ],
            "top_stories": aggregations.top_stories(client, settings, filt),
        }

    @app.get("/tenants/{tenant}/incidents")
    def incidents(request: Request, tenant: Tenant, since: str = "30d") -> dict[str, Any]:
        only(request, {"since"})
        filt = where(tenant, None, since, None, None)
        try:
            found = client.search(index=incidents_alias(settings, tenant), size=500,
                                  query={"range": {"opened_at": {"gte": filt.start.isoformat()}}},
                                  sort=[{"opened_at": "desc"}])  # fmt: skip
        except NotFoundError:
            return {"incidents": []}
        hits = found["hits"]["hits"]
        if any(parse_monthly(settings, "incidents", tenant, h["_index"]) is None for h in hits):
            raise HTTPException(500, "a read returned another tenant's incident: refused")
        return {"incidents": [h["_source"] for h in hits]}

    @app.exception_handler(HTTPException)
    def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"][1:]), "error": e["msg"]}
                  for e in exc.errors()]  # fmt: skip
        return JSONResponse({"detail": errors}, status_code=400)

    return app
