"""Celery tasks: the pipeline's existing stages, run by any number of worker processes.

    celery -A bot.tasks worker --concurrency 2     # any number of these, on any machine
    newsbot clock                                   # exactly one: enqueues the work that is due

There is no second code path here: a poll task is `jobs.poll(pipeline, now, feed_ids=…)` and a
delivery task is `jobs.deliver(deliverer, channels=[channel])`, the jobs `newsbot run` runs (they
log and count in /metrics the same way; bot.metrics shares the counts through Redis).
Correctness under concurrency comes from the store, not from this module:

- a feed is leased by one poller at a time (`Store.lease_due_feeds`); a dead worker's lease expires;
- a channel is delivered by one process at a time, in id order (`Store.channel_lock`, `claim_next`);
- a repeated poll or delivery doubles nothing: entries are unique per feed + key, outbox rows per
  channel + kind + entry, and sent rows are never claimed again.

So Celery's at-least-once redelivery (acks_late, reject_on_worker_lost) is safe: a task that ran
halfway runs again and only finishes what was left.

Workers never run migrations (`newsbot db upgrade` or the clock's operator does); they refuse to
start on a schema that is not at the newest revision, on SQLite, or without a broker URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from celery import Celery, signals

from bot.errors import ConfigError, NewsbotError, StoreError
from bot.settings import Settings, load_settings
from bot.store.db import Store
from bot.store.revision import head_revision, stamped_revisions

log = logging.getLogger(__name__)

POLL_TASK = "newsbot.poll_feeds"
DELIVER_TASK = "newsbot.deliver_channel"

T = TypeVar("T")


def configure_app(app: Celery, settings: Settings) -> Celery:
    """Broker, queue and the delivery guarantees every newsbot Celery app shares."""
    queue_type: Any = importlib.import_module("kombu").Queue  # kombu's type hints are partial

    queue = settings.celery_queue
    deliveries = f"{queue}.deliver"
    app.conf.update(
        broker_url=settings.broker_url,
        broker_connection_retry_on_startup=True,
        # Two queues, both consumed by every worker unless it is started with -Q: deliveries never
        # wait behind a backlog of polls. A worker started with `-Q newsbot.deliver` only delivers.
        task_queues=[queue_type(queue, routing_key=queue), queue_type(deliveries, routing_key=deliveries)],
        task_default_queue=queue,
        task_default_routing_key=queue,
        task_routes={DELIVER_TASK: {"queue": deliveries, "routing_key": deliveries}},
        task_ignore_result=True,  # results live in the store, not in a result backend
        task_serializer="json",
        accept_content=["json"],
        # At-least-once: a task is acknowledged when it is done, so a worker killed mid-task (or its
        # lost pool process) gets the message redelivered; the store makes the rerun harmless.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a long poll never holds back tasks another worker could run
        worker_redirect_stdouts=False,  # console alerts go to stdout as they are, not through logging
        worker_send_task_events=False,
    )
    return app


def celery_app(settings: Settings) -> Celery:
    """A Celery app for sending tasks (the clock): tasks are sent by name, never imported."""
    if not settings.broker_url:
        raise ConfigError(
            "scale-out needs a Celery broker: set NEWSBOT_BROKER_URL (or broker_url in the config), "
            "e.g. redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//"
        )
    return configure_app(Celery("newsbot", set_as_current=False), settings)


# -- checks shared by the workers and the clock -------------------------------------------------


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


# -- the worker's parts, one set per worker process ----------------------------------------------


@dataclass
class WorkerParts:
    """The store, pipeline and deliverer of one worker process, with the event loop they run on."""

    settings: Settings
    store: Store
    loop: asyncio.AbstractEventLoop
    pipeline: Any  # bot.pipeline.Pipeline (imported lazily: workers start fast)
    deliverer: Any  # bot.delivery.Deliverer
    closers: list[Any]

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        for close in reversed(self.closers):
            with contextlib.suppress(Exception):
                self.run(close())
        self.loop.close()
        self.store.close()


_parts: WorkerParts | None = None


def build_parts(settings: Settings) -> WorkerParts:
    """The same parts `newsbot run` builds (bot.runtime), minus migrations and command listeners."""
    from bot.chat.console import ConsoleChat
    from bot.delivery import Deliverer
    from bot.ingest.fetch import Fetcher
    from bot.metrics import SharedCounts, share_counts
    from bot.pipeline import Pipeline
    from bot.ports import Chat, SystemClock
    from bot.runtime import chat_services, fetch_policy

    store = open_scaleout_store(settings)
    share_counts(SharedCounts.for_broker(settings.broker_url, settings.celery_queue))
    loop = asyncio.new_event_loop()
    clock = SystemClock()
    closers: list[Any] = []
    services = chat_services(settings, store, clock)
    for service in services:
        # Workers only send. Commands are the `web` process's job: starting a service here would
        # listen for them (Socket Mode, a Matrix sync loop) once per worker. A platform that must
        # log in before it can send offers connect() for that.
        connect = getattr(service, "connect", None)
        if connect is not None:
            loop.run_until_complete(connect())
            closers.append(service.stop)
    chats: list[Chat] = list(services) if services else [ConsoleChat(sys.stdout)]
    fetcher = Fetcher(fetch_policy(settings))
    loop.run_until_complete(fetcher.__aenter__())
    closers.insert(0, lambda: fetcher.__aexit__(None, None, None))
    pipeline = Pipeline(settings, store, fetcher)
    deliverer = Deliverer(store, chats, clock)
    return WorkerParts(settings, store, loop, pipeline, deliverer, closers)


def parts() -> WorkerParts:
    """This process's parts, built on its first task (after the fork: no shared connections)."""
    global _parts
    if _parts is None:
        _parts = build_parts(load_settings())
    return _parts


