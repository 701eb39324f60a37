"""Polite, bounded HTTP fetching of feeds and pages.

One `Fetcher` owns one aiohttp session. Every fetch:

- sends a User-Agent naming the bot, `Accept-Encoding: gzip, deflate, br` and, when given,
  `If-None-Match` / `If-Modified-Since` (a 304 comes back as a result without a body);
- follows at most `max_redirects` redirects itself, checking the scheme and the address of
  every hop, and reports a chain of permanent redirects (301/308) so the caller can update
  the stored URL;
- refuses hosts that are or resolve to loopback, private, link-local, multicast, reserved or
  unspecified addresses (checked on every new connection by the resolver, so a name that
  re-resolves to 127.0.0.1 later is refused too), unless the policy's allow-list names them;
- decompresses the body itself and counts the *decompressed* bytes, so a gzip bomb is cut off
  at `max_bytes` with a small, bounded amount of memory;
- runs under one total time cap covering connect, redirects and body;
- reports `Retry-After`, `Cache-Control: max-age` and `Expires` so the scheduler can honour them;
- waits its turn per host: at most `host_requests_per_minute` requests to one host (all its
  feeds and pages together), spread with jitter, except the hosts in `unlimited_hosts` (your own
  servers, named in the private allow-list).

Failures raise `bot.errors.FetchError` with a one-line message naming the URL and a short
machine-readable `kind`.
"""

from __future__ import annotations

import asyncio
import random
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import aiohttp
import brotli

from bot.errors import FetchError
from bot.ingest.address_guard import AddressGuard, AddressRefused, GuardedResolver
from bot.ingest.schedule import HostLimiter

