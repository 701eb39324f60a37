"""The commands that run the bot: `run` (once or until stopped), `serve` (with HTTP) and `clock`.

Their parts come from the composition root (`bot.compose`); this module only starts and stops them."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Coroutine, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.cli.common import settings_of
from bot.errors import NewsbotError
from bot.ports import SystemTime
from bot.settings import Settings

if TYPE_CHECKING:
    from aiohttp import web

    from bot.ingest.fetch import FetchResult
    from bot.ingest.websub import WebSub
    from bot.pipeline import Pipeline
    from bot.ports import ChatService
    from bot.store.db import Store
    from bot.store.rows import FeedRow


# `run --once` gives the chat platforms this long to come up before it delivers; alerts for one
# that is still down wait in the outbox for the next run
ONCE_START_WAIT_SECONDS = 15.0


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


def _websub(settings: Settings, store: Store, pipeline: Pipeline, clock: SystemTime) -> WebSub | None:
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
    settings = settings_of(args)
    return asyncio.run(_run(settings, args.once))


def cmd_serve(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    return asyncio.run(_run(settings, False, (args.host, args.port)))


def cmd_clock(args: argparse.Namespace) -> int:
    from bot.clock import run_clock

    return run_clock(settings_of(args))
