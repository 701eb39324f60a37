"""Start-up benchmark: `newsbot run --once` over stored entries, against the old eager start-up.

    .venv/bin/python bench/startup.py [--feeds 1000] [--items 50] [--window 10000 100000]

1. The whole process: a loopback server (its own process) serves `--feeds` RSS feeds of `--items`
   real items each (bench/ingest.py's feeds, with ETags). A first `newsbot run --once` stores every
   entry; then `newsbot run --once` is timed as a whole process (interpreter start, migrations check,
   every poll answered 304, delivery) and polls/s printed. Then every feed publishes 2 new items and
   `newsbot run --once` (bench/ingest.py's 10 topics subscribed) is timed again: polls/min of the
   whole process, start-up included. The baseline in the same run is the same 304 command with the
   start-up this project had before story features were stored: story grouping rebuilt before the
   first poll by analysing every stored entry of the window again.
2. Story grouping's start-up against the number of entries in the story window (`--window`): a
   store with that many entries (features stored, as ingest writes them); timed are a cycle in which
   nothing is new (what a 304-only poll costs at start-up) and the rebuild from stored features that
   the first new entry triggers; the baseline rebuild analyses every entry again (timed up to
   `--baseline-upto` entries).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import TOPICS, build_feed, corpus_items, serve

from bot.core.stories import StoryGrouper
from bot.ingest.fetch import Fetcher
from bot.model import StoryItem
from bot.pipeline import Pipeline
from bot.runtime import fetch_policy
from bot.settings import Settings
from bot.store.db import Store
from bot.store.rows import NewEntry, NewSubscription

FRESH = 2  # new items in every feed for the second timed run

# The old start-up, for the baseline: story grouping caught up before the first poll, every stored
# entry analysed again (its stored features dropped first, see `eager_database`).
EAGER = """
import sys
from bot.pipeline import Pipeline
from bot.cli import main
cycle = Pipeline.run_cycle
async def eager(self, now, **kwargs):
    self.stories.catch_up(now)
    return await cycle(self, now, **kwargs)
Pipeline.run_cycle = eager
sys.exit(main(sys.argv[1:]))
"""


def newsbot(config: Path, *, eager: bool = False) -> float:
    """Seconds the whole `newsbot run --once` process takes."""
    command = [sys.executable, "-c", EAGER] if eager else [sys.executable, "-m", "bot"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    started = time.perf_counter()
    run = subprocess.run(
        [*command, "--config", str(config), "run", "--once"], capture_output=True, text=True, env=env
    )
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"newsbot failed: {run.stderr[-2000:]}")
    return elapsed


def whole_process(feeds: int, items: int, folder: Path) -> None:
    rng = random.Random(3)
    corpus = corpus_items()
    built = [build_feed(i, corpus, rng, items, FRESH) for i in range(feeds)]
    versions = [[first for first, _ in built], [second for _, second in built]]
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(versions, ports), daemon=True)
    server.start()
    try:
        base = f"http://127.0.0.1:{ports.get(timeout=60)}"
        lines = [
            f'data_dir = "{folder / "data"}"',
            "[fetch]",
            'allow_private_hosts = ["127.0.0.1"]',
            "[alerts]",
            "story_window_hours = 100000",  # every stored entry is in the window, whatever its date
        ]
        for i in range(feeds):
            lines += ["[[feeds]]", f'url = "{base}/feed/{i}"']
        config = folder / "newsbot.toml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        first = newsbot(config)
        print(f"first run (stores {feeds * items} entries): {first:6.1f} s")
        lazy = min(newsbot(config) for _ in range(3))
        print(f"run --once, all 304, {feeds} feeds:           {lazy:6.2f} s  {feeds / lazy:7.0f} polls/s")
        subscribe(folder / "data" / "newsbot.sqlite")
        fetch_next_version(base)  # every feed publishes FRESH new items
        fresh = newsbot(config)
        print(
            f"run --once, {FRESH} new items in every feed, {len(TOPICS)} topics: {fresh:6.2f} s  "
            f"{feeds / fresh * 60:7.0f} polls/min (aim 20,000/min)"
        )
        eager_database(folder / "data" / "newsbot.sqlite")
        eager = newsbot(config, eager=True)
        print(f"baseline (old eager start-up, re-analysis): {eager:6.2f} s  {feeds / eager:7.0f} polls/s")
    finally:
        server.terminate()


def subscribe(path: Path) -> None:
    """bench/ingest.py's topics, subscribed in three console channels."""
    store = Store(f"sqlite:///{path}")
    now = datetime.now(UTC)
    for n, topic in enumerate(TOPICS):
        store.add_subscription(NewSubscription(f"console:{n % 3}", topic, topic, None, None), now)
    store.close()


