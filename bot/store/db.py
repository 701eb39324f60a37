"""The store: SQLAlchemy 2 over SQLite (default, WAL mode) or PostgreSQL.

Every method is one short transaction; the pipeline's write of a poll's entries and the alerts
they cause is a single transaction (`record_poll`), so a crash never leaves half of it behind.
Rows leave the store as plain dataclasses, never as SQLAlchemy objects.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from bot.core.windows import DEFAULT_DIGEST_AT, DeliveryPrefs
from bot.errors import StoreError
from bot.model import FeedState, JudgedAlert
from bot.store.schema import (
    alerts,
    channel_settings,
    entries,
    feedback,
    feeds,
    subscriptions,
    websub_subscriptions,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_IN_CHUNK = 500  # values per `IN (…)` of a batched read, well below every driver's parameter limit


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True, slots=True)
class DeclaredFeed:
    """A feed the configuration (or its OPML file) names, as `Store.add_feeds` takes it."""

    url: str
    title: str | None = None
    category: str | None = None
    full_text: str | None = None


@dataclass(frozen=True, slots=True)
class FeedRow:
    id: int
    url: str
    title: str | None
    enabled: bool
    status: str
    etag: str | None
    last_modified: str | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime | None
    failures: int
    last_error: str | None
    category: str | None = None
    ttl_seconds: int | None = None
    full_text: str | None = None  # always, never, or teasers/None: when an entry is only a teaser
    rate_per_hour: float | None = None  # the schedule's estimate of new items an hour
    rate_basis: str | None = None  # what the estimate rests on: dates, first seen, none
    hub_url: str | None = None  # the WebSub hub the feed advertises
    topic_url: str | None = None  # the topic URL it names for itself (rel="self")
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WebSubRow:
    """A feed's WebSub subscription: the hub, the topic, the callback token and signing secret."""

    feed_id: int
    token: str
    hub_url: str
    topic_url: str
    secret: str
    state: str  # requested, verified, denied, unconfirmed
    requested_at: datetime
    verified_at: datetime | None
    lease_until: datetime | None
    last_error: str | None

    def pushing(self, now: datetime) -> bool:
        """Whether the hub has confirmed and the lease still runs."""
        return self.state == "verified" and self.lease_until is not None and self.lease_until > now


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    id: int
    channel: str
    name: str
    query: str
    threshold: float | None
    created_by: str | None
    muted_until: datetime | None = None
    lang: str | None = None  # only entries in this language; None: any

    def muted(self, now: datetime) -> bool:
        return self.muted_until is not None and self.muted_until > now


@dataclass(frozen=True, slots=True)
class StoredEntry:
    id: int
    feed_id: int
    key: str
    content_hash: str
    story: str | None


@dataclass(frozen=True, slots=True)
class RecentEntry:
    """What story grouping needs to rebuild its index at start-up."""

    entry_id: int
    story_item_id: str
    link: str | None
    title: str
    summary: str
    text: str
    published: datetime | None
    first_seen_at: datetime
    source: str
    lang: str | None
    story: str | None = None  # the story it was grouped into when stored
    story_features: str | None = None  # StoryFeatures.encode(); None: stored before they were kept


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    channel: str
    kind: str
    story: str | None
    topic: str | None
    parent_id: int | None
    parent_message_id: str | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to insert with the story it was grouped into."""

    key: str
    title: str
    link: str | None
    summary: str
    text: str
    lang: str | None
    published: datetime | None
    content_hash: str
    story: str | None
    story_features: str | None = None  # StoryFeatures.encode() of the entry


@dataclass(frozen=True, slots=True)
class PendingAlert:
    """An outbox row to write; `entry_key` names the entry of the same poll that caused it."""

    channel: str
    kind: str  # alert, followup, edit, notice
    payload: dict[str, Any]
    entry_key: str | None = None
    story: str | None = None
    topic: str | None = None
    parent_id: int | None = None
    parent_entry_key: str | None = None  # the parent is the alert written for this entry in the same call


def _feed_columns(state: FeedState | Mapping[str, Any]) -> dict[str, Any]:
    """The feeds columns a poll's state writes; columns named as such (tools, tests) pass as given."""
    if not isinstance(state, FeedState):
        return dict(state)
    columns: dict[str, Any] = {
        "status": state.status,
        "lease_until": None,
        "failures": state.failures,
        "last_error": state.error,
        "last_polled_at": state.polled_at,
        "next_poll_at": state.next_poll_at,
    }
    if state.succeeded:
        columns["last_success_at"] = state.polled_at
    if state.rate_per_hour is not None:
        columns["rate_per_hour"] = state.rate_per_hour
        columns["rate_basis"] = state.rate_basis
    if state.answer is not None:
        columns["etag"] = state.answer.etag
        columns["last_modified"] = state.answer.last_modified
        columns["ttl_seconds"] = state.answer.ttl_seconds
    if state.hub is not None:
        columns["hub_url"], columns["topic_url"] = state.hub
    if state.title is not None:
        columns["title"] = state.title
    if state.url is not None:
        columns["url"] = state.url
    return columns


