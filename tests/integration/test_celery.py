"""Scale-out end to end: one `newsbot clock`, three Celery workers, 200 feeds, real brokers.

Against the PostgreSQL, Redis and RabbitMQ servers on 127.0.0.1 (a missing one skips loudly, or
fails when NEWSBOT_REQUIRE_SERVICES is set). Every run uses a schema and a Celery queue of its own,
so parallel runs never share work. The feeds come from one loopback server serving 200 paths: each
feed is first empty (its first poll stores nothing), then carries one new story. Three channels
subscribe, so 600 alerts are owed. One worker process is killed with SIGKILL while it holds a batch
of feeds; its lease expires (schedule.feed_lease_seconds is short) and the clock
sends the batch again. The outbox then shows every alert sent exactly once, in id order per channel.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import create_engine, text

from bot.runtime import schema_problem
from bot.store.db import Store
from bot.store.rows import NewSubscription
from tests.conftest import require_service
from tests.feedserver import EMPTY_FEED

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
FEEDS = 200
CHANNELS = ("console", "console:a", "console:b")
TOPIC = "Meldung"
REDIS_URL = os.environ.get("NEWSBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("NEWSBOT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
SLOW_SECONDS = 1.0  # every fifth feed answers this late, so a worker is surely mid-task when killed
FETCH_TIMEOUT = 2.0
FEED_LEASE = 15.0  # how long a dead worker's feeds stay taken


# -- feeds ------------------------------------------------------------------------------------------

_SYLLABLES = "ka lo mi ra tu ven sor bel dan fi gor hul jin kel mur nax pol quin rus tal ux vor wem yil zan"


def _word(rng: random.Random, syllables: int = 3) -> str:
    return "".join(rng.choice(_SYLLABLES.split()) for _ in range(syllables))


def story(number: int) -> tuple[str, str]:
    """A headline and text about a made-up person and place: 200 of them are 200 distinct stories."""
    rng = random.Random(number)
    name = f"{_word(rng).capitalize()} {_word(rng).capitalize()}"
    place = _word(rng, 2).capitalize() + "stadt"
    thing = _word(rng)
    title = f"{TOPIC} aus {place}: {name} stellt {thing} vor"
    body = (
        f"{name} hat in {place} den {thing}-Plan vorgestellt. "
        f"Es geht um {rng.randint(2, 900)} {_word(rng)}en und {_word(rng)}."
    )
    return title, body


def story_feed(number: int, published: datetime) -> str:
    title, body = story(number)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Quelle {number}</title><link>https://news.example/{number}/</link>
<description>Testquelle</description><language>de</language>
<item><title>{title}</title><link>https://news.example/{number}/1</link>
<guid>https://news.example/{number}/1</guid><description>{body}</description>
<pubDate>{format_datetime(published)}</pubDate></item>
</channel></rss>"""


