"""The one command grammar, against a real store: what a user types, what they are told, what is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.chat.commands import CommandContext, CommandHandler, changes_settings
from bot.store.db import Store
from bot.store.rows import NewEntry, PendingAlert
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def handler(sqlite_store: Store) -> CommandHandler:
    return CommandHandler(sqlite_store)


def ctx(channel: str = "console", user: str | None = "ann") -> CommandContext:
    return CommandContext(channel=channel, user=user, now=NOW)


def test_subscribe_list_unsubscribe_round_trip(handler: CommandHandler, sqlite_store: Store) -> None:
    reply = handler.handle("/news subscribe Nordkorea | North Korea -Südkorea", ctx())
    assert reply.ok and "Nordkorea" in reply.text
    assert reply.announce and "ann" in reply.announce  # colleagues in the channel learn of it
    assert "Nordkorea | North Korea -Südkorea" in handler.handle("!news list", ctx()).text
    assert "tracks no topics" in handler.handle("list", ctx("slack:C1")).text  # per channel

    gone = handler.handle("/news unsubscribe Nordkorea", ctx())
    assert gone.ok and gone.announce
    assert sqlite_store.list_subscriptions() == []


def test_subscribing_twice_updates_instead_of_doubling(handler: CommandHandler, sqlite_store: Store) -> None:
    handler.handle("subscribe NATO", ctx())
    again = handler.handle("subscribe NATO --threshold 90", ctx())
    assert again.ok and again.announce is None and "already" in again.text
    subs = sqlite_store.list_subscriptions("console")
    assert len(subs) == 1 and subs[0].threshold == 90


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("", "subscribe <topic>"),
        ("/news", "subscribe <topic>"),
        ("/news frobnicate", "don't know the command"),
        ("subscribe", "a topic reads"),
        ("subscribe " + "x" * 5000, "long"),
        ("subscribe Nordkorea --threshold", "--threshold"),
        ("subscribe Nordkorea --threshold lots", "number from 0 to 100"),
        ("subscribe Nordkorea --threshold 250", "number from 0 to 100"),
        ("unsubscribe", "Which topic"),
        ("unsubscribe Atlantis", "does not track"),
        ("feeds add ftp://example.org/feed", "not an http or https URL"),
        ("feeds add file:///etc/passwd", "not an http or https URL"),
        ("feeds add", "Which feed"),
        ("feeds remove https://nowhere.example/feed", "don't poll"),
    ],
)
def test_bad_commands_get_a_clear_answer_and_store_nothing(
    handler: CommandHandler, sqlite_store: Store, command: str, expected: str
) -> None:
    reply = handler.handle(command, ctx())
    assert expected.lower() in reply.text.lower()
    assert reply.announce is None
    assert sqlite_store.list_subscriptions() == []
    assert sqlite_store.list_feeds() == []


@pytest.mark.parametrize("topic", ["🙂🙂", "\u200b\u200b", '"unbalanced', "der die das"])
def test_topics_without_words_are_refused_with_the_grammar(
    handler: CommandHandler, sqlite_store: Store, topic: str
) -> None:
    reply = handler.handle(f"subscribe {topic}", ctx())
    assert not reply.ok
    assert "|" in reply.text  # the answer shows the grammar
    assert sqlite_store.list_subscriptions() == []


def test_feeds_add_and_list(handler: CommandHandler) -> None:
    assert handler.handle("feeds add https://www.tagesschau.de/index~rss2.xml", ctx()).ok
    assert "already" in handler.handle("feeds add https://www.tagesschau.de/index~rss2.xml", ctx()).text
    listing = handler.handle("feeds", ctx()).text
    assert "https://www.tagesschau.de/index~rss2.xml" in listing and "[new]" in listing


def test_only_changing_commands_need_permission() -> None:
    assert changes_settings("/news subscribe NATO")
    assert changes_settings("!news unsubscribe NATO")
    assert changes_settings("feeds add https://example.org/feed")
    assert not changes_settings("/news list")
    assert not changes_settings("feeds")
    assert not changes_settings("help")


def test_thread_mode_is_a_channel_setting(handler: CommandHandler, sqlite_store: Store) -> None:
    assert "thread" in handler.handle("settings", ctx()).text
    changed = handler.handle("/news settings threads flat", ctx())
    assert changed.ok and changed.announce
    assert sqlite_store.thread_modes() == {"console": "flat"}
    assert not handler.handle("settings threads sideways", ctx()).ok
    assert sqlite_store.thread_modes() == {"console": "flat"}
    assert changes_settings("settings threads flat") and not changes_settings("settings")


def test_a_paused_channel_is_resumed_when_it_speaks_again(
    handler: CommandHandler, sqlite_store: Store
) -> None:
    sqlite_store.pause_channel("slack:C1", "channel_not_found")
    assert sqlite_store.paused_channels() == {"slack:C1": "channel_not_found"}
    reply = handler.handle("/news list", ctx("slack:C1"))
    assert "alerts are back on" in reply.text
    assert sqlite_store.paused_channels() == {}


def test_mute_for_a_while_and_unmute(handler: CommandHandler, sqlite_store: Store) -> None:
    handler.handle("subscribe NATO", ctx())
    muted = handler.handle("/news mute NATO for 2h", ctx())
    assert muted.ok and muted.announce and "14:00" in muted.text
    (sub,) = sqlite_store.list_subscriptions("console")
    assert sub.muted(NOW + timedelta(hours=1)) and not sub.muted(NOW + timedelta(hours=3))
    assert "until unmuted" in handler.handle("mute NATO", ctx()).text
    assert handler.handle("unmute NATO", ctx()).ok
    assert not sqlite_store.list_subscriptions("console")[0].muted(NOW)
    assert "not a duration" in handler.handle("mute NATO for ever", ctx()).text
    assert "does not track" in handler.handle("mute Atlantis for 2h", ctx()).text


def test_preview_shows_the_best_recent_story_and_why_explains_an_alert(
    handler: CommandHandler, sqlite_store: Store
) -> None:
    feed, _ = sqlite_store.add_feed("https://news.example/feed.xml", "Beispiel", NOW)
    seed = (FIXTURES / "seed-article-de.txt").read_text(encoding="utf-8").split("\n", 1)
    entry = NewEntry("seed", seed[0], "https://news.example/seed", "", seed[1], "de", NOW, "h", "s1")
    sqlite_store.record_poll(feed.id, [entry], [], [], {}, NOW)
    preview = handler.handle("preview Nordkorea", ctx())
    assert "Sabrina Singh" in preview.text and "10.000 Soldaten" in preview.text
    assert "No story" in handler.handle("preview Klimawandel", ctx()).text
    assert "can't find" in handler.handle("why", ctx()).text

    payload = {
        "topic": "Nordkorea",
        "title": seed[0],
        "score": 97.0,
        "source": "Beispiel",
        "evidence": [{"alias": "Nordkorea", "word": "Nordkorea", "field": "title", "score": 100.0}],
    }
    sqlite_store.record_poll(
        feed.id, [], [], [PendingAlert(channel="console", kind="alert", payload=payload, story="s1")], {}, NOW
    )
    row = sqlite_store.claim_next("console", NOW)
    assert row is not None
    sqlite_store.mark_sent(row.id, "msg-7", NOW)
    why = handler.handle("/news why", ctx())
    assert "score 97" in why.text and "“Nordkorea” in the title" in why.text
    assert why.text == handler.handle("why", CommandContext("console", "ann", NOW, thread="msg-7")).text


def test_a_subscription_can_keep_only_one_language(handler: CommandHandler, sqlite_store: Store) -> None:
    reply = handler.handle("subscribe Ukraine --lang de", ctx())
    assert reply.ok and "de only" in reply.text
    assert [s.lang for s in sqlite_store.list_subscriptions()] == ["de"]
    assert "(de only)" in handler.handle("list", ctx()).text
    refused = handler.handle("subscribe NATO --lang fr", ctx())
    assert not refused.ok and "--lang takes de or en" in refused.text
    assert not handler.handle("subscribe NATO --lang", ctx()).ok
    assert [s.name for s in sqlite_store.list_subscriptions()] == ["Ukraine"]


def test_quiet_hours_digest_and_time_zone_are_channel_settings(
    handler: CommandHandler, sqlite_store: Store
) -> None:
    zone = handler.handle("settings timezone Europe/Berlin", ctx())
    assert zone.ok and zone.announce and "Europe/Berlin" in zone.text
    quiet = handler.handle("/news settings quiet 22:00-07:00", ctx())
    assert quiet.ok and quiet.announce and "22:00–07:00" in quiet.text
    digest = handler.handle("settings digest daily 7:30", ctx())
    assert digest.ok and "daily at 07:30" in digest.text
    prefs = sqlite_store.delivery_prefs()["console"]
    assert (prefs.timezone, prefs.quiet_start, prefs.quiet_end) == ("Europe/Berlin", "22:00", "07:00")
    assert (prefs.digest, prefs.digest_at, prefs.last_digest_at) == ("daily", "07:30", NOW)
    shown = handler.handle("settings", ctx()).text
    assert "Quiet hours: 22:00–07:00" in shown and "Digest: daily at 07:30" in shown
    assert "Time zone: Europe/Berlin" in shown
    assert changes_settings("settings quiet off") and changes_settings("settings digest off")

    for bad in (
        "settings quiet 22:00",
        "settings quiet 25:00-07:00",
        "settings digest weekly",
        "settings digest hourly 08:00",
        "settings timezone Mars/Olympus",
        "settings timezone ../../etc/passwd",
    ):
        reply = handler.handle(bad, ctx())
        assert not reply.ok and reply.announce is None, bad
    assert sqlite_store.delivery_prefs()["console"] == prefs  # nothing changed by the bad ones

    assert handler.handle("settings quiet off", ctx()).ok
    assert handler.handle("settings digest off", ctx()).ok
    back = sqlite_store.delivery_prefs()["console"]
    assert (back.quiet_start, back.quiet_end, back.digest) == (None, None, "off")


def test_topics_are_case_insensitive_and_resubscribing_adds_and_says_what_changed(
    handler: CommandHandler, sqlite_store: Store
) -> None:
    first = handler.handle("subscribe Nordkorea | North Korea -Südkorea", ctx())
    # the confirmation echoes the whole query, exclusions included
    assert "Nordkorea | North Korea -Südkorea" in first.text

    again = handler.handle("subscribe nordkorea | DPRK", ctx())
    assert again.ok and "added alias DPRK" in again.text
    assert "Now: Nordkorea | North Korea | DPRK -Südkorea." in again.text
    (sub,) = sqlite_store.list_subscriptions("console")  # one topic, not a second beside it
    assert sub.name == "Nordkorea" and sub.query == "Nordkorea | North Korea | DPRK -Südkorea"

    same = handler.handle("subscribe NORDKOREA", ctx())  # nothing dropped, nothing silently kept back
    assert "Nothing changed" in same.text and "-Südkorea" in same.text
    assert sqlite_store.list_subscriptions("console")[0].query == sub.query

    stricter = handler.handle('subscribe Nordkorea +"Kim Jong Un" --threshold 80', ctx())
    assert 'added +"Kim Jong Un"' in stricter.text and "threshold default → 80" in stricter.text
    (sub,) = sqlite_store.list_subscriptions("console")
    assert sub.threshold == 80 and sub.query == 'Nordkorea | North Korea | DPRK +"Kim Jong Un" -Südkorea'

    assert handler.handle("mute nordkorea for 2h", ctx()).ok
    assert handler.handle("unsubscribe NordKorea", ctx()).ok
    assert sqlite_store.list_subscriptions() == []


def test_non_ascii_topic_names_are_case_insensitive_too(handler: CommandHandler, sqlite_store: Store) -> None:
    handler.handle("subscribe Österreich", ctx())
    assert "added alias Austria" in handler.handle("subscribe ÖSTERREICH | Austria", ctx()).text
    assert handler.handle("unmute österreich", ctx()).ok
    assert handler.handle("unsubscribe österreich", ctx()).ok
    assert sqlite_store.list_subscriptions() == []


@pytest.mark.parametrize("command", ["/NEWS LIST", "!News list", "/News\tList"])
def test_commands_and_their_prefix_are_case_insensitive(handler: CommandHandler, command: str) -> None:
    reply = handler.handle(command, ctx())
    assert reply.ok and "tracks no topics" in reply.text


def test_preview_keeps_to_stories_published_in_the_last_three_days_and_says_which_time(
    handler: CommandHandler, sqlite_store: Store
) -> None:
    feed, _ = sqlite_store.add_feed("https://news.example/feed.xml", "Beispiel", NOW)
    seed = (FIXTURES / "seed-article-de.txt").read_text(encoding="utf-8").split("\n", 1)
    # first seen now, but published 24 days ago: an old article, not a story of the last days
    old = NewEntry(
        "old", seed[0], "https://news.example/old", "", seed[1], "de", NOW - timedelta(days=24), "h1", "s1"
    )
    sqlite_store.record_poll(feed.id, [old], [], [], {}, NOW)
    refused = handler.handle("preview Nordkorea", ctx())
    assert "No story published in the last 3 days" in refused.text and "Sabrina Singh" not in refused.text

    undated = NewEntry("undated", seed[0], "https://news.example/new", "", seed[1], "de", None, "h2", "s2")
    sqlite_store.record_poll(feed.id, [undated], [], [], {}, NOW)
    shown = handler.handle("preview Nordkorea", ctx())
    assert "first seen 24.11.2026 12:00 UTC (its feed gives no date)" in shown.text
    assert "https://news.example/new" in shown.text and "https://news.example/old" not in shown.text


def test_a_failing_feed_is_named_once_in_the_feeds_listing(
    handler: CommandHandler, sqlite_store: Store
) -> None:
    url = "https://www.tagesschau.de/index~rss2.xml"
    titled, _ = sqlite_store.add_feed(url, "tagesschau.de", NOW)
    untitled, _ = sqlite_store.add_feed("https://rss.dw.com/xml/rss-de-all", None, NOW)
    for feed in (titled, untitled):  # as the pipeline records a poll that failed offline
        error = f"{feed.url}: host name not found ([Errno -2] Name or service not known)"
        sqlite_store.set_feed_state(feed.id, status="failing", failures=1, last_error=error)
    lines = handler.handle("/news feeds", ctx()).text.splitlines()
    assert lines[1:] == [
        f"• [failing] tagesschau.de <{url}> — host name not found ([Errno -2] Name or service not known)",
        "• [failing] <https://rss.dw.com/xml/rss-de-all> — host name not found ([Errno -2] Name or service "
        "not known)",
    ]


def test_leave_drops_the_channels_topics_where_the_platform_can_leave(
    handler: CommandHandler, sqlite_store: Store
) -> None:
    room = "matrix:!room"
    handler.handle("subscribe Nordkorea", ctx(room))
    handler.handle("subscribe NATO", ctx(room))
    handler.handle("subscribe NATO", ctx("matrix:!other"))
    assert changes_settings("!news leave")  # it changes what the channel receives: permission first

    goodbye = handler.handle(
        "!news leave", CommandContext(channel=room, user="@ann:x", now=NOW, can_leave=True)
    )
    assert goodbye.ok and goodbye.leave
    assert "leaving" in goodbye.text and "@ann:x" in goodbye.text and "2 topics are dropped" in goodbye.text
    assert sqlite_store.list_subscriptions(room) == []
    assert [s.name for s in sqlite_store.list_subscriptions("matrix:!other")] == ["NATO"]


def test_leave_where_the_platform_cannot_changes_nothing_and_says_so(
    handler: CommandHandler, sqlite_store: Store
) -> None:
    handler.handle("subscribe Nordkorea", ctx("slack:C1"))
    refused = handler.handle("/news leave", ctx("slack:C1"))
    assert not refused.ok and not refused.leave
    assert "Matrix" in refused.text and "Nothing changed" in refused.text
    assert [s.name for s in sqlite_store.list_subscriptions("slack:C1")] == ["Nordkorea"]


def test_help_names_every_command_the_same_on_every_platform(handler: CommandHandler) -> None:
    matrix = handler.handle(
        "!news help", CommandContext(channel="matrix:!r", user="@a:x", now=NOW, can_leave=True)
    )
    slack = handler.handle("/news help", ctx("slack:C1"))
    console = handler.handle("help", ctx())
    assert matrix.text == slack.text == console.text
    assert "\n  leave " in matrix.text and "\n  subscribe " in matrix.text
