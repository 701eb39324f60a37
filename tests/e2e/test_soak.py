"""Fault soak: `newsbot serve` against feeds and a Slack that misbehave in every way we know.

Twenty feeds on loopback answer about half of all polls with a fault (tests.faultserver.Fault):
hangs past the fetch timeout, connection resets, 5xx, 429 with Retry-After, truncated, cut-off,
malformed and non-feed documents, Latin-1 declared as UTF-8, gzip bombs, redirect loops and
redirects to 127.0.0.2, which is not on the allow-list (a listener there counts any request that
gets through). Meanwhile the feeds publish new stories, each matching one of two channels' topics,
and the Slack stand-in answers some posts with 429, some with 5xx before posting, some with a 500
after posting and one not at all before the bot's timeout.

Afterwards every story published must have reached its channel exactly once (counted per entry,
through the alert id in each message's metadata), the bot must have stayed up and answered /healthz
throughout, no request may have reached the private address, and its peak memory (VmHWM) must stay
bounded. `bench/soak.py` runs the same soak for longer and prints the figures.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from tests.e2e.test_crash import BOT_COMMAND, Database, free_port
from tests.faultserver import Fault, FaultServer, FaultySlack, LateAnswer, fault_server, faulty_slack
from tests.slack_standin import BOT_TOKEN, SIGNING_SECRET

SEED = 4711
CHANNELS = {"C0SOAKA": "Soakalpha", "C0SOAKB": "Soakbeta"}
FAULTS: dict[Fault, float] = {
    Fault.TIMEOUT: 0.03,
    Fault.RESET: 0.05,
    Fault.SERVER_ERROR: 0.06,
    Fault.RATE_LIMITED: 0.05,
    Fault.TRUNCATED: 0.05,
    Fault.SHORT_BODY: 0.04,
    Fault.MALFORMED: 0.05,
    Fault.NOT_A_FEED: 0.03,
    Fault.WRONG_ENCODING: 0.05,
    Fault.GZIP_BOMB: 0.03,
    Fault.REDIRECT_LOOP: 0.03,
    Fault.REDIRECT_PRIVATE: 0.03,
}
# How the bot's log names each failure (first match wins).
FAILURE_KINDS = [
    ("timeout", re.compile(r"no complete answer within")),
    ("private address", re.compile(r"refused, .*allow-list")),
    ("too many redirects", re.compile(r"more than \d+ redirects")),
    ("too large", re.compile(r"exceeds the cap")),
    ("rate limited", re.compile(r"rate limited")),
    ("http 5xx", re.compile(r": (HTTP )?5\d\d\b")),
    ("connection", re.compile(r"connection failed")),
    ("not a feed", re.compile(r"not a feed")),
]
_SYLLABLES = ["ka", "lo", "mi", "ren", "tus", "vel", "dor", "bra", "sin", "qua", "pel", "zü", "fö", "ßa"]


@dataclass(frozen=True)
class Story:
    guid: str
    channel: str
    title: str
    text: str
    published: datetime


def make_story(rng: random.Random, number: int, channel: str) -> Story:
    """A story of its own: made-up words, so that story grouping never joins two of them."""

    def word() -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))

    marker = CHANNELS[channel]
    title = f"{word().capitalize()} {word().capitalize()} {word()} {marker} {word()}"
    text = " ".join(word() for _ in range(15)) + "."  # umlauts and ß: a wrong encoding shows
    published = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    return Story(f"soak-{number}", channel, title, text, published)


def feed_document(number: int, stories: list[Story]) -> str:
    """An RSS feed: its stories, newest first, and an old entry with umlauts that never alerts."""
    old = Story(
        f"old-{number}",
        "",
        f"Archiv {number}: Übersicht",
        "Ältere Meldungen aus Düsseldorf und München.",
        datetime(2024, 1, 2, tzinfo=UTC),
    )
    items = "".join(
        f"<item><title>{escape(s.title)}</title><link>https://soak.example/{number}/{s.guid}</link>"
        f'<guid isPermaLink="false">{s.guid}</guid><pubDate>{format_datetime(s.published)}</pubDate>'
        f"<description>{escape(s.text)}</description></item>"
        for s in [*reversed(stories[-20:]), old]
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Soak-Feed {number}</title><link>https://soak.example/{number}/</link>"
        f"<description>Störungstest</description>{items}</channel></rss>"
    )


@dataclass
class SoakReport:
    seed: int
    seconds: float = 0.0
    feeds: int = 0
    requests: int = 0  # answered by the feed server (redirect hops not counted)
    faults: Counter[str] = field(default_factory=Counter)  # what the feed server injected
    polls: dict[str, float] = field(default_factory=dict)  # newsbot_polls_total by outcome
    deliveries: dict[str, float] = field(default_factory=dict)  # newsbot_deliveries_total by outcome
    failures: Counter[str] = field(default_factory=Counter)  # the bot's log, by kind
    chat_faults: Counter[str] = field(default_factory=Counter)
    expected: int = 0
    delivered: int = 0
    duplicated: int = 0
    lost: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    private_hits: int = 0
    alive: bool = True
    health_failures: int = 0
    health_checks: int = 0
    peak_memory_mb: float = 0.0
    resends_avoided: int = 0
    tracebacks: int = 0
    outbox: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        polls = sum(self.polls.values())
        lines = [
            f"seed {self.seed}: {self.seconds:.0f}s, {self.feeds} feeds, {polls:.0f} polls by the bot "
            f"({', '.join(f'{k} {v:.0f}' for k, v in sorted(self.polls.items()))}), "
            f"{self.requests} feed requests answered",
            f"faults injected by the feed server: {dict(self.faults.most_common())}",
            f"failures in the bot's log by kind: {dict(self.failures.most_common())}",
            f"chat faults injected: {dict(self.chat_faults)}; deliveries "
            f"{', '.join(f'{k} {v:.0f}' for k, v in sorted(self.deliveries.items()))}; "
            f"resends avoided {self.resends_avoided}",
            f"alerts expected {self.expected}, delivered {self.delivered}, duplicated {self.duplicated}, "
            f"lost {len(self.lost)}, unexpected {len(self.unexpected)}; outbox {self.outbox}",
            f"process alive {self.alive}, /healthz failures {self.health_failures}/{self.health_checks}, "
            f"peak memory {self.peak_memory_mb:.0f} MB, requests to 127.0.0.2 {self.private_hits}, "
            f"tracebacks {self.tracebacks}",
        ]
        return "\n".join(lines)


def _get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode()


def _counter(metrics: str, name: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for match in re.finditer(rf'^{name}{{outcome="([^"]+)"}} ([0-9.e+]+)$', metrics, re.M):
        found[match.group(1)] = float(match.group(2))
    return found


def peak_memory_mb(pid: int) -> float:
    """VmHWM, the process's peak resident memory, from /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) / 1024 if match else 0.0


