"""/healthz and /metrics on the `serve` port: is the bot alive, and what has it done."""

from __future__ import annotations

import contextlib
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.errors import StoreError
from bot.metrics import refresh_gauges, scrape
from bot.ports import TimeSource
from bot.scheduler import Ticker
from bot.store.db import Store


def health_routes(store: Store, ticker: Ticker | None, clock: TimeSource) -> list[web.RouteDef]:
    """`ticker` is None for the scale-out web role, which schedules nothing itself."""

    async def healthz(_request: web.Request) -> web.Response:
        now = clock.now()
        problems = []
        try:
            store.ping()
            store_ok = True
        except StoreError as exc:
            store_ok = False
            problems.append(str(exc))
        alive = ticker is None or ticker.alive(now)
        if not alive:
            problems.append("the scheduler has not ticked for three tick intervals")
        body: dict[str, Any] = {
            "status": "ok" if store_ok and alive else "unhealthy",
            "store": store_ok,
            "scheduler": alive,
            "last_tick": _iso(ticker.last_tick_at) if ticker else None,
            "last_successful_poll": _iso(ticker.last_poll_at) if ticker else None,
            "last_delivery": _iso(ticker.last_delivery_at) if ticker else None,
            "problems": problems,
        }
        return web.json_response(body, status=200 if not problems else 503)

    async def metrics(_request: web.Request) -> web.Response:
        with contextlib.suppress(StoreError):  # counters still tell something; /healthz tells the rest
            refresh_gauges(store)
        return web.Response(body=scrape(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return [web.get("/healthz", healthz), web.get("/metrics", metrics)]


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None
