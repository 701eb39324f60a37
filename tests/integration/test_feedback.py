"""Learning from readers' verdicts, through the real pipeline, store and command grammar."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.chat.commands import CommandContext, CommandHandler
from bot.core.folding import fold
from bot.core.text import words
from bot.store.db import Store
from bot.store.rows import PendingAlert
from tests.feedback_replay import replay, stream

NOW = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def _mentions(text: str, word: str) -> bool:
    target = fold(word)
    return any(fold(w).startswith(target) for w in words(text))


def test_after_five_unwanted_alerts_the_bot_proposes_an_exclusion_that_spares_every_wanted_one(
    sqlite_store: Store, tmp_path: Path
) -> None:
    result = replay(sqlite_store, tmp_path, marks=5, learn=False)
    assert len(result.replies) == 5
    assert all("Exclude" not in reply for reply in result.replies[:2])  # nothing from one or two clicks
    proposal = result.replies[-1]
    assert "Reply: exclude " in proposal
    word = proposal.split("Reply: exclude ", 1)[1].split(" from ", 1)[0]
    items = stream()
    judged = [item for n, item in enumerate(items) if n <= result.marked_until and not item.wanted]
    unwanted_hit = sum(_mentions(f"{i.title} {i.summary}", word) for i in judged)
    assert unwanted_hit * 2 > len(judged)  # most of the unwanted alerts the reader marked
    assert not any(_mentions(f"{i.title} {i.summary}", word) for i in items if i.wanted)  # no wanted one


def test_with_learning_on_the_rest_of_the_stream_is_more_precise_and_keeps_every_wanted_alert(
    tmp_path: Path,
) -> None:
    def store(name: str) -> Store:
        s = Store(f"sqlite:///{tmp_path / name / 'newsbot.sqlite'}")
        s.upgrade()
        return s

    baseline = replay(store("plain"), tmp_path / "plain", marks=0, learn=False)
    learned = replay(store("learn"), tmp_path / "learn", marks=5, learn=True)
    cut = learned.marked_until
    before, _ = baseline.precision_after(cut)
    after, _ = learned.precision_after(cut)
    assert after >= before + 0.15, (before, after)
    wanted_before = sum(w for n, w in baseline.delivered if n > cut)
    wanted_after = sum(w for n, w in learned.delivered if n > cut)
    assert wanted_after == wanted_before  # learning lowered only stories like the rejected ones


def _sent_alert(store: Store, title: str, message_id: str, topic: str = "Apple") -> None:
    payload = {
        "topic": topic,
        "title": title,
        "link": None,
        "source": "Farm Weekly",
        "published": None,
        "score": 100.0,
        "figure": None,
        "quote": None,
    }
    feed = (
        store.list_feeds()[0] if store.list_feeds() else store.add_feed("https://news.example/f", "F", NOW)[0]
    )
    store.record_poll(
        feed.id, [], [], [PendingAlert(channel="console", kind="alert", payload=payload)], {}, NOW
    )
    row = store.claim_next("console", NOW)
    assert row is not None
    store.mark_sent(row.id, message_id, NOW)


def test_verdicts_are_recorded_once_and_a_missing_alert_is_said_plainly(sqlite_store: Store) -> None:
    commands = CommandHandler(sqlite_store)
    ctx = CommandContext("console", "ann", NOW)
    assert "can't find" in commands.handle("not relevant", ctx).text
    commands.handle("subscribe Apple", ctx)
    _sent_alert(sqlite_store, "Apple growers expect a small harvest", "console:1")
    first = commands.handle("not relevant", CommandContext("console", "ann", NOW, thread="console:1"))
    again = commands.handle("not relevant", CommandContext("console", "ann", NOW, thread="console:1"))
    assert first.ok and "noted" in first.text and "Exclude" not in first.text
    assert not again.ok and "already" in again.text
    gone = commands.handle("relevant", CommandContext("console", "ann", NOW, thread="console:99"))
    assert not gone.ok and "can't find" in gone.text
    assert "learned" not in commands.handle("list", ctx).text  # one click teaches nothing


def test_exclude_and_unexclude_change_the_topic_and_forget_drops_the_verdicts(sqlite_store: Store) -> None:
    commands = CommandHandler(sqlite_store)
    ctx = CommandContext("console", "ann", NOW)
    commands.handle("subscribe Apple | Apple Inc. --threshold 80", ctx)
    reply = commands.handle("exclude harvest from apple", ctx)
    assert reply.ok and reply.announce and "harvest" in reply.text
    (sub,) = sqlite_store.list_subscriptions("console")
    assert sub.query.endswith("-harvest") and "Apple Inc." in sub.query and sub.threshold == 80
    commands.handle("unexclude harvest from Apple", ctx)
    (sub,) = sqlite_store.list_subscriptions("console")
    assert "harvest" not in sub.query and "Apple Inc." in sub.query
    assert not commands.handle("exclude harvest from Pears", ctx).ok
    for n, title in enumerate(["Apple harvest starts", "Apple growers fear frost", "Apple harvest ends"]):
        _sent_alert(sqlite_store, title, f"console:{n}")
        commands.handle("not relevant", CommandContext("console", "ann", NOW, thread=f"console:{n}"))
    assert "learned from 3 not relevant" in commands.handle("list", ctx).text
    assert "3 verdicts" in commands.handle("forget Apple", ctx).text
    assert "learned" not in commands.handle("list", ctx).text


def test_learning_and_breaking_notices_are_channel_settings(sqlite_store: Store) -> None:
    commands = CommandHandler(sqlite_store)
    ctx = CommandContext("console", "ann", NOW)
    assert "Learning from feedback: off" in commands.handle("settings", ctx).text
    on = commands.handle("settings learn on", ctx)
    assert on.ok and on.announce
    commands.handle("settings breaking on", ctx)
    shown = commands.handle("settings", ctx).text
    assert "Learning from feedback: on" in shown and "Notices of breaking stories: on" in shown
    assert not commands.handle("settings learn maybe", ctx).ok


def test_a_topic_with_umlauts_learns_and_forgets_on_sqlite_too(sqlite_store: Store) -> None:
    commands = CommandHandler(sqlite_store)
    ctx = CommandContext("console", "ann", NOW)
    commands.handle("subscribe Österreich", ctx)
    for n, title in enumerate(["Österreich: Skisaison beginnt", "Österreich: Skilifte öffnen", "Skisaison"]):
        _sent_alert(sqlite_store, title, f"console:{n}", topic="Österreich")
        commands.handle("not relevant", CommandContext("console", "ann", NOW, thread=f"console:{n}"))
    assert "learned from 3 not relevant" in commands.handle("list", ctx).text
    assert "3 verdicts" in commands.handle("forget Österreich", ctx).text