def write_config(workdir: Path, feeds: FaultServer, count: int) -> Path:
    lines = [
        f'data_dir = "{workdir / "data"}"',
        "[fetch]",
        'allow_private_hosts = ["127.0.0.1"]',
        "timeout_seconds = 3",
        "full_text_below_chars = 0",
        "[schedule]",
        "tick_seconds = 1",
        "min_interval_seconds = 1",
        "max_interval_seconds = 2",
        "max_failures = 100000",  # keep faulty feeds polled; pausing is tested elsewhere
        "[alerts]",
        "edit_interval_seconds = 0",
    ]
    for number in range(count):
        lines += ["[[feeds]]", f'url = "{feeds.url(f"/feed-{number:02d}.xml")}"']
    for channel, topic in CHANNELS.items():
        lines += ["[[subscriptions]]", f'channel = "slack:{channel}"', f'topic = "{topic}"']
    config = workdir / "newsbot.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def inject_chat_fault(standin: FaultySlack, rng: random.Random, report: SoakReport, hangs_left: int) -> int:
    """One fault for the bot's next Slack call; returns how many hangs may still be injected."""
    kinds = ["429", "503 before posting", "500 after posting", "history 500"]
    if hangs_left > 0:
        kinds.append("no answer after posting")
    kind = rng.choice(kinds)
    if kind == "429":
        standin.fail("chat.postMessage", 429, "ratelimited", retry_after=1)
    elif kind == "503 before posting":
        standin.fail("chat.postMessage", 503, "service_unavailable")
    elif kind == "500 after posting":
        standin.late(LateAnswer.SERVER_ERROR)
    elif kind == "history 500":
        standin.fail("conversations.history", 500, "internal_error")
    else:
        standin.late(LateAnswer.HANG)
        hangs_left -= 1
    report.chat_faults[kind] += 1
    return hangs_left


