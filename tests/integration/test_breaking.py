"""Breaking stories through the pipeline: real feeds on loopback, a real store, an injected clock."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from bot.core.payload import alert_from_dict
from bot.ingest.fetch import Fetcher
from bot.pipeline import Pipeline
from bot.runtime import fetch_policy
from bot.settings import Settings
from bot.store.db import Store
from bot.store.rows import NewSubscription
from tests.feedserver import EMPTY_FEED, feed_server

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OUTLETS = ("Nordkurier", "Suedpost", "Westblatt", "Ostanzeiger", "Mittelrundschau")
# Five outlets' headlines of one event, worded as outlets do (real-looking, written for this test).
HEADLINES = (
    "Erdbeben der Stärke 6,8 erschüttert Marokko – mindestens 820 Tote",
    "Marokko: Mindestens 820 Tote nach Erdbeben der Stärke 6,8",
    "Schweres Erdbeben in Marokko: Zahl der Toten steigt auf 820",
    "Erdbeben in Marokko fordert mindestens 820 Todesopfer",
    "Marokko nach Beben der Stärke 6,8: mehr als 820 Tote",
)


def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        fetch={"allow_private_hosts": ["127.0.0.1"], "timeout_seconds": 5},
        schedule={"min_interval_seconds": 60, "max_interval_seconds": 600},
    )


def feed(outlet: str, items: list[tuple[str, datetime]]) -> str:
    body = "".join(
        f"<item><title>{title}</title><link>https://{outlet.lower()}.example/{n}</link>"
        f"<guid>{outlet}-{n}</guid><pubDate>{format_datetime(at)}</pubDate>"
        "<description>Das Beben ereignete sich in der Nacht im Atlas-Gebirge "
        "südwestlich von Marrakesch.</description>"
        "</item>"
        for n, (title, at) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{outlet}</title><link>https://{outlet.lower()}.example/</link><language>de</language>"
        f"{body}</channel></rss>"
    )


def replay(store: Store, tmp_path: Path, spacing: timedelta, *, notices: bool) -> list[tuple[str, dict]]:
    """Each outlet reports the quake `spacing` after the previous one; the outbox rows, in order
    (taken after every cycle, as the deliverer would, so that no edit folds into a later one)."""
    config = settings(tmp_path)
    store.add_subscription(NewSubscription("console", "Marokko", "Marokko", None, None), START)
    if notices:
        store.set_channel_switch("console", breaking=True)
    with feed_server() as server:
        paths = [f"/{outlet}.xml" for outlet in OUTLETS]
        for path in paths:
            server.serve(path, EMPTY_FEED)
            store.add_feed(server.url(path), None, START)

        rows: list[tuple[str, dict]] = []

        def deliver(now: datetime) -> None:
            while (row := store.claim_next("console", now)) is not None:
                rows.append((row.kind, row.payload))
                store.mark_sent(row.id, f"m{row.id}", now)

        async def run() -> None:
            async with Fetcher(fetch_policy(config)) as fetcher:
                pipeline = Pipeline(config, store, fetcher, rng=random.Random(3))
                await pipeline.run_cycle(START, every_feed=True)  # first polls: nothing to alert
                now = START
                for n, (outlet, path) in enumerate(zip(OUTLETS, paths, strict=True)):
                    now = START + timedelta(minutes=1) + n * spacing
                    server.serve(path, feed(outlet, [(HEADLINES[n], now - timedelta(minutes=1))]))
                    await pipeline.run_cycle(now, every_feed=True)
                    deliver(now + timedelta(minutes=2))

        asyncio.run(run())
    return rows


def test_five_outlets_within_forty_minutes_mark_the_story_breaking_once(
    sqlite_store: Store, tmp_path: Path
) -> None:
    rows = replay(sqlite_store, tmp_path, timedelta(minutes=10), notices=True)
    kinds = [kind for kind, _ in rows]
    assert kinds.count("alert") == 1  # one story
    edits = [alert_from_dict(payload) for kind, payload in rows if kind == "edit"]
    assert len(edits) == 4
    flags = [edit.breaking for edit in edits]
    assert flags == [False, False, True, True]  # the fourth outlet within the hour makes it breaking
    notices = [payload["text"] for kind, payload in rows if kind == "notice"]
    assert len(notices) == 1 and notices[0].startswith("Breaking:") and "Marokko" in notices[0]


def test_five_outlets_over_two_days_are_no_breaking_story(sqlite_store: Store, tmp_path: Path) -> None:
    rows = replay(sqlite_store, tmp_path, timedelta(hours=12), notices=True)
    assert [kind for kind, _ in rows].count("alert") == 1
    edits = [alert_from_dict(payload) for kind, payload in rows if kind == "edit"]
    assert len(edits) == 4 and not any(edit.breaking for edit in edits)
    assert not [kind for kind, _ in rows if kind == "notice"]


def test_a_channel_without_breaking_notices_still_sees_the_mark(sqlite_store: Store, tmp_path: Path) -> None:
    rows = replay(sqlite_store, tmp_path, timedelta(minutes=10), notices=False)
    assert any(alert_from_dict(payload).breaking for kind, payload in rows if kind == "edit")
    assert not [kind for kind, _ in rows if kind == "notice"]