DEFAULT_USER_AGENT = "newsbot/0.1 (+https://github.com/newsbot/newsbot)"
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.5, */*;q=0.3"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_CHUNK = 64 * 1024
_SKIP_HEADERS = frozenset({aiohttp.hdrs.ACCEPT_ENCODING})


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how defensively to fetch."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout_seconds: float = 30.0  # total: connect, every redirect hop and the whole body
    max_bytes: int = 10_000_000  # decompressed body size cap
    max_redirects: int = 5
    allow_private_hosts: tuple[str, ...] = ()  # host names, IPs or CIDRs exempt from the address guard
    concurrency: int = 64  # connections overall
    per_host: int = 8  # connections per host
    host_requests_per_minute: float | None = None  # requests to one host per minute; None: no limit
    unlimited_hosts: tuple[str, ...] = ()  # hosts exempt from that limit (your own servers)


@dataclass(frozen=True)
class FetchResult:
    url: str  # the final URL, after redirects
    status: int  # 200 (any 2xx) or 304
    body: bytes | None  # None on 304
    etag: str | None
    last_modified: str | None
    content_type: str | None
    permanent_url: str | None  # set when a chain of permanent redirects (301/308) moved the resource
    cache_seconds: float | None  # max-age, else Expires minus Date (and at least Retry-After when sent)
    links: str | None = None  # the HTTP Link header(s): where a feed may name its WebSub hub


class _TooLarge(Exception):
    pass


class _Decoder:
    """Streaming Content-Encoding decoder that never produces more than `limit` bytes in total."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding = encoding
        self.limit = limit
        self.produced = 0
        self._zlib: zlib._Decompress | None = None
        self._brotli: brotli.Decompressor | None = None
        self._raw_deflate_tried = False
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        elif encoding == "br":
            self._brotli = brotli.Decompressor()

    def _count(self, out: bytes) -> bytes:
        self.produced += len(out)
        if self.produced > self.limit:
            raise _TooLarge
        return out

    def feed(self, data: bytes) -> list[bytes]:
        if self._zlib is not None:
            return self._feed_zlib(data)
        if self._brotli is not None:
            return self._feed_brotli(data)
        return [self._count(data)]

    def _feed_zlib(self, data: bytes) -> list[bytes]:
        assert self._zlib is not None
        parts: list[bytes] = []
        while data:
            room = self.limit - self.produced + 1  # one byte more than allowed tells us it is too large
            try:
                out = self._zlib.decompress(data, room)
            except zlib.error:
                if self.encoding == "deflate" and not self._raw_deflate_tried and self.produced == 0:
                    # Some servers send raw deflate without the zlib header.
                    self._raw_deflate_tried = True
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise
            parts.append(self._count(out))
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:
                break
        return parts

    def _feed_brotli(self, data: bytes) -> list[bytes]:
        assert self._brotli is not None
        parts: list[bytes] = []
        room = self.limit - self.produced + 1
        parts.append(self._count(self._brotli.process(data, output_buffer_limit=room)))
        while not self._brotli.can_accept_more_data():
            room = self.limit - self.produced + 1
            parts.append(self._count(self._brotli.process(b"", output_buffer_limit=room)))
        return parts

    def finish(self) -> list[bytes]:
        if self._zlib is not None and not self._zlib.eof:
            return [self._count(self._zlib.flush())]
        return []


def _parse_retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - _server_now(headers))


def _server_now(headers: Mapping[str, str]) -> float:
    """The server's clock (its Date header), for the dates it sends; read only when one is used."""
    date = headers.get("Date")
    if date:
        try:
            return parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError):
            pass
    return time.time()


def _cache_seconds(headers: Mapping[str, str]) -> float | None:
    """max-age from Cache-Control, else Expires minus the server's Date; None when neither is usable."""
    cache_control = headers.get("Cache-Control")
    if cache_control:
        for directive in cache_control.split(","):
            name, _, arg = directive.strip().partition("=")
            if name.strip().lower() == "max-age":
                try:
                    return max(0.0, float(arg.strip().strip('"')))
                except ValueError:
                    break
    expires = headers.get("Expires")
    if expires and expires.strip():
        try:
            when = parsedate_to_datetime(expires.strip())
        except (TypeError, ValueError, IndexError):
            return 0.0  # "Expires: 0" and other invalid dates mean "already expired"
        return max(0.0, when.timestamp() - _server_now(headers))
    return None


def _host_of(url: str) -> str:
    """The URL's host name as the limits count it ("" for what is not a URL: `_fetch` reports it)."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def _reason(status: int, reason: str | None) -> str:
    return f"HTTP {status} {reason}".rstrip() if reason else f"HTTP {status}"


class Fetcher:
    """Fetches URLs under a `FetchPolicy`; use as `async with Fetcher(policy) as fetcher`."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self._guard = AddressGuard(policy.allow_private_hosts)
        self._session: aiohttp.ClientSession | None = None
        rate = policy.host_requests_per_minute
        self._limiter = HostLimiter(rate, random.Random()) if rate else None
        self._unlimited = {host.strip().lower().rstrip(".") for host in policy.unlimited_hosts}
        # connection slots taken before a request starts, so that its time cap counts from its turn
        # (10,000 feeds of one host must not time out waiting in the connection pool) and a cycle's
        # waiting polls hold no request state
        self._slots = asyncio.Semaphore(policy.concurrency)
        self._host_slots: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        connector = aiohttp.TCPConnector(
            limit=self.policy.concurrency,
            limit_per_host=self.policy.per_host,
            resolver=GuardedResolver(self._guard),
            ttl_dns_cache=60,
            enable_cleanup_closed=False,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            skip_auto_headers=_SKIP_HEADERS,
            headers={
                "User-Agent": self.policy.user_agent,
                "Accept": _ACCEPT,
                "Accept-Encoding": "gzip, deflate, br",
            },
            timeout=aiohttp.ClientTimeout(total=None),
            trust_env=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET `url` (conditionally when `etag`/`last_modified` are given) under the policy's caps."""
        if self._session is None:
            raise RuntimeError("Fetcher used outside `async with`")
        host = _host_of(url)
        await self._wait_turn(host)
        try:
            async with self._host_slot(host), self._slots, asyncio.timeout(self.policy.timeout_seconds):
                return await self._fetch(url, etag, last_modified)
        except FetchError:
            raise
        except TimeoutError:
            raise FetchError(
                f"{url}: no complete answer within {self.policy.timeout_seconds:g} s", kind="timeout"
            ) from None
        except AddressRefused as exc:
            raise FetchError(
                f"{url}: refused, {exc} (add it to the allow-list to fetch it)", kind="private_address"
            ) from None
        except aiohttp.ClientConnectorDNSError as exc:
            raise FetchError(f"{url}: host name not found ({exc.os_error})", kind="dns") from None
        except aiohttp.InvalidURL as exc:
            raise FetchError(f"{url}: not a valid URL ({exc})", kind="bad_url") from None
        except (aiohttp.ClientError, OSError, zlib.error, brotli.error) as exc:
            detail = str(exc) or type(exc).__name__
            raise FetchError(f"{url}: connection failed ({detail})", kind="connection") from None

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        """The host's connection slots (`per_host` of them), one set per host this fetcher has seen."""
        slots = self._host_slots.get(host)
        if slots is None:
            slots = self._host_slots[host] = asyncio.Semaphore(self.policy.per_host)
        return slots

    async def _wait_turn(self, host: str) -> None:
        """Sleep until this request's slot in its host's per-minute budget (outside the time cap)."""
        if self._limiter is None:
            return
        if host and host not in self._unlimited:
            wait = self._limiter.reserve(host, time.monotonic())
            if wait > 0:
                await asyncio.sleep(wait)

    async def _fetch(self, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        assert self._session is not None
        policy = self.policy
        current = url
        permanent_url: str | None = None
        all_permanent = True
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        redirects = 0
        while True:
            self._guard.check_literal(self._check_url(current, url))
            async with self._session.get(current, headers=headers, allow_redirects=False) as resp:
                status = resp.status
                if status in _REDIRECTS:
                    location = resp.headers.get("Location")
                    if not location:
                        raise FetchError(
                            f"{current}: HTTP {status} without a Location", kind=f"http_{status}"
                        )
                    redirects += 1
                    if redirects > policy.max_redirects:
                        raise FetchError(
                            f"{url}: more than {policy.max_redirects} redirects (last to {location})",
                            kind="redirect_limit",
                        )
                    target = urljoin(current, location)
                    if all_permanent and status in _PERMANENT:
                        permanent_url = target
                    else:
                        all_permanent = False
                    current = target
                    continue
                headers_in = resp.headers
                retry_after = _parse_retry_after(headers_in)
                if status == 429:
                    wait = f", retry after {retry_after:g} s" if retry_after is not None else ""
                    raise FetchError(
                        f"{current}: {_reason(status, resp.reason)} (rate limited{wait})",
                        kind="rate_limited",
                        retry_after=retry_after,
                    )
                if status != 304 and not 200 <= status < 300:
                    raise FetchError(
                        f"{current}: {_reason(status, resp.reason)}",
                        kind=f"http_{status}",
                        retry_after=retry_after,
                    )
                cache = _cache_seconds(headers_in)
                if retry_after is not None:
                    cache = retry_after if cache is None else max(cache, retry_after)
                body = None if status == 304 else await self._read_body(resp, current)
                return FetchResult(
                    url=current,
                    status=304 if status == 304 else 200,
                    body=body,
                    etag=headers_in.get("ETag"),
                    last_modified=headers_in.get("Last-Modified"),
                    content_type=headers_in.get("Content-Type"),
                    permanent_url=permanent_url if permanent_url != url else None,
                    cache_seconds=cache,
                    links=", ".join(headers_in.getall("Link", [])) or None,
                )

    def _check_url(self, current: str, original: str) -> str:
        """The host of `current`, after checking that it is an http(s) URL with a host."""
        try:
            parts = urlsplit(current)
        except ValueError as exc:
            raise FetchError(f"{current}: not a valid URL ({exc})", kind="bad_url") from None
        if parts.scheme.lower() not in ("http", "https"):
            via = "" if current == original else f" (redirected from {original})"
            raise FetchError(f"{current}: only http and https URLs are fetched{via}", kind="bad_scheme")
        host = parts.hostname
        if not host:
            raise FetchError(f"{current}: the URL names no host", kind="bad_url")
        return host

    async def _read_body(self, resp: aiohttp.ClientResponse, url: str) -> bytes:
        limit = self.policy.max_bytes
        encoding = (resp.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding not in ("identity", "gzip", "x-gzip", "deflate", "br", ""):
            raise FetchError(f"{url}: unsupported Content-Encoding {encoding!r}", kind="bad_response")
        length = resp.content_length
        if encoding in ("identity", "") and length is not None and length > limit:
            resp.close()
            raise FetchError(
                f"{url}: body of {length:,} bytes exceeds the cap of {limit:,} bytes", kind="too_large"
            )
        decoder = _Decoder(encoding, limit)
        body = bytearray()
        try:
            async for chunk in resp.content.iter_chunked(_CHUNK):
                for part in decoder.feed(chunk):
                    body += part
            for part in decoder.finish():
                body += part
        except _TooLarge:
            resp.close()  # do not read (or reuse) the rest of the connection
            raise FetchError(
                f"{url}: body exceeds the cap of {limit:,} bytes (decompressed), cut off", kind="too_large"
            ) from None
        return bytes(body)


__all__ = ["AddressGuard", "FetchPolicy", "FetchResult", "Fetcher", "GuardedResolver"]
