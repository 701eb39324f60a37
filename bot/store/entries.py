"""Entries and their stories in SQL.

A poll's entries and the alerts they cause are one transaction (`record_poll`).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, case, func, or_, select, update

from bot.model import FeedState
from bot.store.base import IN_CHUNK, StoreBase, aware
from bot.store.rows import (
    NewEntry,
    PendingAlert,
    RecentEntry,
    StoredEntry,
    feed_columns,
    same_title,
    story_item_id,
)
from bot.store.schema import alerts, entries, feeds


def _recent_entry(row: Any, since: datetime) -> RecentEntry:
    """An entry row joined with its feed's url and title (`feed_title`) as story grouping reads it."""
    return RecentEntry(
        entry_id=row["id"],
        link=row["link"],
        story_item_id=story_item_id(row["feed_id"], row["key"]),
        title=row["title"],
        summary=row["summary"],
        text=row["text"],
        published=aware(row["published"]),
        first_seen_at=aware(row["first_seen_at"]) or since,
        source=row["feed_title"] or row["url"],
        lang=row["lang"],
        story=row["story"],
        story_features=row["story_features"],
    )


# Statements every poll runs, built once (SQLAlchemy then skips building and coercing them per call).
# One feed's rows among some keys (or links): on the (feed, key) index on SQLite and PostgreSQL alike,
# where a `(feed_id, key) IN (VALUES …)` of many feeds makes SQLite scan the whole table for each batch.
_KNOWN_ENTRIES = select(entries.c.id, entries.c.key, entries.c.content_hash, entries.c.story).where(
    entries.c.feed_id == bindparam("feed"), entries.c.key.in_(bindparam("keys", expanding=True))
)
# the columns set are the parameters' keys besides `feed_row_id`
_FEED_UPDATE = update(feeds).where(feeds.c.id == bindparam("feed_row_id"))


