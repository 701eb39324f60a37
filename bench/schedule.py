"""Benchmark: how long a published story waits for the poll that fetches it, and what that costs.

    .venv/bin/python bench/schedule.py [--seed 7] [--tick 30] [--warmup-days 3]

Replays a day of publishing for every feed of the corpus in tests/fixtures/feeds whose items carry
usable dates: a few very busy news feeds (one to three items an hour), many that publish a few items
a day and some a few a week. Each feed's publishing times are drawn from its own real gaps between
items (resampled, so its bursts and lulls stay), and each shows as many latest items as the real
document does. After `--warmup-days` of polling (so the store holds a realistic history) one day is
measured, for three schedules in the same run:

- ours: the real `estimate_rate` and `next_poll_delay` of bot/ingest/schedule.py with the shipped
  settings, fed what the pipeline feeds them (the dates the document shows and those stored, and
  when each item was first seen), with a simulated clock; a due poll happens at the next scheduler
  tick, as in `newsbot run`;
- fixed polling every 10 minutes (matrix-hookshot) and every 15 minutes (Slack's RSS app).

It prints, per class of feed and in all, the median and 95th-percentile wait from publication to the
poll that fetched the item, and the requests per feed per day.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from bot.ingest.schedule import LOOKBACK, estimate_rate, next_poll_delay
from bot.settings import ScheduleSettings

INDEX = Path(__file__).parents[1] / "tests" / "fixtures" / "feeds" / "all_items_index.jsonl"
EPOCH = datetime(2026, 2, 17, tzinfo=UTC)  # the measured day starts here; only differences matter
DAY = 86_400.0
CLASSES = ("at least 1/h", "1/day to 1/h", "under 1/day")  # items published per hour


@dataclass(frozen=True)
class Feed:
    name: str
    shows: int  # how many latest items its document shows
    gaps: tuple[float, ...]  # its real gaps between items, seconds

    @property
    def per_hour(self) -> float:
        return 3600.0 / statistics.fmean(self.gaps)

    @property
    def kind(self) -> str:
        if self.per_hour >= 1:
            return CLASSES[0]
        return CLASSES[1] if self.per_hour * 24 >= 1 else CLASSES[2]


def _date(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def corpus() -> list[Feed]:
    """Every fixture feed with at least 9 items on distinct dates, as a Feed with its real gaps."""
    dates: dict[str, list[datetime]] = defaultdict(list)
    for line in INDEX.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        moment = _date(item.get("date") or "")
        if moment is not None:
            dates[item["feed"]].append(moment)
    feeds = []
    for name, moments in sorted(dates.items()):
        moments.sort()
        gaps = tuple((b - a).total_seconds() for a, b in itertools.pairwise(moments))
        if len(set(moments)) >= 9:
            feeds.append(Feed(Path(name).stem, min(len(moments), 60), gaps))
    return feeds


def mix(feeds: Sequence[Feed]) -> list[Feed]:
    """The issue's mix: the 4 busiest feeds (over one item an hour), then every feed publishing
    one to eight items a day (most of the mix), then those publishing a few a week (under one a day)."""
    by_rate = sorted(feeds, key=lambda f: f.per_hour, reverse=True)
    busy = [f for f in by_rate if f.per_hour >= 1][:4]
    daily = [f for f in by_rate if 1 / 24 <= f.per_hour <= 8 / 24]
    weekly = [f for f in by_rate if f.per_hour < 1 / 24]
    return busy + daily + weekly


def publishing(feed: Feed, start: float, end: float, rng: random.Random) -> list[float]:
    """Publication times in [start, end): the feed's real gaps, resampled."""
    times = []
    t = start - rng.uniform(0, rng.choice(feed.gaps))
    while t < end:
        if t >= start:
            times.append(t)
        t += rng.choice(feed.gaps)
    return times


