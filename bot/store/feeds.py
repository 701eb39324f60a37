"""Feeds and their WebSub subscriptions in SQL: adding, leasing due feeds, their poll state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, update

from bot.model import FeedState
from bot.store.base import IN_CHUNK, StoreBase, aware, row_as
from bot.store.rows import DeclaredFeed, FeedRow, WebSubRow, feed_columns
from bot.store.schema import feeds, websub_subscriptions


class SQLFeedStore(StoreBase):
    """The feeds table and the WebSub subscriptions of its feeds."""

    def add_feed(
        self,
        url: str,
        title: str | None,
        now: datetime,
        category: str | None = None,
        full_text: str | None = None,
    ) -> tuple[FeedRow, bool]:
        """The feed with this URL, added if new; the flag says whether it was added.

        A title or category given for a feed that has none yet is kept; a full-text choice given
        replaces the stored one (it is the configuration speaking)."""
        with self._tx() as conn:
            return self._add_feed(conn, DeclaredFeed(url, title, category, full_text), now)

    def add_feeds(self, declared: Sequence[DeclaredFeed], now: datetime) -> None:
        """`add_feed` for every feed the configuration declares, in one transaction: the known
        ones read in one query, the new ones inserted in one statement (every start does this)."""
        urls = list(dict.fromkeys(feed.url for feed in declared))
        with self._tx() as conn:
            known: dict[str, Any] = {}
            for start in range(0, len(urls), IN_CHUNK):
                chunk = select(feeds).where(feeds.c.url.in_(urls[start : start + IN_CHUNK]))
                known.update((row["url"], row) for row in conn.execute(chunk).mappings())
            new: dict[str, dict[str, Any]] = {}
            for feed in declared:
                row = known.get(feed.url)
                if row is None:
                    new.setdefault(feed.url, _new_feed(feed, now))
                elif changes := _declared_changes(row, feed):
                    conn.execute(update(feeds).where(feeds.c.id == row["id"]).values(**changes))
            if new:
                conn.execute(insert(feeds), list(new.values()))

    def _add_feed(self, conn: Connection, feed: DeclaredFeed, now: datetime) -> tuple[FeedRow, bool]:
        row = conn.execute(select(feeds).where(feeds.c.url == feed.url)).mappings().first()
        if row is not None:
            changes = _declared_changes(row, feed)
            if changes:
                conn.execute(update(feeds).where(feeds.c.id == row["id"]).values(**changes))
                row = conn.execute(select(feeds).where(feeds.c.id == row["id"])).mappings().one()
            return self._feed(row), False
        conn.execute(insert(feeds).values(**_new_feed(feed, now)))
        added = conn.execute(select(feeds).where(feeds.c.url == feed.url)).mappings().one()
        return self._feed(added), True

    def feed_url_taken(self, url: str, except_id: int) -> bool:
        """Whether a feed other than `except_id` has this URL."""
        with self._tx() as conn:
            row = conn.execute(select(feeds.c.id).where(feeds.c.url == url, feeds.c.id != except_id)).first()
            return row is not None

    def remove_feed(self, url: str) -> bool:
        with self._tx() as conn:
            return conn.execute(feeds.delete().where(feeds.c.url == url)).rowcount > 0

    def list_feeds(self) -> list[FeedRow]:
        with self._tx() as conn:
            return [self._feed(r) for r in conn.execute(select(feeds).order_by(feeds.c.id)).mappings()]

    def get_feed(self, feed_id: int) -> FeedRow | None:
        with self._tx() as conn:
            row = conn.execute(select(feeds).where(feeds.c.id == feed_id)).mappings().first()
            return self._feed(row) if row else None

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
        """Take the due feeds no one else holds, for `ttl`; what another poller holds is left out.

        One UPDATE takes the lease, so two processes can never both get a feed; the lease ends when
        the poll's result is recorded, or by itself when the poller died.
        """
        candidates = select(feeds.c.id).where(
            feeds.c.enabled.is_(True),
            feeds.c.status != "paused",
            or_(feeds.c.lease_until.is_(None), feeds.c.lease_until < now),
        )
        if not every:
            candidates = candidates.where(or_(feeds.c.next_poll_at.is_(None), feeds.c.next_poll_at <= now))
        if ids is not None:
            candidates = candidates.where(feeds.c.id.in_(list(ids)))
        candidates = candidates.order_by(feeds.c.next_poll_at, feeds.c.id)
        if limit is not None:
            candidates = candidates.limit(limit)
        until = now + ttl
        with self._tx() as conn:
            chosen = [r.id for r in conn.execute(candidates)]
            if not chosen:
                return []
            conn.execute(
                update(feeds)
                .where(
                    feeds.c.id.in_(chosen),
                    or_(feeds.c.lease_until.is_(None), feeds.c.lease_until < now),
                )
                .values(lease_owner=owner, lease_until=until)
            )
            rows = conn.execute(
                select(feeds)
                .where(feeds.c.id.in_(chosen), feeds.c.lease_owner == owner, feeds.c.lease_until == until)
                .order_by(feeds.c.id)
            ).mappings()
            return [self._feed(r) for r in rows]

    def due_unleased(self, now: datetime) -> list[tuple[int, datetime | None, datetime | None]]:
        """The feeds `lease_due_feeds` would take now, most overdue first, without taking them:
        (id, end of its last lease, time of its last poll) each."""
        query = (
            select(feeds.c.id, feeds.c.lease_until, feeds.c.last_polled_at)
            .where(
                feeds.c.enabled.is_(True),
                feeds.c.status != "paused",
                or_(feeds.c.next_poll_at.is_(None), feeds.c.next_poll_at <= now),
                or_(feeds.c.lease_until.is_(None), feeds.c.lease_until < now),
            )
            .order_by(feeds.c.next_poll_at.asc().nulls_first(), feeds.c.id)
        )
        with self._tx() as conn:
            return [(r.id, aware(r.lease_until), aware(r.last_polled_at)) for r in conn.execute(query)]

    def set_feed_state(self, feed_id: int, **values: Any) -> None:
        with self._tx() as conn:
            conn.execute(update(feeds).where(feeds.c.id == feed_id).values(**values))

    def set_feed_states(self, states: Sequence[tuple[int, FeedState]]) -> None:
        """Several feeds' new states in one transaction: a cycle of 304s writes them together."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for feed_id, state in states:  # one executemany per set of columns written
            values = feed_columns(state)
            row = {f"new_{name}": value for name, value in values.items()}
            by_columns.setdefault(tuple(values), []).append({"feed": feed_id, **row})
        if not by_columns:
            return
        with self._tx() as conn:
            for columns, rows in by_columns.items():
                statement = update(feeds).where(feeds.c.id == bindparam("feed"))
                conn.execute(statement.values({name: bindparam(f"new_{name}") for name in columns}), rows)

    def resume_feed(self, url: str, now: datetime) -> bool:
        with self._tx() as conn:
            result = conn.execute(
                update(feeds)
                .where(feeds.c.url == url)
                .values(status="ok", failures=0, next_poll_at=now, enabled=True)
            )
            return result.rowcount > 0

    @staticmethod
    def _feed(row: Any) -> FeedRow:
        return row_as(FeedRow, row, enabled=bool(row["enabled"]))

    def websub_of(self, *, feed_id: int | None = None, token: str | None = None) -> WebSubRow | None:
        """The WebSub subscription of a feed, or the one a callback token names."""
        query = select(websub_subscriptions)
        if feed_id is not None:
            query = query.where(websub_subscriptions.c.feed_id == feed_id)
        if token is not None:
            query = query.where(websub_subscriptions.c.token == token)
        with self._tx() as conn:
            row = conn.execute(query).mappings().first()
            return self._websub(row) if row else None

    def websub_rows(self) -> list[WebSubRow]:
        with self._tx() as conn:
            query = select(websub_subscriptions).order_by(websub_subscriptions.c.feed_id)
            return [self._websub(r) for r in conn.execute(query).mappings()]

    def websub_pushing(self, feed_id: int, now: datetime) -> bool:
        """Whether a hub pushes this feed's updates now (confirmed, lease running)."""
        row = self.websub_of(feed_id=feed_id)
        return row is not None and row.pushing(now)

    def websub_pushing_feeds(self, now: datetime) -> set[int]:
        """The feeds whose hub pushes their updates now: one read for a whole cycle."""
        return {row.feed_id for row in self.websub_rows() if row.pushing(now)}

    def save_websub(self, feed_id: int, **values: Any) -> None:
        """Create or update a feed's WebSub subscription (a new one needs every column)."""
        with self._tx() as conn:
            found = conn.execute(
                update(websub_subscriptions).where(websub_subscriptions.c.feed_id == feed_id).values(**values)
            ).rowcount
            if not found:
                conn.execute(insert(websub_subscriptions).values(feed_id=feed_id, **values))

    @staticmethod
    def _websub(row: Any) -> WebSubRow:
        requested = aware(row["requested_at"]) or datetime.min.replace(tzinfo=UTC)
        return row_as(WebSubRow, row, requested_at=requested)


def _new_feed(feed: DeclaredFeed, now: datetime) -> dict[str, Any]:
    """The row of a feed added now: enabled, never polled."""
    return {
        "url": feed.url,
        "title": feed.title,
        "category": feed.category,
        "full_text": feed.full_text,
        "enabled": True,
        "status": "new",
        "failures": 0,
        "created_at": now,
    }


def _declared_changes(row: Any, feed: DeclaredFeed) -> dict[str, Any]:
    """What adding a known feed again changes: a title or category it has none of yet is kept;
    a full-text choice given replaces the stored one (it is the configuration speaking)."""
    changes = {name: value for name, value in (("title", feed.title), ("category", feed.category))}
    changes = {name: value for name, value in changes.items() if value and not row[name]}
    if feed.full_text is not None and feed.full_text != row["full_text"]:
        changes["full_text"] = feed.full_text
    return changes
