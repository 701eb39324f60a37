"""The database tables. Changes go through an Alembic migration in store/migrations/versions."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2048), nullable=False, unique=True),
    Column("title", String(500)),
    Column("category", String(200)),  # the OPML folder, "News/World" when nested
    # fetch article pages for the full text: always, never, or teasers/None (when an entry is a teaser)
    Column("full_text", String(10)),
    Column("enabled", Boolean, nullable=False, default=True),
    # ok: polling normally; failing: recent errors, backing off; paused: stopped after too many failures
    Column("status", String(20), nullable=False, default="new"),
    Column("etag", String(500)),
    Column("last_modified", String(100)),
    Column("ttl_seconds", Integer),  # the feed's <ttl> / sy:updatePeriod, a floor also after a 304
    Column("last_polled_at", DateTime(timezone=True)),
    Column("last_success_at", DateTime(timezone=True)),
    Column("next_poll_at", DateTime(timezone=True)),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # a poller holds a feed until lease_until, so no feed is polled twice at once; a dead poller's
    # lease simply expires
    Column("lease_owner", String(100)),
    Column("lease_until", DateTime(timezone=True)),
    # the schedule's estimate of new items an hour, and what it rests on (dates, first seen, none)
    Column("rate_per_hour", Float),
    Column("rate_basis", String(20)),
    # the WebSub hub the feed advertises, and the topic URL it names (rel="self")
    Column("hub_url", String(2048)),
    Column("topic_url", String(2048)),
)

# WebSub: at most one subscription per feed. `token` names the callback URL (/websub/<token>);
# `secret` signs the hub's content distribution; state: requested, verified, denied, expired.
websub_subscriptions = Table(
    "websub_subscriptions",
    metadata,
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("hub_url", String(2048), nullable=False),
    Column("topic_url", String(2048), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("state", String(20), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("verified_at", DateTime(timezone=True)),
    Column("lease_until", DateTime(timezone=True)),
    Column("last_error", Text),
)

entries = Table(
    "entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(2048), nullable=False),
    Column("title", Text, nullable=False),
    Column("link", String(2048)),
    Column("summary", Text, nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("lang", String(10)),
    Column("published", DateTime(timezone=True)),
    Column("content_hash", String(64), nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True)),
    Column("story", String(64)),
    # StoryFeatures.encode(): what story grouping reads of the entry, so start-up need not re-analyse it
    Column("story_features", Text),
    UniqueConstraint("feed_id", "key", name="uq_entries_feed_key"),
    Index("ix_entries_first_seen_at", "first_seen_at"),
    Index("ix_entries_story", "story"),  # a story's reports, read for every alert that may grow it
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(255), nullable=False),
    Column("name", String(200), nullable=False),  # the topic's name, how users refer to it
    Column("query", Text, nullable=False),  # the full topic query as typed
    Column("threshold", Float),
    Column("created_by", String(255)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("muted_until", DateTime(timezone=True)),  # no alerts for this topic before then
    Column("lang", String(10)),  # only entries in this language ("de", "en"); None: any
    UniqueConstraint("channel", "name", name="uq_subscriptions_channel_name"),
)

# Per-channel preferences; a channel without a row uses the defaults.
channel_settings = Table(
    "channel_settings",
    metadata,
    Column("channel", String(255), primary_key=True),
    Column("thread_mode", String(20), nullable=False, default="thread"),  # thread, thread+broadcast, flat
    Column("paused_reason", Text),  # set while the bot cannot post there; its alerts wait
    # delivery preferences (bot/core/windows.py): times are "HH:MM" in the channel's time zone
    Column("timezone", String(64)),  # IANA name; None: UTC
    Column("quiet_start", String(5)),  # alerts wait from quiet_start to quiet_end
    Column("quiet_end", String(5)),
    Column("digest", String(10)),  # None/off: one message per alert; hourly or daily: one digest
    Column("digest_at", String(5)),  # the daily digest's time
    Column("last_digest_at", DateTime(timezone=True)),
    # what the channel lets the bot do on its own (bot/core/feedback.py, bot/core/breaking.py)
    Column("learn", Boolean, nullable=False, default=False),  # lower stories like rejected ones
    Column("breaking", Boolean, nullable=False, default=False),  # a notice when a story breaks
)

# What readers said about alerts ("not relevant"), one row per reader and alert.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(255), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("alert_key", String(255), nullable=False),
    Column("user", String(255)),
    Column("kind", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("channel", "alert_key", "user", "kind", name="uq_feedback_once"),
    Index("ix_feedback_channel_topic", "channel", "topic"),
)

# The outbox: every message the bot owes a channel, written in the same transaction as its cause.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(255), nullable=False),
    Column("kind", String(20), nullable=False),  # alert, followup, edit, notice
    Column("entry_id", Integer, ForeignKey("entries.id", ondelete="SET NULL")),
    Column("story", String(64)),
    Column("topic", String(200)),
    Column("parent_id", Integer, ForeignKey("alerts.id", ondelete="SET NULL")),
    Column("payload", JSON, nullable=False),
    Column("status", String(20), nullable=False, default="pending"),  # pending, claimed, sent, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("message_id", String(255)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("not_before", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("channel", "kind", "entry_id", name="uq_alerts_channel_kind_entry"),
    Index("ix_alerts_status_channel", "status", "channel", "id"),
    Index("ix_alerts_channel_story", "channel", "story"),
    Index("ix_alerts_parent_id", "parent_id"),  # a parent's edits and replies
)
