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
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.alerting import AlertPlanner, Audience, read_audience
from bot.core import decide
from bot.core.analysis import Analysis, analyse
from bot.core.breaking import BreakingRule
from bot.core.stories import StoryFeatures
from bot.errors import NewsbotError, ParseError
from bot.grouping import StoryWindow
from bot.ingest.fetch import Fetcher, FetchResult
from bot.ingest.pacing import FeedPacer
from bot.ingest.parse import normalize_link, parse_feed, parse_in_pool
from bot.ingest.schedule import (
    LOOKBACK,
)
from bot.model import (
    Entry,
    FeedState,
    ParsedFeed,
    StoryDecision,
    StoryItem,
)
from bot.redact import redact
from bot.settings import Settings
from bot.store.ports import PipelineStore
from bot.store.rows import FeedRow, NewEntry, StoredEntry, story_item_id

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
    # seconds from each new entry's publication to the poll that fetched it (the /metrics histogram)
    publish_delays: list[float] = field(default_factory=list)


def feed_lease_seconds(settings: Settings) -> float:
    """How long a poller holds a feed: the setting, else two fetch timeouts and a minute."""
    configured = settings.schedule.feed_lease_seconds
    return configured if configured is not None else 2 * settings.fetch.timeout_seconds + 60


HISTORY_CHUNK = 500  # feeds whose stored publishing history one query reads
History = list[tuple[str, datetime | None, datetime]]  # (key, published, first seen) of a feed's entries


class _Histories:
    """Each answered feed's stored publishing history, read `HISTORY_CHUNK` feeds at a time as the
    cycle reaches them (in the order of `feed_ids`): one query per chunk, and never the whole fleet's
    history in memory at once (100,000 stored entries' keys and dates, beside a full story window)."""

    def __init__(self, store: PipelineStore, feed_ids: Sequence[int], since: datetime) -> None:
        self._store = store
        self._feed_ids = feed_ids
        self._position = {feed_id: n for n, feed_id in enumerate(feed_ids)}
        self._since = since
        self._chunk: dict[int, History] = {}

    def of(self, feed_id: int) -> History:
        if feed_id not in self._chunk:
            start = self._position[feed_id]
            wanted = self._feed_ids[start : start + HISTORY_CHUNK]
            self._chunk = self._store.publishing_histories(wanted, self._since)
        return self._chunk[feed_id]


@dataclass(frozen=True, slots=True)
class _Cycle:
    """What every feed of one cycle is ingested against: read once, before the feeds."""

    now: datetime
    report: CycleReport
    audience: Audience
    known: Mapping[int, Mapping[str, StoredEntry]]  # per feed: the entries stored before, by key
    seen_as_other: Mapping[int, set[str]]  # per feed: keys stored under their other identity
    histories: _Histories  # per feed: for its pace
    pushing: Collection[int]  # the feeds a WebSub hub pushes now


