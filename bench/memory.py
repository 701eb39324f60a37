"""Peak memory of the bot's main process polling one very large feed, against a baseline.

A real HTTP server on 127.0.0.1 serves one RSS feed of N items (10,000 by default, about 2.5 MB)
built from real items of the feed corpus in tests/fixtures/feeds. Each measurement runs in a
fresh process that does what `newsbot run --once` does for it: the store in a temporary data_dir,
the bot's Fetcher, its parse pool and one `Pipeline.run_cycle` (fetch, parse in the pool, store,
stories, topics), then reports its own peak RSS (the parse workers are separate processes and
are reported apart).

- baseline: `fetch.max_items_per_poll` so high that every item is taken (what the bot did before
  the cap);
- capped: the default setting.

Usage: .venv/bin/python bench/memory.py [--items 10000] [--cap N]
Aim (docs/operations.md promises it): the main process well under 400 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import FetchSettings  # noqa: E402
from bot.store.rows import NewSubscription  # noqa: E402

FEEDS = ROOT / "tests" / "fixtures" / "feeds"


def corpus_items(limit: int = 400) -> list[tuple[str, str]]:
    """(title, description) pairs from the real feed fixtures."""
    from bot.ingest.parse import parse_feed

    items: list[tuple[str, str]] = []
    for path in sorted(FEEDS.rglob("*.xml")):
        try:
            parsed = parse_feed(path.read_bytes(), "https://example.org/feed")
        except Exception:
            continue
        items += [(e.title, e.summary or e.title) for e in parsed.entries if e.title]
        if len(items) >= limit:
            break
    return items


def big_feed(count: int, batch: str, start: datetime) -> bytes:
    """An RSS document of `count` items whose guids start with `batch`, newest first."""
    rng = random.Random(batch)
    pool = corpus_items()
    parts = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Big</title>']
    parts.append("<link>https://big.example/</link><description>many items</description>")
    for n in range(count):
        title, text = rng.choice(pool)
        when = format_datetime(start - timedelta(seconds=n))
        parts.append(
            f"<item><title>{escape(title)} ({batch}{n})</title><link>/story/{batch}{n}</link>"
            f"<guid>big-{batch}{n}</guid><pubDate>{when}</pubDate>"
            f"<description>{escape(text[:160])}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def article_page(pool: list[tuple[str, str]], name: str) -> bytes:
    """An article page: navigation, then paragraphs of real feed text (what full text extracts)."""
    rng = random.Random(name)
    paragraphs = "".join(f"<p>{escape(rng.choice(pool)[1])}</p>" for _ in range(12))
    return (
        f"<html><head><title>{name}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{name}</h1>{paragraphs}</article><footer>Imprint</footer></body></html>"
    ).encode()


class Site:
    """The feed (a new batch of items on every poll) and its article pages, on 127.0.0.1."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.polls = 0
        self.pool = corpus_items()
        self.start = datetime.now(UTC)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/big.xml":
                    body = big_feed(site.count, "ab"[min(site.polls, 1)], site.start)
                    site.polls += 1
                    kind = "application/rss+xml; charset=utf-8"
                else:
                    body, kind = article_page(site.pool, self.path), "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the bot gave up on it
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/big.xml"


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (VmHWM). Not `ru_maxrss`: on Linux that
    survives exec, so a child started by a large parent reports the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc/self/status: this benchmark reads Linux's process status")


def child(url: str, cap: int, full_text: bool) -> None:
    """Two polls as `newsbot run` does them (the backlog, then a batch of new items that alert);
    prints the peak RSS of this process."""
    import asyncio

    from bot.ingest.fetch import Fetcher
    from bot.pipeline import Pipeline
    from bot.runtime import fetch_policy, open_store, parse_pool
    from bot.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data",
            fetch={
                "allow_private_hosts": ["127.0.0.1"],
                "max_items_per_poll": cap,
                "parse_processes": 1,
                "full_text_below_chars": 400 if full_text else 0,
            },
        )
        store = open_store(settings)
        now = datetime.now(UTC)
        store.add_feed(url, None, now)
        for topic in ("Ukraine", "Nordkorea | North Korea", "Klimawandel", "Bundestag", "Trump"):
            store.add_subscription(
                NewSubscription("console", topic.split(" |")[0], topic, None, "bench"), now
            )

        async def polls() -> tuple[int, int]:
            new = alerts = 0
            async with Fetcher(fetch_policy(settings)) as fetcher:
                with parse_pool(settings) as executor:
                    pipeline = Pipeline(settings, store, fetcher, executor=executor)
                    for poll in range(2):
                        report = await pipeline.run_cycle(now + timedelta(hours=poll), every_feed=True)
                        new, alerts = new + report.new_entries, alerts + report.alerts
            return new, alerts

        new, alerts = asyncio.run(polls())
        store.close()
    own = round(peak_rss_mb())
    print(json.dumps({"new_entries": new, "alerts": alerts, "main_mb": own}))


def child_result(script: str, *args: str) -> dict[str, Any]:
    """Run `script --child ARGS…` in a fresh process (so that its peak memory is its own) and read the
    JSON line it prints last; its error output ends the benchmark if it fails."""
    run = subprocess.run([sys.executable, script, "--child", *args], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(run.stderr[-3000:])
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def measure(url: str, cap: int, full_text: bool) -> dict[str, Any]:
    return child_result(__file__, url, "--cap", str(cap), *(["--full-text"] if full_text else []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--cap", type=int, default=FetchSettings().max_items_per_poll)
    parser.add_argument("--full-text", action="store_true", help="fetch article pages for teasers")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.cap, args.full_text)
        return
    sample = big_feed(args.items, "a", datetime.now(UTC))
    print(
        f"one feed of {args.items} items ({len(sample) / 1e6:.1f} MB), polled twice by a fresh process "
        f"(the backlog, then {args.items} new items that alert; "
        f"full text {'on' if args.full_text else 'off'})"
    )
    for name, cap in (("baseline (every item)", args.items + 1), (f"capped at {args.cap}", args.cap)):
        site = Site(args.items)
        try:
            result = measure(site.url, cap, args.full_text)
        finally:
            site.server.shutdown()
        print(
            f"  {name:<24} main process peak RSS {result['main_mb']:>5} MB   "
            f"{result['new_entries']:>6} entries stored, {result['alerts']:>6} alerts written"
        )


if __name__ == "__main__":
    main()
