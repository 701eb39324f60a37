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

from bot.errors import ConfigError, NewsbotError
from bot.settings import Settings, load_settings

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


# -- the worker's parts, one set per worker process ----------------------------------------------


@dataclass
class WorkerParts:
    """One worker process's parts (bot.compose, role `worker`), with the event loop they run on."""

    parts: Any  # bot.compose.Parts (imported lazily: workers start fast)
    loop: asyncio.AbstractEventLoop
    stack: contextlib.AsyncExitStack

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.run(self.stack.aclose())
        self.loop.close()


_parts: WorkerParts | None = None


def build_parts(settings: Settings) -> WorkerParts:
    """The worker's parts from the composition root, on an event loop of its own."""
    from bot.compose import assemble

    loop = asyncio.new_event_loop()
    stack = contextlib.AsyncExitStack()
    try:
        parts = loop.run_until_complete(assemble(settings, "worker", stack))
    except BaseException:
        loop.run_until_complete(stack.aclose())
        loop.close()
        raise
    return WorkerParts(parts, loop, stack)


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
    report = p.run(jobs.poll(p.parts.pipeline, p.parts.clock.now(), feed_ids=feed_ids))
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
    report = p.run(jobs.deliver(p.parts.deliverer, channels=[channel]))
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
    from bot.runtime import open_scaleout_store

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
