"""A replay of one ambiguous topic through the real pipeline, with a reader who judges alerts.

A loopback feed publishes a fixed stream (`tests/fixtures/feedback/apple_stream.jsonl`: the
company and the fruit, half of it unwanted by a channel tracking the company) one item per cycle.
The reader marks the first `marks` unwanted alerts *not relevant* with the console command; the
replay records every message the channel got, each with whether it was wanted.
Used by `tests/integration/test_feedback.py` and `bench/feedback.py`.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from bot.chat.commands import CommandContext, CommandHandler
from bot.ingest.fetch import Fetcher
from bot.pipeline import Pipeline
from bot.runtime import fetch_policy
from bot.settings import Settings
from bot.store.db import Store
from bot.store.rows import NewSubscription
from tests.feedserver import EMPTY_FEED, feed_server

STREAM = Path(__file__).parent / "fixtures" / "feedback" / "apple_stream.jsonl"
START = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
CHANNEL = "console"


@dataclass(frozen=True, slots=True)
class Item:
    title: str
    summary: str
    source: str
    wanted: bool


def stream() -> list[Item]:
    return [Item(**json.loads(line)) for line in STREAM.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class Replay:
    delivered: list[tuple[int, bool]] = field(default_factory=list)  # (item index, wanted) per message
    replies: list[str] = field(default_factory=list)  # what the bot answered the reader
    marked_until: int = -1  # the index of the last item the reader judged

    def precision_after(self, index: int) -> tuple[float, int]:
        """Share of wanted messages among those for items after `index`, and their number."""
        later = [wanted for item, wanted in self.delivered if item > index]
        return (sum(later) / len(later) if later else 1.0), len(later)


def _feed(items: list[tuple[int, Item]]) -> str:
    body = "".join(
        f"<item><title>{escape(item.title)}</title><link>https://news.example/{n}</link>"
        f"<guid>item-{n}</guid><pubDate>{format_datetime(START + timedelta(hours=n))}</pubDate>"
        f"<description>{escape(item.summary)}</description></item>"
        for n, item in reversed(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Mixed Wire</title>'
        f"<link>https://news.example/</link><language>en</language>{body}</channel></rss>"
    )


def replay(store: Store, data_dir: Path, *, marks: int, learn: bool, accept: bool = False) -> Replay:
    """Run the stream; the reader marks `marks` unwanted alerts; `learn` turns learning on then;
    `accept` takes the bot's proposed exclusion when it comes."""
    config = Settings(
        data_dir=data_dir,
        # the items link to news.example, which has no server: no full text is fetched for them
        fetch={"allow_private_hosts": ["127.0.0.1"], "timeout_seconds": 5, "full_text_below_chars": 0},
        alerts={"first_poll_window_seconds": 0},
    )
    commands = CommandHandler(store)
    store.add_subscription(NewSubscription(CHANNEL, "Apple", "Apple", None, None), START)
    items = stream()
    result = Replay()
    with feed_server() as server:
        server.serve("/feed.xml", EMPTY_FEED)
        store.add_feed(server.url("/feed.xml"), None, START)

        async def run() -> None:
            async with Fetcher(fetch_policy(config)) as fetcher:
                pipeline = Pipeline(config, store, fetcher, rng=random.Random(5))
                await pipeline.run_cycle(START, every_feed=True)
                marked = 0
                for n, item in enumerate(items):
                    now = START + timedelta(hours=n, minutes=5)
                    server.serve("/feed.xml", _feed(list(enumerate(items))[max(0, n - 19) : n + 1]))
                    await pipeline.run_cycle(now, every_feed=True)
                    while (row := store.claim_next(CHANNEL, now)) is not None:
                        message_id = f"console:{row.id}"
                        store.mark_sent(row.id, message_id, now)
                        if row.kind not in ("alert", "followup"):
                            continue
                        result.delivered.append((n, item.wanted))
                        if item.wanted or marked >= marks:
                            continue
                        ctx = CommandContext(CHANNEL, "reader", now, thread=message_id)
                        answer = commands.handle("not relevant", ctx).text
                        result.replies.append(answer)
                        marked += 1
                        result.marked_until = n
                        if marked == marks:
                            if learn:
                                commands.handle("settings learn on", CommandContext(CHANNEL, "reader", now))
                            if accept and "Reply: exclude " in answer:
                                command = answer.split("Reply: ", 1)[1]
                                commands.handle(command, CommandContext(CHANNEL, "reader", now))

        asyncio.run(run())
    return result
