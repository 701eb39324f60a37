"""Command-line entry point: `newsbot …` and `python -m bot …`.

This is the composition root: the only module (with pipeline.py) that wires edges together.
Every expected failure ends as one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import NewsbotError
from bot.model import Article, Figure, Quote
from bot.ports import SystemClock
from bot.runtime import (
    configure_logging,
    fetch_policy,
    open_store,
)
from bot.settings import Settings

if TYPE_CHECKING:
    from aiohttp import web
    from rich.table import Table

    from bot.ingest.fetch import FetchResult
    from bot.ingest.websub import WebSub
    from bot.pipeline import Pipeline
    from bot.ports import ChatService
    from bot.store.db import FeedRow, Store

Handler = Callable[[argparse.Namespace], int]
# `run --once` gives the chat platforms this long to come up before it delivers; alerts for one
# that is still down wait in the outbox for the next run
ONCE_START_WAIT_SECONDS = 15.0


def _read_document(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise NewsbotError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _load_article(path: str, lang: str | None) -> Article:
    from bot.core.text import read_article

    return read_article(_read_document(path), lang=None if lang in (None, "auto") else lang)


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")


def _figure_json(figure: Figure | None) -> dict[str, Any] | None:
    if figure is None:
        return None
    return {"text": figure.text, "value": figure.value, "unit": figure.unit, "approx": figure.approx}


def _quote_json(quote: Quote | None) -> dict[str, Any] | None:
    if quote is None:
        return None
    return {"text": quote.text, "speaker": quote.speaker, "role": quote.role, "fragment": quote.fragment}


def cmd_match(args: argparse.Namespace) -> int:
    from bot.core.matching import QueryError, match_article, parse_topic

    article = _load_article(args.file, args.lang)
    try:
        queries = [parse_topic(topic) for topic in args.topic]
    except QueryError as exc:
        raise NewsbotError(str(exc)) from exc
    results = match_article(article, queries)
    matches = [
        {
            "topic": raw,
            "score": round(result.score, 1),
            "matched": result.matched,
            "evidence": [asdict(evidence) for evidence in result.evidence],
        }
        for raw, result in zip(args.topic, results, strict=True)
    ]
    if args.json:
        _print_json({"matches": matches})
    else:
        for match in matches:
            mark = "✓" if match["matched"] else "✗"
            words = ", ".join(sorted({e["word"] for e in match["evidence"]}))
            print(f"{mark} {match['topic']}: {match['score']:.0f}" + (f" ({words})" if words else ""))
    return 0


def _option_json(option: Any, weights: Any) -> dict[str, Any]:
    """One ranked option of the key-point choice: what it is, its confidence and what decided it."""
    from bot.core.keypoints import contributions

    candidate = option.candidate
    if candidate is None:
        shown: dict[str, Any] | None = None
    elif isinstance(candidate, Figure):
        shown = _figure_json(candidate)
    else:
        shown = _quote_json(candidate)
    return {
        "candidate": shown,
        "confidence": round(option.confidence, 3),
        "score": round(option.score, 3),
        "features": {name: round(effect, 3) for name, effect in contributions(option, weights)},
    }


def _explained(explanation: Any, count: int = 3) -> dict[str, Any]:
    """The top options of each choice with the features that decided them, and the thresholds."""
    from bot.core.lang import extract_weights

    weights = extract_weights()
    return {
        "figure": [_option_json(o, weights.figure) for o in explanation.figures[:count]],
        "quote": [_option_json(o, weights.quote) for o in explanation.quotes[:count]],
        "thresholds": {"figure": explanation.figure_threshold, "quote": explanation.quote_threshold},
    }


def _why_lines(explanation: Any) -> list[str]:
    """Plain lines that say why the figure and the quote were chosen or left out."""
    lines: list[str] = []
    explained = _explained(explanation, count=4)
    for part, label in (("figure", "Figure"), ("quote", "Quote")):
        options = explained[part]
        threshold = explained["thresholds"][part]
        if not options:
            lines.append(f"{label}: no candidate in the text")
            continue
        best = options[0]
        if best["candidate"] is None:
            lines.append(f"{label}: none; “nothing” ranked first ({best['confidence']:.0%})")
        else:
            verdict = "shown" if best["confidence"] >= threshold else "left out"
            lines.append(
                f"{label}: {verdict}, “{_shorten(best['candidate']['text'])}” — confidence "
                f"{best['confidence']:.0%} (threshold {threshold:.0%})"
            )
        lines.append(
            "  because: " + ", ".join(f"{k} {v:+.2f}" for k, v in list(best["features"].items())[:6])
        )
        shown_text = best["candidate"]["text"] if best["candidate"] else None
        runner = next((o for o in options[1:] if (o["candidate"] or {}).get("text") != shown_text), None)
        if runner is not None:
            what = _shorten(runner["candidate"]["text"]) if runner["candidate"] else "nothing"
            lines.append(f"  next: “{what}” ({runner['confidence']:.0%})")
    return lines


def _shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cmd_extract(args: argparse.Namespace) -> int:
    from bot.core.keypoints import explain_keypoints
    from bot.core.matching import QueryError, parse_topic

    article = _load_article(args.file, args.lang)
    try:
        topic = parse_topic(args.topic) if args.topic else None
    except QueryError as exc:
        raise NewsbotError(str(exc)) from exc
    explanation = explain_keypoints(article, topic)
    points = explanation.points
    key_figure = _figure_json(points.figure)
    key_quote = _quote_json(points.quote)
    if key_figure is not None and explanation.figure is not None:
        key_figure["confidence"] = round(explanation.figure.confidence, 3)
    if key_quote is not None and explanation.quote is not None:
        key_quote["confidence"] = round(explanation.quote.confidence, 3)
    payload: dict[str, Any] = {
        "lang": points.lang,
        "title": article.title,
        "key_figure": key_figure,
        "key_quote": key_quote,
        "quotes": [_quote_json(q) for q in points.quotes],
        "figures": [_figure_json(f) for f in points.figures],
    }
    if args.explain:
        payload["explain"] = _explained(explanation)
    if args.json:
        _print_json(payload)
    else:
        print(article.title)
        if points.figure:
            print(f"  figure: {points.figure.text}")
        if points.quote:
            speaker = f" ({points.quote.speaker})" if points.quote.speaker else ""
            print(f"  quote: „{points.quote.text}“{speaker}")
        if args.explain:
            for line in _why_lines(explanation):
                print("  " + line)
    return 0


async def _fetch_article(settings: Settings, url: str) -> Article:
    """An article page fetched with the bot's guards, its main text extracted."""
    from bot.ingest.article import fetch_full_text
    from bot.ingest.fetch import Fetcher

    async with Fetcher(fetch_policy(settings)) as fetcher:
        text = await fetch_full_text(fetcher, url)
    if not text:
        raise NewsbotError(f"{url}: no article text found (see the log for why)")
    title, _, body = text.partition("\n")
    return Article(title=title, text=body)


