"""WebSub (W3C): let a feed's hub push its updates instead of waiting for the next poll.

A feed that advertises a hub (`<link rel="hub">`, `<atom:link rel="hub">` or an HTTP `Link`
header) is subscribed through it when `newsbot serve` has a public callback URL
(`websub.callback_url`). Each subscription has its own callback path (/websub/<token>) and its
own secret, so a push is only believed when its HMAC signature (X-Hub-Signature) is right and
it names the subscribed topic. The hub's challenge is answered only for a subscription we asked
for; it is renewed before the lease ends; a confirmed feed is still polled, rarely
(`websub.poll_interval_seconds`), as a safety net. A hub that never confirms, denies, or stops
renewing leaves the feed polled as before.

A signed push goes through the same pipeline as a poll (`Pipeline.run_cycle` with the pushed
document in place of a fetch), so it alerts at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp import web

from bot.errors import NewsbotError
from bot.ingest.fetch import AddressGuard, FetchResult, GuardedResolver
from bot.ports import TimeSource
from bot.settings import Settings
from bot.store.db import Store
from bot.store.rows import FeedRow, WebSubRow

log = logging.getLogger(__name__)

HEAD_BYTES = 256 * 1024  # hub links sit in the channel head, before the items
RETRY = timedelta(hours=6)  # after a hub refused or never confirmed, ask again this much later
_DIGESTS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


@dataclass(frozen=True, slots=True)
class HubLinks:
    hub: str
    topic: str  # the feed's own URL as it names it (rel="self"), else the URL we fetch


class _HeadLinks(HTMLParser):
    """`<link rel=… href=…>` and `<atom:link …>` of a feed's head; stops at the first item."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = tag.lower().rsplit(":", 1)[-1]
        if name in ("item", "entry"):
            self.done = True
        if self.done or name != "link":
            return
        values = {key.lower(): value or "" for key, value in attrs}
        if values.get("href"):
            for rel in values.get("rel", "").lower().split():
                self.links.append((rel, values["href"].strip()))

    handle_startendtag = handle_starttag


def _header_links(value: str | None) -> list[tuple[str, str]]:
    """(rel, url) pairs of an HTTP Link header: `<https://hub>; rel="hub", <https://self>; rel=self`."""
    found: list[tuple[str, str]] = []
    for part in (value or "").split(","):
        target, _, params = part.strip().partition(">")
        if not target.startswith("<"):
            continue
        for param in params.split(";"):
            key, _, rel = param.strip().partition("=")
            if key.strip().lower() == "rel":
                found.extend((r, target[1:].strip()) for r in rel.strip().strip('"').lower().split())
    return found


def discover(body: bytes | None, link_header: str | None, feed_url: str) -> HubLinks | None:
    """The hub a feed advertises, and its topic URL; None when it names no http(s) hub."""
    links = _header_links(link_header)
    if body:
        parser = _HeadLinks()
        with contextlib.suppress(ValueError, AssertionError):  # broken: what was read counts
            parser.feed(body[:HEAD_BYTES].decode("utf-8", errors="replace"))
        links += parser.links
    hub = next((url for rel, url in links if rel == "hub"), None)
    if hub is None:
        return None
    hub = urljoin(feed_url, hub)
    if urlsplit(hub).scheme.lower() not in ("http", "https"):
        return None
    topic = next((urljoin(feed_url, url) for rel, url in links if rel == "self"), feed_url)
    return HubLinks(hub=hub[:2048], topic=topic[:2048])


def signature_ok(header: str | None, secret: str, body: bytes) -> bool:
    """Whether X-Hub-Signature (`sha256=<hex>`, or sha1/sha384/sha512) signs `body` with `secret`."""
    method, _, given = (header or "").strip().partition("=")
    digest = _DIGESTS.get(method.strip().lower())
    if digest is None or not given:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


Ingest = Callable[[FeedRow, FetchResult, datetime], Coroutine[Any, Any, None]]


