"""Per-feed poll scheduling: latency first for busy feeds, few requests for quiet ones, the
publisher's hints as floors, backing off on failure, and a per-host request budget."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ingest.schedule import (
    HostLimiter,
    PublishingRate,
    backoff_delay,
    estimate_rate,
    next_poll_delay,
    poll_interval,
    should_pause,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MIN, MAX = 300.0, 3600.0  # the shipped bounds
FLOOR_RATE = 1.0


def every(seconds: float, count: int, *, since: timedelta = timedelta(0)) -> list[datetime]:
    return [NOW - since - timedelta(seconds=seconds * i) for i in range(count)]


def delay(
    published: list[datetime], *, ttl: float | None = None, cache: float | None = None, seed: int = 1
) -> float:
    return next_poll_delay(
        rate=estimate_rate(published, NOW),
        min_interval=MIN,
        max_interval=MAX,
        floor_rate_per_hour=FLOOR_RATE,
        ttl_seconds=ttl,
        cache_seconds=cache,
        rng=random.Random(seed),
    )


def test_a_news_feed_showing_its_latest_40_is_measured_over_the_span_they_cover() -> None:
    # two items an hour, the latest 40 shown: they cover 20 hours, not a week
    rate = estimate_rate(every(1800, 40), NOW)
    assert rate.basis == "dates"
    assert 1.6 <= rate.per_hour <= 2.4
    assert delay(every(1800, 40)) == MIN


def test_a_busy_feed_is_polled_at_the_floor_a_daily_one_rarely() -> None:
    busy = delay(every(600, 40))  # six an hour
    daily = delay(every(86_400, 10, since=timedelta(hours=6)))
    weekly = delay(every(7 * 86_400, 10, since=timedelta(days=2)))
    assert busy == MIN
    assert 2.5 * MIN <= daily <= 40 * 60  # not every five minutes, and not an hour late either
    assert 0.6 * MAX <= weekly <= MAX
    assert busy < daily < weekly


def test_recent_hours_weigh_more_than_old_ones() -> None:
    # the same 40 items: once spread evenly, once mostly in the last two hours
    even = estimate_rate(every(1800, 40), NOW)
    burst = estimate_rate(every(300, 24) + every(3600, 16, since=timedelta(hours=2)), NOW)
    assert burst.per_hour > even.per_hour
    # a feed that went quiet: its last item 12 hours ago, before that two an hour
    quiet = estimate_rate(every(1800, 40, since=timedelta(hours=12)), NOW)
    assert quiet.per_hour < 0.6 * even.per_hour


def test_the_interval_follows_the_square_root_of_the_rate() -> None:
    def interval(per_hour: float) -> float:
        return poll_interval(
            PublishingRate(per_hour, "dates", 10),
            min_interval=MIN,
            max_interval=MAX,
            floor_rate_per_hour=FLOOR_RATE,
        )

    assert interval(5.0) == interval(1.0) == MIN
    assert interval(0.25) == pytest.approx(2 * MIN)  # a quarter of the floor rate: twice the floor
    assert interval(1 / 1000) == MAX


def test_old_entries_do_not_count_as_activity() -> None:
    stale = every(600, 50, since=timedelta(days=20))
    assert delay(stale) >= 0.9 * MAX
    assert delay(every(600, 50)) < delay(stale)


@pytest.mark.parametrize(
    ("published", "problem"),
    [
        ([], "no dates"),
        (every(1800, 20, since=-timedelta(days=3)), "future"),
        ([NOW - timedelta(hours=5)] * 30, "same date"),
    ],
    ids=["no dates", "all in the future", "all the same"],
)
def test_untrustworthy_dates_fall_back_on_when_items_first_appeared(
    published: list[datetime], problem: str
) -> None:
    watching = NOW - timedelta(days=2)
    # two days of polling, one new item every four hours after the first poll's backlog
    first_seen = [watching] * 20 + every(4 * 3600, 12)
    rate = estimate_rate(published, NOW, first_seen=first_seen, watching_since=watching)
    assert rate.basis == "first seen"
    assert rate.problem is not None and problem in rate.problem
    assert 0.15 <= rate.per_hour <= 0.4  # about one in four hours, the backlog not counted
    # and a feed we know nothing about yet (its first poll) is polled at the floor
    unknown = estimate_rate(published, NOW)
    assert unknown.basis == "none" and unknown.per_hour == FLOOR_RATE


def test_an_undated_feed_that_shows_nothing_new_slows_down() -> None:
    watching = NOW - timedelta(days=3)
    rate = estimate_rate([], NOW, first_seen=[watching] * 30, watching_since=watching)
    assert rate.per_hour < 0.05
    interval = poll_interval(rate, min_interval=MIN, max_interval=MAX, floor_rate_per_hour=FLOOR_RATE)
    assert interval > 4 * MIN


def test_jitter_spreads_feeds_that_publish_alike() -> None:
    delays = {round(delay(every(86_400, 10), seed=seed), 1) for seed in range(50)}
    assert len(delays) > 40
    paced = poll_interval(
        estimate_rate(every(86_400, 10), NOW),
        min_interval=MIN,
        max_interval=MAX,
        floor_rate_per_hour=FLOOR_RATE,
    )
    assert min(delays) >= 0.9 * paced - 1 and max(delays) <= paced + 1


def test_same_seed_same_delay() -> None:
    assert delay(every(3600, 10), seed=7) == delay(every(3600, 10), seed=7)


def test_ttl_and_cache_headers_are_lower_bounds() -> None:
    busy = every(60, 200)
    assert delay(busy, ttl=3600) >= 3600
    assert delay(busy, cache=7200) >= 7200
    assert delay(busy, ttl=1800, cache=900) >= 1800
    # a hint shorter than the feed's own pace changes nothing
    assert delay(every(86_400, 10), ttl=60) == delay(every(86_400, 10)) > 60


def test_an_absurd_cache_lifetime_does_not_silence_a_feed() -> None:
    assert delay(every(3600, 168), cache=365 * 86_400) <= 1.1 * 86_400


def test_backoff_grows_exponentially_and_is_capped() -> None:
    rng = random.Random(3)
    steps = [
        backoff_delay(n, min_interval=MIN, max_interval=86_400, retry_after=None, rng=rng)
        for n in range(1, 12)
    ]
    for n, value in enumerate(steps, start=1):
        full = min(MIN * 2**n, 86_400)
        assert full / 2 <= value <= full
    assert steps[0] < steps[4] < steps[8]


def test_backoff_honours_retry_after() -> None:
    value = backoff_delay(1, min_interval=MIN, max_interval=MAX, retry_after=7200, rng=random.Random(1))
    assert value == 7200
    short = backoff_delay(3, min_interval=MIN, max_interval=MAX, retry_after=10, rng=random.Random(1))
    assert short >= MIN * 2**3 / 2


def test_pause_after_n_consecutive_failures() -> None:
    assert not should_pause(4, 5)
    assert should_pause(5, 5)
    assert should_pause(9, 5)
    assert not should_pause(100, 0)  # 0 means never pause


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="min_interval"):
        poll_interval(
            PublishingRate(1.0, "none", 0), min_interval=600, max_interval=60, floor_rate_per_hour=1
        )
    with pytest.raises(ValueError, match="prior"):
        estimate_rate([], NOW, prior_per_hour=0)


def test_one_host_gets_at_most_its_budget_of_requests_per_minute() -> None:
    limiter = HostLimiter(per_minute=6, rng=random.Random(2))
    waits = [limiter.reserve("news.example", 0.0) for _ in range(12)]
    assert waits[0] == 0.0
    starts = sorted(waits)
    assert all(later - earlier >= 10.0 for earlier, later in itertools.pairwise(starts))
    assert sum(1 for w in waits if w < 60.0) <= 6
    assert len({round(b - a, 3) for a, b in itertools.pairwise(starts)}) > 5  # jittered
    # another host is not held up by the first one's queue
    assert limiter.reserve("other.example", 0.0) == 0.0


@given(
    gaps=st.lists(st.floats(min_value=0, max_value=30 * 86_400), max_size=200),
    shift=st.floats(min_value=-30 * 86_400, max_value=30 * 86_400),
    seen=st.integers(0, 50),
    ttl=st.none() | st.floats(min_value=0, max_value=10**8),
    cache=st.none() | st.floats(min_value=0, max_value=10**8),
    seed=st.integers(0, 2**32),
)
def test_delay_always_within_bounds(
    gaps: list[float], shift: float, seen: int, ttl: float | None, cache: float | None, seed: int
) -> None:
    times = []
    t = NOW + timedelta(seconds=shift)
    for gap in gaps:
        t -= timedelta(seconds=gap)
        times.append(t)
    watching = NOW - timedelta(days=1)
    rate = estimate_rate(times, NOW, first_seen=every(600, seen), watching_since=watching)
    assert rate.per_hour > 0
    value = next_poll_delay(
        rate=rate,
        min_interval=MIN,
        max_interval=MAX,
        floor_rate_per_hour=FLOOR_RATE,
        ttl_seconds=ttl,
        cache_seconds=cache,
        rng=random.Random(seed),
    )
    assert MIN <= value <= 1.1 * 86_400
    assert value >= min(max(ttl or 0, cache or 0), 86_400)


@given(failures=st.integers(-3, 10_000), retry=st.none() | st.floats(0, 10**9), seed=st.integers(0, 2**32))
def test_backoff_always_within_bounds(failures: int, retry: float | None, seed: int) -> None:
    value = backoff_delay(
        failures, min_interval=MIN, max_interval=MAX, retry_after=retry, rng=random.Random(seed)
    )
    assert MIN <= value <= max(MAX, 86_400)