class SQLEntryStore(StoreBase):
    """Stored entries, what story grouping reads back, and the write of a whole poll."""

    @functools.cached_property
    def _entry_insert(self) -> Any:
        """A poll's new entries: one multi-row INSERT that skips those another process stored."""
        return (
            self._insert(entries)
            .on_conflict_do_nothing(index_elements=["feed_id", "key"])
            .returning(entries.c.id, entries.c.key)
        )

    @functools.cached_property
    def _alert_insert(self) -> Any:
        """An alert of the outbox, skipped when another process wrote it first."""
        return (
            self._insert(alerts)
            .on_conflict_do_nothing(index_elements=["channel", "kind", "entry_id"])
            .returning(alerts.c.id)
        )

    def known_entries_of(self, wanted: dict[int, Sequence[str]]) -> dict[int, dict[str, StoredEntry]]:
        """For several feeds at once (a poll cycle's): their stored entries among the keys given,
        in one transaction, each feed's keys looked up on the (feed, key) index."""
        found: dict[int, dict[str, StoredEntry]] = {}
        with self._tx() as conn:
            for feed_id, keys in wanted.items():
                unique = list(dict.fromkeys(keys))
                for start in range(0, len(unique), IN_CHUNK):
                    chunk = unique[start : start + IN_CHUNK]
                    for entry_id, key, content_hash, story in conn.execute(
                        _KNOWN_ENTRIES, {"feed": feed_id, "keys": chunk}
                    ).all():
                        found.setdefault(feed_id, {})[key] = StoredEntry(
                            entry_id, feed_id, key, content_hash, story
                        )
        return found

    def stored_as_other_item(
        self, link_keys: dict[int, dict[str, tuple[str, str]]], links: dict[int, dict[str, tuple[str, str]]]
    ) -> dict[int, set[str]]:
        """Incoming entries that a feed already has under their other identity (a feed that drops
        or adds an item's guid, or a truncated document that lost it): per feed, the incoming keys
        whose normalised link is the key of a stored entry (`link_keys`: key -> (link key, title)),
        or whose link is that of a stored entry with a guid (`links`: key -> (link, title)), when
        the stored entry has the same title: two items may share a link, one item keeps its title."""
        found: dict[int, set[str]] = {}
        with self._tx() as conn:
            for column, wanted in ((entries.c.key, link_keys), (entries.c.link, links)):
                statement = select(column, entries.c.key, entries.c.title).where(
                    entries.c.feed_id == bindparam("feed"), column.in_(bindparam("refs", expanding=True))
                )
                for fid, items in wanted.items():
                    incoming: dict[str, list[tuple[str, str]]] = {}
                    for key, (ref, title) in items.items():
                        incoming.setdefault(ref, []).append((key, same_title(title)))
                    refs = list(incoming)
                    for start in range(0, len(refs), IN_CHUNK):
                        rows = conn.execute(statement, {"feed": fid, "refs": refs[start : start + IN_CHUNK]})
                        for ref, stored_key, stored_title in rows.all():
                            for key, title in incoming[ref]:
                                if stored_key != key and same_title(stored_title) == title:
                                    found.setdefault(fid, set()).add(key)
        return found

    def publishing_histories(
        self, feed_ids: Collection[int], since: datetime
    ) -> dict[int, list[tuple[str, datetime | None, datetime]]]:
        """(key, published, first seen) of each feed's entries first seen since `since`, in one read
        (a feed with none maps to []): what pacing estimates a feed's rate from, besides the document."""
        found: dict[int, list[tuple[str, datetime | None, datetime]]] = {feed_id: [] for feed_id in feed_ids}
        ids = list(found)
        with self._tx() as conn:
            for start in range(0, len(ids), IN_CHUNK):
                rows = conn.execute(
                    select(
                        entries.c.feed_id, entries.c.key, entries.c.published, entries.c.first_seen_at
                    ).where(
                        entries.c.feed_id.in_(ids[start : start + IN_CHUNK]),
                        entries.c.first_seen_at >= since,
                    )
                )
                for feed_id, key, published, seen in rows:
                    found[feed_id].append((key, aware(published), aware(seen) or since))
        return found

    def recent_entries(self, since: datetime, after_id: int = 0) -> list[RecentEntry]:
        """Entries first seen since `since` and stored after entry `after_id`, oldest first."""
        return self.entries_after(since, after_id)[0]

    def entries_after(
        self,
        since: datetime,
        after_id: int = 0,
        skip_items: Collection[str] = (),
        *,
        text_of_analysed: bool = True,
        limit: int | None = None,
    ) -> tuple[list[RecentEntry], int]:
        """Entries first seen since `since` and stored after entry `after_id`, oldest first,
        except the story items in `skip_items` (those the caller grouped itself); and the newest
        entry id looked at, skipped or not. With `limit`, only the first `limit` entries are looked
        at, so that a caller can read a large window in batches (the newest id is where the next
        batch starts).

        Story grouping rebuilds itself from these at start-up and catches up with what other
        processes stored since; it reads their stored features, so it asks for no text
        (`text_of_analysed=False`) of entries that have them. Identities are read first and whole
        rows only for the entries wanted, so a process that stored thousands of entries itself
        does not read them back.
        """
        newest = after_id
        with self._tx() as conn:
            wanted = []
            identities = (
                select(entries.c.id, entries.c.feed_id, entries.c.key)
                .where(entries.c.first_seen_at >= since, entries.c.id > after_id)
                .order_by(entries.c.id)
                .limit(limit)
            )
            for r in conn.execute(identities):
                newest = max(newest, r.id)
                if story_item_id(r.feed_id, r.key) not in skip_items:
                    wanted.append(r.id)
            found: list[RecentEntry] = []
            for start in range(0, len(wanted), 500):
                analysed = entries.c.story_features.is_not(None)
                # the text only where story grouping must still analyse it, unless asked for
                summary: ColumnElement[Any] = entries.c.summary
                text: ColumnElement[Any] = entries.c.text
                if not text_of_analysed:
                    summary = case((analysed, ""), else_=entries.c.summary).label("summary")
                    text = case((analysed, ""), else_=entries.c.text).label("text")
                query = (
                    select(
                        entries.c.id,
                        entries.c.feed_id,
                        entries.c.key,
                        entries.c.link,
                        entries.c.title,
                        summary,
                        text,
                        entries.c.published,
                        entries.c.first_seen_at,
                        entries.c.lang,
                        entries.c.story,
                        entries.c.story_features,
                        feeds.c.url,
                        feeds.c.title.label("feed_title"),
                    )
                    .join(feeds, feeds.c.id == entries.c.feed_id)
                    .where(entries.c.id.in_(wanted[start : start + 500]))
                    .order_by(entries.c.id)
                )
                found.extend(_recent_entry(r, since) for r in conn.execute(query).mappings())
            return found, newest

    def count_unanalysed(self, since: datetime) -> int:
        """Entries of the story window (first seen since `since`) stored without story features."""
        with self._tx() as conn:
            query = select(func.count()).where(
                entries.c.first_seen_at >= since, entries.c.story_features.is_(None)
            )
            return int(conn.execute(query).scalar_one())

    def unanalysed_entries(self, since: datetime, after_id: int, limit: int) -> list[RecentEntry]:
        """Up to `limit` entries of the window without story features, after entry `after_id`."""
        with self._tx() as conn:
            query = (
                select(entries, feeds.c.url, feeds.c.title.label("feed_title"))
                .join(feeds, feeds.c.id == entries.c.feed_id)
                .where(
                    entries.c.first_seen_at >= since,
                    entries.c.story_features.is_(None),
                    entries.c.id > after_id,
                )
                .order_by(entries.c.id)
                .limit(limit)
            )
            return [_recent_entry(r, since) for r in conn.execute(query).mappings()]

    def store_story_features(self, features: Mapping[int, str]) -> None:
        """Keep the story features of entries (entry id -> StoryFeatures.encode())."""
        with self._tx() as conn:
            for entry_id, encoded in features.items():
                conn.execute(update(entries).where(entries.c.id == entry_id).values(story_features=encoded))

    def story_reports(self, stories: Iterable[str]) -> dict[str, list[tuple[str, datetime]]]:
        """Per story, each stored report's feed and when it was published (else first seen)."""
        wanted = set(stories)
        found: dict[str, list[tuple[str, datetime]]] = {story: [] for story in wanted}
        if not wanted:
            return found
        with self._tx() as conn:
            rows = conn.execute(
                select(
                    entries.c.story, entries.c.feed_id, entries.c.published, entries.c.first_seen_at
                ).where(entries.c.story.in_(wanted))
            )
            for r in rows:
                seen = aware(r.first_seen_at)
                published = aware(r.published)
                at = published if published is not None and seen is not None and published <= seen else seen
                if at is not None:
                    found[r.story].append((str(r.feed_id), at))
        return found

    def record_poll(
        self,
        feed_id: int,
        new: Sequence[NewEntry],
        changed: Sequence[tuple[int, NewEntry]],
        outbox: Sequence[PendingAlert],
        feed_state: FeedState | Mapping[str, Any] | None,
        now: datetime,
        edit_interval: timedelta = timedelta(0),
    ) -> int:
        """One transaction: new and changed entries, the alerts they cause, the feed's new state.

        Returns the number of alerts written. An entry or alert that already exists (another
        process got there first) is skipped, never doubled.
        """
        written = 0
        with self._tx() as conn:
            rows = [
                {
                    "feed_id": feed_id,
                    "key": item.key,
                    "title": item.title,
                    "link": item.link,
                    "summary": item.summary,
                    "text": item.text,
                    "lang": item.lang,
                    "published": item.published,
                    "content_hash": item.content_hash,
                    "first_seen_at": now,
                    "story": item.story,
                    "story_features": item.story_features,
                }
                for item in new
            ]
            # one multi-row INSERT … ON CONFLICT DO NOTHING RETURNING: an entry another process
            # stored first is skipped (and not returned), without a savepoint per row
            ids: dict[str, int] = {}
            if rows:
                inserted = conn.execute(self._entry_insert, rows)
                ids = {row.key: int(row.id) for row in inserted}
            for changed_id, item in changed:
                conn.execute(
                    update(entries)
                    .where(entries.c.id == changed_id)
                    .values(**item.edited_columns(), updated_at=now)
                )
            batch_parents: dict[tuple[str, str], int] = {}
            for alert in outbox:
                if alert.parent_entry_key is not None:
                    parent_id = batch_parents.get((alert.channel, alert.parent_entry_key))
                    if parent_id is None:
                        continue  # the parent was not written (already existed): neither is this
                    alert = replace(alert, parent_id=parent_id)
                entry_id = ids.get(alert.entry_key) if alert.entry_key else None
                if alert.entry_key and entry_id is None:
                    continue  # its entry was stored by someone else: so was the alert
                not_before = None
                if alert.kind == "edit" and alert.parent_id is not None:
                    if self._merge_edit(conn, alert):
                        continue
                    not_before = self._next_edit_time(conn, alert.parent_id, now, edit_interval)
                inserted_alert = conn.execute(
                    self._alert_insert,
                    {
                        "channel": alert.channel,
                        "kind": alert.kind,
                        "entry_id": entry_id,
                        "story": alert.story,
                        "topic": alert.topic,
                        "parent_id": alert.parent_id,
                        "payload": alert.payload,
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                        "not_before": not_before,
                    },
                ).first()
                if inserted_alert is None:
                    continue  # another process wrote it first
                written += 1
                if alert.kind == "alert" and alert.entry_key:
                    batch_parents[(alert.channel, alert.entry_key)] = int(inserted_alert.id)
            if feed_state:
                conn.execute(_FEED_UPDATE, {**feed_columns(feed_state), "feed_row_id": feed_id})
        return written

    @staticmethod
    def _next_edit_time(
        conn: Connection, parent_id: int, now: datetime, interval: timedelta
    ) -> datetime | None:
        """Edits of one parent are spaced by `interval`, so a busy story cannot hit rate limits."""
        last = conn.execute(
            select(func.max(alerts.c.sent_at)).where(
                or_(alerts.c.id == parent_id, and_(alerts.c.parent_id == parent_id, alerts.c.kind == "edit"))
            )
        ).scalar()
        last = aware(last)
        if last is None or last + interval <= now:
            return None
        return last + interval

    @staticmethod
    def _merge_edit(conn: Connection, alert: PendingAlert) -> bool:
        """Fold an edit into a pending edit of the same parent, so a busy story sends one edit."""
        pending = conn.execute(
            select(alerts.c.id).where(
                alerts.c.kind == "edit", alerts.c.parent_id == alert.parent_id, alerts.c.status == "pending"
            )
        ).first()
        if pending is None:
            return False
        conn.execute(update(alerts).where(alerts.c.id == pending.id).values(payload=alert.payload))
        return True
