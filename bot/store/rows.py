"""Rows as they leave the store and enter it: plain dataclasses, never SQLAlchemy objects.

The ports (`ports.py`) and both stores (SQL and in-memory) exchange these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.model import FeedState, StoryItem


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
class NewSubscription:
    """A topic a channel asks to track: from a command, the config or a learned exclusion."""

    channel: str
    name: str
    query: str
    threshold: float | None = None
    created_by: str | None = None
    lang: str | None = None  # only entries in this language; None: any


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

    def story_item(self) -> StoryItem:
        """The entry as story grouping reads it (an undated entry dated when first seen)."""
        return StoryItem(
            id=self.story_item_id,
            title=self.title,
            summary=self.summary,
            text=self.text,
            published=self.published or self.first_seen_at,
            source=self.source,
            lang=self.lang,
        )


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

    def edited_columns(self) -> dict[str, Any]:
        """What an edit of a stored entry rewrites: its text and what was read of it; the story,
        the language and the dates it was first stored with stay."""
        return {
            "title": self.title,
            "link": self.link,
            "summary": self.summary,
            "text": self.text,
            "content_hash": self.content_hash,
            "story_features": self.story_features,
        }


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


def story_item_id(feed_id: int, key: str) -> str:
    """A stable id for an entry in story grouping, short enough for the story column."""
    import hashlib

    return hashlib.sha1(f"{feed_id}\x00{key}".encode()).hexdigest()[:16]


def same_title(title: str) -> str:
    """A title as compared across an item's two identities: spacing and case do not count."""
    return " ".join(title.split()).casefold()


def feed_columns(state: FeedState | Mapping[str, Any]) -> dict[str, Any]:
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
