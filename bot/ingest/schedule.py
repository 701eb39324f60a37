"""When to poll a feed next: pure functions, time and randomness passed in.

- After a success the interval follows how often the feed really publishes (Miniflux's
  "entry frequency": a week divided by the entries of the last week), clamped between the
  configured minimum and maximum, then spread with jitter so that feeds added together do not
  stay in lock-step. What the publisher asked for (`<ttl>`, `sy:updatePeriod`, Cache-Control
  max-age, Expires, Retry-After) is a lower bound on the delay.
- After a failure the delay grows exponentially per consecutive failure (with jitter), honours
  Retry-After, and `should_pause` says when to stop polling and tell a person.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

WEEK = 7 * 24 * 3600.0
DAY = 24 * 3600.0
JITTER = 0.1  # delays are spread over ±10 % of the interval (downwards at the cap, upwards at a floor)


def publishing_interval(entry_times: Sequence[datetime], now: datetime) -> float | None:
    """Seconds between entries over the last week; None when the feed published nothing that week."""
    week_ago = now - timedelta(seconds=WEEK)
    recent = sum(1 for t in entry_times if week_ago <= t <= now + timedelta(hours=1))
    if recent == 0:
        return None
    return WEEK / recent


def _paced_interval(entry_times: Sequence[datetime], now: datetime, low: float, high: float) -> float:
    """The feed's own pace, clamped to [low, high].

    A feed that shows no dated entry at all (empty, or undated) has an unknown pace: it is polled
    at the floor until it shows one, so a new feed's first stories are not an hour late. One entry
    in a week says little: the geometric middle of the bounds. Dated entries but none this week:
    a quiet feed, polled at the ceiling.
    """
    if not entry_times:
        return low
    interval = publishing_interval(entry_times, now)
    if interval is None:
        return high
    if interval >= WEEK:
        return min(max(math.sqrt(low * high), low), high)
    return min(max(interval, low), high)


def _ceiling(max_interval: float) -> float:
    """How far a publisher's hint may push the next poll: a day, or the max interval if longer."""
    return max(max_interval, DAY)


def next_poll_delay(
    *,
    entry_times: Sequence[datetime],
    now: datetime,
    min_interval: float,
    max_interval: float,
    ttl_seconds: float | None,
    cache_seconds: float | None,
    rng: random.Random,
) -> float:
    """Seconds until the next poll after a successful one.

    `entry_times` are the publication times of the feed's entries (aware datetimes, any order);
    `ttl_seconds` comes from the feed, `cache_seconds` from the HTTP answer.
    """
    if min_interval <= 0 or max_interval < min_interval:
        raise ValueError(f"need 0 < min_interval <= max_interval, got {min_interval} and {max_interval}")
    base = _paced_interval(entry_times, now, min_interval, max_interval)
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


__all__ = ["backoff_delay", "next_poll_delay", "publishing_interval", "should_pause"]
