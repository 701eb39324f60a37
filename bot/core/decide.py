"""What a poll means, decided over plain data: which entries are new and which are updates, and
which alerts, follow-ups, parent edits and notices the new ones cause in each channel.

The pipeline fetches, parses, groups into stories and matches; it hands what it found and what the
store knows here, and writes the intents this returns in one transaction. Nothing here reads a
store, the network or the clock, so each rule is a unit test on plain values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.core.alerts import build_alert
from bot.core.analysis import Analysis
from bot.core.breaking import BreakingRule, Report, is_breaking, outlets_in_window
from bot.core.feedback import Relevance, alert_terms
from bot.core.topic_query import DEFAULT_THRESHOLD, parse_topic
from bot.model import (
    AlertContent,
    Entry,
    MatchResult,
    ParentAlert,
    Relation,
    StoryDecision,
    TopicQuery,
)

# A report joins the thread of a topic's alert only when it matches that topic too, or when story
# grouping is this sure (cosine similarity to the story, 0..1) that it is the same event: a
# near-duplicate, not merely a story sharing a name or a place.
SAME_EVENT_SIMILARITY = 0.6
# A topic's usual pace (how many outlets its stories reach within the breaking window) is read
# from the stories it alerted on within this span.
USUAL_PACE_SPAN = timedelta(days=7)


def topic_thread(story: str, topic: str) -> str:
    """The story id of a topic's own thread in a story. Reports of the story that match the topic,
    but not the topic of the story's first alert in a channel, go there (one alert, then replies)
    instead of into that unrelated thread, or each into an alert of its own."""
    return hashlib.sha1(f"{story}\x00{topic.casefold()}".encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """The settings the rules read (`alerts.max_age_days`, `first_poll_window_seconds`, breaking)."""

    max_age: timedelta = timedelta(days=7)
    first_poll_window: timedelta = timedelta(0)
    breaking: BreakingRule = field(default_factory=BreakingRule)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription that may alert now: its channel is not paused and it is not muted."""

    channel: str
    name: str  # the name it was stored under
    query: TopicQuery
    lang: str | None = None  # only entries known to be in this language; None: any
    relevance: Relevance | None = None  # learned from the channel's verdicts (settings learn on)


# -- entries --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry the store has not seen: stored, and alerted on when `alertable`."""

    entry: Entry
    alertable: bool


@dataclass(frozen=True, slots=True)
class UpdateEntry:
    """A stored entry whose text changed: an update of the same story, stored, never alerted."""

    entry: Entry


def alertable(entry: Entry, first_poll: bool, now: datetime, policy: AlertPolicy) -> bool:
    """New to us is not enough: no backlog flood on a first poll, no resurfaced archives."""
    if entry.published is not None and entry.published < now - policy.max_age:
        return False
    if not first_poll:
        return True
    window = policy.first_poll_window
    return entry.published is not None and window.total_seconds() > 0 and entry.published >= now - window


def sort_entries(
    entries: Iterable[Entry],
    known: Mapping[str, str],
    seen_as_other: Collection[str],
    *,
    first_poll: bool,
    now: datetime,
    policy: AlertPolicy,
) -> list[NewEntry | UpdateEntry]:
    """The entries of a document that change the store, in document order, each key once.

    `known` maps the keys the store has to their content hashes: an equal hash is nothing new.
    `seen_as_other` are keys of items it has under their other identity (guid vs link): skipped."""
    unique: dict[str, Entry] = {}
    for entry in entries:
        if entry.key not in seen_as_other:
            unique.setdefault(entry.key, entry)
    changes: list[NewEntry | UpdateEntry] = []
    for entry in unique.values():
        stored_hash = known.get(entry.key)
        if stored_hash is None:
            changes.append(NewEntry(entry, alertable(entry, first_poll, now, policy)))
        elif stored_hash != entry.content_hash:
            changes.append(UpdateEntry(entry))
    return changes


