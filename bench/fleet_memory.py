"""Memory of the long-running bot at scale: 10,000 feeds, 100,000 entries in its story window.

    .venv/bin/python bench/fleet_memory.py [--feeds 10000] [--entries 100000] [--topics 10]

A store (SQLite, a temporary data_dir) holds `--feeds` feeds and `--entries` entries of the last 72
hours spread over them, each stored with its story features as ingest stores them (real titles and
teasers of tests/fixtures/feeds; about three reports a story), and `--topics` subscriptions. A
loopback HTTP server answers every feed with 304. A fresh process then builds the bot through the
composition root (`bot.compose.assemble`, as `newsbot run` does), runs one poll cycle over every
feed, brings story grouping up to date with the whole window (what the first new entry after a start
does) and runs a second cycle: its peak RSS (the parse pool's workers are separate processes) is
what the long-running bot holds at that scale. The baseline in the same run is the same process over
an empty store: the interpreter, the libraries and the bot's code. Aim (issue 14): under 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import corpus_items  # noqa: E402  (bench/ingest.py: real items of the feed corpus)
from memory import child_result, peak_rss_mb  # noqa: E402  (bench/memory.py)

from bot.core.stories import StoryGrouper, StoryItem  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.db import Store  # noqa: E402
from bot.store.rows import DeclaredFeed, NewEntry, NewSubscription  # noqa: E402

AIM_MB = 300
TOPICS = ("Ukraine", "Nordkorea | North Korea", "Klimawandel", "Bundestag", "Trump", "Gaza", "Bitcoin")


def serve_not_modified() -> str:
    """A loopback server that answers every GET with 304; its base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(304)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 1024  # the default backlog of 5 drops connections of a 64-wide poll

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def settings_for(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        fetch={"allow_private_hosts": ["127.0.0.1"], "per_host": 64},
        alerts={"story_window_hours": 72},
    )


def fill(data_dir: Path, base: str, feeds: int, count: int, topics: int) -> None:
    """The store as the bot would have written it: feeds, entries with their story features."""
    store = Store(settings_for(data_dir).resolved_database_url())
    store.upgrade()
    now = datetime.now(UTC)
    store.add_feeds([DeclaredFeed(url=f"{base}/feed/{n}") for n in range(feeds)], now)
    feed_ids = [feed.id for feed in store.list_feeds()]
    corpus = corpus_items()
    grouper = StoryGrouper()
    encoded = [
        grouper.analyse(
            StoryItem(
                id=str(n), title=item.title, summary=item.description[:600], published=now, source="bench"
            )
        ).encode()
        for n, item in enumerate(corpus)
    ]
    rng = random.Random(11)
    per_feed: dict[int, list[NewEntry]] = {}
    for n in range(count):
        k = rng.randrange(len(corpus))
        per_feed.setdefault(feed_ids[n % len(feed_ids)], []).append(
            NewEntry(
                key=f"e{n}",
                title=corpus[k].title,
                link=f"https://outlet.example/{n}",
                summary=corpus[k].description[:600],
                text="",
                lang=None,
                published=now - timedelta(seconds=rng.uniform(0, 71 * 3600)),
                content_hash=str(n),
                story=f"s{n // 3}",  # about three reports a story
                story_features=encoded[k],
            )
        )
    for feed_id, new in per_feed.items():
        store.record_poll(feed_id, new, [], [], {"status": "ok", "last_success_at": now}, now)
    for n in range(topics):
        topic = TOPICS[n % len(TOPICS)]
        store.add_subscription(
            NewSubscription(f"console:{n}", topic.split(" |")[0], topic, None, "bench"), now
        )
    store.close()


def child(data_dir: str) -> None:
    """The long-running bot's parts, built as `newsbot run` builds them; two cycles and the story
    window between them; prints this process's peak RSS and what it did."""
    from contextlib import AsyncExitStack

    from bot.compose import assemble

    settings = settings_for(Path(data_dir))

    async def run() -> dict[str, float]:
        async with AsyncExitStack() as stack:
            parts = await assemble(settings, "bot", stack)
            started = time.perf_counter()
            first = await parts.pipeline.run_cycle(datetime.now(UTC), every_feed=True)
            parts.pipeline.stories.catch_up(datetime.now(UTC))  # the whole window, as after a start
            second = await parts.pipeline.run_cycle(datetime.now(UTC), every_feed=True)
            return {
                "polled": first.polled + first.not_modified + second.polled + second.not_modified,
                "failed": first.failed + second.failed,
                "seconds": time.perf_counter() - started,
                "stories": parts.pipeline.stories.grouper.story_count,
            }

    done = asyncio.run(run())
    done["peak_mb"] = peak_rss_mb()
    print(json.dumps(done))


def measure(data_dir: Path) -> dict[str, Any]:
    return child_result(__file__, str(data_dir))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--topics", type=int, default=10)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    base = serve_not_modified()
    with tempfile.TemporaryDirectory() as tmp:
        empty, full = Path(tmp) / "empty", Path(tmp) / "full"
        fill(empty, base, 0, 0, args.topics)
        started = time.perf_counter()
        fill(full, base, args.feeds, args.entries, args.topics)
        print(
            f"store filled in {time.perf_counter() - started:.1f} s: "
            f"{args.feeds:,} feeds, {args.entries:,} entries"
        )
        baseline = measure(empty)
        result = measure(full)
    print(f"baseline (empty store):  peak RSS {baseline['peak_mb']:6.1f} MB")
    print(
        f"{args.feeds:,} feeds, {args.entries:,} entries in the window: peak RSS {result['peak_mb']:6.1f} MB "
        f"({result['polled']:,.0f} polls, {result['failed']:,.0f} failed, in {result['seconds']:.1f} s; "
        f"{result['stories']:,.0f} stories); "
        f"aim under {AIM_MB} MB: {'met' if result['peak_mb'] < AIM_MB else 'missed'}"
    )


if __name__ == "__main__":
    main()
