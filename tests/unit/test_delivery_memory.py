"""The deliverer on the in-memory store: what a channel receives, in which order, and when."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.chat.commands import CommandContext, CommandHandler
from bot.core.payload import alert_to_dict
from bot.delivery import MAX_ATTEMPTS, Deliverer
from bot.errors import ChannelUnavailable, ChatUnavailable
from bot.model import AlertContent
from bot.store.memory import MemoryStore
from bot.store.rows import NewEntry, PendingAlert
from tests.integration.test_delivery import START, Clock, RecordingChat, _write


def _payload(title: str) -> dict[str, object]:
    return alert_to_dict(AlertContent("T", title, None, "src", START, 90.0, None, None))


def _parent_id(store: MemoryStore, channel: str, story: str) -> int:
    return store.story_parents([(channel, story)])[(channel, story)][0]


def test_a_followup_goes_into_its_alerts_thread_and_the_edit_changes_that_message() -> None:
    store, clock, chat = MemoryStore(), Clock(), RecordingChat()
    deliverer = Deliverer(store, [chat], clock)
    _write(store, "test:a", ["parent"])
    asyncio.run(deliverer.deliver())
    (feed,) = store.list_feeds()
    parent = _parent_id(store, "test:a", "parent")
    reply = NewEntry("reply", "reply", None, "", "", "en", START, "reply", "parent")
    store.record_poll(
        feed.id,
        [reply],
        [],
        [
            PendingAlert("test:a", "followup", _payload("reply"), "reply", "parent", parent_id=parent),
            PendingAlert("test:a", "edit", _payload("parent, 2 sources"), story="parent", parent_id=parent),
        ],
        {},
        START,
    )
    asyncio.run(deliverer.deliver())
    assert chat.sent == [
        ("test:a", "parent", None),
        ("test:a", "reply", "m1"),
        ("test:a", "edit parent, 2 sources", "m1"),
    ]
    asyncio.run(deliverer.deliver())
    assert len(chat.sent) == 3  # nothing goes out twice


def test_a_busy_platform_is_waited_for_exactly_and_later_alerts_keep_their_place() -> None:
    store, clock, chat = MemoryStore(), Clock(), RecordingChat()
    _write(store, "test:a", ["first", "second"])
    chat.failures = [ChatUnavailable("HTTP 429", retry_after=30)]
    deliverer = Deliverer(store, [chat], clock)
    asyncio.run(deliverer.deliver())
    clock.moment += timedelta(seconds=29)
    asyncio.run(deliverer.deliver())
    assert chat.sent == []  # "second" does not overtake "first"
    clock.moment += timedelta(seconds=1)
    asyncio.run(deliverer.deliver())
    assert [title for _, title, _ in chat.sent] == ["first", "second"]


def test_a_lost_channel_waits_until_someone_speaks_to_the_bot_there_again() -> None:
    store, clock, chat = MemoryStore(), Clock(), RecordingChat()
    _write(store, "test:gone", ["one", "two"])
    chat.failures = [ChannelUnavailable("the bot was removed from the channel")]
    deliverer = Deliverer(store, [chat], clock)
    asyncio.run(deliverer.deliver())
    clock.moment += timedelta(hours=1)
    asyncio.run(deliverer.deliver())
    assert chat.sent == []
    answer = CommandHandler(store).handle("list", CommandContext("test:gone", "ann", clock.moment))
    assert "I can post in this channel again" in answer.text
    asyncio.run(deliverer.deliver())
    assert [title for _, title, _ in chat.sent] == ["one", "two"]


def test_followups_of_an_alert_given_up_go_out_unthreaded() -> None:
    store, clock, chat = MemoryStore(), Clock(), RecordingChat()
    _write(store, "test:a", ["parent"])
    (feed,) = store.list_feeds()
    parent = _parent_id(store, "test:a", "parent")
    reply = NewEntry("reply", "reply", None, "", "", "en", START, "reply", "parent")
    followup = PendingAlert("test:a", "followup", _payload("reply"), "reply", "parent", parent_id=parent)
    store.record_poll(feed.id, [reply], [], [followup], {}, START)
    chat.failures = [RuntimeError("invalid_blocks")] * MAX_ATTEMPTS
    deliverer = Deliverer(store, [chat], clock)
    for _ in range(MAX_ATTEMPTS):
        asyncio.run(deliverer.deliver())
        clock.moment += timedelta(hours=2)
    assert chat.sent == []  # given up after the last try
    asyncio.run(deliverer.deliver())
    assert chat.sent == [("test:a", "reply", None)]


def test_quiet_hours_set_by_command_hold_alerts_in_order_until_they_end() -> None:
    store, clock, chat = MemoryStore(), Clock(), RecordingChat()
    clock.moment = START.replace(hour=23)
    ctx = CommandContext("test:q", "ann", clock.moment)
    assert CommandHandler(store).handle("settings quiet 22:00-07:00", ctx).ok
    _write(store, "test:q", ["night one", "night two"])
    deliverer = Deliverer(store, [chat], clock)
    asyncio.run(deliverer.deliver())
    assert chat.sent == []
    clock.moment = START.replace(hour=7) + timedelta(days=1)
    asyncio.run(deliverer.deliver())
    assert [title for _, title, _ in chat.sent] == ["night one", "night two"]


def test_a_daily_digest_chosen_by_command_comes_as_one_message_at_its_time() -> None:
    store, clock, chat = MemoryStore(), Clock(), RecordingChat()
    ctx = CommandContext("test:d", "ann", clock.moment)
    assert CommandHandler(store).handle("settings digest daily 08:00", ctx).ok
    _write(store, "test:d", ["one", "two", "three"])
    deliverer = Deliverer(store, [chat], clock)
    clock.moment = START.replace(hour=23)
    asyncio.run(deliverer.deliver())
    assert chat.sent == []
    clock.moment = START.replace(hour=8) + timedelta(days=1)
    asyncio.run(deliverer.deliver())
    assert chat.sent == [("test:d", "News digest: 3 stories", None)]
    assert [item.headline for item in chat.digests[0].items] == ["one", "two", "three"]