class LoopbackFeeds:
    """One HTTP server on 127.0.0.1 serving /f0.xml … /f199.xml, some of them slowly."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        self.delays: dict[str, float] = {}
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with feeds._lock:
                    feeds.requests[self.path] += 1
                delay = feeds.delays.get(self.path, 0.0)
                if delay:
                    time.sleep(delay)
                body = feeds.documents.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a killed worker's connections break mid-answer; that is the point

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @staticmethod
    def path(number: int) -> str:
        return f"/f{number}.xml"

    def url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{self.path(number)}"

    def __enter__(self) -> LoopbackFeeds:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- the processes ----------------------------------------------------------------------------------


def broker_connection(url: str) -> Any:
    """A kombu connection (kombu's types are partial: this keeps it Any)."""
    return importlib.import_module("kombu").Connection(url, connect_timeout=3)


def _probe(url: str) -> str | None:
    """Why the broker at `url` cannot be used, or None."""
    try:
        with broker_connection(url) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def require_broker(url: str) -> None:
    problem = _probe(url)
    if problem is not None:
        require_service(f"the Celery broker {url.split('@')[-1]}", problem)


@dataclass
class Cluster:
    """A clock and workers as subprocesses, sharing one database, broker and queue."""

    database_url: str
    broker_url: str
    workdir: Path
    tick_seconds: float = 1.0
    queue: str = field(default_factory=lambda: f"newsbot-test-{uuid.uuid4().hex[:10]}")
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    workers: list[subprocess.Popen[str]] = field(default_factory=list)
    logs: list[tuple[str, Path, Path]] = field(default_factory=list)
    _files: list[IO[str]] = field(default_factory=list)

    def config(self) -> Path:
        path = self.workdir / "newsbot.toml"
        path.write_text(
            "\n".join(
                [
                    f'data_dir = "{self.workdir / "data"}"',
                    "[fetch]",
                    'allow_private_hosts = ["127.0.0.1"]',
                    f"timeout_seconds = {FETCH_TIMEOUT}",
                    "full_text_below_chars = 0",
                    "[schedule]",
                    f"tick_seconds = {self.tick_seconds}",
                    "min_interval_seconds = 600",
                    "max_interval_seconds = 600",
                    f"feed_lease_seconds = {FEED_LEASE}",
                ]
            )
            + "\n",
            encoding="utf-8",
        )
        return path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "CELERY_"))}
        env.update(
            NEWSBOT_CONFIG=str(self.config()),
            NEWSBOT_DATABASE_URL=self.database_url,
            NEWSBOT_BROKER_URL=self.broker_url,
            NEWSBOT_CELERY_QUEUE=self.queue,
            NEWSBOT_LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        return env

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[str]:
        out_path, err_path = self.workdir / f"{name}.out", self.workdir / f"{name}.err"
        out, err = out_path.open("w"), err_path.open("w")
        self._files += [out, err]
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env(), stdout=out, stderr=err, text=True)
        self.procs.append(proc)
        self.logs.append((name, out_path, err_path))
        return proc

    def start_worker(self, pool: str = "prefork") -> subprocess.Popen[str]:
        number = len(self.workers) + 1
        args = [
            *(sys.executable, "-m", "celery", "-A", "bot.tasks", "worker"),
            *(f"--pool={pool}", "--concurrency=1", f"--hostname={self.queue}-w{number}@%h"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"),
        ]
        proc = self._spawn(f"worker{number}", args)
        self.workers.append(proc)
        return proc

    def start_clock(self) -> subprocess.Popen[str]:
        return self._spawn("clock", [sys.executable, "-m", "bot", "clock"])

    def run_clock_once(self, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "clock"],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ours(self, pid: int) -> bool:
        """Whether pid is one of the workers or a pool process of one."""
        worker_pids = {p.pid for p in self.workers}
        if pid in worker_pids:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return int(stat.rsplit(")", 1)[1].split()[1]) in worker_pids

    def stdout(self) -> str:
        return "".join(out.read_text(errors="replace") for name, out, _ in self.logs if name != "clock")

    def diagnostics(self) -> str:
        parts = []
        for name, _out, err in self.logs:
            tail = err.read_text(errors="replace").splitlines()[-25:]
            parts.append(f"--- {name} (stderr, last lines)\n" + "\n".join(tail))
        return "\n".join(parts)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for handle in self._files:
            handle.close()
        with contextlib.suppress(Exception), broker_connection(self.broker_url) as conn:
            for queue in (self.queue, f"{self.queue}.deliver"):
                conn.default_channel.queue_delete(queue)


@contextlib.contextmanager
def cluster(database_url: str, broker_url: str, workdir: Path) -> Iterator[Cluster]:
    running = Cluster(database_url, broker_url, workdir)
    try:
        yield running
    finally:
        running.stop()


def wait_for(what: str, condition: Callable[[], bool], timeout: float, running: Cluster) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{running.diagnostics()}")


# -- the scenario -----------------------------------------------------------------------------------


def _prepare(
    database_url: str, feeds: LoopbackFeeds, count: int = FEEDS, channels: tuple[str, ...] = CHANNELS
) -> None:
    store = Store(database_url)
    store.upgrade()  # the operator's `newsbot db upgrade`: workers and the clock never migrate
    now = datetime.now(UTC)
    for number in range(count):
        store.add_feed(feeds.url(number), f"Quelle {number}", now)
        feeds.documents[feeds.path(number)] = EMPTY_FEED.encode()
    for channel in channels:
        store.add_subscription(NewSubscription(channel, TOPIC, TOPIC, None, "test"), now)
    store.close()


def scale_out_scenario(database_url: str, broker_url: str, workdir: Path) -> None:
    engine = create_engine(database_url)

    def scalar(sql: str) -> Any:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()

    with LoopbackFeeds() as feeds, cluster(database_url, broker_url, workdir) as running:
        _prepare(database_url, feeds)
        for pool in ("prefork", "prefork", "solo"):
            running.start_worker(pool)
        clock = running.start_clock()

        # A second clock against the same database refuses to start, with a clear message.
        wait_for(
            "the clock to start", lambda: "clock started" in (workdir / "clock.err").read_text(), 30, running
        )
        second = running.run_clock_once()
        assert second.returncode != 0
        assert "another newsbot clock is already running" in second.stderr, second.stderr
        assert "Traceback" not in second.stderr

        # First round: every feed is empty; its first poll stores nothing and alerts nothing.
        wait_for(
            "the first poll of every feed",
            lambda: scalar("SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL") == FEEDS,
            90,
            running,
        )
        assert scalar("SELECT count(*) FROM alerts") == 0

        # Second round: every feed has a new story; every fifth feed answers slowly.
        published = datetime.now(UTC)
        for number in range(FEEDS):
            feeds.documents[feeds.path(number)] = story_feed(number, published).encode()
            if number % 5 == 0:
                feeds.delays[feeds.path(number)] = SLOW_SECONDS
        with engine.begin() as conn:  # the test moves time on: every feed is due now
            conn.execute(text("UPDATE feeds SET next_poll_at = now()"))

        # Kill the worker process that holds a batch, mid-poll (it has fetched, not yet recorded).
        killed: list[int] = []
        with engine.connect() as conn:
            paths = {
                fid: "/" + url.rsplit("/", 1)[1]
                for fid, url in conn.execute(text("SELECT id, url FROM feeds"))
            }

        def kill_a_poller() -> bool:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT f.id, f.lease_owner FROM feeds f WHERE f.lease_until > now() "
                        "AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.feed_id = f.id)"
                    )
                ).all()
            for _, owner in rows:
                batch = [paths[fid] for fid, other in rows if other == owner]
                started = any(feeds.requests[path] >= 2 for path in batch)  # some fetches went out
                pid = int(owner.split(":")[1])
                if started and running.ours(pid):
                    os.kill(pid, signal.SIGKILL)
                    killed.extend(fid for fid, other in rows if other == owner)
                    return True
            return False

        wait_for("a worker holding a batch of feeds", kill_a_poller, 30, running)
        assert killed

        expected = FEEDS * len(CHANNELS)
        wait_for(
            f"{expected} alerts sent",
            lambda: scalar("SELECT count(*) FROM alerts WHERE status = 'sent'") >= expected,
            150,
            running,
        )
        time.sleep(2 * running.tick_seconds + 1)  # let any duplicate work show before counting
        assert clock.poll() is None, running.diagnostics()

        with engine.connect() as conn:
            entries = conn.execute(text("SELECT feed_id, count(*) FROM entries GROUP BY feed_id")).all()
            alerts = conn.execute(
                text("SELECT id, channel, kind, status, message_id, sent_at FROM alerts ORDER BY id")
            ).all()
        engine.dispose()

        # One entry per feed: every feed's story was stored once, the killed batch's too.
        assert len(entries) == FEEDS and all(count == 1 for _, count in entries)
        # Every alert owed, sent exactly once: one row per channel and story, each with its own id.
        assert len(alerts) == expected, Counter((a.channel, a.kind) for a in alerts)
        assert {a.kind for a in alerts} == {"alert"}
        assert all(a.status == "sent" for a in alerts)
        assert len({a.message_id for a in alerts}) == expected
        for channel in CHANNELS:
            sent = [a for a in alerts if a.channel == channel]
            assert len(sent) == FEEDS
            assert [a.id for a in sorted(sent, key=lambda a: (a.sent_at, a.id))] == [a.id for a in sent]
        # Each feed was fetched once per round. The killed batch was redone once, no more: a feed
        # the dead worker had fetched (8 at a time per host) was fetched a third time, no feed a fourth.
        killed_paths = {paths[fid] for fid in killed}
        for number in range(FEEDS):
            path = feeds.path(number)
            allowed = {2, 3} if path in killed_paths else {2}
            assert feeds.requests[path] in allowed, (path, feeds.requests[path], allowed)
        assert any(feeds.requests[path] == 3 for path in killed_paths)
        # The console printed every story (at least once: a console cannot drop a resend).
        printed = running.stdout()
        missing = [n for n in range(FEEDS) if story(n)[0] not in printed]
        assert not missing, f"{len(missing)} stories never printed, e.g. {story(missing[0])[0]}"


