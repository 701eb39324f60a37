"""The long-running loop: one APScheduler job ticks, polls the feeds that are due, then delivers.

Due times are data in the store (each feed's next_poll_at), not one timer per feed, so ten
thousand feeds cost one job. A tick that overruns is never started twice (max_instances=1).
"""

from __future__ import annotations

import asyncio
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery import Deliverer
from bot.errors import NewsbotError
from bot.pipeline import Pipeline
from bot.ports import Clock

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, pipeline: Pipeline, deliverer: Deliverer, clock: Clock, tick_seconds: float) -> None:
        self.pipeline = pipeline
        self.deliverer = deliverer
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._lock = asyncio.Lock()

    async def tick(self) -> None:
        """One cycle; a failure is logged and the next tick tries again."""
        async with self._lock:
            try:
                report = await self.pipeline.run_cycle(self.clock.now())
                if report.polled or report.failed or report.not_modified:
                    log.info(
                        "polled %d feeds (%d unchanged, %d failed): %d new entries, %d alerts",
                        report.polled + report.not_modified + report.failed,
                        report.not_modified,
                        report.failed,
                        report.new_entries,
                        report.alerts,
                    )
                await self.deliverer.deliver()
            except NewsbotError as exc:
                log.error("cycle failed: %s", exc)
            except Exception:
                log.exception("cycle failed unexpectedly; the next tick tries again")

    def start(self) -> None:
        self.scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.tick_seconds,
            id="tick",
            max_instances=1,
            coalesce=True,
            next_run_time=self.clock.now(),
        )
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
