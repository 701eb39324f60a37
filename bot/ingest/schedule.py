"""When to poll a feed next: pure functions, time and randomness passed in.

Latency first, within politeness:

- `estimate_rate` says how many new items an hour a feed publishes, from the publication dates
  of what it shows and what is stored (over the span they really cover, not a fixed week), with
  recent hours weighing more (today's pace, decaying over hours, starts from the usual pace,
  decaying over a week). A feed whose dates cannot be
  trusted (none, all in the future, nearly all equal) is judged by when its items first appeared
  in our polls instead. A weak prior keeps a feed we know nothing about near the floor until it
  shows its pace.
- `poll_interval` turns the rate into an interval by the square-root rule: the interval that
  minimises the total wait of new items for a given number of requests grows with
  1/sqrt(rate). A feed publishing `floor_rate_per_hour` items an hour or more is polled at the
  floor; one publishing once a day about every half hour; the ceiling bounds the quiet ones.
- `next_poll_delay` adds jitter and honours what the publisher asked for (`<ttl>`,
  `sy:updatePeriod`, Cache-Control max-age, Expires, Retry-After) as a lower bound.
- After a failure the delay grows exponentially per consecutive failure (with jitter), honours
  Retry-After, and `should_pause` says when to stop polling and tell a person.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

HOUR = 3600.0
DAY = 24 * HOUR
LONG_HALF_LIFE = 7 * DAY  # the feed's usual pace: an item a week old counts half
SHORT_HALF_LIFE = 6 * HOUR  # its pace today: an item six hours old counts half
LOOKBACK = timedelta(days=14)  # older items say nothing about today's pace
FUTURE_SLACK = timedelta(minutes=10)  # clocks differ; later than this a date is not believed
PRIOR_ITEMS = 0.5  # the weight, in items, of the prior on the usual pace: a few real items outweigh it
USUAL_ITEMS = 2.0  # the weight of the usual pace on today's: one item just published is no flood
JITTER = 0.1  # delays are spread over ±10 % of the interval (downwards at the cap, upwards at a floor)

Basis = Literal["dates", "first seen", "none"]


@dataclass(frozen=True, slots=True)
class PublishingRate:
    """A feed's estimated pace, what it rests on, and why dates were not used (for the log)."""

    per_hour: float
    basis: Basis
    items: int  # how many items the estimate counted
    problem: str | None = None


def _dates_problem(published: Sequence[datetime], usable: Sequence[datetime]) -> str | None:
    """Why the publication dates cannot give a pace, or None when they can."""
    if not published:
        return "its entries carry no dates"
    if not usable:
        return "all its entry dates are in the future"
    if len(usable) >= 2 and len(set(usable)) == 1:
        return "all its entries carry the same date"
    if len(usable) >= 4 and len(set(usable)) * 2 < len(usable):
        return "most of its entries share a date"
    if len(usable) < 2:
        return "it shows only one dated entry"
    return None


def _decayed(age_seconds: float, half_life: float) -> float:
    return math.pow(2.0, -age_seconds / half_life)


def _exposure(span_seconds: float, half_life: float) -> float:
    """The weighted length of the observation window [now - span, now], in hours."""
    return half_life / math.log(2) * (1.0 - _decayed(span_seconds, half_life)) / HOUR


def _posterior(events: Sequence[datetime], start: datetime, now: datetime, prior_per_hour: float) -> float:
    """Items per hour over [start, now]: Gamma-Poisson estimates with decaying weights.

    The usual pace (a week's half-life) starts from the prior; today's pace (hours) starts from
    the usual one, so a quiet feed's one new item is not read as a flood, yet a busy morning or
    a silent night shows within hours.
    """
    span = max((now - start).total_seconds(), 0.0)
    ages = [(now - t).total_seconds() for t in events]
    long_weight = sum(_decayed(age, LONG_HALF_LIFE) for age in ages)
    usual = (PRIOR_ITEMS + long_weight) / (PRIOR_ITEMS / prior_per_hour + _exposure(span, LONG_HALF_LIFE))
    short_weight = sum(_decayed(age, SHORT_HALF_LIFE) for age in ages)
    return (USUAL_ITEMS + short_weight) / (USUAL_ITEMS / usual + _exposure(span, SHORT_HALF_LIFE))


def estimate_rate(
    published: Sequence[datetime],
    now: datetime,
    *,
    first_seen: Sequence[datetime] = (),
    watching_since: datetime | None = None,
    prior_per_hour: float = 1.0,
) -> PublishingRate:
    """How many new items an hour the feed publishes.

    `published`: publication dates of the items the feed shows and those stored (each item once;
    aware datetimes, any order). `first_seen`: when each stored item first appeared in a poll,
    and `watching_since` when the bot began polling the feed (its first poll's items are the
    backlog, not news); used when the dates cannot be trusted. `prior_per_hour` is what a feed
    we know nothing about is assumed to publish.
    """
    if prior_per_hour <= 0:
        raise ValueError(f"need a positive prior rate, got {prior_per_hour}")
    horizon = now - LOOKBACK
    usable = [min(t, now) for t in published if t <= now + FUTURE_SLACK]
    problem = _dates_problem(published, usable)
    if problem is None:
        recent = [t for t in usable if t >= horizon]
        start = min(recent) if len(recent) >= 2 else horizon
        events = [t for t in recent if t > start]
        return PublishingRate(_posterior(events, start, now, prior_per_hour), "dates", len(events))
    if watching_since is not None and watching_since < now:
        start = max(watching_since, horizon)
        events = [t for t in first_seen if start < t <= now]
        return PublishingRate(
            _posterior(events, start, now, prior_per_hour), "first seen", len(events), problem
        )
    return PublishingRate(prior_per_hour, "none", 0, problem)