# -- alerts ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueAlert:
    """A story's first alert in a channel (the parent of its thread there)."""

    channel: str
    entry_key: str
    story: str  # the story, or a topic's own thread of it (topic_thread)
    content: AlertContent


@dataclass(frozen=True, slots=True)
class QueueFollowup:
    """A later report in the parent's thread; `parent` None: the channel takes no threads."""

    channel: str
    entry_key: str
    story: str
    topic: str
    content: AlertContent
    parent: ParentAlert | None


@dataclass(frozen=True, slots=True)
class EditParent:
    """The parent alert as the story now reads: one more source, a newer figure, BREAKING."""

    channel: str
    entry_key: str
    story: str
    parent: ParentAlert
    content: AlertContent


@dataclass(frozen=True, slots=True)
class QueueNotice:
    """A line for a channel with `settings breaking on`: its story breaks."""

    channel: str
    entry_key: str
    story: str
    topic: str
    text: str


AlertIntent = QueueAlert | QueueFollowup | EditParent | QueueNotice


@dataclass(frozen=True, slots=True)
class StoryHistory:
    """What the store knows for telling whether a story breaks: each story's stored reports, and
    per (channel, topic) of `breaking_topics` the stories it alerted on within USUAL_PACE_SPAN."""

    reports: Mapping[str, Sequence[Report]] = field(default_factory=dict)
    starts: Mapping[tuple[str, str], Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FreshEntries:
    """One poll's alertable new entries with their story decisions and their matches."""

    entries: Sequence[tuple[Entry, StoryDecision]]
    matches: Sequence[Sequence[MatchResult]]  # per entry, one result per subscription, in order
    source: str  # the outlet's name, as alerts show it
    outlet: str  # the outlet's identity, as breaking counts it (the feed)
    now: datetime
    analyses: Mapping[str, Analysis] = field(default_factory=dict)  # by entry key, read once for all alerts


@dataclass(frozen=True, slots=True)
class Channels:
    """What the store knows of the channels the entries may go to."""

    subscriptions: Sequence[Subscription]
    parents: Mapping[tuple[str, str], ParentAlert]  # (channel, story): see parent_keys
    thread_modes: Mapping[str, str] = field(default_factory=dict)  # channels not on `thread`
    breaking_notices: Collection[str] = frozenset()  # channels with `settings breaking on`
    history: StoryHistory = field(default_factory=StoryHistory)


def parent_keys(
    decisions: Iterable[StoryDecision], subscriptions: Sequence[Subscription]
) -> set[tuple[str, str]]:
    """The (channel, story) pairs whose parent alerts the rules need: a story that begins with an
    entry has no alert anywhere yet; one that has may also have threads of other topics."""
    return {
        pair
        for decision in decisions
        if decision.relation != "new"
        for sub in subscriptions
        for pair in (
            (sub.channel, decision.story),
            (sub.channel, topic_thread(decision.story, sub.query.name)),
        )
    }


def breaking_topics(
    parents: Mapping[tuple[str, str], ParentAlert], source: str, rule: BreakingRule
) -> set[tuple[str, str]]:
    """The (channel, topic) pairs whose stories this poll may make breaking: not breaking yet, and
    with this outlet enough outlets. The StoryHistory needs only these (and their stories)."""
    return {
        (channel, parent.content.topic)
        for (channel, _), parent in parents.items()
        if not parent.content.breaking
        and len({*(parent.content.sources or (parent.content.source,)), source}) >= rule.min_outlets
    }


def decide_alerts(fresh: FreshEntries, channels: Channels, rule: BreakingRule) -> list[AlertIntent]:
    """What the new entries cause, per entry and channel in order: a parent alert for a story the
    channel has none of, else a follow-up and an edit of the parent.

    A reply or edit goes into a thread only when the entry is relevant to the thread's topic (see
    SAME_EVENT_SIMILARITY); else into the story's thread of the topic it matches in that channel,
    which starts with an alert of its own (see topic_thread)."""
    return _Decision(fresh, channels, rule).intents()


def best_per_channel(
    subscriptions: Sequence[Subscription],
    results: Sequence[MatchResult],
    lang: str | None,
    terms: frozenset[str] = frozenset(),
) -> dict[str, tuple[TopicQuery, MatchResult]]:
    """Per channel, the best-scoring matched topic: one entry is never two alerts in one channel.

    A subscription with a language (`--lang de`) takes only entries known to be in it; one that
    learned from its channel's verdicts scores stories like the rejected ones lower.
    """
    best: dict[str, tuple[TopicQuery, MatchResult]] = {}
    for sub, result in zip(subscriptions, results, strict=True):
        if not result.matched or (sub.lang and lang != sub.lang):
            continue
        if sub.relevance is not None and (penalty := sub.relevance.penalty(terms)) > 0:
            threshold = DEFAULT_THRESHOLD if sub.query.threshold is None else sub.query.threshold
            if result.score - penalty < threshold:
                continue
            result = replace(result, score=round(result.score - penalty, 1))
        current = best.get(sub.channel)
        if current is None or result.score > current[1].score:
            best[sub.channel] = (sub.query, result)
    return best


def matched_topics(
    subscriptions: Sequence[Subscription], results: Sequence[MatchResult], lang: str | None
) -> dict[tuple[str, str], tuple[TopicQuery, MatchResult]]:
    """Every (channel, topic name in any case) the entry matches, for the threads it may join."""
    topics: dict[tuple[str, str], tuple[TopicQuery, MatchResult]] = {}
    for sub, result in zip(subscriptions, results, strict=True):
        if result.matched and not (sub.lang and lang != sub.lang):
            topics[(sub.channel, sub.query.name.casefold())] = (sub.query, result)
    return topics


def _content(
    entry: Entry,
    topic: TopicQuery,
    match: MatchResult | None,
    fresh: FreshEntries,
    relation: Relation,
) -> AlertContent:
    analysis = fresh.analyses.get(entry.key)
    return build_alert(
        analysis.article if analysis else entry.article(),
        topic,
        match,
        link=entry.link,
        source=fresh.source,
        published=entry.published,
        relation=relation,
        analysis=analysis,
    )


class _Decision:
    """One call of decide_alerts: the parents as they grow with each entry, and the intents."""

    def __init__(self, fresh: FreshEntries, channels: Channels, rule: BreakingRule) -> None:
        self.fresh = fresh
        self.known = channels
        self.rule = rule
        self.parents = dict(channels.parents)
        self.out: list[AlertIntent] = []

    def intents(self) -> list[AlertIntent]:
        subscriptions = self.known.subscriptions
        names = sorted({s.channel for s in subscriptions})
        learning = any(s.relevance is not None for s in subscriptions)
        for (entry, decision), results in zip(self.fresh.entries, self.fresh.matches, strict=True):
            terms = alert_terms(entry.title, entry.summary, self.fresh.source)[0] if learning else frozenset()
            best = best_per_channel(subscriptions, results, entry.lang, terms)
            topics = matched_topics(subscriptions, results, entry.lang)
            for channel in names:
                self._place(channel, entry, decision, best.get(channel), topics)
        return self.out

    def _place(
        self,
        channel: str,
        entry: Entry,
        decision: StoryDecision,
        match: tuple[TopicQuery, MatchResult] | None,
        topics: Mapping[tuple[str, str], tuple[TopicQuery, MatchResult]],
    ) -> None:
        """The entry in one channel: its best topic `match` there, every topic it matches."""
        story = decision.story
        parent = self.parents.get((channel, story))
        on_topic = None
        if parent is not None:
            on_topic = topics.get((channel, parent.content.topic.casefold()))
            if on_topic is None and decision.similarity < SAME_EVENT_SIMILARITY:
                # Nothing to do with this thread's topic and not surely the same event: no reply or
                # "+1 source" there, but the story's thread for the entry's own best topic in this
                # channel (its first alert, the first time), or nothing at all.
                if match is None:
                    return
                story = topic_thread(decision.story, match[0].name)
                parent, on_topic = self.parents.get((channel, story)), match
        if parent is not None:
            self._grow(channel, entry, decision, story, parent, on_topic)
        elif match is not None:
            content = _content(entry, match[0], match[1], self.fresh, "new")
            self.parents[(channel, story)] = ParentAlert(None, entry.key, content)
            self.out.append(QueueAlert(channel, entry.key, story, content))

    def _grow(
        self,
        channel: str,
        entry: Entry,
        decision: StoryDecision,
        thread: str,
        parent: ParentAlert,
        match: tuple[TopicQuery, MatchResult] | None,
    ) -> None:
        """Another report of a story the channel has an alert for (in `thread`): a follow-up for a
        follow-up, then the parent's edit. `match` is the entry's match of the thread's own topic
        (None: it joins as the same event)."""
        source, now = self.fresh.source, self.fresh.now
        first = parent.content
        grown = replace(first, sources=(*(first.sources or (first.source,)), source), updated=now)
        if decision.relation == "followup" and self._replies(channel, first.topic, entry.lang):
            query = match[0] if match else parse_topic(first.topic)
            content = _content(entry, query, match[1] if match else None, self.fresh, "followup")
            new_figure = content.figure is not None and (
                first.figure is None or content.figure.value != first.figure.value
            )
            if new_figure:
                grown = replace(grown, figure=content.figure)
            mode = self.known.thread_modes.get(channel)
            content = replace(
                content,
                broadcast=mode == "thread+broadcast" and new_figure,
                parent_title=first.title,  # which alert it follows, for chats without threads
            )
            in_thread = None if mode == "flat" else parent
            self.out.append(
                QueueFollowup(channel, entry.key, decision.story, first.topic, content, in_thread)
            )
        breaks = not grown.breaking and self._breaks(channel, decision.story, grown, entry)
        if breaks:
            grown = replace(grown, breaking=True)
        self.out.append(EditParent(channel, entry.key, decision.story, parent, grown))
        if breaks and channel in self.known.breaking_notices:
            self.out.append(_breaking_notice(channel, entry.key, thread, grown))
        self.parents[(channel, thread)] = replace(parent, content=grown)

    def _replies(self, channel: str, topic: str, lang: str | None) -> bool:
        """A channel that takes its topic in one language only gets no reply in another one (the
        parent's sources still list the outlet: the thread is the same story)."""
        return all(
            not s.lang or s.lang == lang
            for s in self.known.subscriptions
            if s.channel == channel and s.name == topic
        )

    def _breaks(self, channel: str, story: str, parent: AlertContent, entry: Entry) -> bool:
        """Whether this report makes the story breaking: many outlets at once, for this topic."""
        rule, now, history = self.rule, self.fresh.now, self.known.history
        if len(set(parent.sources)) < rule.min_outlets:  # cheap: too few outlets in all so far
            return False
        at = entry.published if entry.published is not None and entry.published <= now else now
        reports = [*history.reports.get(story, ()), Report(self.fresh.outlet, at)]
        earlier = dict.fromkeys(s for s in history.starts.get((channel, parent.topic), ()) if s != story)
        spans = [
            outlets_in_window(rows, rule.window) for s in earlier if (rows := history.reports.get(s, ()))
        ]
        usual = sum(spans) / len(spans) if spans else 1.0
        return is_breaking(reports, rule, usual)


def _breaking_notice(channel: str, entry_key: str, story: str, parent: AlertContent) -> QueueNotice:
    outlets = len(set(parent.sources))
    text = (
        f"Breaking: “{parent.title}” ({parent.topic}) — {outlets} outlets are reporting it; "
        "the updates are in its thread."
    )
    return QueueNotice(channel, entry_key, story, parent.topic, text)
