"""The deliverer over a real store with a recording chat: order, retries, pausing a lost channel."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.payload import alert_to_dict
from bot.delivery import Deliverer
from bot.errors import ChannelUnavailable, ChatUnavailable
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


def test_a_busy_platform_is_waited_for_exactly_and_never_given_up(sqlite_store: Store) -> None:
    clock, chat = Clock(), RecordingChat()
    _write(sqlite_store, "test:a", ["only"])
    chat.failures = [ChatUnavailable("HTTP 429", retry_after=7), *[ChatUnavailable("HTTP 503")] * 20]
    deliverer = Deliverer(sqlite_store, [chat], clock)
    asyncio.run(deliverer.deliver())
    clock.moment += timedelta(seconds=6)
    asyncio.run(deliverer.deliver())
    assert len(chat.failures) == 20  # not retried before the platform's own Retry-After
    for _ in range(20):  # a long outage: many more tries than the give-up limit of other errors
        clock.moment += timedelta(seconds=61)
        asyncio.run(deliverer.deliver())
    clock.moment += timedelta(seconds=61)
    asyncio.run(deliverer.deliver())
    assert [title for _, title, _ in chat.sent] == ["only"]
    assert sqlite_store.alert_counts() == {"sent": 1}


def test_followups_of_an_alert_that_could_not_be_sent_go_out_unthreaded(sqlite_store: Store) -> None:
    clock, chat = Clock(), RecordingChat()
    feed, _ = sqlite_store.add_feed("https://news.example/feed.xml", None, START)
    content = AlertContent("T", "parent", None, "src", START, 90.0, None, None)
    sqlite_store.record_poll(
        feed.id,
        [NewEntry("p", "parent", None, "", "", "en", START, "p", "s")],
        [],
        [PendingAlert("test:a", "alert", alert_to_dict(content), entry_key="p", story="s")],
        {},
        START,
    )
    parent_id = sqlite_store.story_parents([("test:a", "s")])[("test:a", "s")][0]
    update = AlertContent("T", "update", None, "src", START, 90.0, None, None, relation="followup")
    sqlite_store.record_poll(
        feed.id,
        [NewEntry("u", "update", None, "", "", "en", START, "u", "s")],
        [],
        [
            PendingAlert(
                "test:a", "followup", alert_to_dict(update), entry_key="u", story="s", parent_id=parent_id
            ),
            PendingAlert(
                "test:a", "edit", alert_to_dict(content), entry_key="u", story="s", parent_id=parent_id
            ),
        ],
        {},
        START,
    )
    chat.failures = [ValueError("invalid_blocks")] * 8  # the parent can never be posted
    deliverer = Deliverer(sqlite_store, [chat], clock)
    for _ in range(9):
        asyncio.run(deliverer.deliver())
        clock.moment += timedelta(hours=1)
    assert chat.sent == [("test:a", "update", None)]  # the follow-up, on its own, not in a thread
    assert sqlite_store.alert_counts() == {"failed": 2, "sent": 1}
