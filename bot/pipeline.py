"""One poll cycle, wired from the parts: fetch → parse → store new entries → group into stories →
match subscriptions → extract key quote and figure → write alerts to the outbox.

This is the only module that knows the order of the stages. Each feed's result is written in one
transaction (entries, the alerts they cause, the feed's new state), so a crash mid-cycle loses
nothing and doubles nothing: what was not committed is fetched again on the next poll.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.core.alerts import build_alert
from bot.core.matching import QueryError, match_batch, parse_topic
from bot.core.payload import alert_from_dict, alert_to_dict
from bot.core.stories import StoryGrouper
from bot.errors import FetchError, NewsbotError, ParseError
from bot.ingest.article import fetch_full_text
from bot.ingest.fetch import Fetcher, FetchResult
from bot.ingest.parse import normalize_link, parse_feed, parse_in_pool
from bot.ingest.schedule import backoff_delay, next_poll_delay, should_pause
from bot.model import (
    AlertContent,
    Entry,
    MatchResult,
    ParsedFeed,
    Relation,
    StoryDecision,
    StoryItem,
    TopicQuery,
)
from bot.redact import redact
from bot.settings import Settings
from bot.store.db import (
    FeedRow,
    NewEntry,
    PendingAlert,
    Store,
    StoredEntry,
    SubscriptionRow,
    story_item_id,
)

log = logging.getLogger(__name__)


@dataclass
class CycleReport:
    """What one cycle did, for logs, `run --once` and tests."""

    polled: int = 0
    not_modified: int = 0
    failed: int = 0
    new_entries: int = 0
    alerts: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Subscription:
    row: SubscriptionRow
    query: TopicQuery


def feed_lease_seconds(settings: Settings) -> float:
    """How long a poller holds a feed: the setting, else two fetch timeouts and a minute."""
    configured = settings.schedule.feed_lease_seconds
    return configured if configured is not None else 2 * settings.fetch.timeout_seconds + 60


@dataclass(frozen=True, slots=True)
class _Parent:
    """A story's first alert in a channel: stored (alert_id) or written in this same poll (entry_key)."""

    alert_id: int | None
    entry_key: str | None
    content: AlertContent


def _grown(parent: AlertContent, source: str, now: datetime) -> AlertContent:
    """The parent alert once another outlet (or the same one again) reported its story."""
    return replace(parent, sources=(*(parent.sources or (parent.source,)), source), updated=now)


