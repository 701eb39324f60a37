"""Prometheus metrics of one process, served on /metrics by `newsbot serve`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.delivery import DeliveryReport
from bot.pipeline import CycleReport
from bot.store.db import Store

REGISTRY = CollectorRegistry(auto_describe=True)

POLLS = Counter("newsbot_polls_total", "Feed polls by outcome", ["outcome"], registry=REGISTRY)
ENTRIES_NEW = Counter("newsbot_entries_new_total", "Entries stored for the first time", registry=REGISTRY)
ALERTS_WRITTEN = Counter("newsbot_alerts_written_total", "Outbox rows written", registry=REGISTRY)
DELIVERIES = Counter("newsbot_deliveries_total", "Outbox sends by outcome", ["outcome"], registry=REGISTRY)
DELIVERY_LATENCY = Histogram(
    "newsbot_delivery_latency_seconds",
    "From the poll that found an entry to its message in chat",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600),
    registry=REGISTRY,
)
PUBLISH_TO_POLL = Histogram(
    "newsbot_publish_to_poll_delay_seconds",
    "From an entry's publication date to the poll (or WebSub push) that fetched it",
    buckets=(30, 60, 120, 150, 300, 600, 900, 1800, 3600, 7200, 21_600, 86_400),
    registry=REGISTRY,
)
FEEDS = Gauge("newsbot_feeds", "Feeds by status", ["status"], registry=REGISTRY)
OUTBOX = Gauge("newsbot_outbox_alerts", "Outbox rows by status", ["status"], registry=REGISTRY)


def record_cycle(report: CycleReport) -> None:
    POLLS.labels("ok").inc(report.polled)
    POLLS.labels("not_modified").inc(report.not_modified)
    POLLS.labels("failed").inc(report.failed)
    ENTRIES_NEW.inc(report.new_entries)
    ALERTS_WRITTEN.inc(report.alerts)
    for seconds in report.publish_delays:
        PUBLISH_TO_POLL.observe(seconds)


def record_delivery(report: DeliveryReport) -> None:
    DELIVERIES.labels("sent").inc(report.sent)
    DELIVERIES.labels("failed").inc(report.failed)
    for seconds in report.latencies:
        DELIVERY_LATENCY.observe(seconds)


def refresh_gauges(store: Store) -> None:
    """Counts that live in the store, read when /metrics is scraped."""
    statuses: dict[str, int] = {}
    for feed in store.list_feeds():
        statuses[feed.status] = statuses.get(feed.status, 0) + 1
    for status in ("new", "ok", "failing", "paused"):
        FEEDS.labels(status).set(statuses.get(status, 0))
    counts = store.alert_counts()
    for status in ("pending", "claimed", "sent", "failed"):
        OUTBOX.labels(status).set(counts.get(status, 0))
