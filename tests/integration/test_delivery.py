"""The deliverer over a real store with a recording chat: order, retries, pausing a lost channel."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.payload import alert_to_dict
from bot.delivery import Deliverer
from bot.errors import ChannelUnavailable
from bot.model import AlertContent
from bot.store.db import NewEntry, PendingAlert, Store

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.moment = START

    def now(self) -> datetime:
        return self.moment


class RecordingChat:
    """A chat that keeps what it was sent and fails the way it is told to."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str | None]] = []
        self.failures: list[Exception] = []

    def handles(self, channel: str) -> bool:
        return channel.startswith("test:")

    async def send_alert(self, channel: str, alert: AlertContent, *, key: str, thread: str | None) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((channel, alert.title, thread))
        return f"m{len(self.sent)}"

    async def edit_alert(self, channel: str, message_id: str, alert: AlertContent) -> None:
        self.sent.append((channel, f"edit {alert.title}", message_id))

    async def send_notice(self, channel: str, text: str, *, key: str) -> str:
        self.sent.append((channel, text, None))
        return "notice"


def _write(store: Store, channel: str, titles: list[str]) -> None:
    feed, _ = store.add_feed("https://news.example/feed.xml", None, START)
    rows = [NewEntry(t, t, None, "", "", "en", START, t, t) for t in titles]
    alerts = [
        PendingAlert(
            channel=channel,
            kind="alert",
            payload=alert_to_dict(AlertContent("T", t, None, "src", START, 90.0, None, None)),
            entry_key=t,
            story=t,
        )
        for t in titles
    ]
    store.record_poll(feed.id, rows, [], alerts, {}, START)


def test_a_retried_alert_keeps_its_place_in_the_channel(sqlite_store: Store) -> None:
    clock, chat = Clock(), RecordingChat()
    _write(sqlite_store, "test:a", ["first", "second", "third"])
    chat.failures = [RuntimeError("HTTP 503")]
    deliverer = Deliverer(sqlite_store, [chat], clock)
    asyncio.run(deliverer.deliver())
    assert chat.sent == []  # the failed first alert holds the others back
    clock.moment += timedelta(seconds=10)
    asyncio.run(deliverer.deliver())
    assert [title for _, title, _ in chat.sent] == ["first", "second", "third"]
    assert sqlite_store.alert_counts() == {"sent": 3}


def test_a_lost_channel_is_paused_and_its_alerts_wait_for_it(sqlite_store: Store) -> None:
    clock, chat = Clock(), RecordingChat()
    _write(sqlite_store, "test:gone", ["one", "two"])
    chat.failures = [ChannelUnavailable("the bot was removed from the channel")]
    deliverer = Deliverer(sqlite_store, [chat], clock)
    asyncio.run(deliverer.deliver())
    assert sqlite_store.paused_channels() == {"test:gone": "the bot was removed from the channel"}
    clock.moment += timedelta(hours=1)
    asyncio.run(deliverer.deliver())
    assert chat.sent == []  # nothing is tried while paused
    assert sqlite_store.alert_counts() == {"pending": 2}  # and nothing is lost
    sqlite_store.resume_channel("test:gone")
    asyncio.run(deliverer.deliver())
    assert [title for _, title, _ in chat.sent] == ["one", "two"]