def fetch_next_version(base: str) -> None:
    with urllib.request.urlopen(f"{base}/next-version", timeout=10) as answer:
        answer.read()


def eager_database(path: Path) -> None:
    """Drop the stored story features, so that the baseline analyses every entry as it used to."""
    store = Store(f"sqlite:///{path}")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE entries SET story_features = NULL")
    store.close()


def filled_store(path: Path, count: int, now: datetime) -> Store:
    """A store with `count` entries of the last 72 hours, their features stored as at ingest."""
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    corpus = corpus_items()
    grouper = StoryGrouper()
    encoded = []
    for n, item in enumerate(corpus):
        story_item = StoryItem(
            id=str(n), title=item.title, summary=item.description[:600], published=now, source="bench"
        )
        encoded.append(grouper.analyse(story_item).encode())
    feed, _ = store.add_feed("https://outlet.example/feed", "Outlet", now)
    store.set_feed_state(feed.id, enabled=False)  # its entries are stored; it is never polled here
    rng = random.Random(5)
    batch: list[NewEntry] = []
    for n in range(count):
        k = rng.randrange(len(corpus))
        batch.append(
            NewEntry(
                key=f"e{n}",
                title=corpus[k].title,
                link=None,
                summary=corpus[k].description[:600],
                text="",
                lang="en",
                published=now - timedelta(seconds=rng.uniform(0, 72 * 3600)),
                content_hash=str(n),
                story=f"s{k}",
                story_features=encoded[k],
            )
        )
        if len(batch) == 5000:
            store.record_poll(feed.id, batch, [], [], {}, now)
            batch = []
    if batch:
        store.record_poll(feed.id, batch, [], [], {}, now)
    return store


async def grouping_startup(store: Store, settings: Settings, now: datetime) -> tuple[float, float]:
    """(seconds of a cycle with nothing new, seconds of the rebuild the first new entry triggers)."""
    async with Fetcher(fetch_policy(settings)) as fetcher:
        started = time.perf_counter()
        pipeline = Pipeline(settings, store, fetcher)
        await pipeline.run_cycle(now)  # no feed to poll: what start-up costs when nothing is new
        idle = time.perf_counter() - started
        started = time.perf_counter()
        pipeline.stories.ready()
        return idle, time.perf_counter() - started


def window_sizes(sizes: list[int], baseline_upto: int, folder: Path) -> None:
    now = datetime.now(UTC)
    settings = Settings(data_dir=folder)
    for size in sizes:
        path = folder / f"window-{size}.sqlite"
        store = filled_store(path, size, now)
        idle, rebuild = asyncio.run(grouping_startup(store, settings, now))
        line = f"{size:>7} entries in the window: start-up cycle {idle * 1000:7.1f} ms, "
        line += f"rebuild at the first new entry {rebuild:6.2f} s"
        if size <= baseline_upto:
            with store.engine.begin() as conn:
                conn.exec_driver_sql("UPDATE entries SET story_features = NULL")
            _, baseline = asyncio.run(grouping_startup(store, settings, now))
            line += f"; baseline (analyse every entry again) {baseline:6.2f} s"
        print(line)
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--window", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--baseline-upto", type=int, default=10_000)
    parser.add_argument("--skip-process", action="store_true", help="only the story window part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.skip_process:
            whole_process(args.feeds, args.items, folder)
        window_sizes(args.window, args.baseline_upto, folder)


if __name__ == "__main__":
    main()