def run_soak(
    workdir: Path,
    *,
    seconds: float = 32.0,
    feeds: int = 20,
    story_every: float = 1.0,
    chat_fault_every: float = 7.0,
    hangs: int = 1,
    seed: int = SEED,
    drain_seconds: float = 40.0,
    say: Callable[[str], None] = print,
) -> SoakReport:
    """Publish stories for `seconds` under faults, let delivery drain, and count."""
    started = time.monotonic()
    rng = random.Random(seed)
    report = SoakReport(seed=seed, feeds=feeds)
    workdir.mkdir(parents=True, exist_ok=True)
    db = Database(workdir / "data" / "newsbot.sqlite")
    log = workdir / "serve.log"
    stories: dict[int, list[Story]] = {n: [] for n in range(feeds)}
    with (
        fault_server(seed=seed, hang_seconds=6.0, retry_after=2) as server,
        faulty_slack(seed=seed, hang_seconds=20.0) as standin,
    ):
        for channel in CHANNELS:
            standin.add_channel(channel)
        for number in range(feeds):
            path = f"/feed-{number:02d}.xml"
            server.serve(path, feed_document(number, []))
            server.set_faults(path, FAULTS)
        config = write_config(workdir, server, feeds)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "SLACK_"))}
        env.update(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            NEWSBOT_SLACK_API_URL=standin.api_url,
        )
        with log.open("wb") as out:
            bot = subprocess.Popen(
                [*BOT_COMMAND, "--config", str(config), "serve", "--port", str(port)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )
        base = f"http://127.0.0.1:{port}"
        stop_health = threading.Event()

        def watch_health() -> None:
            while not stop_health.wait(2.0):
                report.health_checks += 1
                try:
                    status, _ = _get(f"{base}/healthz")
                except OSError:
                    status = 0
                if status != 200:
                    report.health_failures += 1
                if bot.poll() is not None:
                    report.alive = False

        try:
            deadline = time.monotonic() + 60
            while not db.polled_all(feeds):
                assert bot.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, "not every feed was polled once within 60 s"
                time.sleep(0.2)
            say(f"  every feed polled once after {time.monotonic() - started:.1f}s; publishing")
            health = threading.Thread(target=watch_health, daemon=True)
            health.start()
            number = 0
            hangs_left = hangs
            publish_until = time.monotonic() + seconds
            next_story = time.monotonic()
            next_fault = time.monotonic() + chat_fault_every
            while time.monotonic() < publish_until:
                now = time.monotonic()
                if now >= next_story:
                    feed = rng.randrange(feeds)
                    story = make_story(rng, number, rng.choice(list(CHANNELS)))
                    stories[feed].append(story)
                    server.serve(f"/feed-{feed:02d}.xml", feed_document(feed, stories[feed]))
                    number += 1
                    next_story = now + rng.uniform(0.5, 1.5) * story_every
                if now >= next_fault:
                    hangs_left = inject_chat_fault(standin, rng, report, hangs_left)
                    next_fault = now + rng.uniform(0.5, 1.5) * chat_fault_every
                if bot.poll() is not None:
                    report.alive = False
                    break
                time.sleep(0.05)
            say(f"  {number} stories published; draining")
            everything = [s for items in stories.values() for s in items]
            report.expected = len(everything)
            drain_until = time.monotonic() + drain_seconds
            while time.monotonic() < drain_until and bot.poll() is None:
                outbox = db.outbox()
                shown = sum(len(standin.posted(c)) for c in CHANNELS)
                if shown >= len(everything) and not outbox.get("pending") and not outbox.get("claimed"):
                    break
                time.sleep(0.3)
            time.sleep(2.0)  # a couple more ticks: nothing else may arrive
            if bot.poll() is None:
                report.peak_memory_mb = peak_memory_mb(bot.pid)
                metrics = _get(f"{base}/metrics")[1]
                report.polls = _counter(metrics, "newsbot_polls_total")
                report.deliveries = _counter(metrics, "newsbot_deliveries_total")
            else:
                report.alive = False
        finally:
            stop_health.set()
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(40)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
        report.requests = server.requests()
        report.faults = Counter({str(k): v for k, v in server.by_fault().items() if k is not Fault.OK})
        report.private_hits = len(server.private_hits)
        report.outbox = dict(db.outbox())
        count_messages(standin, db, everything, report)
    logged = log.read_text(errors="replace")
    for line in logged.splitlines():
        if " WARNING bot.pipeline: " not in line:
            continue
        kind = next((name for name, pattern in FAILURE_KINDS if pattern.search(line)), "other")
        report.failures[kind] += 1
    report.tracebacks = logged.count("Traceback")
    report.resends_avoided = logged.count("not posting it again")
    report.seconds = time.monotonic() - started
    return report


def count_messages(standin: FaultySlack, db: Database, stories: list[Story], report: SoakReport) -> None:
    """Each published story must be in its channel once: messages are traced to their entry through
    the alert id in their metadata, so a mangled text cannot hide a double."""
    entry_of = {
        f"newsbot-alert-{alert_id}": key
        for alert_id, key in db.query(
            "SELECT alerts.id, entries.key FROM alerts JOIN entries ON entries.id = alerts.entry_id"
        )
    }
    seen: Counter[tuple[str, str]] = Counter()
    for channel in CHANNELS:
        for message in standin.posted(channel):
            key = str(((message.get("metadata") or {}).get("event_payload") or {}).get("key"))
            entry = entry_of.get(key)
            if entry is None:
                report.unexpected.append(f"{channel}: {message.get('text', '')[:80]!r} ({key})")
                continue
            seen[(channel, entry)] += 1
    wanted = {(s.channel, s.guid) for s in stories}
    for (channel, entry), copies in seen.items():
        if (channel, entry) not in wanted:
            report.unexpected.append(f"{channel}: entry {entry}")
        report.duplicated += copies - 1
    for channel, guid in sorted(wanted):
        if seen[(channel, guid)]:
            report.delivered += 1
        else:
            report.lost.append(f"{channel}: {guid}")


def test_under_feed_and_chat_faults_nothing_is_lost_doubled_or_let_in(tmp_path: Path) -> None:
    report = run_soak(tmp_path, seed=int(os.environ.get("NEWSBOT_SOAK_SEED", SEED)))
    print("\n" + report.summary())
    assert report.alive and report.health_failures == 0, report.summary()
    assert sum(report.polls.values()) >= 200, report.summary()
    assert report.lost == [] and report.unexpected == [], report.summary()
    assert report.duplicated == 0, report.summary()
    assert report.delivered == report.expected > 20
    assert report.private_hits == 0, "a redirect reached a private address"
    assert 0 < report.peak_memory_mb < 400, report.summary()
    injected = {kind for kind, n in report.faults.items() if n}
    assert injected == {str(f) for f in FAULTS}, injected  # every fault kind was exercised
    assert report.seconds < 100
