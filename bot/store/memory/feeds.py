"""Feeds in memory: added once by URL, leased when due, their poll state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from bot.model import FeedState
from bot.store.memory.tables import MemoryTables
from bot.store.rows import FeedRow, feed_columns

FEED_COLUMNS = tuple(field.name for field in fields(FeedRow))


class MemoryFeeds(MemoryTables):
    """The feeds, as `SQLFeedStore` keeps them."""

    def add_feed(
        self,
        url: str,
        title: str | None,
        now: datetime,
        category: str | None = None,
        full_text: str | None = None,
    ) -> tuple[FeedRow, bool]:
        """The feed with this URL, added if new; a title or category fills a missing one only."""
        found = next((feed for feed in self._feeds.values() if feed["url"] == url), None)
        if found is not None:
            for name, value in (("title", title), ("category", category)):
                if value and not found[name]:
                    found[name] = value
            if full_text is not None:
                found["full_text"] = full_text
            return self._feed(found), False
        feed: dict[str, Any] = dict.fromkeys(FEED_COLUMNS) | {"lease_owner": None, "lease_until": None}
        feed |= {"url": url, "title": title, "category": category, "full_text": full_text}
        feed |= {"id": self._next_id(), "enabled": True, "status": "new", "failures": 0, "created_at": now}
        self._feeds[feed["id"]] = feed
        return self._feed(feed), True

    @staticmethod
    def _feed(feed: dict[str, Any]) -> FeedRow:
        return FeedRow(**{name: feed[name] for name in FEED_COLUMNS})

    def feed_url_taken(self, url: str, except_id: int) -> bool:
        return any(feed["url"] == url and feed["id"] != except_id for feed in self._feeds.values())

    def remove_feed(self, url: str) -> bool:
        """Like the foreign keys: the feed's entries go, its alerts stay without their entry."""
        found = [feed_id for feed_id, feed in self._feeds.items() if feed["url"] == url]
        for feed_id in found:
            del self._feeds[feed_id]
            for entry_id in [i for i, entry in self._entries.items() if entry["feed_id"] == feed_id]:
                entry = self._entries.pop(entry_id)
                del self._entry_ids[(feed_id, entry["key"])]
                for alert in self._alerts.values():
                    if alert["entry_id"] == entry_id:
                        alert["entry_id"] = None
        return bool(found)

    def list_feeds(self) -> list[FeedRow]:
        return [self._feed(feed) for feed in self._feeds.values()]

    def lease_due_feeds(
        self,
        now: datetime,
        owner: str,
        ttl: timedelta,
        *,
        every: bool = False,
        ids: Sequence[int] | None = None,
        limit: int | None = None,
    ) -> list[FeedRow]:
        """The due feeds no unexpired lease holds (never polled first), leased to `owner` for `ttl`."""
        due = [
            feed
            for feed in self._feeds.values()
            if feed["enabled"]
            and feed["status"] != "paused"
            and (feed["lease_until"] is None or feed["lease_until"] < now)
            and (every or feed["next_poll_at"] is None or feed["next_poll_at"] <= now)
            and (ids is None or feed["id"] in ids)
        ]
        due.sort(key=lambda feed: (feed["next_poll_at"] is not None, feed["next_poll_at"] or now, feed["id"]))
        chosen = sorted(due[:limit], key=lambda feed: int(feed["id"]))
        for feed in chosen:
            feed["lease_owner"], feed["lease_until"] = owner, now + ttl
        return [self._feed(feed) for feed in chosen]

    def set_feed_state(self, feed_id: int, **values: Any) -> None:
        if feed_id in self._feeds:
            self._feeds[feed_id].update(values)

    def set_feed_states(self, states: Sequence[tuple[int, FeedState]]) -> None:
        for feed_id, state in states:
            self.set_feed_state(feed_id, **feed_columns(state))

    def resume_feed(self, url: str, now: datetime) -> bool:
        found = [feed for feed in self._feeds.values() if feed["url"] == url]
        for feed in found:
            feed.update(status="ok", failures=0, next_poll_at=now, enabled=True)
        return bool(found)

    def websub_pushing(self, feed_id: int, now: datetime) -> bool:
        """Never: WebSub subscriptions live in the SQL store only, so every feed here is polled."""
        return False

    def websub_pushing_feeds(self, now: datetime) -> set[int]:
        """None: see `websub_pushing`."""
        return set()
