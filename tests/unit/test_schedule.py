"""Per-feed poll scheduling: adapted to the feed's pace, bounded, spread, backing off on failure."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ingest.schedule import backoff_delay, next_poll_delay, should_pause

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MIN, MAX = 300.0, 86_400.0


def every(seconds: float, count: int) -> list[datetime]:
    return [NOW - timedelta(seconds=seconds * i) for i in range(count)]


def delay(
    entry_times: list[datetime], *, ttl: float | None = None, cache: float | None = None, seed: int = 1
) -> float:
    return next_poll_delay(
        entry_times=entry_times,
        now=NOW,
        min_interval=MIN,
        max_interval=MAX,
        ttl_seconds=ttl,
        cache_seconds=cache,
        rng=random.Random(seed),
    )


def test_a_busy_feed_is_polled_often_a_quiet_one_rarely() -> None:
    hourly = delay(every(3600, 168))  # an entry an hour all week
    daily = delay(every(86_400, 7))
    assert 0.9 * 3600 <= hourly <= 3600
    assert 0.9 * 86_400 <= daily <= 86_400
    assert hourly < daily


def test_interval_is_clamped_between_min_and_max() -> None:
    flood = delay(every(10, 5000))  # 5,000 entries in 14 hours
    assert flood == MIN  # never faster than the minimum, jitter included
    silent = delay([NOW - timedelta(days=30)])
    assert 0.9 * MAX <= silent <= MAX


def test_a_feed_of_unknown_pace_is_polled_at_the_floor_until_it_shows_one() -> None:
    assert delay([]) == MIN  # empty or undated: a new feed's first story must not wait for MAX
    one = delay([NOW - timedelta(hours=1)])  # a single entry this week: between the bounds
    assert MIN < one < MAX


def test_old_entries_do_not_count_as_activity() -> None:
    stale = every(600, 50)
    shifted = [t - timedelta(days=10) for t in stale]
    assert delay(shifted) > delay(stale)


def test_jitter_spreads_feeds_that_publish_alike() -> None:
    delays = {round(delay(every(3600, 168), seed=seed)) for seed in range(50)}
    assert len(delays) > 40
    assert min(delays) >= 0.9 * 3600 - 1 and max(delays) <= 3600 + 1


def test_same_seed_same_delay() -> None:
    assert delay(every(3600, 10), seed=7) == delay(every(3600, 10), seed=7)


def test_ttl_and_cache_headers_are_lower_bounds() -> None:
    busy = every(60, 1000)
    assert delay(busy, ttl=3600) >= 3600
    assert delay(busy, cache=7200) >= 7200
    assert delay(busy, ttl=1800, cache=900) >= 1800
    # a hint shorter than the feed's own pace changes nothing
    assert delay(every(86_400, 7), ttl=60) >= 0.9 * 86_400


def test_an_absurd_cache_lifetime_does_not_silence_a_feed() -> None:
    assert delay(every(3600, 168), cache=365 * 86_400) <= 1.1 * max(MAX, 86_400)


def test_backoff_grows_exponentially_and_is_capped() -> None:
    rng = random.Random(3)
    steps = [
        backoff_delay(n, min_interval=MIN, max_interval=MAX, retry_after=None, rng=rng) for n in range(1, 12)
    ]
    for n, value in enumerate(steps, start=1):
        full = min(MIN * 2**n, MAX)
        assert full / 2 <= value <= full
    assert steps[-1] <= MAX
    assert steps[0] < steps[4] < steps[8]


def test_backoff_honours_retry_after() -> None:
    value = backoff_delay(1, min_interval=MIN, max_interval=MAX, retry_after=7200, rng=random.Random(1))
    assert value == 7200
    short = backoff_delay(5, min_interval=MIN, max_interval=MAX, retry_after=10, rng=random.Random(1))
    assert short >= MIN * 2**5 / 2


def test_pause_after_n_consecutive_failures() -> None:
    assert not should_pause(4, 5)
    assert should_pause(5, 5)
    assert should_pause(9, 5)
    assert not should_pause(100, 0)  # 0 means never pause


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError):
        next_poll_delay(
            entry_times=[],
            now=NOW,
            min_interval=600,
            max_interval=60,
            ttl_seconds=None,
            cache_seconds=None,
            rng=random.Random(1),
        )


@given(
    gaps=st.lists(st.floats(min_value=1, max_value=30 * 86_400), max_size=300),
    ttl=st.none() | st.floats(min_value=0, max_value=10**8),
    cache=st.none() | st.floats(min_value=0, max_value=10**8),
    seed=st.integers(0, 2**32),
)
def test_delay_always_within_bounds(
    gaps: list[float], ttl: float | None, cache: float | None, seed: int
) -> None:
    times = []
    t = NOW
    for gap in gaps:
        t -= timedelta(seconds=gap)
        times.append(t)
    value = delay(times, ttl=ttl, cache=cache, seed=seed)
    assert MIN <= value <= 1.1 * max(MAX, 86_400)
    assert value >= min(max(ttl or 0, cache or 0), max(MAX, 86_400))


@given(failures=st.integers(-3, 10_000), retry=st.none() | st.floats(0, 10**9), seed=st.integers(0, 2**32))
def test_backoff_always_within_bounds(failures: int, retry: float | None, seed: int) -> None:
    value = backoff_delay(
        failures, min_interval=MIN, max_interval=MAX, retry_after=retry, rng=random.Random(seed)
    )
    assert MIN <= value <= max(MAX, 86_400)
