"""Who may be alerted this cycle, and the outbox rows a feed's fresh entries cause.

The pipeline reads the audience once per cycle (subscriptions, thread modes, breaking switches),
then for each feed asks the planner for its outbox rows: the planner reads what the store knows of
the entries' stories, asks the pure decider (`core/decide.py`) and turns its intents into rows.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core import decide
from bot.core.analysis import Analysis
from bot.core.breaking import Report
from bot.core.feedback import LEARNING_WINDOW, Relevance, learn_from
from bot.core.matching import QueryError, match_batch, parse_topic
from bot.core.payload import alert_from_dict, alert_to_dict
from bot.grouping import StoryWindow
from bot.model import Entry, ParentAlert, StoryDecision, TopicQuery
from bot.store.ports import PipelineStore
from bot.store.rows import PendingAlert, SubscriptionRow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may be alerted this cycle, read once before the feeds."""

    subscriptions: Sequence[decide.Subscription]
    thread_modes: Mapping[str, str]
    breaking_notices: Collection[str]  # channels with `settings breaking on`


def read_audience(store: PipelineStore, stories: StoryWindow, now: datetime) -> Audience:
    """The subscriptions that may alert now; every topic's aliases join story grouping first.

    Aliases decide which reports are one story (Nordkorea = North Korea), so they are known
    before grouping sees any entry, also when it is rebuilt after a restart, and whether or
    not a topic is muted: the same entries must always make the same stories.
    """
    active = []
    paused = store.paused_channels()
    switches = store.channel_switches()
    for row in store.list_subscriptions():
        try:
            query = parse_topic(row.query, row.threshold)
        except QueryError as exc:
            log.warning("subscription %r in %s cannot be read: %s", row.query, row.channel, exc)
            continue
        stories.add_aliases(query.aliases)
        if row.channel not in paused and not row.muted(now):
            learning = switches.get(row.channel, (False, False))[0]
            relevance = _relevance(store, row, query, now) if learning else None
            active.append(decide.Subscription(row.channel, row.name, query, row.lang, relevance))
    notices = {channel for channel, (_, wants_notices) in switches.items() if wants_notices}
    return Audience(active, store.thread_modes(), notices)


def _relevance(
    store: PipelineStore, row: SubscriptionRow, query: TopicQuery, now: datetime
) -> Relevance | None:
    """What the channel's verdicts taught about this subscription (None before enough of them)."""
    judged = store.verdicts(row.channel, row.name)
    return learn_from(judged, store.unjudged_alerts(row.channel, row.name, now - LEARNING_WINDOW), query)


class AlertPlanner:
    """Turns a feed's fresh entries into the outbox rows they cause."""

    def __init__(self, store: PipelineStore, policy: decide.AlertPolicy) -> None:
        self.store = store
        self.policy = policy

    def rows_for(
        self,
        fresh: Sequence[tuple[Entry, StoryDecision]],
        analyses: Mapping[str, Analysis],
        audience: Audience,
        source: str,
        feed_id: int,
        now: datetime,
    ) -> list[PendingAlert]:
        """Outbox rows for new entries: what the store knows of their stories read, the decider
        asked, its intents turned into rows."""
        if not fresh:
            return []
        subscriptions = audience.subscriptions
        matches = (
            match_batch(
                [analyses[e.key].article for e, _ in fresh],
                [s.query for s in subscriptions],
                [analyses[e.key].matching for e, _ in fresh],
            )
            if subscriptions
            else [[] for _ in fresh]
        )
        stored = self.store.story_parents(decide.parent_keys((d for _, d in fresh), subscriptions))
        parents = {
            key: ParentAlert(alert_id, None, alert_from_dict(payload))
            for key, (alert_id, payload) in stored.items()
        }
        channels = decide.Channels(
            subscriptions,
            parents,
            audience.thread_modes,
            audience.breaking_notices,
            self._story_history(fresh, parents, source, now),
        )
        intents = decide.decide_alerts(
            decide.FreshEntries(fresh, matches, source, str(feed_id), now, analyses),
            channels,
            self.policy.breaking,
        )
        return [_outbox_row(intent) for intent in intents]

    def _story_history(
        self,
        fresh: Sequence[tuple[Entry, StoryDecision]],
        parents: Mapping[tuple[str, str], ParentAlert],
        source: str,
        now: datetime,
    ) -> decide.StoryHistory:
        """The stored reports and recent stories breaking needs, read only for the topics whose
        stories this poll may make breaking."""
        topics = decide.breaking_topics(parents, source, self.policy.breaking)
        if not topics:
            return decide.StoryHistory()
        since = now - decide.USUAL_PACE_SPAN
        starts = {
            (channel, topic): self.store.story_starts(channel, topic, since) for channel, topic in topics
        }
        stories = {d.story for _, d in fresh}.union(*starts.values())
        reports = {
            story: [Report(outlet, at) for outlet, at in rows]
            for story, rows in self.store.story_reports(stories).items()
        }
        return decide.StoryHistory(reports, starts)


def _outbox_row(intent: decide.AlertIntent) -> PendingAlert:
    """An intent of the decider as the outbox row that carries it out."""
    if isinstance(intent, decide.QueueAlert):
        return PendingAlert(
            channel=intent.channel,
            kind="alert",
            payload=alert_to_dict(intent.content),
            entry_key=intent.entry_key,
            story=intent.story,
            topic=intent.content.topic,
        )
    if isinstance(intent, decide.QueueNotice):
        return PendingAlert(
            channel=intent.channel,
            kind="notice",
            payload={"text": intent.text},
            entry_key=intent.entry_key,
            story=intent.story,
            topic=intent.topic,
        )
    if isinstance(intent, decide.QueueFollowup):
        kind, topic, parent = "followup", intent.topic, intent.parent
    else:
        kind, topic, parent = "edit", intent.parent.content.topic, intent.parent
    return PendingAlert(
        channel=intent.channel,
        kind=kind,
        payload=alert_to_dict(intent.content),
        entry_key=intent.entry_key,
        story=intent.story,
        topic=topic,
        parent_id=parent.alert_id if parent else None,
        parent_entry_key=parent.entry_key if parent else None,
    )