def test_clock_and_three_workers_over_redis(postgres_url: str, tmp_path: Path) -> None:
    require_broker(REDIS_URL)
    scale_out_scenario(postgres_url, REDIS_URL, tmp_path)


def test_clock_and_three_workers_over_rabbitmq(postgres_url: str, tmp_path: Path) -> None:
    require_broker(AMQP_URL)
    scale_out_scenario(postgres_url, AMQP_URL, tmp_path)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _metric(page: str, sample: str) -> float:
    """The value of one sample line of a /metrics page (0 when it is not there)."""
    match = re.search(rf"^{re.escape(sample)} ([0-9.e+]+)$", page, re.M)
    return float(match.group(1)) if match else 0.0


def test_the_web_process_metrics_show_the_polls_and_deliveries_of_the_workers(
    postgres_url: str, tmp_path: Path
) -> None:
    """Workers poll and deliver; the `serve` process, which does neither, counts what they did."""
    require_broker(REDIS_URL)
    count = 12
    engine = create_engine(postgres_url)

    def scalar(sql: str) -> Any:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()

    port = _free_port()
    with LoopbackFeeds() as feeds, cluster(postgres_url, REDIS_URL, tmp_path) as running:
        _prepare(postgres_url, feeds, count, ("console",))
        running.start_worker("prefork")
        running.start_worker("solo")
        web = running._spawn("web", [sys.executable, "-m", "bot", "serve", "--port", str(port)])

        def metrics() -> str:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                    return str(response.read().decode())
            except OSError:
                return ""

        wait_for("the web process to serve /metrics", lambda: bool(metrics()), 60, running)
        before = metrics()
        assert _metric(before, 'newsbot_polls_total{outcome="ok"}') == 0
        running.start_clock()

        # First round: every feed is empty; second round: each carries one story for the channel.
        wait_for(
            "the first poll of every feed",
            lambda: scalar("SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL") == count,
            90,
            running,
        )
        published = datetime.now(UTC)
        for number in range(count):
            feeds.documents[feeds.path(number)] = story_feed(number, published).encode()
        with engine.begin() as conn:
            conn.execute(text("UPDATE feeds SET next_poll_at = now()"))
        wait_for(
            f"{count} alerts sent",
            lambda: scalar("SELECT count(*) FROM alerts WHERE status = 'sent'") == count,
            90,
            running,
        )
        fetched = sum(feeds.requests[feeds.path(number)] for number in range(count))
        assert fetched == 2 * count
        wait_for(
            "/metrics to show every delivery",
            lambda: _metric(metrics(), 'newsbot_deliveries_total{outcome="sent"}') == count,
            30,
            running,
        )
        page = metrics()
        assert web.poll() is None, running.diagnostics()
        polls = sum(_metric(page, f'newsbot_polls_total{{outcome="{o}"}}') for o in ("ok", "not_modified"))
        assert polls == fetched  # every poll a worker made, counted once
        assert _metric(page, 'newsbot_polls_total{outcome="failed"}') == 0
        assert _metric(page, "newsbot_entries_new_total") == count
        assert _metric(page, "newsbot_alerts_written_total") == count
        assert _metric(page, 'newsbot_deliveries_total{outcome="failed"}') == 0
        assert _metric(page, "newsbot_delivery_latency_seconds_count") == count
        assert _metric(page, 'newsbot_outbox_alerts{status="sent"}') == count
        # the workers did the work: the web process never fetched or printed an alert
        assert story(0)[0] not in (tmp_path / "web.out").read_text()
    engine.dispose()
    redis = importlib.import_module("redis").Redis.from_url(REDIS_URL)
    redis.delete(f"newsbot:{running.queue}:metrics")
    redis.close()


