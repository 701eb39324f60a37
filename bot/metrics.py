"""Prometheus metrics, served on /metrics by `newsbot serve`.

One process (`newsbot run`/`serve`) keeps its counts in memory. In scale-out the polls and
deliveries happen in Celery workers, other processes (often on other machines) than the web
process that serves /metrics, so every process there also adds what it counted to one Redis hash
(`share_counts`), and the web process's /metrics shows the sums from that hash (`scrape`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from typing import Any, Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from bot.delivery import DeliveryReport
from bot.pipeline import CycleReport
from bot.store.db import Store

log = logging.getLogger(__name__)

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
    _share()


def record_delivery(report: DeliveryReport) -> None:
    DELIVERIES.labels("sent").inc(report.sent)
    DELIVERIES.labels("failed").inc(report.failed)
    for seconds in report.latencies:
        DELIVERY_LATENCY.observe(seconds)
    _share()


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


# -- counts shared by the processes of a scaled-out bot ---------------------------------------------


class _Hash(Protocol):
    """The part of a Redis client used here (a test may pass any object that has it)."""

    def hgetall(self, name: str) -> Any: ...

    def pipeline(self) -> Any: ...


def _sample_key(name: str, labels: dict[str, str]) -> str:
    return json.dumps([name, labels], sort_keys=True, separators=(",", ":"))


def _local_totals() -> dict[str, float]:
    """Every counter and histogram sample of this process (not the gauges: those come from the store)."""
    totals: dict[str, float] = {}
    for family in REGISTRY.collect():
        if family.type not in ("counter", "histogram"):
            continue
        for sample in family.samples:
            if not sample.name.endswith("_created"):  # a process's start time, not a count to add up
                totals[_sample_key(sample.name, sample.labels)] = sample.value
    return totals


class SharedCounts:
    """The counts of every process of one deployment, in one Redis hash.

    Each process adds only what it counted since its last push (HINCRBYFLOAT, atomic in Redis),
    so processes that start, stop and restart on any host add up to totals that only grow, as a
    Prometheus counter must. A push that fails is retried with the next one: nothing is lost.
    """

    def __init__(self, client: _Hash, key: str) -> None:
        self.client = client
        self.key = key
        self._pushed: dict[str, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_broker(cls, broker_url: str | None, queue: str) -> SharedCounts | None:
        """Counts kept in the broker's Redis, under the deployment's queue name; None without Redis."""
        if not broker_url or not broker_url.startswith(("redis://", "rediss://")):
            return None
        import redis

        client = redis.Redis.from_url(broker_url, socket_timeout=5, socket_connect_timeout=5)
        return cls(client, f"newsbot:{queue}:metrics")

    def push(self) -> None:
        with self._lock:
            totals = _local_totals()
            deltas = {key: value - self._pushed.get(key, 0.0) for key, value in totals.items()}
            deltas = {key: delta for key, delta in deltas.items() if delta}
            if not deltas:
                return
            try:
                pipe = self.client.pipeline()
                for key, delta in deltas.items():
                    pipe.hincrbyfloat(self.key, key, delta)
                pipe.execute()
            except Exception as exc:  # Redis down: the counts stay here and go with the next push
                log.warning(
                    "cannot share metrics in Redis (%s: %s); retrying with the next push",
                    type(exc).__name__,
                    exc,
                )
                return
            self._pushed = totals

    def totals(self) -> dict[tuple[str, str], float]:
        """Sample name and labels (as JSON) -> the deployment's total."""
        raw: dict[Any, Any] = self.client.hgetall(self.key)
        out: dict[tuple[str, str], float] = {}
        for key, value in raw.items():
            name, labels = json.loads(key)
            out[(name, json.dumps(labels, sort_keys=True))] = float(value)
        return out


_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}


def _sample_order(sample: tuple[str, str, float]) -> tuple[str, str, float]:
    """Label sets in a stable order, and a histogram's buckets from the smallest bound to +Inf."""
    name, labels, _ = sample
    bound = json.loads(labels).get("le")
    return (name, labels if bound is None else "", float(bound) if bound is not None else 0.0)


class _SharedCollector(Collector):
    """The gauges of this process; the counters and histograms summed over the deployment (Redis)."""

    def __init__(self, shared: SharedCounts) -> None:
        self.shared = shared

    def collect(self) -> Iterable[Metric]:
        try:
            totals: dict[tuple[str, str], float] | None = self.shared.totals()
        except Exception as exc:  # no numbers rather than zeros that look true
            log.warning("cannot read the shared metrics from Redis (%s: %s)", type(exc).__name__, exc)
            totals = None
        for family in REGISTRY.collect():
            if family.type not in ("counter", "histogram"):
                yield family
                continue
            if totals is None:
                continue
            merged = Metric(family.name, family.documentation, family.type, family.unit)
            names = {family.name + suffix for suffix in _SUFFIXES[family.type]}
            samples = [(name, labels, value) for (name, labels), value in totals.items() if name in names]
            for name, labels, value in sorted(samples, key=_sample_order):
                merged.add_sample(name, json.loads(labels), value)
            yield merged


_shared: SharedCounts | None = None


def share_counts(shared: SharedCounts | None) -> None:
    """From now on, this process adds its counts to `shared` (None: keep them in this process only)."""
    global _shared
    _shared = shared
    if shared is not None:
        shared.push()


def _share() -> None:
    if _shared is not None:
        _shared.push()


def scrape() -> bytes:
    """The /metrics page: the counts of this process, or in scale-out the deployment's sums."""
    if _shared is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SharedCollector(_shared))
    return bytes(generate_latest(registry))
