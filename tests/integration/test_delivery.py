"""The deliverer over a real store with a recording chat: order, retries, pausing a lost channel."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.digest import Digest
from bot.core.payload import alert_to_dict
from bot.delivery import Deliverer
from bot.errors import ChannelUnavailable, ChatUnavailable
from bot.model import AlertContent
from bot.store.db import Store
from bot.store.rows import NewEntry, PendingAlert

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
        self.digests: list[Digest] = []

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

    async def send_digest(self, channel: str, digest: Digest, *, key: str) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.digests.append(digest)
        self.sent.append((channel, digest.title, None))
        return f"d{len(self.digests)}"


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


def test_quiet_hours_hold_alerts_in_order_until_they_end(sqlite_store: Store) -> None:
    clock, chat = Clock(), RecordingChat()
    sqlite_store.set_delivery_prefs(
        "test:night", timezone="Europe/Berlin", quiet_start="13:00", quiet_end="13:30"
    )
    _write(sqlite_store, "test:night", ["first", "second"])
    _write(sqlite_store, "test:day", ["elsewhere"])
    deliverer = Deliverer(sqlite_store, [chat], clock)
    asyncio.run(deliverer.deliver())  # 12:00 UTC is 13:00 in Berlin in November: quiet there
    assert chat.sent == [("test:day", "elsewhere", None)]
    clock.moment += timedelta(minutes=29)
    asyncio.run(deliverer.deliver())
    assert len(chat.sent) == 1 and sqlite_store.alert_counts() == {"pending": 2, "sent": 1}
    clock.moment += timedelta(minutes=1)  # 13:30 in Berlin: the quiet hours are over
    asyncio.run(deliverer.deliver())
    assert [title for channel, title, _ in chat.sent if channel == "test:night"] == ["first", "second"]


def test_a_daily_digest_collects_alerts_and_sends_them_as_one_message(sqlite_store: Store) -> None:
    clock, chat = Clock(), RecordingChat()
    sqlite_store.set_delivery_prefs("test:d", digest="daily", digest_at="08:00", last_digest_at=START)
    _write(sqlite_store, "test:d", ["one", "two", "three"])
    deliverer = Deliverer(sqlite_store, [chat], clock)
    asyncio.run(deliverer.deliver())
    clock.moment = START.replace(hour=23)
    asyncio.run(deliverer.deliver())
    assert chat.sent == []  # nothing before the next 08:00
    clock.moment = START.replace(hour=8) + timedelta(days=1)
    chat.failures = [ChatUnavailable("HTTP 429", retry_after=30)]
    asyncio.run(deliverer.deliver())
    assert chat.sent == [] and sqlite_store.alert_counts() == {"pending": 3}  # kept for the retry
    clock.moment += timedelta(seconds=30)
    asyncio.run(deliverer.deliver())
    assert chat.sent == [("test:d", "News digest: 3 stories", None)]
    assert [item.headline for item in chat.digests[0].items] == ["one", "two", "three"]
    assert sqlite_store.alert_counts() == {"sent": 3}
    _write(sqlite_store, "test:d", ["four"])
    clock.moment += timedelta(hours=2)
    asyncio.run(deliverer.deliver())
    assert len(chat.digests) == 1  # the next one comes the next morning
    clock.moment += timedelta(days=1)
    asyncio.run(deliverer.deliver())
    assert [item.headline for item in chat.digests[1].items] == ["four"]


def test_turning_the_digest_off_sends_what_waits_one_by_one(sqlite_store: Store) -> None:
    clock, chat = Clock(), RecordingChat()
    sqlite_store.set_delivery_prefs("test:h", digest="hourly", last_digest_at=START)
    _write(sqlite_store, "test:h", ["a", "b"])
    deliverer = Deliverer(sqlite_store, [chat], clock)
    asyncio.run(deliverer.deliver())
    assert chat.sent == []
    sqlite_store.set_delivery_prefs("test:h", digest="off")
    asyncio.run(deliverer.deliver())
    assert [title for _, title, _ in chat.sent] == ["a", "b"]