def _at(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def ours(
    feed: Feed,
    times: Sequence[float],
    start: float,
    settings: ScheduleSettings,
    rng: random.Random,
) -> tuple[list[float], int]:
    """Waits of the items published in the measured day, and its requests in that day."""
    tick = settings.tick_seconds
    seen: dict[int, float] = {}  # item -> when a poll first fetched it
    waits: list[float] = []
    requests = 0
    watching_since: float | None = None
    now = start + rng.uniform(0, settings.min_interval_seconds)
    while now < DAY + 6 * 3600:
        if 0 <= now < DAY:
            requests += 1
        published = [i for i, t in enumerate(times) if t <= now]
        shown = published[-feed.shows :]
        for item in shown:
            if item not in seen:
                seen[item] = now
                if watching_since is not None and 0 <= times[item] < DAY:
                    waits.append(now - times[item])
        if watching_since is None:
            watching_since = now
        horizon = now - LOOKBACK.total_seconds()
        known = [i for i, first in seen.items() if first >= horizon]
        rate = estimate_rate(
            [_at(times[i]) for i in known],
            _at(now),
            first_seen=[_at(seen[i]) for i in known],
            watching_since=_at(watching_since),
            prior_per_hour=settings.floor_rate_per_hour,
        )
        delay = next_poll_delay(
            rate=rate,
            min_interval=settings.min_interval_seconds,
            max_interval=settings.max_interval_seconds,
            floor_rate_per_hour=settings.floor_rate_per_hour,
            ttl_seconds=None,
            cache_seconds=None,
            rng=rng,
        )
        now = math.ceil((now + delay) / tick) * tick  # the first scheduler tick at or after the due time
    return waits, requests


def fixed(times: Sequence[float], every: float, rng: random.Random) -> tuple[list[float], int]:
    """Waits and requests of polling every `every` seconds from a random phase."""
    phase = rng.uniform(0, every)
    waits = [phase + math.ceil((t - phase) / every) * every - t for t in times if 0 <= t < DAY]
    return waits, round(DAY / every)


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=7)
    shipped = ScheduleSettings()
    parser.add_argument("--tick", type=float, default=shipped.tick_seconds)
    parser.add_argument("--floor-rate", type=float, default=shipped.floor_rate_per_hour)
    parser.add_argument("--warmup-days", type=float, default=3.0)
    parser.add_argument("--whole-corpus", action="store_true", help="every fixture feed, not the issue's mix")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    settings = shipped.model_copy(update={"tick_seconds": args.tick, "floor_rate_per_hour": args.floor_rate})
    feeds = corpus() if args.whole_corpus else mix(corpus())
    start = -args.warmup_days * DAY
    waits: dict[tuple[str, str], list[float]] = defaultdict(list)
    requests: dict[tuple[str, str], int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    schedules = ("ours", "fixed 10 min", "fixed 15 min")
    publish_rng = random.Random(args.seed)  # its own stream: every schedule sees the same publishing
    for feed in feeds:
        times = publishing(feed, start, DAY, publish_rng)
        count[feed.kind] += 1
        results = {
            "ours": ours(feed, times, start, settings, rng),
            "fixed 10 min": fixed(times, 600, rng),
            "fixed 15 min": fixed(times, 900, rng),
        }
        for schedule, (feed_waits, feed_requests) in results.items():
            for group in (feed.kind, "all"):
                waits[(schedule, group)].extend(feed_waits)
                requests[(schedule, group)] += feed_requests
    count["all"] = len(feeds)
    print(
        f"{len(feeds)} feeds, one day measured after {args.warmup_days:g} days of warm-up,"
        f" tick {args.tick:g} s, floor rate {args.floor_rate:g}/h"
    )
    for group in CLASSES:
        print(f"  {group:>13}: {count[group]} feeds")
    header = ("feeds", "schedule", "items", "median", "p95", "req/feed/day", "req/day")
    print("\n{:>14} {:>13} {:>6} {:>8} {:>8} {:>13} {:>8}".format(*header))
    for group in (*CLASSES, "all"):
        for schedule in schedules:
            values = waits[(schedule, group)]
            total = requests[(schedule, group)]
            median = statistics.median(values) / 60 if values else math.nan
            p95 = _quantile(values, 0.95) / 60
            print(
                f"{group:>14} {schedule:>13} {len(values):>6} {median:>7.2f}m {p95:>7.2f}m"
                f" {total / max(count[group], 1):>13.1f} {total:>8}"
            )
    busy = waits[("ours", CLASSES[0])]
    met = (
        statistics.median(busy) <= 150
        and _quantile(busy, 0.95) <= 600
        and requests[("ours", "all")] <= requests[("fixed 10 min", "all")]
    )
    print(
        "\naim (feeds of 1/h or more: median <= 2.5 min, p95 <= 10 min; requests <= fixed 10 min):",
        "met" if met else "NOT met",
    )


if __name__ == "__main__":
    main()
