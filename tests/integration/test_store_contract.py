"""One contract for every store: the same behaviours on the in-memory store, SQLite and PostgreSQL.

What the pipeline, the deliverer and the commands rely on (ordering, idempotency, leases, the
outbox's claims and retries, subscriptions, settings and feedback) is asserted once here, so the
unit tests that run on `MemoryStore` test what the real stores do.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

import pytest

from bot.store.db import Store
from bot.store.memory import MemoryStore
from bot.store.ports import CommandStore, DeliveryStore, PipelineStore
from bot.store.rows import NewEntry, NewSubscription, PendingAlert

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
FEED = "https://news.example/feed.xml"


class AnyStore(PipelineStore, DeliveryStore, CommandStore, Protocol):
    """Every port at once: what both stores offer."""


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest) -> AnyStore:
    if request.param == "memory":
        return MemoryStore()
    fixture: Store = request.getfixturevalue(f"{request.param}_store")
    return fixture


def _entry(key: str, story: str = "s1", *, text: str = "body", published: datetime = NOW) -> NewEntry:
    return NewEntry(
        key=key,
        title=f"title {key}",
        link=f"https://news.example/{key}",
        summary=f"summary {key}",
        text=text,
        lang="de",
        published=published,
        content_hash=f"hash-{key}-{text}",
        story=story,
        story_features=None,
    )


def _alert(key: str, story: str = "s1", channel: str = "console", topic: str = "NATO") -> PendingAlert:
    return PendingAlert(
        channel=channel, kind="alert", payload={"title": key}, entry_key=key, story=story, topic=topic
    )


def _send_all(store: AnyStore, channel: str, now: datetime = NOW) -> list[tuple[str, dict[str, object]]]:
    """Claim and confirm everything the channel may get now: (kind, payload) in order."""
    sent = []
    while (row := store.claim_next(channel, now)) is not None:
        sent.append((row.kind, row.payload))
        store.mark_sent(row.id, f"m{row.id}", now)
    return sent


def test_a_feed_is_added_once_by_url_and_a_missing_title_filled_in(any_store: AnyStore) -> None:
    feed, added = any_store.add_feed(FEED, None, NOW)
    again, added_again = any_store.add_feed(FEED, "Example", NOW, category="World")
    assert added and not added_again
    assert again.id == feed.id and again.title == "Example" and again.category == "World"
    kept, _ = any_store.add_feed(FEED, "Another title", NOW)
    assert kept.title == "Example"
    assert [f.url for f in any_store.list_feeds()] == [FEED]
    assert any_store.feed_url_taken(FEED, except_id=feed.id + 1)
    assert not any_store.feed_url_taken(FEED, except_id=feed.id)


def test_a_due_feed_is_leased_to_one_poller_until_its_lease_ends(any_store: AnyStore) -> None:
    due, _ = any_store.add_feed(FEED, None, NOW)
    later, _ = any_store.add_feed("https://news.example/later.xml", None, NOW)
    any_store.set_feed_state(later.id, next_poll_at=NOW + timedelta(hours=1))
    taken = any_store.lease_due_feeds(NOW, "poller-a", timedelta(minutes=5))
    assert [f.id for f in taken] == [due.id]
    assert any_store.lease_due_feeds(NOW, "poller-b", timedelta(minutes=5)) == []
    after_lease = NOW + timedelta(minutes=6)
    assert [f.id for f in any_store.lease_due_feeds(after_lease, "poller-b", timedelta(minutes=5))] == [
        due.id
    ]
    everything = any_store.lease_due_feeds(NOW + timedelta(minutes=12), "c", timedelta(minutes=5), every=True)
    assert [f.id for f in everything] == [due.id, later.id]


def test_a_paused_feed_is_not_polled_until_resumed(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, None, NOW)
    any_store.set_feed_states([(feed.id, {"status": "paused", "failures": 5})])
    assert any_store.lease_due_feeds(NOW, "a", timedelta(minutes=5)) == []
    assert any_store.resume_feed(FEED, NOW) and not any_store.resume_feed("https://other.example/", NOW)
    (resumed,) = any_store.lease_due_feeds(NOW, "a", timedelta(minutes=5))
    assert resumed.status == "ok" and resumed.failures == 0


def test_a_poll_written_twice_stores_its_entries_and_alerts_once(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, None, NOW)
    followup = PendingAlert(
        channel="console", kind="followup", payload={"title": "b"}, entry_key="b", parent_entry_key="a"
    )
    batch = [_alert("a"), followup]
    assert any_store.record_poll(feed.id, [_entry("a"), _entry("b")], [], batch, {"status": "ok"}, NOW) == 2
    assert any_store.record_poll(feed.id, [_entry("a"), _entry("b")], [], batch, {"status": "ok"}, NOW) == 0
    known = any_store.known_entries_of({feed.id: ["a", "b", "c"]})[feed.id]
    assert sorted(known) == ["a", "b"] and known["a"].story == "s1"
    first = any_store.claim_next("console", NOW)
    assert first is not None and first.kind == "alert"
    assert any_store.claim_next("console", NOW) is None  # the follow-up waits for its parent's message
    any_store.mark_sent(first.id, "parent-msg", NOW)
    reply = any_store.claim_next("console", NOW)
    assert reply is not None and reply.kind == "followup" and reply.parent_message_id == "parent-msg"
    assert any_store.list_feeds()[0].status == "ok"


def test_a_changed_entry_keeps_its_id_and_takes_the_new_content(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, None, NOW)
    any_store.record_poll(feed.id, [_entry("a")], [], [], {}, NOW)
    stored = any_store.known_entries_of({feed.id: ["a"]})[feed.id]["a"]
    any_store.record_poll(feed.id, [], [(stored.id, _entry("a", text="corrected"))], [], {}, NOW)
    now_stored = any_store.known_entries_of({feed.id: ["a"]})[feed.id]["a"]
    assert now_stored.id == stored.id and now_stored.content_hash == "hash-a-corrected"
    (recent,) = any_store.recent_entries(NOW - timedelta(hours=1))
    assert recent.text == "corrected" and recent.source == FEED


def test_pending_edits_of_a_parent_fold_into_one_with_the_latest_text(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, None, NOW)
    any_store.record_poll(feed.id, [_entry("a")], [], [_alert("a")], {}, NOW)
    parent_id, payload = any_store.story_parents([("console", "s1")])[("console", "s1")]
    assert payload == {"title": "a"}
    for sources in (2, 3):
        edit = PendingAlert(
            channel="console",
            kind="edit",
            payload={"title": "a", "sources": sources},
            story="s1",
            parent_id=parent_id,
        )
        any_store.record_poll(feed.id, [], [], [edit], {}, NOW)
    assert any_store.story_parents([("console", "s1"), ("console", "other")]) == {
        ("console", "s1"): (parent_id, {"title": "a", "sources": 3})
    }
    assert _send_all(any_store, "console") == [
        ("alert", {"title": "a"}),
        ("edit", {"title": "a", "sources": 3}),
    ]


def test_an_edit_waits_the_edit_interval_after_the_last_send(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, None, NOW)
    any_store.record_poll(feed.id, [_entry("a")], [], [_alert("a")], {}, NOW)
    _send_all(any_store, "console")
    parent_id, _ = any_store.story_parents([("console", "s1")])[("console", "s1")]
    edit = PendingAlert(channel="console", kind="edit", payload={"title": "a2"}, parent_id=parent_id)
    interval = timedelta(seconds=30)
    any_store.record_poll(feed.id, [], [], [edit], {}, NOW + timedelta(seconds=10), interval)
    assert any_store.pending_channels(NOW + timedelta(seconds=20)) == []
    assert _send_all(any_store, "console", NOW + timedelta(seconds=31)) == [("edit", {"title": "a2"})]


def test_a_retried_alert_holds_back_later_ones_but_not_notices(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, None, NOW)
    any_store.record_poll(
        feed.id, [_entry("a", "a"), _entry("b", "b")], [], [_alert("a", "a"), _alert("b", "b")], {}, NOW
    )
    any_store.add_notice("console", "feed paused", NOW)
    first = any_store.claim_next("console", NOW)
    assert first is not None and first.payload == {"title": "a"} and first.attempts == 1
    any_store.mark_retry(first.id, "HTTP 429", NOW + timedelta(seconds=30))
    assert any_store.claim_next("console", NOW) is None  # b must not overtake a
    assert _send_all(any_store, "console", NOW + timedelta(seconds=31)) == [
        ("alert", {"title": "a"}),
        ("alert", {"title": "b"}),
        ("notice", {"text": "feed paused"}),
    ]


def test_a_given_up_parent_sends_its_followup_unthreaded_and_drops_its_edit(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, None, NOW)
    followup = PendingAlert(
        channel="console", kind="followup", payload={"title": "b"}, entry_key="b", parent_entry_key="a"
    )
    any_store.record_poll(feed.id, [_entry("a"), _entry("b")], [], [_alert("a"), followup], {}, NOW)
    parent_id, _ = any_store.story_parents([("console", "s1")])[("console", "s1")]
    edit = PendingAlert(channel="console", kind="edit", payload={"title": "a2"}, parent_id=parent_id)
    any_store.record_poll(feed.id, [], [], [edit], {}, NOW)
    parent = any_store.claim_next("console", NOW)
    assert parent is not None
    any_store.mark_retry(parent.id, "broken payload", NOW, give_up=True)
    orphan = any_store.claim_next("console", NOW)
    assert orphan is not None and orphan.kind == "followup"
    assert orphan.parent_id is None and orphan.parent_message_id is None
    any_store.mark_sent(orphan.id, "m", NOW)
    assert any_store.claim_next("console", NOW) is None  # the edit of a parent never sent is given up


def test_a_paused_channel_keeps_its_alerts_until_resumed(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, None, NOW)
    any_store.record_poll(feed.id, [_entry("a")], [], [_alert("a", channel="slack:C1")], {}, NOW)
    any_store.add_notice("console", "hello", NOW)
    assert any_store.pending_channels(NOW) == ["console", "slack:C1"]
    any_store.pause_channel("slack:C1", "not_in_channel")
    assert any_store.paused_channels() == {"slack:C1": "not_in_channel"}
    assert any_store.pending_channels(NOW) == ["console"]
    assert any_store.resume_channel("slack:C1") and not any_store.resume_channel("slack:C1")
    assert any_store.pending_channels(NOW) == ["console", "slack:C1"]


def test_a_digest_claims_every_waiting_row_and_moves_the_digest_time(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, None, NOW)
    any_store.set_delivery_prefs("console", digest="daily", digest_at="08:00", timezone="Europe/Berlin")
    any_store.record_poll(
        feed.id, [_entry("a", "a"), _entry("b", "b")], [], [_alert("a", "a"), _alert("b", "b")], {}, NOW
    )
    rows = any_store.claim_waiting("console", NOW)
    assert [row.payload for row in rows] == [{"title": "a"}, {"title": "b"}]
    assert any_store.claim_waiting("console", NOW) == []
    any_store.mark_digest_sent("console", [row.id for row in rows], "digest-1", NOW)
    prefs = any_store.delivery_prefs()["console"]
    assert prefs.digest == "daily" and prefs.digest_at == "08:00" and prefs.timezone == "Europe/Berlin"
    assert prefs.last_digest_at == NOW
    assert any_store.last_alert("console") == {"title": "b"}


def test_a_channel_topic_is_found_removed_and_muted_in_any_case(any_store: AnyStore) -> None:
    assert any_store.add_subscription(
        NewSubscription("console", "Nordkorea", "Nordkorea | Pjöngjang", None, "u1"), NOW
    )
    assert not any_store.add_subscription(
        NewSubscription("console", "Nordkorea", "Nordkorea", 0.7, "u2", lang="de"), NOW
    )
    assert any_store.add_subscription(NewSubscription("slack:C1", "NATO", "NATO", None, None), NOW)
    (topic,) = any_store.list_subscriptions("console")
    assert (topic.query, topic.threshold, topic.lang, topic.created_by) == ("Nordkorea", 0.7, "de", "u1")
    found = any_store.subscription("console", " nordkorea ")
    assert found is not None and found.name == "Nordkorea"
    assert [s.channel for s in any_store.list_subscriptions()] == ["console", "slack:C1"]
    until = NOW + timedelta(hours=2)
    assert any_store.mute_subscription("console", "nordkorea", until)
    muted = any_store.subscription("console", "Nordkorea")
    assert muted is not None and muted.muted(NOW) and not muted.muted(until)
    assert not any_store.remove_subscription("console", "NATO")
    assert any_store.remove_subscription("console", "NORDKOREA")
    assert any_store.list_subscriptions("console") == []


def test_channel_settings_start_from_the_defaults(any_store: AnyStore) -> None:
    assert any_store.thread_modes() == {} and any_store.channel_switches() == {}
    any_store.set_thread_mode("console", "flat")
    any_store.set_channel_switch("slack:C1", learn=True)
    any_store.set_channel_switch("slack:C2", breaking=False)
    assert any_store.thread_modes() == {"console": "flat", "slack:C1": "thread", "slack:C2": "thread"}
    assert any_store.channel_switches() == {"slack:C1": (True, False)}
    prefs = any_store.delivery_prefs()["console"]
    assert (prefs.timezone, prefs.digest, prefs.quiet_start) == ("UTC", "off", None)


def test_a_readers_verdict_counts_once_and_the_latest_one_wins(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, "Example", NOW)
    any_store.record_poll(
        feed.id, [_entry("a", "a"), _entry("b", "b")], [], [_alert("a", "a"), _alert("b", "b")], {}, NOW
    )
    _send_all(any_store, "console")
    message = any_store.latest_alert_message("console")
    assert message is not None and any_store.alert_by_message("console", message) == {"title": "b"}
    assert any_store.latest_alert_message("console", "no-such-message") is None
    assert any_store.add_feedback("console", "NATO", message, "u1", "not_relevant", NOW)
    assert not any_store.add_feedback("console", "NATO", message, "u1", "not_relevant", NOW)
    assert any_store.add_feedback("console", "NATO", message, "u2", "not_relevant", NOW)
    assert any_store.feedback_counts("console") == {"NATO": 2}
    assert any_store.add_feedback("console", "NATO", message, "u1", "relevant", NOW)
    (verdict,) = any_store.verdicts("console", "nato")
    assert verdict.relevant is True and verdict.title == "b" and verdict.summary == "summary b"
    unjudged = any_store.unjudged_alerts("console", "NATO", NOW - timedelta(hours=1))
    assert [(j.title, j.relevant) for j in unjudged] == [("a", None)]
    assert any_store.forget_feedback("console", "nato") == 3
    assert any_store.verdicts("console", "NATO") == [] and any_store.feedback_counts("console") == {}


def test_story_grouping_reads_back_the_window_in_order(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, "Example", NOW)
    other, _ = any_store.add_feed("https://other.example/feed.xml", None, NOW)
    any_store.record_poll(feed.id, [_entry("a", "s1"), _entry("b", "s2")], [], [], {}, NOW)
    ahead = NOW + timedelta(hours=3)
    any_store.record_poll(
        other.id, [_entry("c", "s1", published=ahead)], [], [], {}, NOW + timedelta(minutes=5)
    )
    recent, newest = any_store.entries_after(NOW - timedelta(hours=1))
    assert [(r.title, r.source, r.story) for r in recent] == [
        ("title a", "Example", "s1"),
        ("title b", "Example", "s2"),
        ("title c", "https://other.example/feed.xml", "s1"),
    ]
    assert newest == recent[-1].entry_id
    skipped, newest_too = any_store.entries_after(
        NOW - timedelta(hours=1), recent[0].entry_id, {recent[1].story_item_id}
    )
    assert [r.title for r in skipped] == ["title c"] and newest_too == newest
    assert any_store.entries_after(NOW + timedelta(minutes=1))[0][0].title == "title c"
    # a large window is read in batches: each looks at `limit` entries (skipped ones count) and says
    # where the next one starts, until a batch looks at nothing
    since, start, titles = NOW - timedelta(hours=1), 0, []
    while True:
        batch, start_next = any_store.entries_after(since, start, {recent[1].story_item_id}, limit=1)
        if start_next == start:
            break
        titles.append([r.title for r in batch])
        start = start_next
    assert titles == [["title a"], [], ["title c"]] and start == newest
    reports = any_store.story_reports(["s1", "s3"])
    assert sorted(reports["s1"]) == [(str(feed.id), NOW), (str(other.id), NOW + timedelta(minutes=5))]
    assert reports["s3"] == []
    history = any_store.publishing_histories([feed.id, other.id + 1], NOW - timedelta(hours=1))
    assert sorted(key for key, _, _ in history[feed.id]) == ["a", "b"] and history[other.id + 1] == []


def test_an_item_stored_under_its_other_identity_is_recognised(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, None, NOW)
    any_store.record_poll(feed.id, [_entry("guid-1")], [], [], {}, NOW)
    link = "https://news.example/guid-1"
    found = any_store.stored_as_other_item(
        {}, {feed.id: {link: (link, "Title  GUID-1"), "x": (link, "else")}}
    )
    assert found == {feed.id: {link}}


def test_story_starts_are_a_topics_parent_alerts_newest_first(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, None, NOW)
    any_store.record_poll(feed.id, [_entry("a", "s1")], [], [_alert("a", "s1")], {}, NOW)
    any_store.record_poll(feed.id, [_entry("b", "s2")], [], [_alert("b", "s2", topic="Other")], {}, NOW)
    any_store.record_poll(feed.id, [_entry("c", "s3")], [], [_alert("c", "s3")], {}, NOW)
    assert any_store.story_starts("console", "nato", NOW) == ["s3", "s1"]
    assert any_store.story_starts("console", "NATO", NOW + timedelta(seconds=1)) == []


def test_removing_a_feed_removes_its_entries(any_store: AnyStore) -> None:
    feed, _ = any_store.add_feed(FEED, None, NOW)
    any_store.record_poll(feed.id, [_entry("a")], [], [_alert("a")], {}, NOW)
    assert any_store.remove_feed(FEED) and not any_store.remove_feed(FEED)
    assert any_store.list_feeds() == [] and any_store.recent_entries(NOW - timedelta(hours=1)) == []
    assert _send_all(any_store, "console") == [("alert", {"title": "a"})]  # what was owed still goes out