def test_clock_refuses_sqlite_and_an_old_schema(postgres_url: str, tmp_path: Path) -> None:
    sqlite = Cluster(f"sqlite:///{tmp_path / 'newsbot.sqlite'}", REDIS_URL, tmp_path)
    result = sqlite.run_clock_once()
    assert result.returncode != 0
    assert "needs PostgreSQL" in result.stderr and "Traceback" not in result.stderr

    unmigrated = Cluster(postgres_url, REDIS_URL, tmp_path).run_clock_once()
    assert unmigrated.returncode != 0
    assert "newsbot db upgrade" in unmigrated.stderr and "Traceback" not in unmigrated.stderr


def test_the_web_role_never_migrates_and_refuses_an_old_schema(postgres_url: str, tmp_path: Path) -> None:
    cluster = Cluster(postgres_url, REDIS_URL, tmp_path)
    serve = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT,
        env=cluster.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert serve.returncode != 0
    assert "newsbot db upgrade" in serve.stderr and "Traceback" not in serve.stderr
    store = Store(postgres_url)
    try:
        assert schema_problem(store) is not None  # still unmigrated: serve left the schema alone
    finally:
        store.close()


def test_worker_refuses_an_old_schema(postgres_url: str, tmp_path: Path) -> None:
    running = Cluster(postgres_url, REDIS_URL, tmp_path)
    proc = running.start_worker("solo")
    try:
        assert proc.wait(timeout=60) != 0
    finally:
        running.stop()
    stderr = (tmp_path / "worker1.err").read_text()
    assert "newsbot worker:" in stderr and "newsbot db upgrade" in stderr