def poll_interval(
    rate: PublishingRate, *, min_interval: float, max_interval: float, floor_rate_per_hour: float
) -> float:
    """Seconds between polls for this pace, before jitter and the publisher's hints.

    The square-root rule: at `floor_rate_per_hour` or more, the floor; below it the interval
    grows with sqrt(floor rate / rate), so a quiet feed costs few requests while its rare items
    still wait far less than the ceiling.
    """
    if min_interval <= 0 or max_interval < min_interval:
        raise ValueError(f"need 0 < min_interval <= max_interval, got {min_interval} and {max_interval}")
    if floor_rate_per_hour <= 0:
        raise ValueError(f"need a positive floor rate, got {floor_rate_per_hour}")
    if rate.per_hour >= floor_rate_per_hour:
        return min_interval
    return min(min_interval * math.sqrt(floor_rate_per_hour / rate.per_hour), max_interval)


def _ceiling(max_interval: float) -> float:
    """How far a publisher's hint may push the next poll: a day, or the max interval if longer."""
    return max(max_interval, DAY)


def next_poll_delay(
    *,
    rate: PublishingRate,
    min_interval: float,
    max_interval: float,
    floor_rate_per_hour: float,
    ttl_seconds: float | None,
    cache_seconds: float | None,
    rng: random.Random,
) -> float:
    """Seconds until the next poll after a successful one.

    `ttl_seconds` comes from the feed, `cache_seconds` from the HTTP answer; both are floors.
    Jitter only ever shortens the paced interval (never below the floor), so feeds added
    together do not stay in lock-step.
    """
    base = poll_interval(
        rate, min_interval=min_interval, max_interval=max_interval, floor_rate_per_hour=floor_rate_per_hour
    )
    delay = max(base * rng.uniform(1.0 - JITTER, 1.0), min_interval)
    hint = min(max(ttl_seconds or 0.0, cache_seconds or 0.0), _ceiling(max_interval))
    if hint > delay:
        delay = hint * rng.uniform(1.0, 1.0 + JITTER)
    return delay


def backoff_delay(
    failures: int,
    *,
    min_interval: float,
    max_interval: float,
    retry_after: float | None,
    rng: random.Random,
) -> float:
    """Seconds until the next try after `failures` consecutive failures (1 = the first failure).

    min_interval doubled per failure, capped at max_interval, with "equal jitter" (between half
    and all of it); a server's Retry-After is honoured as a lower bound (up to a day or the max).
    """
    if min_interval <= 0 or max_interval < min_interval:
        raise ValueError(f"need 0 < min_interval <= max_interval, got {min_interval} and {max_interval}")
    exponent = min(max(failures, 1), 62)
    capped = min(min_interval * 2.0**exponent, max_interval)
    delay = max(capped / 2 + rng.uniform(0.0, capped / 2), min_interval)
    if retry_after is not None and retry_after > delay:
        delay = min(retry_after, _ceiling(max_interval))
    return delay


def should_pause(failures: int, max_failures: int) -> bool:
    """True once a feed has failed `max_failures` times in a row (0 or less: never pause)."""
    return max_failures > 0 and failures >= max_failures


class HostLimiter:
    """At most `per_minute` requests to one host in any minute, spread with jitter.

    Pure bookkeeping (the caller passes the clock and waits): `reserve` books the next free slot
    for a host and says how long to wait for it. Slots are 60/per_minute seconds apart, each
    shifted by up to `JITTER` of that gap, so several feeds of one publisher never arrive in a
    burst.
    """

    def __init__(self, per_minute: float, rng: random.Random) -> None:
        if per_minute <= 0:
            raise ValueError(f"need a positive number of requests per minute, got {per_minute}")
        self.gap = 60.0 / per_minute
        self.rng = rng
        self._next: dict[str, float] = {}  # host -> monotonic seconds of its next free slot

    def reserve(self, host: str, now: float) -> float:
        """Seconds to wait before requesting `host` (0: at once); the slot is booked."""
        slot = max(now, self._next.get(host, now))
        self._next[host] = slot + self.gap * self.rng.uniform(1.0, 1.0 + JITTER)
        if len(self._next) > 10_000:  # forget hosts whose slots have passed
            self._next = {h: t for h, t in self._next.items() if t > now}
        return slot - now


__all__ = [
    "HostLimiter",
    "PublishingRate",
    "backoff_delay",
    "estimate_rate",
    "next_poll_delay",
    "poll_interval",
    "should_pause",
]