def cmd_preview(args: argparse.Namespace) -> int:
    """The alert for an article as the console, Slack and Matrix would show it."""
    from bot.chat.matrix_html import alert_html
    from bot.chat.slack_blocks import alert_message
    from bot.core.alerts import build_alert
    from bot.core.keypoints import explain_keypoints
    from bot.core.matching import QueryError, match_article, parse_topic
    from bot.core.render import plain_text, render

    settings = _settings(args)
    try:
        topic = parse_topic(args.topic)
    except QueryError as exc:
        raise NewsbotError(str(exc)) from exc
    if args.source.startswith(("http://", "https://")):
        article = asyncio.run(_fetch_article(settings, args.source))
        link: str | None = args.source
    else:
        article = _load_article(args.source, None)
        link = None
    match = match_article(article, [topic])[0]
    alert = build_alert(article, topic, match, link=link, source="preview", published=None)
    why = _why_lines(explain_keypoints(article, topic)) if args.explain else []
    message = render(alert)
    if not match.matched:
        print(f"(this article would not alert for “{topic.name}”: score {match.score:.0f})\n")
    print("── console " + "─" * 40)
    print(plain_text(message))
    print("── Slack chat.postMessage " + "─" * 25)
    print(json.dumps(alert_message(message, "preview"), ensure_ascii=False, indent=2))
    body, formatted = alert_html(message)
    print("── Matrix m.room.message " + "─" * 26)
    print(
        json.dumps(
            {
                "msgtype": "m.text",
                "body": body,
                "format": "org.matrix.custom.html",
                "formatted_body": formatted,
                "m.mentions": {},
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    if why:
        print("── why this figure and quote " + "─" * 22)
        print("\n".join(why))
    return 0


def _parse_time(value: Any) -> datetime | None:
    from bot.core.dates import parse_datetime

    return parse_datetime(value) if isinstance(value, str) else None


def cmd_stories(args: argparse.Namespace) -> int:
    from bot.core.stories import StoryGrouper
    from bot.model import StoryItem

    grouper = StoryGrouper()
    for number, line in enumerate(_read_document(args.file).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            item = StoryItem(
                id=str(raw["id"]),
                title=str(raw.get("title") or ""),
                summary=str(raw.get("summary") or ""),
                text=str(raw.get("text") or ""),
                published=_parse_time(raw.get("published")),
                source=str(raw.get("source") or ""),
                lang=raw.get("lang"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise NewsbotError(f"{args.file}:{number}: not an entry ({exc})") from exc
        explained = grouper.explain(item) if args.explain else None
        decision = grouper.assign(item)
        line_out: dict[str, Any] = {"id": item.id, "story": decision.story, "relation": decision.relation}
        if explained is not None:
            line_out["candidates"] = [
                {
                    "story": story,
                    "probability": round(p, 4),
                    "features": {k: round(v, 4) for k, v in f.items()},
                }
                for story, p, f in explained
            ]
        _print_json(line_out)
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    from bot.settings import load_settings

    settings = load_settings(args.config)
    configure_logging(settings.log_level if not args.verbose else "DEBUG", settings.log_format)
    return settings


async def _run(settings: Settings, once: bool, listen: tuple[str, int] | None = None) -> int:
    """Poll, analyse and deliver: once, or until SIGINT/SIGTERM; with `listen`, also serve HTTP."""
    from bot import jobs
    from bot.chat.console import run_console_commands
    from bot.compose import assemble
    from bot.health import health_routes
    from bot.scheduler import Ticker

    log = logging.getLogger(__name__)
    # In scale-out (a broker is configured), `serve` is the web role only: the clock and the Celery
    # workers poll and deliver, and only the clock may free what a dead process held. Like them, it
    # never migrates (several web processes would race): `newsbot db upgrade` does, once.
    web_role = listen is not None and settings.broker_url is not None
    async with AsyncExitStack() as stack:
        parts = await assemble(settings, "web" if web_role else "bot", stack)
        store, clock, starter = parts.store, parts.clock, parts.starter
        ticker = Ticker(parts.pipeline, parts.deliverer, clock, settings.schedule.tick_seconds)
        websub = _websub(settings, store, parts.pipeline, clock) if listen else None
        routes = health_routes(store, None if web_role else ticker, clock)
        services = [gate.service for gate in starter.gates]
        web = (
            await _start_web(services, listen, routes + (websub.routes() if websub else []))
            if listen
            else None
        )
        if websub is not None:
            await websub.start()
        starting = starter.start()  # each platform on its own: one that is down holds back nothing
        try:
            if once:  # every enabled feed, due or not, then what that wrote to the outbox
                await jobs.poll(parts.pipeline, clock.now(), every_feed=True)
                await starter.wait_started(ONCE_START_WAIT_SECONDS)
                failure = starter.failure()
                if failure is not None:
                    raise failure
                for name in starter.not_started():
                    log.warning("%s is not reachable; its alerts wait in the outbox for the next run", name)
                await jobs.deliver(parts.deliverer)
                return 0
            if web_role:
                log.info("scale-out: serving chat only; `newsbot clock` and the workers poll and deliver")
            else:
                ticker.start()
            await _until_stopped_or_failed(run_console_commands(store, parts.console, clock), starting)
        finally:
            await ticker.stop()
            if websub is not None:
                await websub.stop()
            if web is not None:
                await web.cleanup()
    return 0


def _websub(settings: Settings, store: Store, pipeline: Pipeline, clock: SystemClock) -> WebSub | None:
    """WebSub subscriptions when a public callback URL is set: a signed push runs the pipeline
    for its feed at once, as a poll would."""
    if not settings.websub.callback_url:
        return None
    from bot.ingest.websub import WebSub
    from bot.metrics import record_cycle

    async def ingest(feed: FeedRow, pushed: FetchResult, now: datetime) -> None:
        report = await pipeline.run_cycle(now, every_feed=True, feed_ids=[feed.id], pushed={feed.id: pushed})
        record_cycle(report)
        logging.getLogger(__name__).info(
            "WebSub push for %s: %d new entries, %d alerts%s",
            feed.url,
            report.new_entries,
            report.alerts,
            "".join(f"; {error}" for error in report.errors),
        )

    return WebSub(settings, store, ingest, clock)


async def _until_stopped_or_failed(
    running: Coroutine[Any, Any, None], platforms: Sequence[asyncio.Task[NewsbotError]]
) -> None:
    """Run until `running` ends (SIGINT, SIGTERM, end of input) or a chat platform fails for good
    (each platform's task ends only then); then raise its error, so `newsbot` stops with that
    message and a non-zero exit."""
    main = asyncio.ensure_future(running)
    try:
        done, _ = await asyncio.wait([main, *platforms], return_when=asyncio.FIRST_COMPLETED)
    finally:
        main.cancel()
    for task in done:
        error = task.result()
        if isinstance(error, NewsbotError):
            raise error


async def _start_web(
    services: Sequence[ChatService], listen: tuple[str, int], routes: list[web.RouteDef]
) -> web.AppRunner:
    """One aiohttp server for /healthz, /metrics and every platform's routes (Slack's /slack/events)."""
    from aiohttp import web

    app = web.Application(client_max_size=1_000_000)
    app.add_routes(routes)
    for service in services:
        service_routes = getattr(service, "web_routes", None)
        if service_routes is not None:
            app.add_routes(service_routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, listen[0], listen[1]).start()
    logging.getLogger(__name__).info("serving HTTP on %s:%d", *listen)
    return runner


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return asyncio.run(_run(settings, args.once))


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return asyncio.run(_run(settings, False, (args.host, args.port)))


def cmd_clock(args: argparse.Namespace) -> int:
    from bot.clock import run_clock

    return run_clock(_settings(args))


def cmd_db(args: argparse.Namespace) -> int:
    settings = _settings(args)
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
    from bot.model import StoryItem

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
            features = {
                r.entry_id: grouper.analyse(
                    StoryItem(
                        id=r.story_item_id,
                        title=r.title,
                        summary=r.summary,
                        text=r.text,
                        published=r.published or r.first_seen_at,
                        source=r.source,
                        lang=r.lang,
                    )
                ).encode()
                for r in rows
            }
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

    settings = _settings(args)
    store = open_store(settings)
    now = SystemClock().now()
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
    store = open_store(_settings(args))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot", description="News alerts for Slack, Matrix and the console."
    )
    parser.add_argument("--config", metavar="PATH", help="a TOML file with settings (or set NEWSBOT_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    match = sub.add_parser("match", help="score an article against topics")
    match.add_argument("--topic", action="append", required=True, help="topic query; repeat for several")
    match.add_argument("--json", action="store_true", help="print JSON")
    match.add_argument("--lang", choices=["de", "en", "auto"], default="auto")
    match.add_argument("file", help="article: first line headline, then text; - for stdin")
    match.set_defaults(handler=cmd_match)

    extract = sub.add_parser("extract", help="key quote and key figure of an article")
    extract.add_argument("--topic", help="the topic the alert is for")
    extract.add_argument("--json", action="store_true", help="print JSON")
    extract.add_argument("--lang", choices=["de", "en", "auto"], default="auto")
    extract.add_argument("--explain", action="store_true", help="show the features that decided")
    extract.add_argument("file", help="article: first line headline, then text; - for stdin")
    extract.set_defaults(handler=cmd_extract)

    stories = sub.add_parser("stories", help="group entries (JSON lines, in time order) into stories")
    stories.add_argument("--json", action="store_true", help="print JSON lines (the only format)")
    stories.add_argument(
        "--explain", action="store_true", help="add each entry's candidate stories with their scored features"
    )
    stories.add_argument("file", help="JSON lines file; - for stdin")
    stories.set_defaults(handler=cmd_stories)

    preview = sub.add_parser("preview", help="show an article's alert as each platform would")
    preview.add_argument("--topic", required=True, help="the topic the alert is for")
    preview.add_argument("source", help="article file (headline, then text), - for stdin, or an http(s) URL")
    preview.add_argument("--explain", action="store_true", help="say why the figure and quote were chosen")
    preview.set_defaults(handler=cmd_preview)

    run = sub.add_parser("run", help="poll feeds and post alerts (SQLite and the console by default)")
    run.add_argument("--once", action="store_true", help="poll every enabled feed once, deliver, exit")
    run.set_defaults(handler=cmd_run)

    serve = sub.add_parser("serve", help="run the bot and serve Slack's HTTP requests on /slack/events")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)
    serve.set_defaults(handler=cmd_serve)

    clock = sub.add_parser(
        "clock", help="scale-out: the one scheduler, sending due work to Celery workers (PostgreSQL)"
    )
    clock.set_defaults(handler=cmd_clock)

    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="upgrade: apply pending migrations")
    db.set_defaults(handler=cmd_db)

    feeds = sub.add_parser("feeds", help="manage the feeds the bot polls")
    feeds_sub = feeds.add_subparsers(dest="action", required=True, metavar="ACTION")
    feeds_sub.add_parser("list", help="every feed with its status, last error and next poll")
    add = feeds_sub.add_parser("add", help="poll another feed")
    add.add_argument("url")
    add.add_argument("--title")
    add.add_argument(
        "--full-text",
        choices=("always", "never", "teasers"),
        help="fetch article pages for the full text: always, never, or for teasers only (default)",
    )
    feeds_sub.add_parser("remove", help="stop polling a feed").add_argument("url")
    feeds_sub.add_parser("resume", help="resume a paused feed").add_argument("url")
    feeds_sub.add_parser("import", help="add the feeds of an OPML file").add_argument("file")
    feeds_sub.add_parser("export", help="print every feed as OPML")
    feeds.set_defaults(handler=cmd_feeds)

    channels = sub.add_parser("channels", help="channels with subscriptions, and paused ones")
    channels_sub = channels.add_subparsers(dest="action", metavar="ACTION")
    channels_sub.add_parser("list", help="every channel with its status and topics (the default)")
    channels_sub.add_parser("resume", help="deliver to a paused channel again").add_argument("channel")
    channels.set_defaults(handler=cmd_channels, action="list")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