# -- the clock's decisions, without a broker ----------------------------------------------------------


class SentTasks:
    """Stands in for the Celery app: records what the clock sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Any]]] = []

    def send_task(self, name: str, args: list[Any], expires: float | None = None) -> None:
        self.sent.append((name, args))

    def take(self, name: str) -> list[Any]:
        taken = [args[0] for task, args in self.sent if task == name]
        self.sent = [(task, args) for task, args in self.sent if task != name]
        return taken


class StoppedClock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


def test_clock_sends_due_feeds_once_and_again_when_a_lease_dies(postgres_store: Store) -> None:
    from bot.clock import Dispatcher
    from bot.tasks import POLL_TASK

    start = datetime.now(UTC)
    for number in range(30):
        postgres_store.add_feed(f"http://127.0.0.1:9/{number}.xml", None, start)
    app, clock = SentTasks(), StoppedClock(start)
    dispatcher = Dispatcher(
        postgres_store, app, clock, hold=timedelta(seconds=100), deliver_expires=30, batch_size=25
    )
    assert dispatcher.tick() == (30, 0)
    first, second = app.take(POLL_TASK)
    assert (len(first), len(second)) == (25, 5)
    assert dispatcher.tick() == (0, 0)  # queued or running: never sent twice

    # A worker takes the first batch and dies with it: its lease runs out.
    postgres_store.lease_due_feeds(start, "host:1:dead", timedelta(seconds=10), ids=first)
    clock.moment = start + timedelta(seconds=5)
    assert dispatcher.tick() == (0, 0)
    clock.moment = start + timedelta(seconds=11)
    assert dispatcher.tick() == (25, 0)  # sent again at once, not after `hold`
    assert sorted(app.take(POLL_TASK)[0]) == sorted(first)
    clock.moment = start + timedelta(seconds=12)
    assert dispatcher.tick() == (0, 0)
    # A batch that was sent and never taken (its task lost) goes again after `hold`.
    clock.moment = start + timedelta(seconds=101)
    assert dispatcher.tick() == (5, 0)
    assert sorted(app.take(POLL_TASK)[0]) == sorted(second)
    # A feed polled since it was sent, and due again already, goes again at once.
    clock.moment = start + timedelta(seconds=102)
    postgres_store.set_feed_state(second[0], last_polled_at=clock.moment, next_poll_at=clock.moment)
    clock.moment = start + timedelta(seconds=103)
    assert dispatcher.tick() == (1, 0)
    assert app.take(POLL_TASK) == [[second[0]]]


def test_clock_resends_what_a_dead_deliverer_claimed(postgres_store: Store, postgres_url: str) -> None:
    from bot.clock import Dispatcher
    from bot.tasks import DELIVER_TASK

    channel = f"console:{uuid.uuid4().hex[:8]}"  # advisory locks are per database, not per schema
    now = datetime.now(UTC)
    postgres_store.add_notice(channel, "hello", now)
    app = SentTasks()
    dispatcher = Dispatcher(
        postgres_store, app, StoppedClock(now), hold=timedelta(seconds=100), deliver_expires=30
    )
    live = Store(postgres_url)
    try:
        with live.channel_lock(channel) as mine:  # a live deliverer, mid-send
            assert mine
            assert postgres_store.claim_next(channel, now) is not None
            assert dispatcher.tick() == (0, 0)
            assert postgres_store.alert_counts() == {"claimed": 1}  # its claim is its own
        # The deliverer died before confirming: its lock went with its session.
        assert dispatcher.tick() == (0, 1)
        assert app.take(DELIVER_TASK) == [channel]
        assert postgres_store.alert_counts() == {"pending": 1}
    finally:
        live.close()


def test_shared_counts_survive_a_redis_outage_and_add_only_what_is_new(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A push while Redis is down loses nothing: the next push sends it; later pushes add deltas."""
    require_broker(REDIS_URL)
    redis = importlib.import_module("redis")
    from bot.metrics import POLLS, SharedCounts

    key = f"newsbot:test-{uuid.uuid4().hex[:10]}:metrics"
    down = redis.Redis(host="127.0.0.1", port=_free_port(), socket_connect_timeout=1)
    shared = SharedCounts(down, key)
    POLLS.labels("ok").inc(3)
    shared.push()
    assert "cannot share metrics in Redis" in caplog.text
    live = redis.Redis.from_url(REDIS_URL)
    try:
        shared.client = live
        shared.push()
        ok = ("newsbot_polls_total", '{"outcome": "ok"}')
        first = shared.totals()[ok]
        assert first >= 3  # what this process counted, the 3 from the outage included
        POLLS.labels("ok").inc(2)
        shared.push()
        shared.push()  # nothing new: nothing added
        assert shared.totals()[ok] == first + 2
    finally:
        live.delete(key)
        live.close()
