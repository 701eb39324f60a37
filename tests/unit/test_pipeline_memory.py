"""The poll cycle on the in-memory store: real feeds over loopback HTTP, alerts as a chat receives them.

No database: the pipeline takes its store through the ports, and `MemoryStore` keeps the
SQL store's semantics (tests/integration/test_store_contract.py).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.chat.commands import CommandContext, CommandHandler
from bot.delivery import Deliverer
from bot.ingest.fetch import Fetcher
from bot.pipeline import Pipeline
from bot.runtime import fetch_policy
from bot.settings import Settings
from bot.store.memory import MemoryStore
from bot.store.rows import NewSubscription
from tests.e2e.test_story_threads import QUAKE_DE, QUAKE_EN, TRAP_EN, rss
from tests.feedserver import EMPTY_FEED, FeedServer, feed_server
from tests.integration.test_delivery import Clock, RecordingChat

START = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
CHANNEL = "test:news"


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        fetch={"allow_private_hosts": ["127.0.0.1"], "timeout_seconds": 5},
        schedule={"min_interval_seconds": 60, "max_interval_seconds": 3600, "max_failures": 3},
        alerts={"edit_interval_seconds": 0},
    )


def _polls(
    store: MemoryStore, config: Settings, server: FeedServer, steps: list[tuple[datetime, dict[str, str]]]
) -> None:
    """One cycle per step, after serving that step's documents (path -> RSS)."""

    async def run() -> None:
        async with Fetcher(fetch_policy(config)) as fetcher:
            pipeline = Pipeline(config, store, fetcher)
            for now, documents in steps:
                for path, document in documents.items():
                    server.serve(path, document)
                await pipeline.run_cycle(now, every_feed=True)

    asyncio.run(run())


def _deliver(store: MemoryStore, at: datetime) -> list[tuple[str, str, str | None]]:
    """What the chat receives when the deliverer runs at `at`: (channel, title, thread)."""
    chat, clock = RecordingChat(), Clock()
    clock.moment = at
    asyncio.run(Deliverer(store, [chat], clock).deliver())
    return chat.sent


def test_a_matching_entry_is_alerted_once_however_often_its_feed_is_polled(tmp_path: Path) -> None:
    store, config = MemoryStore(), _settings(tmp_path)
    store.add_subscription(NewSubscription(CHANNEL, "Marokko", "Marokko | Morocco", None, None), START)
    quake = START + timedelta(minutes=10)
    with feed_server() as server:
        server.serve("/wire.xml", EMPTY_FEED)
        store.add_feed(server.url("/wire.xml"), None, START)
        document = rss("World Wire", [(*QUAKE_EN, quake)])
        _polls(store, config, server, [(START, {}), (quake, {"/wire.xml": document})])
        first = _deliver(store, quake)
        later = [(quake + timedelta(minutes=m), {"/wire.xml": document}) for m in (5, 10)]
        _polls(store, config, server, later)
    assert first == [(CHANNEL, QUAKE_EN[1], None)]
    assert _deliver(store, quake + timedelta(minutes=11)) == []  # the polls after it add nothing


def test_a_report_of_the_same_story_goes_into_the_alerts_thread_and_another_story_alerts_anew(
    tmp_path: Path,
) -> None:
    store, config = MemoryStore(), _settings(tmp_path)
    store.add_subscription(NewSubscription(CHANNEL, "Marokko", "Marokko | Morocco", None, None), START)
    german, english = START + timedelta(minutes=10), START + timedelta(minutes=70)
    with feed_server() as server:
        for path in ("/tagesblatt.xml", "/wire.xml"):
            server.serve(path, EMPTY_FEED)
            store.add_feed(server.url(path), None, START)
        _polls(
            store,
            config,
            server,
            [(START, {}), (german, {"/tagesblatt.xml": rss("Tagesblatt", [(*QUAKE_DE, german)])})],
        )
        parent = _deliver(store, german)
        wire = rss("World Wire", [(*QUAKE_EN, english), (*TRAP_EN, english)])
        _polls(store, config, server, [(english, {"/wire.xml": wire})])
    assert parent == [(CHANNEL, QUAKE_DE[1], None)]
    after = _deliver(store, english)
    assert (CHANNEL, QUAKE_EN[1], "m1") in after  # a reply to the parent's message
    assert (CHANNEL, f"edit {QUAKE_DE[1]}", "m1") in after  # the parent now lists both outlets
    assert (CHANNEL, TRAP_EN[1], None) in after  # the football result is a story of its own


def test_a_failing_feed_pauses_and_every_subscribed_channel_is_told_once(tmp_path: Path) -> None:
    store, config = MemoryStore(), _settings(tmp_path)
    for channel in (CHANNEL, "test:other"):
        store.add_subscription(NewSubscription(channel, "NATO", "NATO", None, None), START)
    with feed_server() as server:
        server.serve("/feed.xml", "oops", status=500)
        store.add_feed(server.url("/feed.xml"), None, START)
        steps: list[tuple[datetime, dict[str, str]]] = [(START + timedelta(hours=h), {}) for h in range(5)]
        _polls(store, config, server, steps)
        requests = len(server.requests)
    (feed,) = store.list_feeds()
    assert feed.status == "paused" and feed.failures == 3 and requests == 3
    notices = _deliver(store, START + timedelta(hours=5))
    assert sorted(channel for channel, _, _ in notices) == [CHANNEL, "test:other"]
    assert all("newsbot feeds resume" in text for _, text, _ in notices)


def test_a_topic_subscribed_by_command_alerts_on_the_next_poll(tmp_path: Path) -> None:
    store, config = MemoryStore(), _settings(tmp_path)
    quake = START + timedelta(minutes=10)
    reply = CommandHandler(store).handle(
        "/news subscribe Marokko | Morocco", CommandContext(channel=CHANNEL, user="ann", now=START)
    )
    assert reply.ok
    with feed_server() as server:
        server.serve("/wire.xml", EMPTY_FEED)
        store.add_feed(server.url("/wire.xml"), None, START)
        _polls(
            store,
            config,
            server,
            [(START, {}), (quake, {"/wire.xml": rss("World Wire", [(*QUAKE_EN, quake)])})],
        )
    assert _deliver(store, quake) == [(CHANNEL, QUAKE_EN[1], None)]