def _recent_entry(row: Any, since: datetime) -> RecentEntry:
    """An entry row joined with its feed's url and title (`feed_title`) as story grouping reads it."""
    return RecentEntry(
        entry_id=row["id"],
        link=row["link"],
        story_item_id=story_item_id(row["feed_id"], row["key"]),
        title=row["title"],
        summary=row["summary"],
        text=row["text"],
        published=_aware(row["published"]),
        first_seen_at=_aware(row["first_seen_at"]) or since,
        source=row["feed_title"] or row["url"],
        lang=row["lang"],
        story=row["story"],
        story_features=row["story_features"],
    )


def _judged(row: Any, relevant: bool | None) -> JudgedAlert:
    payload = row.payload or {}
    return JudgedAlert(
        relevant=relevant,
        title=str(payload.get("title") or ""),
        summary=row.summary or "",
        source=str(payload.get("source") or ""),
    )


def _set_sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _describe(url: str) -> str:
    """The database URL without its password, fit for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the configured database"


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        try:
            if self.is_sqlite:
                self._prepare_sqlite_dir(url)
                self.engine: Engine = create_engine(url, connect_args={"timeout": 30})
                event.listen(self.engine, "connect", _set_sqlite_pragmas)
            else:
                self.engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(f"cannot use database {_describe(url)}: {exc}") from exc

    @staticmethod
    def _prepare_sqlite_dir(url: str) -> None:
        path = url.split("///", 1)[1] if "///" in url else ""
        if not path or path == ":memory:":
            return
        directory = Path(path).parent
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"cannot create data directory {directory}: {exc.strerror or exc}") from exc
        if not os.access(directory, os.W_OK):
            raise StoreError(
                f"data directory {directory} is not writable; fix its permissions or set data_dir"
            )

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(f"database {_describe(self.url)} unavailable: {reason}") from exc

    def upgrade(self) -> None:
        """Apply every pending Alembic migration."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._tx() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def ping(self) -> None:
        """Raise StoreError unless the database answers."""
        with self._tx() as conn:
            conn.execute(select(1))

    def close(self) -> None:
        self.engine.dispose()

    # -- feeds ------------------------------------------------------------------------------

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
            return self._add_feed(conn, url, title, now, category, full_text)

    def add_feeds(self, declared: Sequence[DeclaredFeed], now: datetime) -> None:
        """`add_feed` for every feed the configuration declares, in one transaction."""
        with self._tx() as conn:
            for feed in declared:
                self._add_feed(conn, feed.url, feed.title, now, feed.category, feed.full_text)

    def _add_feed(
        self,
        conn: Connection,
        url: str,
        title: str | None,
        now: datetime,
        category: str | None,
        full_text: str | None,
    ) -> tuple[FeedRow, bool]:
        row = conn.execute(select(feeds).where(feeds.c.url == url)).mappings().first()
        if row is not None:
            missing = {
                name: value
                for name, value in (("title", title), ("category", category))
                if value and not row[name]
            }
            if full_text is not None and full_text != row["full_text"]:
                missing["full_text"] = full_text
            if missing:
                conn.execute(update(feeds).where(feeds.c.id == row["id"]).values(**missing))
                row = conn.execute(select(feeds).where(feeds.c.id == row["id"])).mappings().one()
            return self._feed(row), False
        conn.execute(
            insert(feeds).values(
                url=url,
                title=title,
                category=category,
                full_text=full_text,
                enabled=True,
                status="new",
                failures=0,
                created_at=now,
            )
        )
        added = conn.execute(select(feeds).where(feeds.c.url == url)).mappings().one()
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
            return [(r.id, _aware(r.lease_until), _aware(r.last_polled_at)) for r in conn.execute(query)]

    @contextmanager
    def channel_lock(self, channel: str) -> Iterator[bool]:
        """Whether this process may deliver to `channel` now: one deliverer per channel at a time.

        PostgreSQL: a session advisory lock held for the block. SQLite: one process claims (its
        writes are serialised anyway), so the lock is always granted.
        """
        if self.is_sqlite:
            yield True
            return
        with self.engine.connect() as conn:
            got = bool(
                conn.execute(select(func.pg_try_advisory_lock(func.hashtextextended(channel, 0)))).scalar()
            )
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(select(func.pg_advisory_unlock(func.hashtextextended(channel, 0))))
                    conn.commit()

    def set_feed_state(self, feed_id: int, **values: Any) -> None:
        with self._tx() as conn:
            conn.execute(update(feeds).where(feeds.c.id == feed_id).values(**values))

    def set_feed_states(self, states: Sequence[tuple[int, FeedState]]) -> None:
        """Several feeds' new states in one transaction: a cycle of 304s writes them together."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for feed_id, state in states:  # one executemany per set of columns written
            values = _feed_columns(state)
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
        return FeedRow(
            id=row["id"],
            url=row["url"],
            title=row["title"],
            enabled=bool(row["enabled"]),
            status=row["status"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            last_polled_at=_aware(row["last_polled_at"]),
            last_success_at=_aware(row["last_success_at"]),
            next_poll_at=_aware(row["next_poll_at"]),
            failures=row["failures"],
            last_error=row["last_error"],
            category=row["category"],
            ttl_seconds=row["ttl_seconds"],
            full_text=row["full_text"],
            rate_per_hour=row["rate_per_hour"],
            rate_basis=row["rate_basis"],
            hub_url=row["hub_url"],
            topic_url=row["topic_url"],
            created_at=_aware(row["created_at"]),
        )

    # -- WebSub -------------------------------------------------------------------------------

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
        return WebSubRow(
            feed_id=row["feed_id"],
            token=row["token"],
            hub_url=row["hub_url"],
            topic_url=row["topic_url"],
            secret=row["secret"],
            state=row["state"],
            requested_at=_aware(row["requested_at"]) or datetime.min.replace(tzinfo=UTC),
            verified_at=_aware(row["verified_at"]),
            lease_until=_aware(row["lease_until"]),
            last_error=row["last_error"],
        )

    # -- subscriptions ----------------------------------------------------------------------

    def add_subscription(
        self,
        channel: str,
        name: str,
        query: str,
        threshold: float | None,
        created_by: str | None,
        now: datetime,
        lang: str | None = None,
    ) -> bool:
        """False when the channel already tracks a topic of that name (the stored one is updated)."""
        with self._tx() as conn:
            existing = conn.execute(
                select(subscriptions.c.id).where(
                    subscriptions.c.channel == channel, subscriptions.c.name == name
                )
            ).first()
            if existing is not None:
                conn.execute(
                    update(subscriptions)
                    .where(subscriptions.c.id == existing.id)
                    .values(query=query, threshold=threshold, lang=lang)
                )
                return False
            conn.execute(
                insert(subscriptions).values(
                    channel=channel,
                    name=name,
                    query=query,
                    threshold=threshold,
                    created_by=created_by,
                    created_at=now,
                    lang=lang,
                )
            )
            return True

    def remove_subscription(self, channel: str, name: str) -> bool:
        with self._tx() as conn:
            query = subscriptions.delete().where(subscriptions.c.channel == channel, _named(name))
            return conn.execute(query).rowcount > 0

    def mute_subscription(self, channel: str, name: str, until: datetime | None) -> bool:
        """Mute a channel's topic until `until` (None unmutes); False when there is no such topic."""
        with self._tx() as conn:
            result = conn.execute(
                update(subscriptions)
                .where(subscriptions.c.channel == channel, _named(name))
                .values(muted_until=until)
            )
            return result.rowcount > 0

    def add_feedback(
        self, channel: str, topic: str, alert_key: str, user: str | None, kind: str, now: datetime
    ) -> bool:
        """Record a reader's verdict on an alert; False when that reader already gave it."""
        try:
            with self._tx() as conn:
                conn.execute(
                    insert(feedback).values(
                        channel=channel,
                        topic=topic,
                        alert_key=alert_key,
                        user=user,
                        kind=kind,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    def feedback_counts(self, channel: str, kind: str = "not_relevant") -> dict[str, int]:
        """Per topic of a channel, how many alerts readers marked so."""
        with self._tx() as conn:
            rows = conn.execute(
                select(feedback.c.topic, func.count())
                .where(feedback.c.channel == channel, feedback.c.kind == kind)
                .group_by(feedback.c.topic)
            )
            return {topic: count for topic, count in rows}

    def verdicts(self, channel: str, topic: str) -> list[JudgedAlert]:
        """Readers' verdicts on a subscription's alerts, each with the alert's story text.

        Per alert the latest verdict counts; a verdict on an alert that no longer exists is left out.
        """
        with self._tx() as conn:
            rows = conn.execute(
                select(feedback.c.alert_key, feedback.c.kind, alerts.c.payload, entries.c.summary)
                .join(
                    alerts,
                    and_(alerts.c.channel == feedback.c.channel, alerts.c.message_id == feedback.c.alert_key),
                )
                .outerjoin(entries, entries.c.id == alerts.c.entry_id)
                .where(
                    feedback.c.channel == channel,
                    _same_name(feedback.c.topic, topic),
                    feedback.c.kind.in_(("relevant", "not_relevant")),
                    alerts.c.kind.in_(("alert", "followup")),
                )
                .order_by(feedback.c.id)
            )
            latest = {r.alert_key: _judged(r, r.kind == "relevant") for r in rows}
        return list(latest.values())

    def unjudged_alerts(self, channel: str, topic: str, since: datetime) -> list[JudgedAlert]:
        """A subscription's recent parent alerts that no reader judged (at most 500, newest first)."""
        judged = select(feedback.c.alert_key).where(feedback.c.channel == channel)
        with self._tx() as conn:
            rows = conn.execute(
                select(alerts.c.message_id.label("alert_key"), alerts.c.payload, entries.c.summary)
                .outerjoin(entries, entries.c.id == alerts.c.entry_id)
                .where(
                    alerts.c.channel == channel,
                    alerts.c.kind == "alert",
                    _same_name(alerts.c.topic, topic),
                    alerts.c.created_at >= since,
                    or_(alerts.c.message_id.is_(None), alerts.c.message_id.not_in(judged)),
                )
                .order_by(alerts.c.id.desc())
                .limit(500)
            )
            return [_judged(r, None) for r in rows]

    def alert_by_message(self, channel: str, message_id: str) -> dict[str, Any] | None:
        """The payload of the alert or reply posted as that message in the channel."""
        with self._tx() as conn:
            row = conn.execute(
                select(alerts.c.payload)
                .where(
                    alerts.c.channel == channel,
                    alerts.c.message_id == message_id,
                    alerts.c.kind.in_(("alert", "followup")),
                )
                .order_by(alerts.c.id)
                .limit(1)
            ).first()
            return dict(row.payload) if row is not None else None

    def latest_alert_message(self, channel: str, message_id: str | None = None) -> str | None:
        """The message id of the thread's alert (`message_id`) if it exists, else of the latest alert."""
        query = select(alerts.c.message_id).where(
            alerts.c.channel == channel,
            alerts.c.kind.in_(("alert", "followup")),
            alerts.c.status == "sent",
            alerts.c.message_id.is_not(None),
        )
        if message_id is not None:
            query = query.where(alerts.c.message_id == message_id)
        with self._tx() as conn:
            row = conn.execute(query.order_by(alerts.c.id.desc()).limit(1)).first()
            return str(row.message_id) if row is not None else None

    def forget_feedback(self, channel: str, topic: str) -> int:
        """Drop every verdict on a subscription's alerts (what was learned from them goes too)."""
        with self._tx() as conn:
            result = conn.execute(
                delete(feedback).where(feedback.c.channel == channel, _same_name(feedback.c.topic, topic))
            )
            return int(result.rowcount or 0)

    def channel_switches(self) -> dict[str, tuple[bool, bool]]:
        """Channels that let the bot learn or announce breaking stories: (learn, breaking)."""
        with self._tx() as conn:
            rows = conn.execute(
                select(channel_settings.c.channel, channel_settings.c.learn, channel_settings.c.breaking)
            )
            return {r.channel: (bool(r.learn), bool(r.breaking)) for r in rows if r.learn or r.breaking}

    def set_channel_switch(self, channel: str, **values: bool) -> None:
        """Turn `learn` or `breaking` on or off for a channel."""
        self._set_channel(channel, **values)

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
                seen = _aware(r.first_seen_at)
                published = _aware(r.published)
                at = published if published is not None and seen is not None and published <= seen else seen
                if at is not None:
                    found[r.story].append((str(r.feed_id), at))
        return found

    def story_starts(self, channel: str, topic: str, since: datetime) -> list[str]:
        """The stories a subscription alerted on since then (its parent alerts), newest first."""
        with self._tx() as conn:
            rows = conn.execute(
                select(alerts.c.story)
                .where(
                    alerts.c.channel == channel,
                    alerts.c.kind == "alert",
                    _same_name(alerts.c.topic, topic),
                    alerts.c.created_at >= since,
                    alerts.c.story.is_not(None),
                )
                .order_by(alerts.c.id.desc())
                .limit(200)
            )
            return [r.story for r in rows]

    def alert_story(self, alert_id: int) -> str | None:
        """The story an outbox row belongs to (a chat puts it in the message's metadata)."""
        with self._tx() as conn:
            story = conn.execute(select(alerts.c.story).where(alerts.c.id == alert_id)).scalar()
            return str(story) if story is not None else None

    def last_alert(self, channel: str, message_id: str | None = None) -> dict[str, Any] | None:
        """The payload of the alert with that message id in the channel, else of its latest alert."""
        query = select(alerts.c.payload).where(
            alerts.c.channel == channel, alerts.c.kind.in_(("alert", "followup")), alerts.c.status == "sent"
        )
        if message_id is not None:
            query = query.where(alerts.c.message_id == message_id)
        with self._tx() as conn:
            row = conn.execute(query.order_by(alerts.c.id.desc()).limit(1)).first()
            return dict(row.payload) if row is not None else None

    def subscription(self, channel: str, name: str) -> SubscriptionRow | None:
        """The channel's topic of this name in any case (`nordkorea` is `Nordkorea`, also `Österreich`
        as `österreich`, which SQLite's ASCII-only lower() would miss)."""
        wanted = name.strip().casefold()
        return next((s for s in self.list_subscriptions(channel) if s.name.casefold() == wanted), None)

    def list_subscriptions(self, channel: str | None = None) -> list[SubscriptionRow]:
        query = select(subscriptions).order_by(subscriptions.c.channel, subscriptions.c.id)
        if channel is not None:
            query = query.where(subscriptions.c.channel == channel)
        with self._tx() as conn:
            return [
                SubscriptionRow(
                    id=r["id"],
                    channel=r["channel"],
                    name=r["name"],
                    query=r["query"],
                    threshold=r["threshold"],
                    created_by=r["created_by"],
                    muted_until=_aware(r["muted_until"]),
                    lang=r["lang"],
                )
                for r in conn.execute(query).mappings()
            ]

    # -- entries ----------------------------------------------------------------------------

    def known_entries_of(self, wanted: dict[int, Sequence[str]]) -> dict[int, dict[str, StoredEntry]]:
        """For several feeds at once (a poll cycle's): their stored entries among the keys given,
        found with a few queries on the (feed, key) index instead of one per feed."""
        pairs = [(feed_id, key) for feed_id, keys in wanted.items() for key in dict.fromkeys(keys)]
        found: dict[int, dict[str, StoredEntry]] = {}
        with self._tx() as conn:
            for start in range(0, len(pairs), _IN_CHUNK):
                chunk = pairs[start : start + _IN_CHUNK]
                rows = conn.execute(
                    select(
                        entries.c.id,
                        entries.c.feed_id,
                        entries.c.key,
                        entries.c.content_hash,
                        entries.c.story,
                    ).where(tuple_(entries.c.feed_id, entries.c.key).in_(chunk))
                )
                for r in rows:
                    found.setdefault(r.feed_id, {})[r.key] = StoredEntry(
                        r.id, r.feed_id, r.key, r.content_hash, r.story
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
        by_key = [
            (fid, ref, key, title) for fid, items in link_keys.items() for key, (ref, title) in items.items()
        ]
        by_link = [
            (fid, ref, key, title) for fid, items in links.items() for key, (ref, title) in items.items()
        ]
        with self._tx() as conn:
            for column, wanted in ((entries.c.key, by_key), (entries.c.link, by_link)):
                for start in range(0, len(wanted), 500):
                    incoming: dict[tuple[int, str], list[tuple[str, str]]] = {}
                    for fid, ref, key, title in wanted[start : start + 500]:
                        incoming.setdefault((fid, ref), []).append((key, _same_title(title)))
                    rows = conn.execute(
                        select(entries.c.feed_id, column.label("ref"), entries.c.key, entries.c.title).where(
                            tuple_(entries.c.feed_id, column).in_(list(incoming))
                        )
                    )
                    for r in rows:
                        for key, title in incoming[(r.feed_id, r.ref)]:
                            if r.key != key and _same_title(r.title) == title:
                                found.setdefault(r.feed_id, set()).add(key)
        return found

    def publishing_history(
        self, feed_id: int, since: datetime
    ) -> list[tuple[str, datetime | None, datetime]]:
        """(key, published, first seen) of a feed's entries first seen since `since`: what the
        schedule estimates the feed's pace from, besides the document in hand."""
        with self._tx() as conn:
            rows = conn.execute(
                select(entries.c.key, entries.c.published, entries.c.first_seen_at).where(
                    entries.c.feed_id == feed_id, entries.c.first_seen_at >= since
                )
            )
            return [(key, _aware(published), _aware(seen) or since) for key, published, seen in rows]

    def publishing_histories(
        self, feed_ids: Collection[int], since: datetime
    ) -> dict[int, list[tuple[str, datetime | None, datetime]]]:
        """`publishing_history` of many feeds in one read (a feed with none maps to [])."""
        found: dict[int, list[tuple[str, datetime | None, datetime]]] = {feed_id: [] for feed_id in feed_ids}
        ids = list(found)
        with self._tx() as conn:
            for start in range(0, len(ids), _IN_CHUNK):
                rows = conn.execute(
                    select(
                        entries.c.feed_id, entries.c.key, entries.c.published, entries.c.first_seen_at
                    ).where(
                        entries.c.feed_id.in_(ids[start : start + _IN_CHUNK]),
                        entries.c.first_seen_at >= since,
                    )
                )
                for feed_id, key, published, seen in rows:
                    found[feed_id].append((key, _aware(published), _aware(seen) or since))
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
    ) -> tuple[list[RecentEntry], int]:
        """Entries first seen since `since` and stored after entry `after_id`, oldest first,
        except the story items in `skip_items` (those the caller grouped itself); and the newest
        entry id looked at, skipped or not.

        Story grouping rebuilds itself from these at start-up and catches up with what other
        processes stored since; it reads their stored features, so it asks for no text
        (`text_of_analysed=False`) of entries that have them. Identities are read first and whole
        rows only for the entries wanted, so a process that stored thousands of entries itself
        does not read them back.
        """
        newest = after_id
        with self._tx() as conn:
            wanted = []
            for r in conn.execute(
                select(entries.c.id, entries.c.feed_id, entries.c.key)
                .where(entries.c.first_seen_at >= since, entries.c.id > after_id)
                .order_by(entries.c.id)
            ):
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
                inserted = conn.execute(
                    self._insert(entries)
                    .on_conflict_do_nothing(index_elements=["feed_id", "key"])
                    .returning(entries.c.id, entries.c.key),
                    rows,
                )
                ids = {row.key: int(row.id) for row in inserted}
            for changed_id, item in changed:
                conn.execute(
                    update(entries)
                    .where(entries.c.id == changed_id)
                    .values(
                        title=item.title,
                        link=item.link,
                        summary=item.summary,
                        text=item.text,
                        content_hash=item.content_hash,
                        story_features=item.story_features,
                        updated_at=now,
                    )
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
                    self._insert(alerts)
                    .on_conflict_do_nothing(index_elements=["channel", "kind", "entry_id"])
                    .returning(alerts.c.id),
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
                conn.execute(update(feeds).where(feeds.c.id == feed_id).values(_feed_columns(feed_state)))
        return written

    def _insert(self, table: Table) -> Any:
        """INSERT for this database's dialect, which offers ON CONFLICT DO NOTHING."""
        return sqlite_insert(table) if self.is_sqlite else postgresql_insert(table)

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
        last = _aware(last)
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

    # -- outbox -----------------------------------------------------------------------------

    def story_parents(
        self, channel_story: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
        """For (channel, story) pairs: the parent alert's id and its payload, where one exists."""
        pairs = set(channel_story)
        if not pairs:
            return {}
        found: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        stories = {story for _, story in pairs}
        channels = {channel for channel, _ in pairs}
        with self._tx() as conn:
            # by the (channel, story) index, not a scan of every alert ever written; the few rows of
            # a story in a channel (its alert, replies and edits) are told apart here
            rows = list(
                conn.execute(
                    select(
                        alerts.c.id,
                        alerts.c.channel,
                        alerts.c.story,
                        alerts.c.kind,
                        alerts.c.parent_id,
                        alerts.c.payload,
                    )
                    .where(alerts.c.channel.in_(channels), alerts.c.story.in_(stories))
                    .order_by(alerts.c.id)
                )
            )
        for r in rows:
            key = (r.channel, r.story)
            if r.kind == "alert" and key in pairs and key not in found:
                found[key] = (r.id, r.payload)
        parents = {alert_id for alert_id, _ in found.values()}
        latest = {r.parent_id: r.payload for r in rows if r.kind == "edit" and r.parent_id in parents}
        return {key: (pid, latest.get(pid, payload)) for key, (pid, payload) in found.items()}

    def thread_modes(self) -> dict[str, str]:
        """Channels whose thread mode is not the default `thread`."""
        with self._tx() as conn:
            return {r.channel: r.thread_mode for r in conn.execute(select(channel_settings))}

    def _set_channel(self, channel: str, **values: Any) -> None:
        with self._tx() as conn:
            updated = conn.execute(
                update(channel_settings).where(channel_settings.c.channel == channel).values(**values)
            )
            if updated.rowcount == 0:
                conn.execute(
                    insert(channel_settings).values(channel=channel, **{"thread_mode": "thread", **values})
                )

    def set_thread_mode(self, channel: str, mode: str) -> None:
        self._set_channel(channel, thread_mode=mode)

    def delivery_prefs(self) -> dict[str, DeliveryPrefs]:
        """Every channel with settings, and when it wants its alerts (quiet hours, digest, zone)."""
        with self._tx() as conn:
            return {
                r.channel: DeliveryPrefs(
                    timezone=r.timezone or "UTC",
                    quiet_start=r.quiet_start if r.quiet_end else None,
                    quiet_end=r.quiet_end if r.quiet_start else None,
                    digest=r.digest or "off",
                    digest_at=r.digest_at or DEFAULT_DIGEST_AT,
                    last_digest_at=_aware(r.last_digest_at),
                )
                for r in conn.execute(select(channel_settings))
            }

    def set_delivery_prefs(self, channel: str, **values: Any) -> None:
        """Change some of a channel's delivery preferences (columns of channel_settings)."""
        self._set_channel(channel, **values)

    def pause_channel(self, channel: str, reason: str) -> None:
        self._set_channel(channel, paused_reason=reason)

    def resume_channel(self, channel: str) -> bool:
        """True when the channel was paused."""
        with self._tx() as conn:
            result = conn.execute(
                update(channel_settings)
                .where(channel_settings.c.channel == channel, channel_settings.c.paused_reason.is_not(None))
                .values(paused_reason=None)
            )
            return result.rowcount > 0

    def paused_channels(self) -> dict[str, str]:
        """Paused channels with the reason."""
        with self._tx() as conn:
            rows = conn.execute(
                select(channel_settings.c.channel, channel_settings.c.paused_reason).where(
                    channel_settings.c.paused_reason.is_not(None)
                )
            )
            return {r.channel: r.paused_reason for r in rows}

    def add_notice(self, channel: str, text: str, now: datetime) -> None:
        with self._tx() as conn:
            conn.execute(
                insert(alerts).values(
                    channel=channel,
                    kind="notice",
                    payload={"text": text},
                    status="pending",
                    attempts=0,
                    created_at=now,
                )
            )

    def release_claims(self) -> int:
        """After a restart of the one bot process: what the dead process held is free again.

        Claimed-but-unconfirmed alerts become pending, to be resent (the chat adapters look
        before they resend, so a message that did arrive is not doubled); returns their number.
        Feed leases are released too: the dead process will never finish those polls, and
        waiting for its leases to expire would stop all polling for minutes after a crash.
        (A second poller of a feed doubles nothing; entries and alerts are unique.)
        """
        with self._tx() as conn:
            result = conn.execute(update(alerts).where(alerts.c.status == "claimed").values(status="pending"))
            conn.execute(
                update(feeds)
                .where(feeds.c.lease_until.is_not(None))
                .values(lease_owner=None, lease_until=None)
            )
            return result.rowcount

    def release_orphaned_claims(self) -> int:
        """In scale-out: alerts claimed by a deliverer that died become pending; returns their number.

        Alerts are claimed only under their channel's lock, so a claimed alert of a channel whose
        lock no one holds belongs to a deliverer whose session (and so its lock) ended.
        """
        claimed = select(alerts.c.channel).where(alerts.c.status == "claimed").distinct()
        with self._tx() as conn:
            channels = [r.channel for r in conn.execute(claimed)]
        released = 0
        for channel in channels:
            with self.channel_lock(channel) as mine:
                if not mine:
                    continue  # a live deliverer is sending to it; its claims are its own
                with self._tx() as conn:
                    released += conn.execute(
                        update(alerts)
                        .where(alerts.c.channel == channel, alerts.c.status == "claimed")
                        .values(status="pending")
                    ).rowcount
        return released

    def pending_channels(self, now: datetime) -> list[str]:
        """Channels with alerts due, except paused ones (their alerts wait for the resume)."""
        paused = select(channel_settings.c.channel).where(channel_settings.c.paused_reason.is_not(None))
        with self._tx() as conn:
            rows = conn.execute(
                select(alerts.c.channel)
                .where(
                    alerts.c.status == "pending",
                    or_(alerts.c.not_before.is_(None), alerts.c.not_before <= now),
                    alerts.c.channel.not_in(paused),
                )
                .distinct()
            )
            return sorted(r.channel for r in rows)

    def claim_next(self, channel: str, now: datetime) -> OutboxRow | None:
        """The oldest pending alert of a channel, marked claimed; None when there is nothing to send.

        Alerts and follow-ups go out strictly in order: one that waits (not_before) holds back
        the later ones. Edits and notices never hold anything back. When a parent was given up,
        its follow-ups go out without a thread and its edits are given up too.
        """
        parent = alerts.alias("parent")
        with self._tx() as conn:
            query = (
                select(
                    alerts,
                    parent.c.message_id.label("parent_message_id"),
                    parent.c.status.label("parent_status"),
                )
                .outerjoin(parent, parent.c.id == alerts.c.parent_id)
                .where(alerts.c.channel == channel, alerts.c.status == "pending")
                .order_by(alerts.c.id)
                .limit(50)
            )
            if not self.is_sqlite:
                query = query.with_for_update(skip_locked=True, of=alerts)
            for r in conn.execute(query).mappings():
                orphan = r["parent_id"] is not None and r["parent_status"] == "failed"
                if orphan and r["kind"] == "edit":
                    conn.execute(
                        update(alerts)
                        .where(alerts.c.id == r["id"])
                        .values(status="failed", last_error="its alert could not be sent")
                    )
                    continue
                waiting = r["not_before"] is not None and _aware(r["not_before"]) > now  # type: ignore[operator]
                needs_parent = r["kind"] in ("followup", "edit") and r["parent_id"] is not None and not orphan
                if waiting or (needs_parent and r["parent_message_id"] is None):
                    if r["kind"] in ("alert", "followup"):
                        return None
                    continue
                claimed = conn.execute(
                    update(alerts)
                    .where(and_(alerts.c.id == r["id"], alerts.c.status == "pending"))
                    .values(status="claimed", attempts=alerts.c.attempts + 1)
                )
                if claimed.rowcount == 0:
                    return None
                return _claimed_row(r, now, orphan=orphan)
        return None

    def claim_waiting(self, channel: str, now: datetime) -> list[OutboxRow]:
        """Every pending row of a channel, in order, marked claimed: the content of its digest."""
        parent = alerts.alias("parent")
        with self._tx() as conn:
            query = (
                select(alerts, parent.c.message_id.label("parent_message_id"))
                .outerjoin(parent, parent.c.id == alerts.c.parent_id)
                .where(alerts.c.channel == channel, alerts.c.status == "pending")
                .order_by(alerts.c.id)
            )
            if not self.is_sqlite:
                query = query.with_for_update(skip_locked=True, of=alerts)
            rows = list(conn.execute(query).mappings())
            ids = [r["id"] for r in rows]
            for start in range(0, len(ids), 500):
                conn.execute(
                    update(alerts)
                    .where(alerts.c.id.in_(ids[start : start + 500]))
                    .values(status="claimed", attempts=alerts.c.attempts + 1)
                )
            return [_claimed_row(r, now) for r in rows]

    def mark_digest_sent(
        self, channel: str, alert_ids: Sequence[int], message_id: str | None, now: datetime
    ) -> None:
        """The rows went out in a digest: sent, with the digest's message id; the digest time moves."""
        with self._tx() as conn:
            for start in range(0, len(alert_ids), 500):
                conn.execute(
                    update(alerts)
                    .where(alerts.c.id.in_(list(alert_ids[start : start + 500])))
                    .values(status="sent", message_id=message_id, sent_at=now, last_error=None)
                )
            conn.execute(
                update(channel_settings)
                .where(channel_settings.c.channel == channel)
                .values(last_digest_at=now)
            )

    def mark_sent(self, alert_id: int, message_id: str, now: datetime) -> None:
        with self._tx() as conn:
            conn.execute(
                update(alerts)
                .where(alerts.c.id == alert_id)
                .values(status="sent", message_id=message_id, sent_at=now, last_error=None)
            )

    def mark_retry(self, alert_id: int, error: str, not_before: datetime, *, give_up: bool = False) -> None:
        with self._tx() as conn:
            conn.execute(
                update(alerts)
                .where(alerts.c.id == alert_id)
                .values(status="failed" if give_up else "pending", last_error=error, not_before=not_before)
            )

    def alert_counts(self) -> dict[str, int]:
        with self._tx() as conn:
            rows = conn.execute(select(alerts.c.status, func.count()).group_by(alerts.c.status))
            return {status: count for status, count in rows}


def _same_title(title: str) -> str:
    """A title as compared across an item's two identities: spacing and case do not count."""
    return " ".join(title.split()).casefold()


def _claimed_row(r: Any, now: datetime, *, orphan: bool = False) -> OutboxRow:
    """An outbox row just claimed (its attempt counted); an orphan's parent was given up, so it
    goes out without a thread."""
    return OutboxRow(
        id=r["id"],
        channel=r["channel"],
        kind=r["kind"],
        story=r["story"],
        topic=r["topic"],
        parent_id=None if orphan else r["parent_id"],
        parent_message_id=None if orphan else r["parent_message_id"],
        payload=r["payload"],
        attempts=r["attempts"] + 1,
        created_at=_aware(r["created_at"]) or now,
    )


def _named(name: str) -> ColumnElement[bool]:
    """A subscription of this name: exactly, or in another case."""
    return _same_name(subscriptions.c.name, name)


def _same_name(column: ColumnElement[str], name: str) -> ColumnElement[bool]:
    """A topic name in a column: exactly, or in another case (SQLite's lower() is ASCII-only, so a
    name like "Österreich" must also match as given)."""
    return or_(column == name, func.lower(column) == name.lower())


def story_item_id(feed_id: int, key: str) -> str:
    """A stable id for an entry in story grouping, short enough for the story column."""
    import hashlib

    return hashlib.sha1(f"{feed_id}\x00{key}".encode()).hexdigest()[:16]
