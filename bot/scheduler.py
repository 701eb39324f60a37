"""The long-running loop: one APScheduler job ticks, polls the feeds that are due, then delivers.

Due times are data in the store (each feed's next_poll_at), not one timer per feed, so ten
thousand feeds cost one job. A tick that overruns is never started twice (max_instances=1).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery import Deliverer
from bot.errors import NewsbotError
from bot.metrics import record_cycle, record_delivery
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
        self.last_tick_at: datetime | None = None
        self.last_poll_at: datetime | None = None  # the last tick that polled a feed successfully
        self.last_delivery_at: datetime | None = None  # the last tick that sent something

    def alive(self, now: datetime) -> bool:
        """Whether the scheduler ticked recently (a tick in progress counts as alive)."""
        if self._lock.locked():
            return True
        return self.last_tick_at is not None and now - self.last_tick_at < timedelta(
            seconds=3 * self.tick_seconds
        )

    async def tick(self) -> None:
        """One cycle; a failure is logged and the next tick tries again."""
        async with self._lock:
            try:
                report = await self.pipeline.run_cycle(self.clock.now())
                record_cycle(report)
                if report.polled or report.not_modified:
                    self.last_poll_at = self.clock.now()
                if report.polled or report.failed or report.not_modified:
                    log.info(
                        "polled %d feeds (%d unchanged, %d failed): %d new entries, %d alerts",
                        report.polled + report.not_modified + report.failed,
                        report.not_modified,
                        report.failed,
                        report.new_entries,
                        report.alerts,
                    )
                delivered = await self.deliverer.deliver()
                record_delivery(delivered)
                if delivered.sent:
                    self.last_delivery_at = self.clock.now()
            except NewsbotError as exc:
                log.error("cycle failed: %s", exc)
            except Exception:
                log.exception("cycle failed unexpectedly; the next tick tries again")
            finally:
                self.last_tick_at = self.clock.now()

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

    async def stop(self, timeout: float = 30.0) -> None:
        """No new ticks; a tick in flight may finish its feeds within `timeout`.

        Each feed's result is one transaction, so a tick cut off after the timeout loses nothing:
        what it did not write is fetched again next time.
        """
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        try:
            await asyncio.wait_for(self._lock.acquire(), timeout)
        except TimeoutError:
            log.warning("shutting down with a poll cycle still running; it is redone at the next start")
        else:
            self._lock.release()
