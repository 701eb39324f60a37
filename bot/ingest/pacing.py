"""A feed's state after a poll: healthy, failing or paused, its pace, and when it is polled next.

The schedule's arithmetic is `schedule.py`; this reads what it needs of the store (the feed's
stored publishing history, whether a hub pushes it) and makes the FeedState the store writes.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.errors import FetchError, NewsbotError
from bot.ingest.fetch import FetchResult
from bot.ingest.schedule import (
    PublishingRate,
    backoff_delay,
    estimate_rate,
    next_poll_delay,
    should_pause,
)
from bot.ingest.websub import discover
from bot.model import Entry, FeedAnswer, FeedState, ParsedFeed
from bot.settings import Settings
from bot.store.rows import FeedRow


class FeedPacer:
    """The next state of each polled feed, from the settings' schedule and what the store knew
    of it before the poll (its publishing history, whether a hub pushes it)."""

    def __init__(self, settings: Settings, rng: random.Random, log: logging.Logger) -> None:
        self.settings = settings
        self.rng = rng
        self.log = log  # the poll cycle's log, where a feed's pace and moves are told

    def failed(self, feed: FeedRow, error: NewsbotError, now: datetime) -> FeedState:
        """A failed poll: backed off (a server's Retry-After respected), paused after too many."""
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
        return FeedState(
            status="paused" if should_pause(failures, schedule.max_failures) else "failing",
            polled_at=now,
            next_poll_at=now + timedelta(seconds=delay),
            failures=failures,
            error=str(error),
        )

    def duplicate(self, feed: FeedRow, reason: str, now: datetime) -> FeedState:
        """A feed that moved to a URL polled as another feed: paused, with the reason."""
        return FeedState(
            status="paused",
            polled_at=now,
            next_poll_at=now + timedelta(seconds=self.settings.schedule.max_interval_seconds),
            failures=feed.failures,
            error=reason,
        )

    def answered(
        self,
        feed: FeedRow,
        result: FetchResult,
        parsed: ParsedFeed,
        now: datetime,
        history: Sequence[tuple[str, datetime | None, datetime]],
        pushing: Collection[int],
    ) -> FeedState:
        """The state a feed that answered with a document moves to: healthy, its validators and
        advertised hub kept, its next poll paced by what it shows and what is stored (`history`)."""
        rate = self.pace(feed, now, parsed.entries, history)
        delay = self.poll_delay(
            feed, rate, parsed.ttl_seconds, result.cache_seconds, now, pushed=feed.id in pushing
        )
        advertised = None
        if self.settings.websub.callback_url:  # the hub a feed advertises, for WebSub
            hub = discover(result.body, result.links, feed.url)
            advertised = (hub.hub, hub.topic) if hub else (None, None)
        moved = result.permanent_url if result.permanent_url and result.permanent_url != feed.url else None
        if moved:
            self.log.info("%s moved permanently to %s; stored the new URL", feed.url, moved)
        return replace(
            _healthy(rate, delay, now),
            answer=FeedAnswer(result.etag, result.last_modified, parsed.ttl_seconds),
            hub=advertised,
            title=parsed.title[:500] if parsed.title and not feed.title else None,
            url=moved,
        )

    def not_modified(
        self,
        feed: FeedRow,
        result: FetchResult,
        history: Sequence[tuple[str, datetime | None, datetime]],
        pushing: Collection[int],
        now: datetime,
    ) -> FeedState:
        """The state a feed that answered 304 moves to: polled, healthy, its next poll paced."""
        rate = self.pace(feed, now, (), history)
        delay = self.poll_delay(
            feed, rate, feed.ttl_seconds, result.cache_seconds, now, pushed=feed.id in pushing
        )
        return _healthy(rate, delay, now)

    def pace(
        self,
        feed: FeedRow,
        now: datetime,
        shown: Sequence[Entry],
        history: Sequence[tuple[str, datetime | None, datetime]],
    ) -> PublishingRate:
        """The feed's publishing rate from the entries it shows now and those stored (`history`,
        read for every feed of the cycle at once).

        Dates from the document win over stored ones (an edited date); an entry not stored yet
        is first seen now. The first poll's entries are backlog, so watching begins with them.
        """
        published: dict[str, datetime | None] = {key: date for key, date, _ in history}
        seen: dict[str, datetime] = {key: first for key, _, first in history}
        for entry in shown:
            published[entry.key] = entry.published
            seen.setdefault(entry.key, now)
        if feed.last_success_at is None:
            watching_since = now
        elif history:
            watching_since = min(first for _, _, first in history)
        else:
            watching_since = feed.created_at or feed.last_success_at
        rate = estimate_rate(
            [date for date in published.values() if date is not None],
            now,
            first_seen=list(seen.values()),
            watching_since=watching_since,
            prior_per_hour=self.settings.schedule.floor_rate_per_hour,
        )
        if rate.problem and feed.rate_basis in (None, "dates"):  # said once, when the basis changes
            self.log.info(
                "%s: %s; its publishing rate is judged by when its items first appear in polls",
                feed.url,
                rate.problem,
            )
        return rate

    def poll_delay(
        self,
        feed: FeedRow,
        rate: PublishingRate,
        ttl_seconds: float | None,
        cache_seconds: float | None,
        now: datetime,
        *,
        pushed: bool,
    ) -> float:
        """Seconds to the next poll: the feed's pace, the publisher's floors, and, while a hub
        pushes the feed's updates (`pushed`), the rare safety-net poll."""
        schedule = self.settings.schedule
        delay = next_poll_delay(
            rate=rate,
            min_interval=schedule.min_interval_seconds,
            max_interval=schedule.max_interval_seconds,
            floor_rate_per_hour=schedule.floor_rate_per_hour,
            ttl_seconds=ttl_seconds,
            cache_seconds=cache_seconds,
            rng=self.rng,
        )
        if pushed:
            delay = max(delay, self.settings.websub.poll_interval_seconds)
        return delay


def _healthy(rate: PublishingRate, delay: float, now: datetime) -> FeedState:
    """A feed that answered: no failures, its pace as estimated, polled again in `delay` seconds."""
    return FeedState(
        status="ok",
        polled_at=now,
        next_poll_at=now + timedelta(seconds=delay),
        failures=0,
        succeeded=True,
        rate_per_hour=rate.per_hour,
        rate_basis=rate.basis,
    )