def _feed_source(feed: FeedRow, parsed: ParsedFeed | None = None) -> str:
    if parsed is not None and parsed.title:
        return parsed.title
    return feed.title or feed.url


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        store: PipelineStore,
        fetcher: Fetcher,
        *,
        executor: Executor | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.executor = executor
        self.pacer = FeedPacer(settings, rng or random.Random(), log)
        self.stories = StoryWindow(store, timedelta(hours=settings.alerts.story_window_hours))
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._cycle = asyncio.Lock()  # a WebSub push and the poll tick take turns
        alerts = settings.alerts
        self.policy = decide.AlertPolicy(
            max_age=timedelta(days=alerts.max_age_days),
            first_poll_window=timedelta(seconds=alerts.first_poll_window_seconds),
            breaking=BreakingRule(
                window=timedelta(minutes=alerts.breaking_minutes),
                min_outlets=alerts.breaking_outlets,
                factor=alerts.breaking_factor,
            ),
        )
        self.planner = AlertPlanner(store, self.policy)

    # -- the cycle ------------------------------------------------------------------------------

    async def run_cycle(
        self,
        now: datetime,
        *,
        every_feed: bool = False,
        feed_ids: Sequence[int] | None = None,
        limit: int | None = None,
        pushed: Mapping[int, FetchResult] | None = None,
    ) -> CycleReport:
        """Poll the feeds that are due (all enabled ones with `every_feed`; only `feed_ids` when
        given) and no other poller holds, and write their alerts. A feed in `pushed` (a WebSub
        hub sent its document) is not fetched: the pushed document stands for the answer."""
        async with self._cycle:
            return await self._run_cycle(now, every_feed, feed_ids, limit, pushed or {})

    async def _run_cycle(
        self,
        now: datetime,
        every_feed: bool,
        feed_ids: Sequence[int] | None,
        limit: int | None,
        pushed: Mapping[int, FetchResult],
    ) -> CycleReport:
        report = CycleReport()
        audience = read_audience(self.store, self.stories, now)
        self.stories.catch_up_before_grouping(now)
        lease = timedelta(seconds=feed_lease_seconds(self.settings))
        feeds = self.store.lease_due_feeds(
            now, self.owner, lease, every=every_feed, ids=feed_ids, limit=limit
        )
        if not feeds:
            return report
        # Fetching and parsing run concurrently (parsing in the process pool, on every core);
        # storing, grouping and matching then go feed by feed, in one transaction each.
        results = await asyncio.gather(*(self._fetch_and_parse(feed, pushed.get(feed.id)) for feed in feeds))
        known = self.store.known_entries_of(
            {
                feed.id: [entry.key for entry in parsed.entries]
                for feed, (_, parsed) in zip(feeds, results, strict=True)
                if isinstance(parsed, ParsedFeed)
            }
        )
        seen_as_other = self._stored_as_other_item(feeds, results, known)
        answered = [
            feed.id
            for feed, (result, _) in zip(feeds, results, strict=True)
            if isinstance(result, FetchResult)
        ]
        # What pacing needs (each feed's stored history, whether a hub pushes it) is read for many
        # feeds that answered at once; the 304s' new states are written in one transaction after the loop.
        histories = _Histories(self.store, answered, now - LOOKBACK)
        pushing = self.store.websub_pushing_feeds(now)
        quiet_states: list[tuple[int, FeedState]] = []
        cycle = _Cycle(now, report, audience, known, seen_as_other, histories, pushing)
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
                    quiet_states.append(
                        (feed.id, self.pacer.not_modified(feed, result, histories.of(feed.id), pushing, now))
                    )
                    continue
                if isinstance(parsed, ParseError):
                    self._record_failure(feed, parsed, now, report)
                    continue
                if isinstance(parsed, BaseException):
                    raise parsed
                assert parsed is not None
                await self._ingest(feed, result, parsed, cycle)
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
        try:
            self.store.set_feed_states(quiet_states)
        except NewsbotError as exc:  # their leases run out and they are polled again: nothing lost
            report.errors.append(f"{len(quiet_states)} unchanged feeds: {exc}")
            log.error("could not record %d unchanged feeds: %s", len(quiet_states), exc)
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
        self, feed: FeedRow, pushed: FetchResult | None = None
    ) -> tuple[FetchResult | NewsbotError, ParsedFeed | Exception | None]:
        """The feed's answer (or the document its hub pushed) and, when it has a body, what
        parsing made of it (or why it failed)."""
        result = pushed or await self._fetch(feed)
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
        # trafilatura is imported by the first cycle that may fetch a page, not by every start-up
        from bot.ingest.article import fetch_full_text

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
        state = self.pacer.failed(feed, error, now)
        self.store.set_feed_states([(feed.id, state)])
        log.warning("%s", message if feed.url in message else f"{feed.url}: {message}")
        if state.status == "paused" and feed.status != "paused":
            self._tell_channels_feed_paused(feed, message, state.failures, now)

    def _record_duplicate(self, feed: FeedRow, moved_to: str, now: datetime, report: CycleReport) -> None:
        """The feed moved permanently to a URL the bot already polls as another feed: pause this
        one instead of polling the same feed twice (and storing the URL twice)."""
        message = (
            f"{feed.url} moved permanently to {moved_to}, which is already polled as another feed; "
            f"paused this duplicate (remove it with: newsbot feeds remove {feed.url})"
        )
        report.errors.append(message)
        self.store.set_feed_states([(feed.id, self.pacer.duplicate(feed, message, now))])
        log.warning("%s", message)

    def _tell_channels_feed_paused(self, feed: FeedRow, reason: str, failures: int, now: datetime) -> None:
        channels = sorted({sub.channel for sub in self.store.list_subscriptions()})
        text = (
            f"I paused the feed {feed.url} after {failures} failed polls in a row. Last error: {reason}. "
            f"Fix the feed, then resume it with: newsbot feeds resume {feed.url}"
        )
        for channel in channels:
            self.store.add_notice(channel, redact(text), now)  # a feed URL's user:password@ stays private

    # -- entries, stories, alerts ---------------------------------------------------------------

    async def _ingest(self, feed: FeedRow, result: FetchResult, parsed: ParsedFeed, cycle: _Cycle) -> None:
        """Store a parsed feed's new and changed entries, group them into stories and write the
        alerts they cause, in one transaction."""
        now, report = cycle.now, cycle.report
        report.polled += 1
        if parsed.problem:
            log.info("%s: feed has defects but is usable: %s", feed.url, parsed.problem)
        known = cycle.known.get(feed.id, {})
        first_poll = feed.last_success_at is None
        changes = decide.sort_entries(
            parsed.entries,
            {key: stored.content_hash for key, stored in known.items()},
            cycle.seen_as_other.get(feed.id, set()),
            first_poll=first_poll,
            now=now,
            policy=self.policy,
        )
        wanted = [c.entry for c in changes if isinstance(c, decide.NewEntry) and c.alertable]
        completed = {e.key: e for e in await self._with_full_text(feed, wanted)}
        source = _feed_source(feed, parsed)
        new: list[NewEntry] = []
        changed: list[tuple[int, NewEntry]] = []
        fresh: list[tuple[Entry, StoryDecision]] = []
        analyses: dict[str, Analysis] = {}  # the alertable entries', read once for every topic and channel
        for change in changes:
            entry = completed.get(change.entry.key, change.entry)
            decision, row, features = self._grouped(feed.id, entry, source, now)
            if isinstance(change, decide.UpdateEntry):
                changed.append((known[entry.key].id, row))  # an edited entry is an update, never a new alert
                continue
            new.append(row)
            if change.alertable:
                fresh.append((entry, decision))
                analyses[entry.key] = analyse(entry.article(), features)
        outbox = self.planner.rows_for(fresh, analyses, cycle.audience, source, feed.id, now)
        if not first_poll:
            report.publish_delays.extend(
                (now - e.published).total_seconds()
                for e, _ in fresh
                if e.published is not None and e.published <= now
            )
        report.new_entries += len(new)
        edit_interval = timedelta(seconds=self.settings.alerts.edit_interval_seconds)
        state = self.pacer.answered(feed, result, parsed, now, cycle.histories.of(feed.id), cycle.pushing)
        report.alerts += self.store.record_poll(feed.id, new, changed, outbox, state, now, edit_interval)

    def _grouped(
        self, feed_id: int, entry: Entry, source: str, now: datetime
    ) -> tuple[StoryDecision, NewEntry, StoryFeatures]:
        """The entry's story, the entry as stored with it, and its story features."""
        story_item = StoryItem(
            id=story_item_id(feed_id, entry.key),
            title=entry.title,
            summary=entry.summary,
            text=entry.text,
            published=entry.published or now,
            source=source,
            lang=entry.lang,
        )
        decision, features = self.stories.group(story_item)
        row = NewEntry(
            key=entry.key,
            title=entry.title,
            link=entry.link,
            summary=entry.summary,
            text=entry.text,
            lang=entry.lang,
            published=entry.published,
            content_hash=entry.content_hash,  # the feed's text decides what counts as changed
            story=decision.story,
            story_features=features.encode(),
        )
        return decision, row, features
