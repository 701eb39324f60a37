"""Entries and their stories in memory, and the write of a whole poll."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from bot.model import FeedState
from bot.store.memory.tables import MemoryTables
from bot.store.rows import (
    NewEntry,
    PendingAlert,
    RecentEntry,
    StoredEntry,
    feed_columns,
    same_title,
    story_item_id,
)


class MemoryEntries(MemoryTables):
    """Stored entries and a poll's one write, as `SQLEntryStore` does them."""

    def known_entries_of(self, wanted: dict[int, Sequence[str]]) -> dict[int, dict[str, StoredEntry]]:
        found: dict[int, dict[str, StoredEntry]] = {}
        for feed_id, keys in wanted.items():
            for key in keys:
                entry_id = self._entry_ids.get((feed_id, key))
                if entry_id is not None:
                    entry = self._entries[entry_id]
                    found.setdefault(feed_id, {})[key] = StoredEntry(
                        entry_id, feed_id, key, entry["content_hash"], entry["story"]
                    )
        return found

    def stored_as_other_item(
        self, link_keys: dict[int, dict[str, tuple[str, str]]], links: dict[int, dict[str, tuple[str, str]]]
    ) -> dict[int, set[str]]:
        """Incoming keys whose link is a stored entry's key (`link_keys`) or link (`links`), where
        that stored entry, under another key, has the same title."""
        found: dict[int, set[str]] = {}
        for column, wanted in (("key", link_keys), ("link", links)):
            for feed_id, items in wanted.items():
                for key, (ref, title) in items.items():
                    if any(
                        entry["feed_id"] == feed_id
                        and entry[column] == ref
                        and entry["key"] != key
                        and same_title(entry["title"]) == same_title(title)
                        for entry in self._entries.values()
                    ):
                        found.setdefault(feed_id, set()).add(key)
        return found

    def publishing_histories(
        self, feed_ids: Collection[int], since: datetime
    ) -> dict[int, list[tuple[str, datetime | None, datetime]]]:
        found: dict[int, list[tuple[str, datetime | None, datetime]]] = {feed_id: [] for feed_id in feed_ids}
        for entry in self._entries.values():
            if entry["feed_id"] in found and entry["first_seen_at"] >= since:
                found[entry["feed_id"]].append((entry["key"], entry["published"], entry["first_seen_at"]))
        return found

    def recent_entries(self, since: datetime, after_id: int = 0) -> list[RecentEntry]:
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
        """Entries of the window after `after_id`, oldest first, except `skip_items`; and the
        newest id looked at (at most `limit` looked at). Text is left out of analysed entries
        unless `text_of_analysed`."""
        newest, found, looked_at = after_id, [], 0
        for entry_id, entry in sorted(self._entries.items()):
            if entry_id <= after_id or entry["first_seen_at"] < since:
                continue
            if limit is not None and looked_at == limit:
                break
            looked_at += 1
            newest = max(newest, entry_id)
            item = story_item_id(entry["feed_id"], entry["key"])
            if item in skip_items:
                continue
            feed = self._feeds[entry["feed_id"]]
            blank = not text_of_analysed and entry["story_features"] is not None
            found.append(
                RecentEntry(
                    entry_id=entry_id,
                    story_item_id=item,
                    link=entry["link"],
                    title=entry["title"],
                    summary="" if blank else entry["summary"],
                    text="" if blank else entry["text"],
                    published=entry["published"],
                    first_seen_at=entry["first_seen_at"],
                    source=feed["title"] or feed["url"],
                    lang=entry["lang"],
                    story=entry["story"],
                    story_features=entry["story_features"],
                )
            )
        return found, newest

    def story_reports(self, stories: Iterable[str]) -> dict[str, list[tuple[str, datetime]]]:
        """Per story, each report's feed and when it was published (a date ahead: first seen)."""
        found: dict[str, list[tuple[str, datetime]]] = {story: [] for story in stories}
        for entry in self._entries.values():
            if entry["story"] in found:
                published, seen = entry["published"], entry["first_seen_at"]
                at = published if published is not None and published <= seen else seen
                found[entry["story"]].append((str(entry["feed_id"]), at))
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
        """New and changed entries, their alerts and the feed's state; returns the alerts written.
        An entry or alert already stored is skipped, and so are the alerts that depend on it."""
        ids: dict[str, int] = {}
        for item in new:
            if (feed_id, item.key) not in self._entry_ids:
                ids[item.key] = self._insert_entry(feed_id, item, now)
        for changed_id, item in changed:
            self._entries[changed_id].update(item.edited_columns(), updated_at=now)
        written = 0
        batch_parents: dict[tuple[str, str], int] = {}
        for alert in outbox:
            if alert.parent_entry_key is not None:
                parent_id = batch_parents.get((alert.channel, alert.parent_entry_key))
                if parent_id is None:
                    continue  # its parent was not written, so neither is it
                alert = replace(alert, parent_id=parent_id)
            entry_id = ids.get(alert.entry_key) if alert.entry_key else None
            if alert.entry_key and entry_id is None:
                continue  # its entry was stored before: so was the alert
            alert_id = self._write_alert(alert, entry_id, now, edit_interval)
            if alert_id is None:
                continue
            written += 1
            if alert.kind == "alert" and alert.entry_key:
                batch_parents[(alert.channel, alert.entry_key)] = alert_id
        if feed_id in self._feeds and feed_state:
            self._feeds[feed_id].update(feed_columns(feed_state))
        return written

    def _insert_entry(self, feed_id: int, item: NewEntry, now: datetime) -> int:
        entry_id = self._next_id()
        columns = {"id": entry_id, "feed_id": feed_id, "first_seen_at": now, "updated_at": None}
        self._entries[entry_id] = asdict(item) | columns
        self._entry_ids[(feed_id, item.key)] = entry_id
        return entry_id

    def _write_alert(
        self, alert: PendingAlert, entry_id: int | None, now: datetime, edit_interval: timedelta
    ) -> int | None:
        """The new outbox row's id; None when it folded into a pending edit or already exists."""
        not_before = None
        if alert.kind == "edit" and alert.parent_id is not None:
            pending = next(
                (
                    row
                    for row in self._alerts.values()
                    if row["kind"] == "edit"
                    and row["parent_id"] == alert.parent_id
                    and row["status"] == "pending"
                ),
                None,
            )
            if pending is not None:  # a busy story sends one edit
                pending["payload"] = alert.payload
                return None
            not_before = self._next_edit_time(alert.parent_id, now, edit_interval)
        if entry_id is not None and any(
            (row["channel"], row["kind"], row["entry_id"]) == (alert.channel, alert.kind, entry_id)
            for row in self._alerts.values()
        ):
            return None
        return self._add_alert(
            alert.channel,
            alert.kind,
            alert.payload,
            now,
            entry_id=entry_id,
            story=alert.story,
            topic=alert.topic,
            parent_id=alert.parent_id,
            not_before=not_before,
        )

    def _next_edit_time(self, parent_id: int, now: datetime, interval: timedelta) -> datetime | None:
        """Edits of one parent are spaced by `interval` after its last send."""
        sent = [
            row["sent_at"]
            for row in self._alerts.values()
            if row["sent_at"] is not None
            and (row["id"] == parent_id or (row["parent_id"] == parent_id and row["kind"] == "edit"))
        ]
        last: datetime | None = max(sent, default=None)
        if last is None or last + interval <= now:
            return None
        return last + interval
