"""SafeClient: the one HTTP client every source fetches through (httpx.AsyncClient).

Contract, for every request of every source:
- the host (and every redirect target) must resolve to public addresses only; private,
  loopback, link-local, reserved and multicast addresses are refused unless a network in
  `ingest.allow_networks` contains them (agency-supplied URLs must not reach the intranet;
  tests allow 127.0.0.0/8 explicitly). The check runs on each request, redirects included;
  the connection resolves the name again, so a rebinding DNS server could still race it:
  deployments that need more pin egress at the network level;
- at most `max_redirects` redirects (a loop is an error), a total deadline of `timeout_s`
  (a server trickling bytes cannot hold a source), at most `max_bytes` read (a huge body is
  an error, never buffered whole);
- per host: at most `per_host_concurrency` requests at once and `per_host_interval_s`
  between request starts (politeness); across hosts: `max_concurrency` at once;
- 429 and 5xx raise FetchError carrying the server's Retry-After, and the host is left
  alone for that long: requests of every source to it fail at once, without a connection;
  other non-2xx/304 raise FetchError naming the status. Nothing here retries: the
  scheduler decides when.
"""

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from schemas.config import IngestSettings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class FetchError(Exception):
    """Why a request failed, for the source to wrap; `retry_after_s` from the server."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class _Refused(httpx.RequestError):
    pass


@dataclass(frozen=True)
class Response:
    status: int
    headers: httpx.Headers
    body: bytes
    url: str

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def is_public(address: Address) -> bool:
    return address.is_global and not address.is_multicast


class _HostGate:
    def __init__(self, concurrency: int, interval_s: float) -> None:
        self.semaphore = asyncio.Semaphore(concurrency)
        self.interval_s = interval_s
        self.next_start = 0.0

    async def wait_turn(self) -> None:
        if self.interval_s <= 0:
            return
        now = time.monotonic()
        start = max(now, self.next_start)
        self.next_start = start + self.interval_s
        if start > now:
            await asyncio.sleep(start - now)


class SafeClient:
    def __init__(
        self,
        settings: IngestSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        host_blocks: dict[str, float] | None = None,
    ) -> None:
        """`host_blocks` (host → monotonic time): Retry-After holds, shared across clients."""
        self._settings = settings
        self._blocks = {} if host_blocks is None else host_blocks
        self._allowed: list[Network] = [
            ipaddress.ip_network(n, strict=False) for n in settings.allow_networks
        ]
        self._gates: dict[str, _HostGate] = {}
        self._global = asyncio.Semaphore(settings.max_concurrency)
        self._resolved: dict[tuple[str, int], tuple[float, list[Address]]] = {}
        self._client = httpx.AsyncClient(
            follow_redirects=True,
            max_redirects=settings.max_redirects,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            event_hooks={"request": [self._guard]},
            limits=httpx.Limits(max_connections=settings.max_concurrency),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _addresses(self, host: str, port: int) -> list[Address]:
        try:
            return [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            pass
        cached = self._resolved.get((host, port))
        if cached and cached[0] > time.monotonic():
            return cached[1]
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        self._resolved[(host, port)] = (time.monotonic() + 60.0, addresses)
        return addresses

    async def _guard(self, request: httpx.Request) -> None:
        host, port = (
            request.url.host,
            request.url.port or (443 if request.url.scheme == "https" else 80),
        )
        if request.url.scheme not in ("http", "https"):
            raise _Refused(f"scheme {request.url.scheme!r} refused", request=request)
        if not 0 < port < 65536:  # httpx lets it through; the socket raises OverflowError
            raise _Refused(f"invalid URL {str(request.url)!r}: port {port}", request=request)
        try:
            addresses = await self._addresses(host, port)
        except OSError as exc:
            raise _Refused(f"cannot resolve {host}: {exc}", request=request) from None
        for address in addresses:
            if not is_public(address) and not any(address in net for net in self._allowed):
                raise _Refused(
                    f"{host} resolves to non-public address {address} "
                    "(refused; allow it in ingest.allow_networks)",
                    request=request,
                )

    def _gate(self, url: str) -> _HostGate:
        host = urlsplit(url).netloc.lower()
        gate = self._gates.get(host)
        if gate is None:
            gate = _HostGate(
                self._settings.per_host_concurrency, self._settings.per_host_interval_s
            )
            self._gates[host] = gate
        return gate

    async def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        timeout_s: float,
        max_bytes: int,
    ) -> Response:
        """GET within the contract above; FetchError says what went wrong."""
        return await self.request(
            "GET", url, headers=headers, params=params, timeout_s=timeout_s, max_bytes=max_bytes
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        timeout_s: float,
        max_bytes: int,
    ) -> Response:
        try:
            host = urlsplit(url).netloc.lower()
        except ValueError as exc:  # e.g. "http://[::1": a feed's link, a page's href
            raise FetchError(f"invalid URL {url!r}: {exc}") from None
        gate = self._gate(url)
        async with self._global, gate.semaphore:
            blocked_s = self._blocks.get(host, 0.0) - time.monotonic()
            if blocked_s > 0:
                raise FetchError(
                    f"host asked to wait (Retry-After): {blocked_s:.0f} s left", blocked_s
                )
            await gate.wait_turn()
            try:
                async with asyncio.timeout(timeout_s):
                    return await self._send(
                        method, url, headers, params, data, timeout_s, max_bytes
                    )
            except FetchError as exc:
                if exc.retry_after_s:
                    until = time.monotonic() + exc.retry_after_s
                    self._blocks[host] = max(self._blocks.get(host, 0.0), until)
                raise
            except TimeoutError:
                raise FetchError(f"timed out after {timeout_s:g} s") from None
            except httpx.TooManyRedirects:
                raise FetchError(
                    f"too many redirects (more than {self._settings.max_redirects}: a loop?)"
                ) from None
            except _Refused as exc:
                raise FetchError(str(exc)) from None
            except httpx.InvalidURL as exc:  # not an HTTPError: control characters, bad port
                raise FetchError(f"invalid URL {url!r}: {exc}") from None
            except httpx.TimeoutException:
                raise FetchError(f"timed out after {timeout_s:g} s") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{type(exc).__name__}: {exc}") from None

    async def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None,
        params: dict[str, Any] | None,
        data: dict[str, str] | None,
        timeout_s: float,
        max_bytes: int,
    ) -> Response:
        async with self._client.stream(
            method, url, headers=headers, params=params, data=data, timeout=timeout_s
        ) as response:
            status = response.status_code
            if status == 429 or status >= 500:
                wait = retry_after_s(response.headers.get("Retry-After"))
                hint = f", retry after {wait:g} s" if wait is not None else ""
                raise FetchError(f"HTTP {status}{hint}", wait)
            if status != 304 and not 200 <= status < 300:
                raise FetchError(f"HTTP {status}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"body of {int(declared)} B exceeds the {max_bytes} B cap")
            body = bytearray()
            async for chunk in response.aiter_raw():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchError(f"body exceeds the {max_bytes} B cap (stopped reading)")
            if response.headers.get("Content-Encoding", "identity") not in ("identity", ""):
                body = bytearray(_decode(response, bytes(body), max_bytes))
            return Response(status, response.headers, bytes(body), str(response.url))


def _decode(response: httpx.Response, raw: bytes, max_bytes: int) -> bytes:
    """Content-Encoding decoded with the same cap (a gzip bomb stops at max_bytes)."""
    import zlib

    encoding = response.headers.get("Content-Encoding", "").lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
        decompressor = zlib.decompressobj(wbits)
        out = decompressor.decompress(raw, max_bytes + 1)
        if len(out) > max_bytes or decompressor.unconsumed_tail:
            raise FetchError(f"decompressed body exceeds the {max_bytes} B cap")
        return out
    raise FetchError(f"unsupported Content-Encoding {encoding!r}")
