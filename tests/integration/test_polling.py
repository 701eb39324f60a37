"""The schedule in the running pipeline: a real store, a real feed server on loopback, an injected
clock. Feeds with untrustworthy dates still get a sane schedule and a clear log line; the per-host
request budget holds; /metrics' publish-to-poll histogram sees each new entry's delay."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from bot.ingest.fetch import Fetcher, FetchPolicy
from bot.metrics import REGISTRY, record_cycle
from bot.pipeline import Pipeline
from bot.runtime import fetch_policy
from bot.settings import Settings
from bot.store.db import Store
from bot.store.rows import FeedRow
from tests.feedserver import FeedServer, feed_server

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def settings(tmp_path: Path) -> Settings:
    # the shipped schedule; only the loopback feed server is allowed
    return Settings(data_dir=tmp_path, fetch={"allow_private_hosts": ["127.0.0.1"], "timeout_seconds": 5})


def feed(items: list[tuple[str, datetime | None]]) -> str:
    body = "".join(
        f"<item><title>Meldung {key}</title><link>https://news.example/{key}</link><guid>{key}</guid>"
        + (f"<pubDate>{format_datetime(date)}</pubDate>" if date else "")
        + "</item>"
        for key, date in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{body}</channel></rss>'


async def _poll(config: Settings, store: Store, now: datetime) -> FeedRow:
    async with Fetcher(fetch_policy(config)) as fetcher:
        report = await Pipeline(config, store, fetcher, rng=random.Random(3)).run_cycle(now, every_feed=True)
    assert report.failed == 0, report.errors
    (row,) = store.list_feeds()
    return row


def _gap(row: FeedRow) -> float:
    assert row.next_poll_at is not None and row.last_polled_at is not None
    return (row.next_poll_at - row.last_polled_at).total_seconds()


@pytest.mark.parametrize(
    ("dates", "problem"),
    [
        (lambda n, now: None, "carry no dates"),
        (lambda n, now: now + timedelta(days=30, hours=n), "in the future"),
        (lambda n, now: START - timedelta(days=1), "the same date"),
    ],
    ids=["no dates", "all in the future", "all the same"],
)
def test_a_feed_with_unusable_dates_is_polled_by_when_its_items_appear(
    sqlite_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture, dates: object, problem: str
) -> None:
    config = settings(tmp_path)
    date = dates  # (n, now) -> the date the feed claims for its item n
    assert callable(date)
    with feed_server() as server:
        sqlite_store.add_feed(server.url("/feed.xml"), None, START)
        items = [(f"old-{n}", date(n, START)) for n in range(20)]
        server.serve("/feed.xml", feed(items))
        caplog.set_level(logging.INFO, logger="bot.pipeline")
        first = asyncio.run(_poll(config, sqlite_store, START))
        assert first.rate_basis == "none" and _gap(first) == 300  # nothing known yet: the floor
        # six hours of polls that find nothing new: the feed slows down, and says why once
        now = START
        gaps = []
        for _ in range(6):
            now += timedelta(hours=1)
            row = asyncio.run(_poll(config, sqlite_store, now))
            gaps.append(_gap(row))
        assert row.rate_basis == "first seen"
        assert gaps[-1] > 2 * 300 and gaps == sorted(gaps)
        assert gaps[-1] <= 3600
        lines = [r.getMessage() for r in caplog.records if problem in r.getMessage()]
        assert len(lines) == 1, caplog.text
        assert server.url("/feed.xml") in lines[0] and "first appear" in lines[0]
        # then it publishes every ten minutes for two hours: polled at the floor again
        for n in range(12):
            now += timedelta(minutes=10)
            items.insert(0, (f"new-{n}", date(100 + n, now)))
            server.serve("/feed.xml", feed(items))
            row = asyncio.run(_poll(config, sqlite_store, now))
        assert _gap(row) == 300


def test_the_publish_to_poll_delay_of_each_new_entry_reaches_metrics(
    sqlite_store: Store, tmp_path: Path
) -> None:
    config = settings(tmp_path)

    def observed() -> float:
        text = generate_latest(REGISTRY).decode()
        line = next(
            row
            for row in text.splitlines()
            if row.startswith('newsbot_publish_to_poll_delay_seconds_bucket{le="120.0"}')
        )
        return float(line.split()[-1])

    with feed_server() as server:
        sqlite_store.add_feed(server.url("/feed.xml"), None, START)
        server.serve("/feed.xml", feed([("a", START - timedelta(hours=1))]))
        asyncio.run(_run_and_record(config, sqlite_store, START))  # backlog: not a delay
        before = observed()
        later = START + timedelta(minutes=5)
        server.serve(
            "/feed.xml", feed([("b", later - timedelta(seconds=90)), ("a", START - timedelta(hours=1))])
        )
        report = asyncio.run(_run_and_record(config, sqlite_store, later))
    assert report == [90.0]
    assert observed() == before + 1


async def _run_and_record(config: Settings, store: Store, now: datetime) -> list[float]:
    async with Fetcher(fetch_policy(config)) as fetcher:
        report = await Pipeline(config, store, fetcher).run_cycle(now, every_feed=True)
    record_cycle(report)
    return report.publish_delays


def test_one_host_gets_at_most_its_budget_of_requests_a_minute(tmp_path: Path) -> None:
    with feed_server() as server:
        for n in range(5):
            server.serve(f"/feed-{n}.xml", feed([]))
        policy = FetchPolicy(
            allow_private_hosts=("127.0.0.1", "localhost"),
            host_requests_per_minute=120,  # one request every half second
            unlimited_hosts=(),
        )

        async def fetch_all(server: FeedServer) -> tuple[list[float], float]:
            async with Fetcher(policy) as fetcher:
                began = time.monotonic()

                async def one(path: str) -> float:
                    await fetcher.fetch(server.url(path))
                    return time.monotonic() - began

                done = await asyncio.gather(*(one(f"/feed-{n}.xml") for n in range(5)))
                # another host is not held up by the first one's queue
                other = time.monotonic()
                await fetcher.fetch(server.url("/feed-0.xml").replace("127.0.0.1", "localhost"))
                return sorted(done), time.monotonic() - other

        done, other = asyncio.run(fetch_all(server))
    assert done[-1] >= 4 * 0.5  # five requests to one host took at least four gaps
    assert all(b - a >= 0.4 for a, b in itertools.pairwise(done))
    assert other < 0.4


def test_a_feed_its_hub_pushes_is_still_polled_but_rarely(sqlite_store: Store, tmp_path: Path) -> None:
    config = settings(tmp_path)
    with feed_server() as server:
        feed_row, _ = sqlite_store.add_feed(server.url("/feed.xml"), None, START)
        server.serve("/feed.xml", feed([(f"i{n}", START - timedelta(minutes=10 * n)) for n in range(30)]))
        assert _gap(asyncio.run(_poll(config, sqlite_store, START))) == 300  # busy: the floor
        sqlite_store.save_websub(
            feed_row.id,
            token="t",
            hub_url="https://hub.example/",
            topic_url=feed_row.url,
            secret="s",
            state="verified",
            requested_at=START,
            lease_until=START + timedelta(days=1),
        )
        pushed = asyncio.run(_poll(config, sqlite_store, START + timedelta(minutes=5)))
        assert _gap(pushed) >= config.websub.poll_interval_seconds  # the safety net, not the floor
        after_lease = asyncio.run(_poll(config, sqlite_store, START + timedelta(days=1, minutes=1)))
        assert _gap(after_lease) < 3600  # the lease ended without renewal: polled as before
