"""The composition root: the one place that builds the parts of a running bot from its settings.

Every process that polls or delivers gets its parts here, by role:

- `bot`: `newsbot run` and single-process `serve`: migrates, adds the declared feeds, frees what
  a dead run held, polls (parsing in a process pool) and delivers through the chat platforms,
  each started on its own (`PlatformStarter`), or the console when none is configured;
- `web`: `serve` in scale-out: chat only, on a store it does not migrate;
- `worker`: a Celery worker process: polls and delivers; its platforms only connect to send
  (commands are the web process's job), and without one it prints alerts to stdout.

The clock needs only the store (`bot.runtime.open_scaleout_store`).
"""

from __future__ import annotations

import logging
import sys
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Literal

from bot.chat.console import ConsoleChat
from bot.delivery import Deliverer
from bot.ingest.fetch import Fetcher
from bot.metrics import SharedCounts, share_counts
from bot.pipeline import Pipeline
from bot.platforms import PlatformStarter
from bot.ports import Chat, SystemTime
from bot.runtime import (
    apply_declared,
    chat_services,
    fetch_policy,
    open_scaleout_store,
    open_store,
    parse_pool,
)
from bot.settings import Settings
from bot.store.db import Store

Role = Literal["bot", "web", "worker"]

log = logging.getLogger(__name__)


@dataclass
class Parts:
    """What a process runs: the store, the fetcher, the pipeline, the deliverer and its chats.

    `starter` starts the chat platforms that listen for commands (roles `bot` and `web`);
    `console` is the chat when no platform is configured (role `bot`).
    """

    settings: Settings
    store: Store
    clock: SystemTime
    fetcher: Fetcher
    pipeline: Pipeline
    deliverer: Deliverer
    starter: PlatformStarter
    console: ConsoleChat | None


async def assemble(settings: Settings, role: Role, stack: AsyncExitStack) -> Parts:
    """Build the parts for `role`; `stack` closes them (in reverse order) when the process ends."""
    store = open_store(settings) if role == "bot" else open_scaleout_store(settings)
    stack.callback(store.close)
    if role != "bot":  # /metrics of the web process shows what every worker did
        share_counts(SharedCounts.for_broker(settings.broker_url, settings.celery_queue))
    if role != "worker":
        apply_declared(settings, store)
    if role == "bot":
        released = store.release_claims()
        if released:
            log.info("resending %d alerts whose delivery was not confirmed", released)
    clock = SystemTime()
    services = chat_services(settings, store, clock)
    starter = PlatformStarter([] if role == "worker" else services)
    stack.push_async_callback(starter.stop)
    console: ConsoleChat | None = None
    chats: list[Chat]
    if role == "worker":
        for service in services:
            # A platform that must log in before it can send offers connect(); starting it would
            # listen for commands (Socket Mode, a Matrix sync loop) once per worker.
            connect = getattr(service, "connect", None)
            if connect is not None:
                await connect()
                stack.push_async_callback(service.stop)
        chats = list(services) if services else [ConsoleChat(sys.stdout)]
    else:
        console = ConsoleChat(store=store) if not services else None
        chats = [*starter.gates, *([console] if console else [])]
    fetcher = await stack.enter_async_context(Fetcher(fetch_policy(settings)))
    executor = stack.enter_context(parse_pool(settings)) if role != "worker" else None
    pipeline = Pipeline(settings, store, fetcher, executor=executor)
    deliverer = Deliverer(store, chats, clock)
    return Parts(settings, store, clock, fetcher, pipeline, deliverer, starter, console)
