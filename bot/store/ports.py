"""The store's ports: what the pipeline, the deliverer and the command handlers ask of it.

One `Protocol` per aggregate, naming exactly the methods those callers use, and one per caller
combining the aggregates it needs. The SQL `Store` (`db.py`) and the `MemoryStore` (`memory.py`)
both satisfy them; mypy checks it where the runtime and the tests hand either over.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.windows import DeliveryPrefs
from bot.model import FeedState, JudgedAlert
from bot.store.rows import (
    FeedRow,
    NewEntry,
    NewSubscription,
    OutboxRow,
    PendingAlert,
    RecentEntry,
    StoredEntry,
    SubscriptionRow,
)


class FeedStore(Protocol):
    """Feeds: the due ones leased to one poller, their poll state, whether a hub pushes them."""

    def lease_due_feeds(
        self,
        now: datetime,
        owner: str,
        ttl: timedelta,
        *,
        every: bool = False,
        ids: Sequence[int] | None = None,
        limit: int | None = None,
    ) -> list[FeedRow]: ...

    def feed_url_taken(self, url: str, except_id: int) -> bool: ...

    def set_feed_state(self, feed_id: int, **values: Any) -> None: ...

    def set_feed_states(self, states: Sequence[tuple[int, FeedState]]) -> None: ...

    def websub_pushing(self, feed_id: int, now: datetime) -> bool: ...

    def websub_pushing_feeds(self, now: datetime) -> set[int]: ...

    def list_feeds(self) -> list[FeedRow]: ...

    def add_feed(
        self,
        url: str,
        title: str | None,
        now: datetime,
        category: str | None = None,
        full_text: str | None = None,
    ) -> tuple[FeedRow, bool]: ...

    def remove_feed(self, url: str) -> bool: ...

    def resume_feed(self, url: str, now: datetime) -> bool: ...


class EntryStore(Protocol):
    """Entries and their stories: what is known, what story grouping reads back, a poll's one write."""

    def entries_after(
        self,
        since: datetime,
        after_id: int = 0,
        skip_items: Collection[str] = (),
        *,
        text_of_analysed: bool = True,
        limit: int | None = None,
    ) -> tuple[list[RecentEntry], int]: ...

    def recent_entries(self, since: datetime, after_id: int = 0) -> list[RecentEntry]: ...

    def known_entries_of(self, wanted: dict[int, Sequence[str]]) -> dict[int, dict[str, StoredEntry]]: ...

    def stored_as_other_item(
        self, link_keys: dict[int, dict[str, tuple[str, str]]], links: dict[int, dict[str, tuple[str, str]]]
    ) -> dict[int, set[str]]: ...

    def publishing_histories(
        self, feed_ids: Collection[int], since: datetime
    ) -> dict[int, list[tuple[str, datetime | None, datetime]]]: ...

    def record_poll(
        self,
        feed_id: int,
        new: Sequence[NewEntry],
        changed: Sequence[tuple[int, NewEntry]],
        outbox: Sequence[PendingAlert],
        feed_state: FeedState | Mapping[str, Any] | None,
        now: datetime,
        edit_interval: timedelta = timedelta(0),
    ) -> int: ...

    def story_reports(self, stories: Iterable[str]) -> dict[str, list[tuple[str, datetime]]]: ...


class OutboxStore(Protocol):
    """The outbox: alerts written beside their story's parent, claimed in order, sent or retried."""

    def story_parents(
        self, channel_story: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]: ...

    def add_notice(self, channel: str, text: str, now: datetime) -> None: ...

    def pending_channels(self, now: datetime) -> list[str]: ...

    def channel_lock(self, channel: str) -> AbstractContextManager[bool]:
        """Held for a block: whether this process may deliver to `channel` now (one deliverer each)."""
        ...

    def claim_next(self, channel: str, now: datetime) -> OutboxRow | None: ...

    def claim_waiting(self, channel: str, now: datetime) -> list[OutboxRow]: ...

    def mark_digest_sent(
        self, channel: str, alert_ids: Sequence[int], message_id: str | None, now: datetime
    ) -> None: ...

    def mark_sent(self, alert_id: int, message_id: str, now: datetime) -> None: ...

    def mark_retry(
        self, alert_id: int, error: str, not_before: datetime, *, give_up: bool = False
    ) -> None: ...


class ChannelStore(Protocol):
    """A channel's subscriptions and settings, and the alerts it was sent."""

    def list_subscriptions(self, channel: str | None = None) -> list[SubscriptionRow]: ...

    def subscription(self, channel: str, name: str) -> SubscriptionRow | None: ...

    def add_subscription(self, new: NewSubscription, now: datetime) -> bool: ...

    def remove_subscription(self, channel: str, name: str) -> bool: ...

    def mute_subscription(self, channel: str, name: str, until: datetime | None) -> bool: ...

    def paused_channels(self) -> dict[str, str]: ...

    def pause_channel(self, channel: str, reason: str) -> None: ...

    def resume_channel(self, channel: str) -> bool: ...

    def thread_modes(self) -> dict[str, str]: ...

    def set_thread_mode(self, channel: str, mode: str) -> None: ...

    def delivery_prefs(self) -> dict[str, DeliveryPrefs]: ...

    def set_delivery_prefs(self, channel: str, **values: Any) -> None: ...

    def channel_switches(self) -> dict[str, tuple[bool, bool]]: ...

    def set_channel_switch(self, channel: str, **values: bool) -> None: ...

    def story_starts(self, channel: str, topic: str, since: datetime) -> list[str]: ...

    def latest_alert_message(self, channel: str, message_id: str | None = None) -> str | None: ...

    def last_alert(self, channel: str, message_id: str | None = None) -> dict[str, Any] | None: ...


class FeedbackStore(Protocol):
    """Readers' verdicts on alerts, what learning reads back."""

    def verdicts(self, channel: str, topic: str) -> list[JudgedAlert]: ...

    def unjudged_alerts(self, channel: str, topic: str, since: datetime) -> list[JudgedAlert]: ...

    def alert_by_message(self, channel: str, message_id: str) -> dict[str, Any] | None: ...

    def add_feedback(
        self, channel: str, topic: str, alert_key: str, user: str | None, kind: str, now: datetime
    ) -> bool: ...

    def feedback_counts(self, channel: str, kind: str = "not_relevant") -> dict[str, int]: ...

    def forget_feedback(self, channel: str, topic: str) -> int: ...


class PipelineStore(FeedStore, EntryStore, OutboxStore, ChannelStore, FeedbackStore, Protocol):
    """What a poll cycle reads and writes."""


class DeliveryStore(OutboxStore, ChannelStore, Protocol):
    """What the deliverer works: the outbox and the channels' delivery settings."""


class LearningStore(ChannelStore, FeedbackStore, Protocol):
    """What verdicts and the offers they bring read and write."""


class CommandStore(FeedStore, EntryStore, ChannelStore, FeedbackStore, Protocol):
    """What the chat commands read and change."""
