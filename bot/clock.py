"""`newsbot clock`: the one scheduler of a scaled-out bot. It enqueues work; Celery workers do it.

Every tick (schedule.tick_seconds) it asks the store which feeds are due and sends their ids to the
workers in batches (bot.tasks.poll_feeds), and sends one delivery task per channel that has pending
alerts (bot.tasks.deliver_channel). It does no polling, analysis or sending itself.

Only one clock may run against a database: it holds a PostgreSQL advisory lock for as long as it
lives (a second clock exits at once with a clear message; the lock is freed when the process or its
connection dies, so a restarted clock takes over). A second clock would only waste work, never
double an alert — the store's leases and unique keys hold regardless — but one is the design.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import NewsbotError, StoreError
from bot.jobs import release_orphans
from bot.pipeline import feed_lease_seconds
from bot.ports import SystemTime, TimeSource
from bot.runtime import open_scaleout_store
from bot.settings import Settings
from bot.store.db import Store
from bot.tasks import DELIVER_TASK, POLL_TASK, celery_app

log = logging.getLogger(__name__)

BATCH_SIZE = 25  # feeds per poll task: enough to fetch concurrently, small enough to spread out
_LOCK_SQL = "SELECT pg_try_advisory_lock(hashtextextended('newsbot clock ' || current_schema(), 0))"


def _batches(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


class Dispatcher:
    """One tick's decisions: which feeds to send for polling, which channels for delivery.

    A feed is sent once and not again until its lease would have run out (`hold`): a batch still
    queued or running is not sent twice, and a batch a dead worker took is sent again once its
    lease has expired. Delivery tasks expire unrun after `deliver_expires`, so a busy queue never
    piles up deliveries of one channel.
    """

    def __init__(
        self,
        store: Store,
        app: Any,
        clock: TimeSource,
        *,
        hold: timedelta,
        deliver_expires: float,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.store = store
        self.app = app
        self.clock = clock
        self.hold = hold
        self.deliver_expires = deliver_expires
        self.batch_size = batch_size
        self.sent: dict[int, datetime] = {}  # feed id -> when it was last sent for polling

    def tick(self) -> tuple[int, int]:
        """Send what is due; returns (feeds sent for polling, channels sent for delivery).

        A due feed is sent unless it was sent less than `hold` ago and that task has not run yet.
        A task that ran shows in the feed: it was polled since, or its lease expired since (the
        worker that took it died), and then the feed is sent again at once.
        """
        now = self.clock.now()
        due = self.store.due_unleased(now)
        still_due = {fid for fid, _, _ in due}
        self.sent = {fid: at for fid, at in self.sent.items() if fid in still_due}
        todo = []
        for fid, lease_until, polled_at in due:
            sent_at = self.sent.get(fid)
            if (
                sent_at is None
                or sent_at + self.hold <= now  # the task was lost before it took the feed
                or (polled_at is not None and polled_at >= sent_at)  # done, and due again already
                or (lease_until is not None and sent_at < lease_until)  # taken by a worker that died
            ):
                todo.append(fid)
        for batch in _batches(todo, self.batch_size):
            self.app.send_task(POLL_TASK, args=[batch])
            for fid in batch:
                self.sent[fid] = now
        release_orphans(self.store)
        channels = self.store.pending_channels(now)
        for channel in channels:
            self.app.send_task(DELIVER_TASK, args=[channel], expires=self.deliver_expires)
        return len(todo), len(channels)


@contextmanager
def clock_lock(store: Store) -> Iterator[Any]:
    """Hold the one-clock-per-database lock on a connection of its own; raises when it is taken."""
    try:
        conn = store.engine.connect()
        got = bool(conn.execute(text(_LOCK_SQL)).scalar())
        conn.commit()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreError(f"cannot take the clock lock: {reason}") from exc
    try:
        if not got:
            raise NewsbotError(
                "another newsbot clock is already running against this database; only one may run "
                "(stop the other one, or let any number of Celery workers share the work instead)"
            )
        yield conn
    finally:
        with contextlib.suppress(SQLAlchemyError):
            conn.close()  # closing the session frees the advisory lock


def _lock_alive(conn: Any) -> bool:
    try:
        conn.execute(text("SELECT 1"))
        conn.commit()
        return True
    except SQLAlchemyError:
        return False


def run_clock(settings: Settings) -> int:
    """Run the clock until SIGINT/SIGTERM; 0 on a clean stop, 3 when the database connection was lost."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    store = open_scaleout_store(settings)
    app = celery_app(settings)
    clock = SystemTime()
    tick_seconds = settings.schedule.tick_seconds
    dispatcher = Dispatcher(
        store,
        app,
        clock,
        hold=timedelta(seconds=feed_lease_seconds(settings) + tick_seconds),
        deliver_expires=max(2 * tick_seconds, 30.0),
    )
    status = 0
    try:
        with clock_lock(store) as lock:
            scheduler = BlockingScheduler(timezone="UTC")

            def tick() -> None:
                nonlocal status
                if not _lock_alive(lock):
                    # The lock went with the connection: another clock may start now, so stop.
                    log.error("lost the database connection that holds the clock lock; stopping")
                    status = 3
                    scheduler.shutdown(wait=False)
                    return
                try:
                    feeds, channels = dispatcher.tick()
                except NewsbotError as exc:
                    log.error("tick failed: %s", exc)
                    return
                except Exception as exc:  # a broker hiccup: the next tick sends it again
                    log.error("tick failed: %s: %s", type(exc).__name__, exc)
                    return
                if feeds or channels:
                    log.info("sent %d feeds for polling and %d channels for delivery", feeds, channels)

            def stop(signum: int, frame: FrameType | None) -> None:
                scheduler.shutdown(wait=False)

            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            scheduler.add_job(
                tick,
                "interval",
                seconds=tick_seconds,
                id="clock",
                max_instances=1,
                coalesce=True,
                next_run_time=clock.now(),
            )
            log.info(
                "clock started: a tick every %.0f s, sending work to %s",
                tick_seconds,
                app.conf.broker_url.split("@")[-1],
            )
            scheduler.start()
    finally:
        store.close()
    return status
