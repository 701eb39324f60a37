"""Building the real parts from settings: shared by the CLI (`newsbot …`) and the Celery tasks.

Together with cli.py and tasks.py this is the composition root; nothing below it knows how the
parts are chosen.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import stat
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from bot.chat.commands import check_feed_url
from bot.core.matching import QueryError, parse_topic
from bot.errors import ConfigError, StoreError
from bot.ingest.fetch import FetchPolicy
from bot.ingest.opml import read_opml
from bot.ports import ChatService, SystemTime
from bot.redact import RedactingFilter
from bot.settings import Settings
from bot.store.db import Store
from bot.store.revision import head_revision, stamped_revisions
from bot.store.rows import DeclaredFeed, NewSubscription


def open_store(settings: Settings) -> Store:
    """The store, migrated; its data directory and SQLite file private to the bot first."""
    secure_data_dir(settings)
    store = Store(settings.resolved_database_url())
    store.upgrade()
    return store


def schema_problem(store: Store) -> str | None:
    """Why the database cannot be used as it is (None when its schema is at the newest migration)."""
    from sqlalchemy.exc import SQLAlchemyError

    heads = {head} if (head := head_revision()) else set()
    try:
        with store.engine.connect() as conn:
            current = stamped_revisions(conn)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"cannot read the schema version of the database: {reason}"
    if current == heads:
        return None
    have = ", ".join(sorted(current)) or "no schema"
    return (
        f"the database schema is not at the newest migration (it has {have}, this code needs "
        f"{', '.join(sorted(heads))}); run `newsbot db upgrade` once, then start this process again"
    )


def open_scaleout_store(settings: Settings) -> Store:
    """The store for a worker or the clock: PostgreSQL, schema at head, never migrated here."""
    url = settings.resolved_database_url()
    if url.startswith("sqlite"):
        raise ConfigError(
            "scale-out (newsbot clock and Celery workers) needs PostgreSQL: set NEWSBOT_DATABASE_URL, "
            "e.g. postgresql+psycopg://user@host/newsbot; on SQLite run everything in one process "
            "with `newsbot run`"
        )
    store = Store(url)
    problem = schema_problem(store)
    if problem is not None:
        store.close()
        raise StoreError(problem)
    return store


def secure_data_dir(settings: Settings) -> None:
    """Make `data_dir` 0700 and the SQLite file 0600, whether the bot creates them or finds them.

    They hold OAuth tokens and the Matrix session. SQLite gives its -wal and -shm files the mode
    of the database file, so creating that file 0600 before SQLite opens it covers all three.
    Raises ConfigError when they cannot be made private (another owner, a shared directory).
    """
    directory = settings.data_dir
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = directory.stat()
        if info.st_mode & stat.S_ISVTX:  # /tmp and the like: tightening it would break others
            raise ConfigError(
                f"data_dir {directory} is a shared directory (sticky bit set); set data_dir to a "
                "directory of the bot's own"
            )
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            directory.chmod(0o700)
            logging.getLogger(__name__).warning(
                "data_dir %s was mode %04o; made it 0700 (it holds tokens)", directory, mode
            )
        database = _sqlite_file(settings.resolved_database_url())
        if database is not None:
            database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
            for path in (database, *(database.with_name(database.name + end) for end in ("-wal", "-shm"))):
                if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
                    path.chmod(0o600)
    except OSError as exc:
        raise ConfigError(
            f"cannot make data_dir {directory} private to the bot (0700, database 0600): "
            f"{exc.strerror or exc}; give this user ownership of it or set data_dir"
        ) from exc


def _sqlite_file(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


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

    now = SystemTime().now()
    declared: list[DeclaredFeed] = []
    for feed in settings.feeds:
        problem = check_feed_url(feed.url)
        if problem:
            raise ConfigError(f"[[feeds]] {feed.url!r}: {problem}")
        declared.append(DeclaredFeed(feed.url, feed.title, feed.category, feed.full_text))
    if settings.feeds_opml:
        for path in settings.feeds_opml:
            try:
                found = read_opml(path.read_bytes())
            except OSError as exc:
                raise ConfigError(f"feeds_opml: cannot read {path}: {exc.strerror or exc}") from exc
            for skipped in found.skipped:
                logging.getLogger(__name__).warning(
                    "feeds_opml %s: skipped %r <%s>: %s", path, skipped.title, skipped.url, skipped.reason
                )
            declared += (
                DeclaredFeed(outline.url, outline.title, outline.category)
                for outline in found.feeds
                if check_feed_url(outline.url) is None
            )
    store.add_feeds(declared, now)
    for sub in settings.subscriptions:
        try:
            query = parse_topic(sub.topic, sub.threshold)
        except QueryError as exc:
            raise ConfigError(f"[[subscriptions]] topic {sub.topic!r}: {exc}") from exc
        store.add_subscription(
            NewSubscription(sub.channel, query.name, sub.topic, sub.threshold, "config", lang=sub.lang), now
        )


def chat_services(settings: Settings, store: Store, clock: SystemTime) -> list[ChatService]:
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
        host_requests_per_minute=fetch.host_requests_per_minute,
        unlimited_hosts=tuple(fetch.allow_private_hosts),
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