class WebSub:
    """Subscribes, renews and receives pushes; `routes()` go on the `serve` web app."""

    def __init__(self, settings: Settings, store: Store, ingest: Ingest, clock: TimeSource) -> None:
        if not settings.websub.callback_url:
            raise NewsbotError("WebSub needs websub.callback_url, the public URL of `newsbot serve`")
        self.settings = settings
        self.config = settings.websub
        self.store = store
        self.ingest = ingest
        self.clock = clock
        self._guard = AddressGuard(settings.fetch.allow_private_hosts)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.Task[None] | None = None
        self._pushes: set[asyncio.Task[None]] = set()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=GuardedResolver(self._guard)),
            timeout=aiohttp.ClientTimeout(total=self.settings.fetch.timeout_seconds),
            headers={"User-Agent": self.settings.fetch.user_agent},
            trust_env=False,
        )
        self._loop = asyncio.create_task(self._maintain_forever())

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
        if self._pushes:
            await asyncio.wait(self._pushes, timeout=30)
        if self._session is not None:
            await self._session.close()

    async def _maintain_forever(self) -> None:
        while True:
            try:
                await self.maintain(self.clock.now())
            except NewsbotError as exc:
                log.error("WebSub upkeep failed: %s", exc)
            except Exception:
                log.exception("WebSub upkeep failed unexpectedly; trying again at the next tick")
            await asyncio.sleep(self.settings.schedule.tick_seconds)

    # -- subscribing --------------------------------------------------------------------------

    def callback(self, token: str) -> str:
        assert self.config.callback_url is not None
        return f"{self.config.callback_url.rstrip('/')}/websub/{token}"

    async def maintain(self, now: datetime) -> None:
        """Subscribe feeds that advertise a hub, renew leases that end soon, give up on hubs
        that never confirmed (the feed is polled as before) and ask them again later."""
        renew = timedelta(seconds=self.config.renew_before_seconds)
        confirm = timedelta(seconds=self.config.confirm_timeout_seconds)
        rows = {row.feed_id: row for row in self.store.websub_rows()}
        for feed in self.store.list_feeds():
            if not (feed.hub_url and feed.topic_url and feed.enabled and feed.status != "paused"):
                continue
            row = rows.get(feed.id)
            if row is None or (row.hub_url, row.topic_url) != (feed.hub_url, feed.topic_url):
                await self._subscribe(feed, None, now)
            elif row.state == "verified" and row.lease_until is not None and row.lease_until <= now:
                # the renewal was never confirmed: no push is coming, the feed's own schedule again
                log.warning(
                    "WebSub: the lease of %s at %s ended without a confirmed renewal; "
                    "the feed is polled as before",
                    row.topic_url,
                    row.hub_url,
                )
                self._fall_back(feed, "the lease ended unrenewed", "unconfirmed", now)
            elif (
                row.state == "verified"
                and row.lease_until is not None
                and row.lease_until - renew <= now
                # one renewal request at a time: again only once the last one went unconfirmed
                and (
                    row.verified_at is None
                    or row.requested_at <= row.verified_at
                    or row.requested_at + confirm <= now
                )
            ):
                await self._subscribe(feed, row, now)
            elif row.state == "requested" and row.requested_at + confirm <= now:
                log.warning(
                    "WebSub: hub %s did not confirm the subscription to %s within %.0f s; "
                    "the feed is polled as before",
                    row.hub_url,
                    row.topic_url,
                    confirm.total_seconds(),
                )
                self._fall_back(feed, "the hub did not confirm", "unconfirmed", now)
            elif row.state != "requested" and row.state != "verified" and row.requested_at + RETRY <= now:
                await self._subscribe(feed, None, now)

    async def _subscribe(self, feed: FeedRow, renewing: WebSubRow | None, now: datetime) -> None:
        """Ask the hub for a subscription (a renewal keeps the callback and secret)."""
        assert self._session is not None and feed.hub_url and feed.topic_url
        existing = renewing or self.store.websub_of(feed_id=feed.id)
        token = existing.token if existing else secrets.token_urlsafe(24)
        secret = renewing.secret if renewing else secrets.token_hex(32)
        self.store.save_websub(
            feed.id,
            token=token,
            hub_url=feed.hub_url,
            topic_url=feed.topic_url,
            secret=secret,
            state="verified" if renewing else "requested",
            requested_at=now,
            last_error=None,
        )
        form = {
            "hub.mode": "subscribe",
            "hub.topic": feed.topic_url,
            "hub.callback": self.callback(token),
            "hub.secret": secret,
            "hub.lease_seconds": str(self.config.lease_seconds),
        }
        try:
            host = urlsplit(feed.hub_url).hostname or ""
            self._guard.check_literal(host)
            async with self._session.post(feed.hub_url, data=form, allow_redirects=False) as response:
                if response.status >= 300:
                    detail = (await response.text())[:200]
                    raise NewsbotError(f"HTTP {response.status} {detail}".strip())
        except (NewsbotError, aiohttp.ClientError, OSError, TimeoutError, Exception) as exc:
            reason = str(exc) or type(exc).__name__
            log.warning(
                "WebSub: hub %s refused the subscription to %s (%s); the feed is polled as before",
                feed.hub_url,
                feed.topic_url,
                reason,
            )
            self._fall_back(feed, f"subscription request failed: {reason}", "unconfirmed", now)
            return
        log.info(
            "WebSub: asked %s to push %s (%s)", feed.hub_url, feed.topic_url, "renewal" if renewing else "new"
        )

    def _fall_back(self, feed: FeedRow, reason: str, state: str, now: datetime) -> None:
        """No push for this feed: back to its own schedule at once (not the safety-net interval)."""
        self.store.save_websub(feed.id, state=state, last_error=reason)
        if feed.next_poll_at is None or feed.next_poll_at > now + timedelta(
            seconds=self.settings.schedule.max_interval_seconds
        ):
            self.store.set_feed_state(feed.id, next_poll_at=now)

    # -- the callback ---------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/websub/{token}", self._verify), web.post("/websub/{token}", self._push)]

    async def _verify(self, request: web.Request) -> web.StreamResponse:
        """The hub's check that we asked: echo the challenge for a subscription we requested."""
        now = self.clock.now()
        row = self.store.websub_of(token=request.match_info["token"])
        mode = request.query.get("hub.mode", "")
        topic = request.query.get("hub.topic", "")
        if row is None or topic != row.topic_url:
            log.warning("WebSub: %s for unknown subscription or topic %r refused", mode or "request", topic)
            return web.Response(status=404, text="no such subscription")
        if mode == "denied":
            reason = request.query.get("hub.reason", "no reason given")
            log.warning("WebSub: hub %s denied the subscription to %s: %s", row.hub_url, topic, reason)
            feed = self.store.get_feed(row.feed_id)
            if feed is not None:
                self._fall_back(feed, f"denied: {reason}", "denied", now)
            return web.Response(text="ok")
        challenge = request.query.get("hub.challenge", "")
        if mode != "subscribe" or not challenge or row.state not in ("requested", "verified"):
            log.warning("WebSub: unexpected %r for %s refused", mode, topic)
            return web.Response(status=404, text="not requested")
        try:
            lease = int(request.query.get("hub.lease_seconds") or self.config.lease_seconds)
        except ValueError:
            lease = self.config.lease_seconds
        self.store.save_websub(
            row.feed_id,
            state="verified",
            verified_at=now,
            lease_until=now + timedelta(seconds=max(lease, 0)),
            last_error=None,
        )
        log.info("WebSub: %s confirmed pushing %s for %d s", row.hub_url, topic, lease)
        return web.Response(text=challenge, content_type="text/plain")

    async def _push(self, request: web.Request) -> web.StreamResponse:
        """Content distribution: believed only when signed with the subscription's secret and
        naming its topic; then ingested like a poll, after the hub has its answer."""
        row = self.store.websub_of(token=request.match_info["token"])
        if row is None:
            return web.Response(status=410, text="no such subscription")
        body = await request.read()
        topics = [
            url for rel, url in _header_links(",".join(request.headers.getall("Link", []))) if rel == "self"
        ]
        if not signature_ok(request.headers.get("X-Hub-Signature"), row.secret, body):
            what = "a wrong" if request.headers.get("X-Hub-Signature") else "no"
            log.warning("WebSub: push for %s with %s signature ignored", row.topic_url, what)
        elif topics and row.topic_url not in topics:
            log.warning(
                "WebSub: push for %s names another topic (%s); ignored", row.topic_url, ", ".join(topics)
            )
        elif row.state != "verified":
            log.warning("WebSub: push for %s before the hub confirmed; ignored", row.topic_url)
        else:
            feed = self.store.get_feed(row.feed_id)
            if feed is not None:
                pushed = FetchResult(
                    url=feed.url,
                    status=200,
                    body=body,
                    etag=feed.etag,  # the next conditional poll still asks about what it last fetched
                    last_modified=feed.last_modified,
                    content_type=request.headers.get("Content-Type"),
                    permanent_url=None,
                    cache_seconds=None,
                    links=",".join(request.headers.getall("Link", [])) or None,  # its hub and self
                )
                task = asyncio.create_task(self.ingest(feed, pushed, self.clock.now()))
                self._pushes.add(task)
                task.add_done_callback(self._pushes.discard)
        return web.Response(status=202, text="accepted")  # a hub gets 2xx whatever we made of it


__all__ = ["HubLinks", "WebSub", "discover", "signature_ok"]
