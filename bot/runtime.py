"""Building the real parts from settings: shared by the CLI (`newsbot …`) and the Celery tasks.

Together with cli.py and tasks.py this is the composition root; nothing below it knows how the
parts are chosen.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime

from bot.chat.commands import check_feed_url
from bot.core.matching import QueryError, parse_topic
from bot.errors import ConfigError
from bot.ingest.fetch import FetchPolicy
from bot.ingest.opml import parse_opml
from bot.ports import ChatService, SystemClock
from bot.redact import RedactingFilter
from bot.settings import Settings
from bot.store.db import Store


def open_store(settings: Settings) -> Store:

    store = Store(settings.resolved_database_url())
    store.upgrade()
    return store


@contextmanager
def parse_pool(settings: Settings) -> Iterator[Executor]:
    """Worker processes that parse feeds off the event loop (one per core unless configured).

    Spawned lazily on the first feed to parse, so they inherit no connections or threads of this
    process; each ends itself when this process is gone (even after a SIGKILL), and a parse in
    flight at shutdown is not waited for.
    """
    workers = settings.fetch.parse_processes or os.cpu_count() or 1
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _exit_with_parent(parent: int) -> None:
    """In a parse worker: end this process once the bot that started it is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def apply_declared(settings: Settings, store: Store) -> None:
    """Feeds and subscriptions declared in the config join the store (idempotently)."""

    now = SystemClock().now()
    for feed in settings.feeds:
        problem = check_feed_url(feed.url)
        if problem:
            raise ConfigError(f"[[feeds]] {feed.url!r}: {problem}")
        store.add_feed(feed.url, feed.title, now, feed.category, feed.full_text)
    if settings.feeds_opml:
        for path in settings.feeds_opml:
            try:
                outlines = parse_opml(path.read_bytes())
            except OSError as exc:
                raise ConfigError(f"feeds_opml: cannot read {path}: {exc.strerror or exc}") from exc
            for outline in outlines:
                if check_feed_url(outline.url) is None:
                    store.add_feed(outline.url, outline.title, now, outline.category)
    for sub in settings.subscriptions:
        try:
            query = parse_topic(sub.topic, sub.threshold)
        except QueryError as exc:
            raise ConfigError(f"[[subscriptions]] topic {sub.topic!r}: {exc}") from exc
        store.add_subscription(
            sub.channel, query.name, sub.topic, sub.threshold, "config", now, lang=sub.lang
        )


def chat_services(settings: Settings, store: Store, clock: SystemClock) -> list[ChatService]:
    """The configured platforms; the console is the chat only when no other platform is."""
    services: list[ChatService] = []
    if settings.slack_enabled():
        from bot.chat.slack import SlackChat

        services.append(SlackChat(settings, store, clock))
    if settings.matrix_enabled():
        from bot.chat.matrix import MatrixChat

        services.append(MatrixChat(settings, store, clock))
    return services


def fetch_policy(settings: Settings) -> FetchPolicy:
    fetch = settings.fetch
    return FetchPolicy(
        user_agent=fetch.user_agent,
        timeout_seconds=fetch.timeout_seconds,
        max_bytes=fetch.max_bytes,
        max_redirects=fetch.max_redirects,
        allow_private_hosts=tuple(fetch.allow_private_hosts),
        concurrency=fetch.concurrency,
        per_host=fetch.per_host,
    )


def configure_logging(level: str, fmt: str) -> None:
    """Readable lines on stderr by default, JSON lines when configured; stdout stays for alerts."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactingFilter())  # no feed URL's user:password@ in any log line
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("apscheduler", "alembic", "aiohttp.access", "nio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)
