"""The bot's recurring work, once for both runtimes: poll the due feeds, deliver, free orphans.

`newsbot run` (bot.scheduler.Ticker), `--once`, and the Celery tasks of a scaled-out bot
(bot.tasks) all call these, so a cycle is logged the same way and counted in /metrics
(bot.metrics) wherever it ran.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from bot.delivery import Deliverer, DeliveryReport
from bot.metrics import record_cycle, record_delivery
from bot.pipeline import CycleReport, Pipeline
from bot.store.db import Store

log = logging.getLogger(__name__)


async def poll(
    pipeline: Pipeline, now: datetime, *, feed_ids: Sequence[int] | None = None, every_feed: bool = False
) -> CycleReport:
    """Poll the due feeds (only `feed_ids` when given; all enabled ones with `every_feed`)."""
    report = await pipeline.run_cycle(now, every_feed=every_feed, feed_ids=feed_ids)
    record_cycle(report)
    if report.polled or report.failed or report.not_modified:
        of = f" of {len(feed_ids)}" if feed_ids is not None else ""
        log.info(
            "polled %d%s feeds (%d unchanged, %d failed): %d new entries, %d alerts",
            report.polled + report.not_modified + report.failed,
            of,
            report.not_modified,
            report.failed,
            report.new_entries,
            report.alerts,
        )
    return report


async def deliver(deliverer: Deliverer, channels: Sequence[str] | None = None) -> DeliveryReport:
    """Send what the outbox holds (for `channels` only, when given)."""
    report = await deliverer.deliver(channels=channels)
    record_delivery(report)
    if report.sent or report.failed:
        where = f" to {', '.join(channels)}" if channels else ""
        log.info("delivered %d alerts%s (%d failed)", report.sent, where, report.failed)
    return report


def release_orphans(store: Store) -> int:
    """Alerts a dead deliverer claimed but never confirmed become pending again, to be resent."""
    released = store.release_orphaned_claims()
    if released:
        log.warning("resending %d alerts a worker claimed but did not confirm before it died", released)
    return released