def _feed_source(feed: FeedRow, parsed: ParsedFeed | None = None) -> str:
    if parsed is not None and parsed.title:
        return parsed.title
    return feed.title or feed.url


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        *,
        executor: Executor | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.executor = executor
        self.rng = rng or random.Random()
        self.window = timedelta(hours=settings.alerts.story_window_hours)
        self.grouper = StoryGrouper(window=self.window)
        self._last_entry_id = 0  # the newest stored entry story grouping has seen
        self._own_items: set[str] = set()  # items this process grouped since the last catch-up
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    # -- story grouping state -----------------------------------------------------------------

    def _catch_up_grouper(self, now: datetime) -> None:
        """Story grouping sees every stored entry of the window: at start-up all of them, later
        those other processes stored (this process grouped its own already)."""
        recent_entries, self._last_entry_id = self.store.entries_after(
            now - self.window, self._last_entry_id, self._own_items
        )
        for recent in recent_entries:
            self.grouper.assign(
                StoryItem(
                    id=recent.story_item_id,
                    title=recent.title,
                    summary=recent.summary,
                    text=recent.text,
                    published=recent.published or recent.first_seen_at,
                    source=recent.source,
                    lang=recent.lang,
                )
            )
        self._own_items.clear()

    def _subscriptions(self, now: datetime) -> list[_Subscription]:
        """The subscriptions that may alert now; every topic's aliases join story grouping first.

        Aliases decide which reports are one story (Nordkorea = North Korea), so they are known
        before grouping sees any entry, also when it is rebuilt after a restart, and whether or
        not a topic is muted: the same entries must always make the same stories.
        """
        active = []
        paused = self.store.paused_channels()
        for row in self.store.list_subscriptions():
            try:
                query = parse_topic(row.query, row.threshold)
            except QueryError as exc:
                log.warning("subscription %r in %s cannot be read: %s", row.query, row.channel, exc)
                continue
            self.grouper.add_aliases(query.aliases)
            if row.channel not in paused and not row.muted(now):
                active.append(_Subscription(row, query))
        return active

    # -- the cycle ------------------------------------------------------------------------------

    async def run_cycle(
        self,
        now: datetime,
        *,
        every_feed: bool = False,
        feed_ids: Sequence[int] | None = None,
        limit: int | None = None,
    ) -> CycleReport:
        """Poll the feeds that are due (all enabled ones with `every_feed`; only `feed_ids` when
        given) and no other poller holds, and write their alerts."""
        report = CycleReport()
        subscriptions = self._subscriptions(now)
        thread_modes = self.store.thread_modes()
        self._catch_up_grouper(now)
        lease = timedelta(seconds=feed_lease_seconds(self.settings))
        feeds = self.store.lease_due_feeds(
            now, self.owner, lease, every=every_feed, ids=feed_ids, limit=limit
        )
        if not feeds:
            return report
        # Fetching and parsing run concurrently (parsing in the process pool, on every core);
        # storing, grouping and matching then go feed by feed, in one transaction each.
        results = await asyncio.gather(*(self._fetch_and_parse(feed) for feed in feeds))
        known = self.store.known_entries_of(
            {
                feed.id: [entry.key for entry in parsed.entries]
                for feed, (_, parsed) in zip(feeds, results, strict=True)
                if isinstance(parsed, ParsedFeed)
            }
        )
        seen_as_other = self._stored_as_other_item(feeds, results, known)
        for feed, (result, parsed) in zip(feeds, results, strict=True):
            try:
                if isinstance(result, NewsbotError):
                    self._record_failure(feed, result, now, report)
                    continue
                moved = result.permanent_url
                if moved and moved != feed.url and self.store.feed_url_taken(moved, feed.id):
                    self._record_duplicate(feed, moved, now, report)
                    continue
                if result.status == 304 or result.body is None:
                    report.not_modified += 1
                    self._record_not_modified(feed, result, now)
                    continue
                if isinstance(parsed, ParseError):
                    self._record_failure(feed, parsed, now, report)
                    continue
                if isinstance(parsed, BaseException):
                    raise parsed
                assert parsed is not None
                await self._ingest(
                    feed,
                    result,
                    parsed,
                    known.get(feed.id, {}),
                    seen_as_other.get(feed.id, set()),
                    subscriptions,
                    thread_modes,
                    now,
                    report,
                )
            except NewsbotError as exc:
                report.errors.append(f"{feed.url}: {exc}")
                log.error("%s: %s", feed.url, exc)
            except Exception as exc:  # a bug with one feed must not stop the others' polls
                log.exception("%s: unexpected error while ingesting", feed.url)
                failure = NewsbotError(f"unexpected error while ingesting: {type(exc).__name__}: {exc}")
                try:
                    self._record_failure(feed, failure, now, report)
                except NewsbotError as store_error:
                    report.errors.append(f"{feed.url}: {store_error}")
        return report

    async def _fetch(self, feed: FeedRow) -> FetchResult | NewsbotError:
        try:
            return await self.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        except NewsbotError as exc:
            return exc

    def _stored_as_other_item(
        self,
        feeds: Sequence[FeedRow],
        results: Sequence[tuple[FetchResult | NewsbotError, ParsedFeed | Exception | None]],
        known: dict[int, dict[str, StoredEntry]],
    ) -> dict[int, set[str]]:
        """Keys of new-looking entries that are an item the feed already has under its other
        identity (guid vs link): a truncated document that lost an item's guid must not alert
        for it a second time."""
        link_keys: dict[int, dict[str, tuple[str, str]]] = {}
        links: dict[int, dict[str, tuple[str, str]]] = {}
        for feed, (_, parsed) in zip(feeds, results, strict=True):
            if not isinstance(parsed, ParsedFeed):
                continue
            stored = known.get(feed.id, {})
            for entry in parsed.entries:
                if entry.key in stored or not entry.link:
                    continue
                try:
                    link_key = normalize_link(entry.link)
                except ValueError:
                    continue
                if entry.key == link_key:  # no guid: look for the item stored with one
                    links.setdefault(feed.id, {})[entry.key] = (entry.link, entry.title)
                else:  # a guid: look for the item stored without it
                    link_keys.setdefault(feed.id, {})[entry.key] = (link_key, entry.title)
        if not link_keys and not links:
            return {}
        return self.store.stored_as_other_item(link_keys, links)

    async def _fetch_and_parse(
        self, feed: FeedRow
    ) -> tuple[FetchResult | NewsbotError, ParsedFeed | Exception | None]:
        """The feed's answer and, when it has a body, what parsing made of it (or why it failed)."""
        result = await self._fetch(feed)
        if isinstance(result, NewsbotError) or result.status == 304 or result.body is None:
            return result, None
        try:
            return result, await self._parse(result)
        except Exception as exc:  # ParseError, or the pool failing: the ingest loop reports it
            return result, exc

    async def _parse(self, result: FetchResult) -> ParsedFeed:
        assert result.body is not None
        cap = self.settings.fetch.max_items_per_poll  # bounds the memory one huge feed can take
        if self.executor is None:
            return parse_feed(result.body, result.url, result.content_type, cap)
        return await parse_in_pool(self.executor, result.body, result.url, result.content_type, cap)

    async def _with_full_text(self, feed: FeedRow, entries: list[Entry]) -> list[Entry]:
        """Entries that carry only a teaser (or every entry, for a feed set to `always`) get the
        article page's main text, fetched with the same guards; a feed set to `never` gets none."""
        limit = self.settings.fetch.full_text_below_chars
        if feed.full_text == "never" or (limit <= 0 and feed.full_text != "always"):
            return entries

        async def complete(entry: Entry) -> Entry:
            teaser = len(entry.text or entry.summary) < limit
            if entry.link is None or not (teaser or feed.full_text == "always"):
                return entry
            full = await fetch_full_text(self.fetcher, entry.link)
            if not full or len(full) <= len(entry.text):
                return entry
            return replace(entry, text=full)

        return list(await asyncio.gather(*(complete(entry) for entry in entries)))

    # -- feed state -----------------------------------------------------------------------------

    def _record_failure(self, feed: FeedRow, error: NewsbotError, now: datetime, report: CycleReport) -> None:
        report.failed += 1
        message = str(error)
        report.errors.append(message if feed.url in message else f"{feed.url}: {message}")
        failures = feed.failures + 1
        schedule = self.settings.schedule
        retry_after = error.retry_after if isinstance(error, FetchError) else None
        delay = backoff_delay(
            failures,
            min_interval=schedule.min_interval_seconds,
            max_interval=schedule.max_interval_seconds,
            retry_after=retry_after,
            rng=self.rng,
        )
        paused = should_pause(failures, schedule.max_failures)
        self.store.set_feed_state(
            feed.id,
            status="paused" if paused else "failing",
            lease_until=None,
            failures=failures,
            last_error=message,
            last_polled_at=now,
            next_poll_at=now + timedelta(seconds=delay),
        )
        log.warning("%s", message if feed.url in message else f"{feed.url}: {message}")
        if paused and feed.status != "paused":
            self._tell_channels_feed_paused(feed, message, failures, now)

    def _record_duplicate(self, feed: FeedRow, moved_to: str, now: datetime, report: CycleReport) -> None:
        """The feed moved permanently to a URL the bot already polls as another feed: pause this
        one instead of polling the same feed twice (and storing the URL twice)."""
        message = (
            f"{feed.url} moved permanently to {moved_to}, which is already polled as another feed; "
            f"paused this duplicate (remove it with: newsbot feeds remove {feed.url})"
        )
        report.errors.append(message)
        self.store.set_feed_state(
            feed.id,
            status="paused",
            lease_until=None,
            last_error=message,
            last_polled_at=now,
            next_poll_at=now + timedelta(seconds=self.settings.schedule.max_interval_seconds),
        )
        log.warning("%s", message)

    def _tell_channels_feed_paused(self, feed: FeedRow, reason: str, failures: int, now: datetime) -> None:
        channels = sorted({sub.channel for sub in self.store.list_subscriptions()})
        text = (
            f"I paused the feed {feed.url} after {failures} failed polls in a row. Last error: {reason}. "
            f"Fix the feed, then resume it with: newsbot feeds resume {feed.url}"
        )
        for channel in channels:
            self.store.add_notice(channel, redact(text), now)  # a feed URL's user:password@ stays private

    def _record_not_modified(self, feed: FeedRow, result: FetchResult, now: datetime) -> None:
        delay = next_poll_delay(
            entry_times=self.store.entry_times(feed.id, now - timedelta(days=8)),
            now=now,
            min_interval=self.settings.schedule.min_interval_seconds,
            max_interval=self.settings.schedule.max_interval_seconds,
            ttl_seconds=feed.ttl_seconds,  # what the feed declared when it last sent a body
            cache_seconds=result.cache_seconds,
            rng=self.rng,
        )
        self.store.set_feed_state(
            feed.id,
            status="ok",
            lease_until=None,
            failures=0,
            last_error=None,
            last_polled_at=now,
            last_success_at=now,
            next_poll_at=now + timedelta(seconds=delay),
        )

    # -- entries, stories, alerts ---------------------------------------------------------------

    async def _ingest(
        self,
        feed: FeedRow,
        result: FetchResult,
        parsed: ParsedFeed,
        known: dict[str, StoredEntry],
        seen_as_other: set[str],
        subscriptions: Sequence[_Subscription],
        thread_modes: dict[str, str],
        now: datetime,
        report: CycleReport,
    ) -> None:
        """Store a parsed feed's new and changed entries (`known`: those stored before;
        `seen_as_other`: stored under their other identity, skipped), group them into stories and
        write the alerts they cause, in one transaction."""
        report.polled += 1
        if parsed.problem:
            log.info("%s: feed has defects but is usable: %s", feed.url, parsed.problem)
        unique: dict[str, Entry] = {}
        for entry in parsed.entries:
            if entry.key not in seen_as_other:  # stored already, under its other identity
                unique.setdefault(entry.key, entry)
        source = _feed_source(feed, parsed)
        first_poll = feed.last_success_at is None
        unseen = [e for e in unique.values() if e.key not in known]
        alertable = {e.key for e in unseen if self._alertable(e, first_poll, now)}
        completed = {
            e.key: e for e in await self._with_full_text(feed, [e for e in unseen if e.key in alertable])
        }
        new: list[NewEntry] = []
        changed: list[tuple[int, NewEntry]] = []
        fresh: list[tuple[Entry, StoryDecision]] = []
        for original in unique.values():
            stored = known.get(original.key)
            if stored is not None and stored.content_hash == original.content_hash:
                continue
            entry = completed.get(original.key, original)
            item_id = story_item_id(feed.id, entry.key)
            self._own_items.add(item_id)
            decision = self.grouper.assign(
                StoryItem(
                    id=item_id,
                    title=entry.title,
                    summary=entry.summary,
                    text=entry.text,
                    published=entry.published or now,
                    source=source,
                    lang=entry.lang,
                )
            )
            row = NewEntry(
                key=entry.key,
                title=entry.title,
                link=entry.link,
                summary=entry.summary,
                text=entry.text,
                lang=entry.lang,
                published=entry.published,
                content_hash=original.content_hash,  # the feed's text decides what counts as changed
                story=decision.story,
            )
            if stored is not None:
                changed.append((stored.id, row))  # an edited entry is an update, never a new alert
                continue
            new.append(row)
            if entry.key in alertable:
                fresh.append((entry, decision))
        outbox = self._alerts_for(fresh, subscriptions, thread_modes, source, now)
        delay = next_poll_delay(
            entry_times=[e.published for e in parsed.entries if e.published is not None],
            now=now,
            min_interval=self.settings.schedule.min_interval_seconds,
            max_interval=self.settings.schedule.max_interval_seconds,
            ttl_seconds=parsed.ttl_seconds,
            cache_seconds=result.cache_seconds,
            rng=self.rng,
        )
        state: dict[str, Any] = {
            "status": "ok",
            "lease_until": None,
            "failures": 0,
            "last_error": None,
            "etag": result.etag,
            "last_modified": result.last_modified,
            "last_polled_at": now,
            "last_success_at": now,
            "next_poll_at": now + timedelta(seconds=delay),
            "ttl_seconds": parsed.ttl_seconds,
        }
        if parsed.title and not feed.title:
            state["title"] = parsed.title[:500]
        if result.permanent_url and result.permanent_url != feed.url:
            state["url"] = result.permanent_url
            log.info("%s moved permanently to %s; stored the new URL", feed.url, result.permanent_url)
        report.new_entries += len(new)
        edit_interval = timedelta(seconds=self.settings.alerts.edit_interval_seconds)
        report.alerts += self.store.record_poll(feed.id, new, changed, outbox, state, now, edit_interval)

    def _alertable(self, entry: Entry, first_poll: bool, now: datetime) -> bool:
        """New to us is not enough: no backlog flood on a first poll, no resurfaced archives."""
        alerts = self.settings.alerts
        if entry.published is not None and entry.published < now - timedelta(days=alerts.max_age_days):
            return False
        if not first_poll:
            return True
        window = timedelta(seconds=alerts.first_poll_window_seconds)
        return entry.published is not None and window.total_seconds() > 0 and entry.published >= now - window

    def _alerts_for(
        self,
        fresh: Sequence[tuple[Entry, StoryDecision]],
        subscriptions: Sequence[_Subscription],
        thread_modes: dict[str, str],
        source: str,
        now: datetime,
    ) -> list[PendingAlert]:
        """Outbox rows for new entries: a parent alert per channel and story, then replies and edits."""
        if not fresh:
            return []
        matches = (
            match_batch([entry.article() for entry, _ in fresh], [s.query for s in subscriptions])
            if subscriptions
            else [[] for _ in fresh]
        )
        channels = sorted({s.row.channel for s in subscriptions})
        parents: dict[tuple[str, str], _Parent] = {
            key: _Parent(alert_id, None, alert_from_dict(payload))
            for key, (alert_id, payload) in self.store.story_parents(
                # a story that begins with this entry has no alert anywhere yet
                (c, d.story)
                for c in channels
                for _, d in fresh
                if d.relation != "new"
            ).items()
        }
        outbox: list[PendingAlert] = []
        for (entry, decision), results in zip(fresh, matches, strict=True):
            best = self._best_per_channel(subscriptions, results, entry.lang)
            for channel in channels:
                parent = parents.get((channel, decision.story))
                match = best.get(channel)
                if parent is None:
                    if match is None:
                        continue
                    content = self._content(entry, match[0], match[1], source, "new")
                    parents[(channel, decision.story)] = _Parent(None, entry.key, content)
                    outbox.append(
                        PendingAlert(
                            channel=channel,
                            kind="alert",
                            payload=alert_to_dict(content),
                            entry_key=entry.key,
                            story=decision.story,
                            topic=match[0].name,
                        )
                    )
                    continue
                outbox.extend(
                    self._story_grows(
                        channel, entry, decision, parent, match, source, thread_modes.get(channel), now
                    )
                )
                parents[(channel, decision.story)] = replace(
                    parent, content=_grown(parent.content, source, now)
                )
        return outbox

    def _story_grows(
        self,
        channel: str,
        entry: Entry,
        decision: StoryDecision,
        parent: _Parent,
        match: tuple[TopicQuery, MatchResult] | None,
        source: str,
        thread_mode: str | None,
        now: datetime,
    ) -> list[PendingAlert]:
        """Another report of a story the channel knows: a reply for a follow-up, and a parent edit."""
        rows = []
        grown = _grown(parent.content, source, now)
        if decision.relation == "followup":
            topic = match[0] if match else parse_topic(parent.content.topic)
            content = self._content(entry, topic, match[1] if match else None, source, "followup")
            new_figure = content.figure is not None and (
                parent.content.figure is None or content.figure.value != parent.content.figure.value
            )
            if new_figure:
                grown = replace(grown, figure=content.figure)
            content = replace(content, broadcast=thread_mode == "thread+broadcast" and new_figure)
            flat = thread_mode == "flat"
            rows.append(
                PendingAlert(
                    channel=channel,
                    kind="followup",
                    payload=alert_to_dict(content),
                    entry_key=entry.key,
                    story=decision.story,
                    topic=parent.content.topic,
                    parent_id=None if flat else parent.alert_id,
                    parent_entry_key=None if flat else parent.entry_key,
                )
            )
        rows.append(
            PendingAlert(
                channel=channel,
                kind="edit",
                payload=alert_to_dict(grown),
                entry_key=entry.key,
                story=decision.story,
                topic=parent.content.topic,
                parent_id=parent.alert_id,
                parent_entry_key=parent.entry_key,
            )
        )
        return rows

    @staticmethod
    def _best_per_channel(
        subscriptions: Sequence[_Subscription], results: Sequence[MatchResult], lang: str | None
    ) -> dict[str, tuple[TopicQuery, MatchResult]]:
        """Per channel, the best-scoring matched topic: one entry is never two alerts in one channel.

        A subscription with a language (`--lang de`) takes only entries known to be in it.
        """
        best: dict[str, tuple[TopicQuery, MatchResult]] = {}
        for sub, result in zip(subscriptions, results, strict=True):
            if not result.matched or (sub.row.lang and lang != sub.row.lang):
                continue
            current = best.get(sub.row.channel)
            if current is None or result.score > current[1].score:
                best[sub.row.channel] = (sub.query, result)
        return best

    @staticmethod
    def _content(
        entry: Entry, topic: TopicQuery, match: MatchResult | None, source: str, relation: Relation
    ) -> AlertContent:
        return build_alert(
            entry.article(),
            topic,
            match,
            link=entry.link,
            source=source,
            published=entry.published,
            relation=relation,
        )