# -- the tasks and the workers' Celery app ----------------------------------------------------------


def poll_feeds(feed_ids: list[int]) -> dict[str, int]:
    """Poll these feeds if they are (still) due and no one else holds them; write their alerts."""
    from bot import jobs

    p = parts()
    report = p.run(jobs.poll(p.pipeline, p.deliverer.clock.now(), feed_ids=feed_ids))
    return {
        "polled": report.polled,
        "not_modified": report.not_modified,
        "failed": report.failed,
        "new_entries": report.new_entries,
        "alerts": report.alerts,
    }


def deliver_channel(channel: str) -> dict[str, int]:
    """Send the channel's pending alerts in order, unless another process is sending to it now."""
    from bot import jobs

    p = parts()
    report = p.run(jobs.deliver(p.deliverer, channels=[channel]))
    return {"sent": report.sent, "failed": report.failed}


def make_app() -> Celery:
    """The workers' app: newsbot's tasks, each acknowledged only once done and redelivered when its
    worker process dies, and the worker lifecycle hooks. Built when `celery -A bot.tasks` first
    asks for `bot.tasks.app`, so importing this module loads no settings."""
    try:
        settings = load_settings()
    except NewsbotError:
        settings = Settings.model_construct()  # the worker_init check below reports the problem
    worker_app = configure_app(Celery("newsbot"), settings)
    for name, function in ((POLL_TASK, poll_feeds), (DELIVER_TASK, deliver_channel)):
        worker_app.task(name=name, acks_late=True, reject_on_worker_lost=True)(function)
    signals.setup_logging.connect(_logging, weak=False)
    signals.worker_init.connect(_check_before_start, weak=False)
    signals.worker_process_shutdown.connect(_close_parts, weak=False)
    signals.worker_shutdown.connect(_close_parts, weak=False)
    return worker_app


_app: Celery | None = None


def __getattr__(name: str) -> Any:
    """`bot.tasks.app`, the name `celery -A bot.tasks` looks for, built on first use."""
    global _app
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _app is None:
        _app = make_app()
    return _app


# -- worker lifecycle -----------------------------------------------------------------------------


def _logging(**_: Any) -> None:
    """The bot's own log format (text or JSON lines, on stderr) instead of Celery's."""
    from bot.runtime import configure_logging

    try:
        settings = load_settings()
    except NewsbotError:
        return  # reported by _check_before_start
    configure_logging(settings.log_level, settings.log_format)


def _check_before_start(**_: Any) -> None:
    """Refuse to start a worker that could not do its work, with one clear line."""
    try:
        settings = load_settings()
        if not settings.broker_url:
            raise ConfigError("a worker needs NEWSBOT_BROKER_URL (the same broker as the clock)")
        open_scaleout_store(settings).close()
    except NewsbotError as exc:
        print(f"newsbot worker: {exc}", file=sys.stderr, flush=True)
        os._exit(2)


def _close_parts(**_: Any) -> None:
    global _parts
    if _parts is not None:
        _parts.close()
        _parts = None
