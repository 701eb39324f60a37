"""WebSub's upkeep and bad input, in process: a hub that never confirms leaves the feed polled
as before; hub discovery from the document and the Link header; HMAC signatures."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.ingest.fetch import FetchResult
from bot.ingest.websub import HubLinks, WebSub, discover, signature_ok
from bot.settings import Settings
from bot.store.db import Store
from bot.store.rows import FeedRow
from tests.websub_hub import Hub

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


async def _never(feed: FeedRow, pushed: FetchResult, now: datetime) -> None:
    raise AssertionError("no push is expected")


def test_a_hub_that_never_confirms_leaves_the_feed_polled_as_before(
    sqlite_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        hub = Hub(confirm=False)
        await hub.start()
        config = Settings(
            data_dir=tmp_path,
            fetch={"allow_private_hosts": ["127.0.0.1"]},
            websub={"callback_url": "https://bot.example/", "confirm_timeout_seconds": 600},
        )
        feed, _ = sqlite_store.add_feed("https://news.example/feed.xml", None, START)
        sqlite_store.set_feed_state(
            feed.id, hub_url=hub.url, topic_url=feed.url, next_poll_at=START + timedelta(minutes=5)
        )
        websub = WebSub(config, sqlite_store, _never, Clock(START))
        await websub.start()
        try:
            await websub.maintain(START)
            assert len(hub.requests) == 1
            assert not sqlite_store.websub_pushing(feed.id, START)
            await websub.maintain(START + timedelta(minutes=5))  # still waiting: no second request
            assert len(hub.requests) == 1
            caplog.set_level(logging.WARNING, logger="bot.ingest.websub")
            later = START + timedelta(minutes=11)
            await websub.maintain(later)
            row = sqlite_store.websub_of(feed_id=feed.id)
            assert row is not None and row.state == "unconfirmed"
            assert not sqlite_store.websub_pushing(feed.id, later)
            (polled,) = sqlite_store.list_feeds()
            assert polled.next_poll_at == START + timedelta(minutes=5)  # its own schedule, untouched
            assert any(
                "did not confirm" in r.getMessage() and feed.url in r.getMessage() for r in caplog.records
            )
            # and it asks again, hours later
            await websub.maintain(later + timedelta(hours=7))
            assert len(hub.requests) == 2
        finally:
            await websub.stop()
            await hub.stop()

    asyncio.run(scenario())


def test_a_renewal_the_hub_never_confirms_is_asked_once_per_timeout_then_given_up(
    sqlite_store: Store, tmp_path: Path
) -> None:
    async def scenario() -> None:
        hub = Hub(confirm=False)
        await hub.start()
        config = Settings(
            data_dir=tmp_path,
            fetch={"allow_private_hosts": ["127.0.0.1"]},
            websub={
                "callback_url": "https://bot.example/",
                "confirm_timeout_seconds": 600,
                "renew_before_seconds": 3600,
            },
        )
        feed, _ = sqlite_store.add_feed("https://news.example/feed.xml", None, START)
        sqlite_store.set_feed_state(feed.id, hub_url=hub.url, topic_url=feed.url)
        lease_end = START + timedelta(minutes=50)
        sqlite_store.save_websub(
            feed.id,
            token="t",
            hub_url=hub.url,
            topic_url=feed.url,
            secret="s",
            state="verified",
            requested_at=START - timedelta(days=9),
            verified_at=START - timedelta(days=9),
            lease_until=lease_end,
            last_error=None,
        )
        websub = WebSub(config, sqlite_store, _never, Clock(START))
        await websub.start()
        try:
            for minutes in range(0, 50, 1):  # a tick a minute until the lease ends
                await websub.maintain(START + timedelta(minutes=minutes))
            assert len(hub.requests) == 5  # every ten minutes, not every tick
            await websub.maintain(lease_end + timedelta(seconds=1))
            row = sqlite_store.websub_of(feed_id=feed.id)
            assert row is not None and row.state == "unconfirmed"
            assert not sqlite_store.websub_pushing(feed.id, lease_end + timedelta(seconds=1))
        finally:
            await websub.stop()
            await hub.stop()

    asyncio.run(scenario())


def test_hubs_are_found_in_the_document_and_in_the_link_header() -> None:
    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        b'<link rel="self" href="https://news.example/atom.xml"/><link rel="hub" href="https://hub.example/"/>'
        b'<entry><link rel="hub" href="https://wrong.example/"/></entry></feed>'
    )
    assert discover(atom, None, "https://cdn.example/atom.xml") == HubLinks(
        "https://hub.example/", "https://news.example/atom.xml"
    )
    rss = (
        b'<rss xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        b'<atom:link rel="hub" href="/hub"/></channel></rss>'
    )
    assert discover(rss, None, "https://news.example/rss") == HubLinks(
        "https://news.example/hub", "https://news.example/rss"
    )
    header = '<https://hub.example/ws>; rel="hub", <https://news.example/self>; rel=self'
    assert discover(b"<rss/>", header, "https://news.example/rss") == HubLinks(
        "https://hub.example/ws", "https://news.example/self"
    )
    assert (
        discover(b"<rss><channel><title>no hub</title></channel></rss>", None, "https://x.example/") is None
    )
    assert (
        discover(b'<rss><atom:link rel="hub" href="javascript:alert(1)"/></rss>', None, "https://x/") is None
    )
    assert discover(b"\xff\xfe<<<not xml", None, "https://x.example/") is None


def test_only_the_right_secret_signs_a_push() -> None:
    body = b"<rss/>"
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert signature_ok(good, "s3cret", body)
    assert signature_ok("sha1=" + hmac.new(b"s3cret", body, hashlib.sha1).hexdigest(), "s3cret", body)
    assert not signature_ok(good, "other", body)
    assert not signature_ok(good, "s3cret", body + b" ")
    assert not signature_ok(None, "s3cret", body)
    assert not signature_ok("md5=" + hashlib.md5(body).hexdigest(), "s3cret", body)
    assert not signature_ok("sha256=", "s3cret", body)
