"""The long-running loop: an APScheduler job polls the feeds that are due, another delivers.

Due times are data in the store (each feed's next_poll_at), not one timer per feed, so ten
thousand feeds cost one job. A job that overruns is never started twice (max_instances=1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import jobs
from bot.delivery import Deliverer
from bot.errors import NewsbotError
from bot.pipeline import Pipeline
from bot.ports import TimeSource

log = logging.getLogger(__name__)


DELIVERY_SECONDS = 1.0  # how often the outbox is looked at, apart from polling


class Ticker:
    """Two jobs: the poll tick (due feeds, every `tick_seconds`) and delivery (every second).

    They run side by side, so a slow chat platform never holds back polling and a slow feed never
    holds back delivery; each job never overlaps itself.
    """

    def __init__(
        self, pipeline: Pipeline, deliverer: Deliverer, clock: TimeSource, tick_seconds: float
    ) -> None:
        self.pipeline = pipeline
        self.deliverer = deliverer
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._poll_lock = asyncio.Lock()
        self._delivery_lock = asyncio.Lock()
        self._running: set[asyncio.Task[object]] = set()
        self.last_tick_at: datetime | None = None
        self.last_poll_at: datetime | None = None  # the last tick that polled a feed successfully
        self.last_delivery_at: datetime | None = None  # the last time something was sent

    def alive(self, now: datetime) -> bool:
        """Whether the scheduler ticked recently (a tick in progress counts as alive)."""
        if self._poll_lock.locked():
            return True
        return self.last_tick_at is not None and now - self.last_tick_at < timedelta(
            seconds=3 * self.tick_seconds
        )

    async def tick(self) -> None:
        """One poll cycle; a failure is logged and the next tick tries again."""
        try:
            async with self._guarded(
                self._poll_lock, "cycle", "its unfinished feeds are polled at the next start"
            ):
                report = await jobs.poll(self.pipeline, self.clock.now())
                if report.polled or report.not_modified:
                    self.last_poll_at = self.clock.now()
        finally:
            self.last_tick_at = self.clock.now()

    async def deliver(self) -> None:
        """Send what the outbox holds; a failure is logged and the next round tries again."""
        async with self._guarded(
            self._delivery_lock, "delivery", "unconfirmed alerts are resent at the next start"
        ):
            delivered = await jobs.deliver(self.deliverer)
            if delivered.sent:
                self.last_delivery_at = self.clock.now()

    @contextlib.asynccontextmanager
    async def _guarded(self, lock: asyncio.Lock, job: str, redone: str) -> AsyncIterator[None]:
        """One round of a job, never two at once; what goes wrong is logged, and the scheduler's
        next round tries again (`redone` says what a shutdown mid-round leaves for the next start)."""
        async with lock, self._tracked():
            try:
                yield
            except NewsbotError as exc:
                log.error("%s failed: %s", job, exc)
            except asyncio.CancelledError:
                log.info("%s stopped by shutdown; %s", job, redone)
            except Exception:
                log.exception("%s failed unexpectedly; the next round tries again", job)

    @contextlib.asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._running.discard(task)

    def start(self) -> None:
        now = self.clock.now()
        for job, seconds in ((self.tick, self.tick_seconds), (self.deliver, DELIVERY_SECONDS)):
            self.scheduler.add_job(
                job,
                "interval",
                seconds=seconds,
                id=job.__name__,
                max_instances=1,
                coalesce=True,
                next_run_time=now,
            )
        self.scheduler.start()

    async def stop(self, timeout: float = 30.0) -> None:
        """No new rounds; work in flight may finish within `timeout`, then it is cancelled.

        Each feed's result is one transaction and an alert is marked sent only once the platform
        confirmed it, so work cut off loses nothing: it is redone at the next start.
        """
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        running = list(self._running)
        if not running:
            return
        _done, pending = await asyncio.wait(running, timeout=timeout)
        if pending:
            log.warning("shutting down with work still running; it is redone at the next start")
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=5)
