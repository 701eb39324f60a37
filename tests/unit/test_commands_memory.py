"""The command grammar on the in-memory store: what a user types, what they are told, what is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.chat.commands import CommandContext, CommandHandler
from bot.store.memory import MemoryStore
from tests.integration.test_feedback import _sent_alert

NOW = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def ctx(channel: str = "console", user: str | None = "ann", thread: str | None = None) -> CommandContext:
    return CommandContext(channel=channel, user=user, now=NOW, thread=thread)


def test_a_topic_is_subscribed_listed_updated_and_unsubscribed_per_channel() -> None:
    store = MemoryStore()
    commands = CommandHandler(store)
    added = commands.handle("/news subscribe Nordkorea | North Korea -Südkorea", ctx())
    assert added.ok and added.announce and "ann" in added.announce
    assert "Nordkorea | North Korea -Südkorea" in commands.handle("!news list", ctx()).text
    assert "tracks no topics" in commands.handle("list", ctx("slack:C1")).text
    again = commands.handle("subscribe nordkorea --threshold 90", ctx())
    assert again.ok and again.announce is None and "already" in again.text
    (topic,) = store.list_subscriptions("console")
    assert topic.threshold == 90
    assert commands.handle("unsubscribe NORDKOREA", ctx()).ok
    assert store.list_subscriptions() == []


def test_a_muted_topic_is_shown_muted_until_unmuted() -> None:
    store = MemoryStore()
    commands = CommandHandler(store)
    commands.handle("subscribe NATO", ctx())
    muted = commands.handle("mute nato for 2h", ctx())
    assert muted.ok and "Muted" in muted.text
    topic = store.subscription("console", "NATO")
    assert (
        topic is not None
        and topic.muted(NOW + timedelta(hours=1))
        and not topic.muted(NOW + timedelta(hours=3))
    )
    assert commands.handle("unmute NATO", ctx()).ok
    topic = store.subscription("console", "NATO")
    assert topic is not None and not topic.muted(NOW)
    assert not commands.handle("mute Atlantis", ctx()).ok


def test_feeds_are_added_once_listed_and_removed() -> None:
    store = MemoryStore()
    commands = CommandHandler(store)
    url = "https://news.example/feed.xml"
    assert "Added feed" in commands.handle(f"feeds add {url}", ctx()).text
    assert "already poll" in commands.handle(f"feeds add {url}", ctx()).text
    assert f"[new] <{url}>" in commands.handle("feeds", ctx()).text
    assert not commands.handle("feeds add file:///etc/passwd", ctx()).ok
    assert commands.handle(f"feeds remove {url}", ctx()).ok
    assert "No feeds yet" in commands.handle("feeds", ctx()).text


def test_settings_changed_by_command_are_shown_back() -> None:
    commands = CommandHandler(MemoryStore())
    for command in ("settings threads flat", "settings learn on", "settings timezone Europe/Berlin"):
        assert commands.handle(command, ctx()).ok, command
    shown = commands.handle("settings", ctx()).text
    assert "Follow-ups: flat" in shown and "Learning from feedback: on" in shown and "Europe/Berlin" in shown
    assert "Follow-ups: thread" in commands.handle("settings", ctx("slack:C1")).text


def test_a_readers_verdict_is_recorded_once_and_forget_drops_what_was_learned() -> None:
    store = MemoryStore()
    commands = CommandHandler(store)
    assert "can't find" in commands.handle("not relevant", ctx()).text
    commands.handle("subscribe Apple", ctx())
    for n, title in enumerate(["Apple harvest starts", "Apple growers fear frost", "Apple harvest ends"]):
        _sent_alert(store, title, f"console:{n}")
        assert commands.handle("not relevant", ctx(thread=f"console:{n}")).ok
    again = commands.handle("not relevant", ctx(thread="console:0"))
    assert not again.ok and "already" in again.text
    assert "learned from 3 not relevant" in commands.handle("list", ctx()).text
    assert "3 verdicts" in commands.handle("forget Apple", ctx()).text
    assert "learned" not in commands.handle("list", ctx()).text
