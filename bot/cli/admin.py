"""The commands that look after the database: `db upgrade`, `feeds …` and `channels …`."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import settings_of
from bot.errors import NewsbotError
from bot.ports import SystemTime
from bot.runtime import (
    open_store,
)
from bot.settings import Settings

if TYPE_CHECKING:
    from rich.table import Table

    from bot.store.db import Store
    from bot.store.rows import FeedRow


def cmd_db(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    store = open_store(settings)
    try:
        analysed = _backfill_story_features(settings, store)
    finally:
        store.close()
    print(f"database is up to date ({settings.resolved_database_url().split('://')[0]})")
    if analysed:
        print(f"story features computed for {analysed} entries of the story window")
    return 0


def _backfill_story_features(settings: Settings, store: Store, batch: int = 500) -> int:
    """Analyse the entries of the story window stored before story features were kept (migration
    0011), with a progress bar, so that start-up reads them instead of analysing them."""
    from datetime import UTC, timedelta

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from bot.core.matching import QueryError, parse_topic
    from bot.core.stories import StoryGrouper

    since = datetime.now(UTC) - timedelta(hours=settings.alerts.story_window_hours)
    total = store.count_unanalysed(since)
    if not total:
        return 0
    grouper = StoryGrouper()
    for row in store.list_subscriptions():  # topic aliases shape the features, as in the pipeline
        try:
            grouper.add_aliases(parse_topic(row.query, row.threshold).aliases)
        except QueryError:
            continue
    done, after = 0, 0
    columns = (TextColumn("story features"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns) as progress:
        task = progress.add_task("analyse", total=total)
        while rows := store.unanalysed_entries(since, after, batch):
            features = {r.entry_id: grouper.analyse(r.story_item()).encode() for r in rows}
            store.store_story_features(features)
            after = rows[-1].entry_id
            done += len(rows)
            progress.update(task, completed=done)
    return done


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def _rate(per_hour: float | None, basis: str | None) -> str:
    """The schedule's estimate, in the unit a person reads best: 2.0/h, 3.5/day, 1.2/week."""
    if per_hour is None:
        return "—"
    if per_hour >= 1:
        text = f"{per_hour:.1f}/h"
    elif per_hour * 24 >= 1:
        text = f"{per_hour * 24:.1f}/day"
    else:
        text = f"{per_hour * 168:.1f}/week"
    return text if basis in (None, "dates") else f"{text} ({basis})"


def _next_poll(feed: FeedRow) -> str:
    """When the feed is polled next, and how long after its last poll that is."""
    if feed.status == "paused":
        return "paused"
    if feed.next_poll_at is None or feed.last_polled_at is None:
        return _when(feed.next_poll_at) if feed.next_poll_at else "at the next tick"
    after = (feed.next_poll_at - feed.last_polled_at).total_seconds()
    return f"{_when(feed.next_poll_at)} (+{after:.0f} s)"


def _feeds_table(store: Store, now: datetime) -> Table:
    from rich.table import Table

    from bot.redact import redact

    table = Table("status", "feed", "rate", "last poll", "next poll", "last error", box=None, pad_edge=False)
    pushed = {row.feed_id for row in store.websub_rows() if row.pushing(now)}
    for feed in store.list_feeds():
        rate = _rate(feed.rate_per_hour, feed.rate_basis)
        table.add_row(
            feed.status,
            (feed.title + "\n" if feed.title else "") + redact(feed.url),  # no user:password@ on screen
            rate + (", pushed by its hub" if feed.id in pushed else ""),
            _when(feed.last_polled_at),
            _next_poll(feed),
            redact(feed.last_error or ""),
        )
    return table


def cmd_feeds(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bot.chat.commands import check_feed_url
    from bot.redact import redact

    settings = settings_of(args)
    store = open_store(settings)
    now = SystemTime().now()
    out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 240)
    if args.action == "list":
        if not store.list_feeds():
            print("no feeds yet; add one with: newsbot feeds add URL")
            return 0
        out.print(_feeds_table(store, now))
        return 0
    if args.action == "add":
        problem = check_feed_url(args.url)
        if problem:
            raise NewsbotError(problem)
        _, added = store.add_feed(args.url, args.title, now, full_text=args.full_text)
        print(("added " if added else "already present: ") + redact(args.url))
        return 0
    if args.action == "remove":
        if not store.remove_feed(args.url):
            raise NewsbotError(f"no such feed: {redact(args.url)}")
        print(f"removed {redact(args.url)}")
        return 0
    if args.action == "resume":
        if not store.resume_feed(args.url, now):
            raise NewsbotError(f"no such feed: {redact(args.url)}")
        print(f"resumed {redact(args.url)}; it is polled at the next tick")
        return 0
    if args.action == "import":
        return _import_opml(store, args.file, now)
    if args.action == "export":
        from bot.ingest.opml import OpmlFeed, write_opml

        sys.stdout.write(
            write_opml([OpmlFeed(url=f.url, title=f.title, category=f.category) for f in store.list_feeds()])
        )
        return 0
    raise NewsbotError(f"unknown action {args.action}")


def cmd_channels(args: argparse.Namespace) -> int:
    """Channels with subscriptions: their topics, thread mode and whether delivery is paused."""
    store = open_store(settings_of(args))
    if args.action == "resume":
        if not store.resume_channel(args.channel):
            raise NewsbotError(f"{args.channel} is not paused")
        print(f"resumed {args.channel}; its waiting alerts go out at the next tick")
        return 0
    topics: dict[str, list[str]] = {}
    for sub in store.list_subscriptions():
        topics.setdefault(sub.channel, []).append(sub.name)
    paused = store.paused_channels()
    modes = store.thread_modes()
    if not topics and not paused:
        print("no channel tracks a topic yet")
        return 0
    for channel in sorted(set(topics) | set(paused)):
        status = f"paused: {paused[channel]}" if channel in paused else "ok"
        names = ", ".join(topics.get(channel, [])) or "—"
        print(f"{channel}\t{status}\tthreads={modes.get(channel, 'thread')}\ttopics: {names}")
    return 0


def _import_opml(store: Store, path: str, now: datetime) -> int:
    from rich.progress import Progress

    from bot.chat.commands import check_feed_url
    from bot.core.render import one_line
    from bot.ingest.opml import OpmlSkipped, read_opml

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise NewsbotError(f"cannot read {path}: {exc.strerror or exc}") from exc
    found = read_opml(data)
    skipped = list(found.skipped)
    added = 0
    with Progress(transient=True, console=None) as progress:
        task = progress.add_task("importing feeds", total=len(found.feeds))
        for outline in found.feeds:
            problem = check_feed_url(outline.url)
            if problem is None:
                _, was_added = store.add_feed(outline.url, outline.title, now, outline.category)
                added += was_added
            else:
                skipped.append(OpmlSkipped(outline.url, outline.title, problem))
            progress.advance(task)
    present = len(found.feeds) - added - (len(skipped) - len(found.skipped))
    print(
        f"imported {added} new feeds from {path} ({present} already present"
        + (f", {len(skipped)} skipped)" if skipped else ")")
    )
    for entry in skipped:
        title = f"“{one_line(entry.title)[:80]}” " if entry.title else ""
        print(f"  skipped {title}<{one_line(entry.url)[:200]}>: {entry.reason.rstrip('.')}")
    return 0
