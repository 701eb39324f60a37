"""The store against real SQLite and real PostgreSQL."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.errors import StoreError
from bot.store.db import Store
from bot.store.rows import DeclaredFeed, NewEntry, NewSubscription, PendingAlert
from bot.store.slack_tables import metadata  # every table, the Slack OAuth ones included

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _entry(key: str, story: str = "s1", text: str = "body") -> NewEntry:
    return NewEntry(
        key=key,
        title=f"title {key}",
        link=f"https://news.example/{key}",
        summary="",
        text=text,
        lang="de",
        published=NOW,
        content_hash=f"hash-{key}-{text}",
        story=story,
    )


def test_migrations_build_exactly_the_declared_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_an_entry_is_stored_once_even_when_written_twice(store: Store) -> None:
    feed, added = store.add_feed("https://news.example/feed.xml", "Example", NOW)
    assert added
    alert = PendingAlert(channel="console", kind="alert", payload={"title": "a"}, entry_key="a", story="s1")
    assert store.record_poll(feed.id, [_entry("a")], [], [alert], {"status": "ok"}, NOW) == 1
    # a second process (or a retried cycle) writes the same entry and alert again
    assert store.record_poll(feed.id, [_entry("a")], [], [alert], {"status": "ok"}, NOW) == 0
    assert list(store.known_entries_of({feed.id: ["a", "b"]})[feed.id]) == ["a"]
    assert store.alert_counts() == {"pending": 1}


def test_outbox_goes_out_in_order_and_a_followup_waits_for_its_parent(store: Store) -> None:
    feed, _ = store.add_feed("https://news.example/feed.xml", None, NOW)
    parent = PendingAlert(channel="console", kind="alert", payload={"n": 1}, entry_key="a", story="s1")
    store.record_poll(feed.id, [_entry("a")], [], [parent], {}, NOW)
    parents = store.story_parents([("console", "s1")])
    parent_id = parents[("console", "s1")][0]
    followup = PendingAlert(
        channel="console", kind="followup", payload={"n": 2}, entry_key="b", story="s1", parent_id=parent_id
    )
    store.record_poll(feed.id, [_entry("b")], [], [followup], {}, NOW)

    first = store.claim_next("console", NOW)
    assert first is not None and first.payload == {"n": 1}
    assert store.claim_next("console", NOW) is None  # the follow-up needs the parent's message id
    store.mark_sent(first.id, "msg-1", NOW)
    second = store.claim_next("console", NOW)
    assert second is not None and second.kind == "followup" and second.parent_message_id == "msg-1"


def test_a_failed_send_holds_back_later_alerts_of_that_channel(store: Store) -> None:
    feed, _ = store.add_feed("https://news.example/feed.xml", None, NOW)
    rows = [
        PendingAlert(channel="console", kind="alert", payload={"n": n}, entry_key=k, story=k)
        for n, k in ((1, "a"), (2, "b"))
    ]
    store.record_poll(feed.id, [_entry("a", "a"), _entry("b", "b")], [], rows, {}, NOW)
    first = store.claim_next("console", NOW)
    assert first is not None
    store.mark_retry(first.id, "HTTP 429", NOW + timedelta(seconds=30))
    assert store.claim_next("console", NOW) is None
    retried = store.claim_next("console", NOW + timedelta(seconds=31))
    assert retried is not None and retried.id == first.id and retried.attempts == 2


def test_claimed_but_unconfirmed_alerts_are_resent_after_a_restart(store: Store) -> None:
    feed, _ = store.add_feed("https://news.example/feed.xml", None, NOW)
    store.record_poll(
        feed.id,
        [_entry("a")],
        [],
        [PendingAlert(channel="console", kind="alert", payload={}, entry_key="a", story="s1")],
        {},
        NOW,
    )
    assert store.claim_next("console", NOW) is not None
    assert store.claim_next("console", NOW) is None
    assert store.release_claims() == 1
    assert store.claim_next("console", NOW) is not None


def test_pending_edits_of_one_parent_are_folded_into_one(store: Store) -> None:
    feed, _ = store.add_feed("https://news.example/feed.xml", None, NOW)
    store.record_poll(
        feed.id,
        [_entry("a")],
        [],
        [PendingAlert(channel="console", kind="alert", payload={}, entry_key="a", story="s1")],
        {},
        NOW,
    )
    parent_id = store.story_parents([("console", "s1")])[("console", "s1")][0]
    for key, sources in (("b", ["A", "B"]), ("c", ["A", "B", "C"])):
        edit = PendingAlert(
            channel="console",
            kind="edit",
            payload={"sources": sources},
            entry_key=key,
            story="s1",
            parent_id=parent_id,
        )
        store.record_poll(feed.id, [_entry(key)], [], [edit], {}, NOW)
    assert store.alert_counts() == {"pending": 2}  # the parent and one edit carrying the latest sources
    assert store.story_parents([("console", "s1")])[("console", "s1")][1] == {"sources": ["A", "B", "C"]}


def test_subscriptions_are_per_channel_and_removed_by_name(store: Store) -> None:
    assert store.add_subscription(
        NewSubscription("console", "Nordkorea", "Nordkorea | North Korea", None, "ann"), NOW
    )
    assert not store.add_subscription(NewSubscription("console", "Nordkorea", "Nordkorea", 80.0, "ann"), NOW)
    assert store.add_subscription(NewSubscription("slack:C1", "Nordkorea", "Nordkorea", None, None), NOW)
    assert [s.query for s in store.list_subscriptions("console")] == ["Nordkorea"]
    assert store.remove_subscription("console", "nordkorea")
    assert not store.remove_subscription("console", "Nordkorea")
    assert [s.channel for s in store.list_subscriptions()] == ["slack:C1"]


def test_sqlite_file_lives_in_a_private_data_dir_in_wal_mode(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'state' / 'newsbot.sqlite'}")
    store.upgrade()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()
    assert stat.S_IMODE(os.stat(tmp_path / "state").st_mode) == 0o700


def test_an_unusable_data_dir_is_one_clear_error(tmp_path: Path) -> None:
    occupied = tmp_path / "a-file"
    occupied.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot create data directory"):
        Store(f"sqlite:///{occupied / 'data' / 'newsbot.sqlite'}")


def test_an_unreachable_database_is_one_clear_error() -> None:
    store = Store("postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StoreError) as caught:
        store.upgrade()
    assert "unavailable" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_a_leased_feed_is_not_handed_to_a_second_poller_until_the_lease_ends(store: Store) -> None:
    for n in range(3):
        store.add_feed(f"https://news.example/{n}.xml", None, NOW)
    ttl = timedelta(minutes=2)
    first = store.lease_due_feeds(NOW, "worker-a", ttl, limit=2)
    second = store.lease_due_feeds(NOW, "worker-b", ttl)
    assert len(first) == 2 and len(second) == 1
    assert {f.id for f in first}.isdisjoint({f.id for f in second})
    assert store.lease_due_feeds(NOW, "worker-c", ttl) == []
    # worker-a died: its feeds come back once the lease expires
    later = store.lease_due_feeds(NOW + ttl + timedelta(seconds=1), "worker-c", ttl)
    assert {f.id for f in later} == {f.id for f in first} | {f.id for f in second}


def test_recording_a_poll_ends_the_lease(store: Store) -> None:
    feed, _ = store.add_feed("https://news.example/feed.xml", None, NOW)
    ttl = timedelta(minutes=2)
    assert store.lease_due_feeds(NOW, "worker-a", ttl, every=True)
    store.set_feed_state(feed.id, lease_until=None, next_poll_at=NOW)
    assert [f.id for f in store.lease_due_feeds(NOW, "worker-b", ttl)] == [feed.id]


def test_one_deliverer_per_channel_on_postgres(postgres_store: Store) -> None:
    other = Store(postgres_store.url)
    try:
        with postgres_store.channel_lock("slack:C1") as first:
            assert first
            with other.channel_lock("slack:C1") as second, other.channel_lock("slack:C2") as elsewhere:
                assert not second and elsewhere
        with other.channel_lock("slack:C1") as after:
            assert after
    finally:
        other.close()


def test_declared_feeds_are_added_once_and_their_configuration_applied(store: Store) -> None:
    store.add_feed("https://a.example/feed", None, NOW)
    store.add_feed("https://b.example/feed", "B as named", NOW, full_text="always")
    store.add_feeds(
        [
            DeclaredFeed("https://a.example/feed", title="A", category="Wirtschaft"),
            DeclaredFeed("https://b.example/feed", title="B renamed", full_text="never"),
            DeclaredFeed("https://c.example/feed", title="C"),
            DeclaredFeed("https://c.example/feed", title="C again"),  # named twice: one feed
        ],
        NOW,
    )
    feeds = {feed.url: feed for feed in store.list_feeds()}
    assert sorted(feeds) == ["https://a.example/feed", "https://b.example/feed", "https://c.example/feed"]
    a, b, c = (feeds[f"https://{n}.example/feed"] for n in "abc")
    assert (a.title, a.category) == ("A", "Wirtschaft")  # what it had none of is filled in
    assert (b.title, b.full_text) == ("B as named", "never")  # a title stays, the full-text choice moves
    assert (c.title, c.status, c.enabled) == ("C", "new", True)


def test_a_poll_reads_its_stored_entries_on_the_index_however_many_are_stored(sqlite_store: Store) -> None:
    """A cycle asks for every polled feed's entries among the keys it shows; SQLite must find them by
    the (feed, key) index: a scan of the table for each batch makes every poll slower as it grows."""
    from sqlalchemy import event

    store = sqlite_store
    feeds = [store.add_feed(f"https://news.example/{n}.xml", None, NOW)[0] for n in range(3)]
    for feed in feeds:
        store.record_poll(
            feed.id, [_entry(f"{feed.id}-{k}") for k in range(5)], [], [], {"status": "ok"}, NOW
        )
    statements: list[tuple[str, object]] = []

    def seen(conn: object, cursor: object, statement: str, parameters: object, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        known = store.known_entries_of({f.id: [f"{f.id}-1", f"{f.id}-4", "new"] for f in feeds})
        store.stored_as_other_item(
            {feeds[0].id: {"new": (f"{feeds[0].id}-2", "title x")}},
            {feeds[1].id: {"new": ("https://news.example/x", "title x")}},
        )
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert {feed_id: sorted(found) for feed_id, found in known.items()} == {
        f.id: [f"{f.id}-1", f"{f.id}-4"] for f in feeds
    }
    assert statements
    with store.engine.connect() as conn:
        for statement, parameters in statements:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            details = [row[-1] for row in plan]
            assert "SCAN entries" not in details, (statement, details)
            assert any("USING INDEX" in d for d in details), (statement, details)
