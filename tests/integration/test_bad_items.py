"""One unusable item costs only itself, and one huge feed gives a poll only its newest items."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.ingest.fetch import Fetcher
from bot.ingest.parse import parse_feed
from bot.pipeline import Pipeline
from bot.runtime import fetch_policy, parse_pool
from bot.settings import Settings
from bot.store.db import Store
from tests.feedserver import feed_server

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

# what the audit sent: a title with a lone surrogate, a port out of range, an unclosed IPv6 host
BAD_ITEMS = {
    "surrogate title": "<item><title>Bad &#xd800; title</title><link>https://example.org/bad</link>"
    "<guid>bad-1</guid></item>",
    "port 99999": "<item><title>Bad port</title><link>https://example.org:99999/story</link>"
    "<guid>bad-2</guid></item>",
    "unclosed IPv6 host": "<item><title>Bad host</title><link>http://[2001:db8::1/story</link></item>",
}


def _feed(bad: str) -> str:
    good = "".join(
        f"<item><title>Good story {n}</title><link>https://example.org/good/{n}</link>"
        f"<description>Story number {n} about the NATO summit.</description></item>"
        for n in (1, 2)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Mixed</title>{good}{bad}</channel></rss>'


@pytest.mark.parametrize("name", sorted(BAD_ITEMS))
def test_a_bad_item_is_skipped_and_logged_and_the_other_items_are_stored(
    name: str, sqlite_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = Settings(
        data_dir=tmp_path,
        fetch={"allow_private_hosts": ["127.0.0.1"], "timeout_seconds": 5, "parse_processes": 1},
        schedule={"min_interval_seconds": 60, "max_interval_seconds": 3600, "max_failures": 5},
    )
    with feed_server() as server:
        server.serve("/feed.xml", _feed(BAD_ITEMS[name]))
        sqlite_store.add_feed(server.url("/feed.xml"), None, START)

        async def polls() -> None:
            now = START
            async with Fetcher(fetch_policy(config)) as fetcher:
                pipeline = Pipeline(config, sqlite_store, fetcher, rng=random.Random(3))
                for _ in range(6):  # more polls than max_failures: a rejected feed would be paused
                    await pipeline.run_cycle(now, every_feed=True)
                    now += timedelta(hours=2)

        with caplog.at_level(logging.INFO, logger="bot.pipeline"):
            asyncio.run(polls())
    (feed,) = sqlite_store.list_feeds()
    assert (feed.status, feed.failures, feed.last_error) == ("ok", 0, None)
    stored = sqlite_store.recent_entries(START - timedelta(days=1))
    assert sorted(e.title for e in stored) == ["Good story 1", "Good story 2"]
    assert any("skipped 1 unusable item" in record.getMessage() for record in caplog.records)


def _numbered_feed(count: int) -> str:
    """`count` items, oldest first (as some archives list them), one minute apart."""
    items = "".join(
        f"<item><title>Story {n}</title><link>https://example.org/story/{n}</link><guid>s-{n}</guid>"
        f"<pubDate>{format_datetime(START - timedelta(minutes=count - n))}</pubDate></item>"
        for n in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Archive</title>{items}</channel></rss>'


def test_a_huge_feed_gives_only_its_newest_items_per_poll(
    sqlite_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = Settings(
        data_dir=tmp_path,
        fetch={"allow_private_hosts": ["127.0.0.1"], "timeout_seconds": 5, "max_items_per_poll": 50},
    )
    with feed_server() as server:
        server.serve("/archive.xml", _numbered_feed(3000))
        sqlite_store.add_feed(server.url("/archive.xml"), None, START)

        async def poll() -> None:
            async with Fetcher(fetch_policy(config)) as fetcher:
                with parse_pool(config) as executor:  # the cap applies in the parse worker
                    await Pipeline(config, sqlite_store, fetcher, executor=executor).run_cycle(START)

        with caplog.at_level(logging.INFO, logger="bot.pipeline"):
            asyncio.run(poll())
    stored = sqlite_store.recent_entries(START - timedelta(days=1))
    assert sorted(int(e.title.split()[1]) for e in stored) == list(range(2950, 3000))  # the newest 50
    assert any("kept the newest 50 of 3000 items" in r.getMessage() for r in caplog.records)
    (feed,) = sqlite_store.list_feeds()
    assert feed.status == "ok"


def test_an_invalid_reference_outside_any_item_costs_only_that_character() -> None:
    body = _feed("").replace("<title>Mixed</title>", "<title>Mixed &#xd800; news</title>").encode()
    parsed = parse_feed(body, "https://example.org/feed")
    assert parsed.title == "Mixed \ufffd news"
    assert [e.title for e in parsed.entries] == ["Good story 1", "Good story 2"]
