"""Crash test: `newsbot serve` killed with SIGKILL at random moments, again and again.

The bot runs as a real process against three feeds on loopback and the Slack stand-in, with
subscriptions in two Slack channels. Its feeds gain entries over time: five stories in six
phases, each story reported first by one outlet, then the same news by another (an edit of the
parent) and new developments by a third (replies in the parent's thread). Between phases the bot is
killed, uncleanly, at a random time 0.3–3 s after each start: while it starts, while it fetches
(the feed server answers slowly), while it writes a poll, and between a message reaching Slack and
the bot recording it (the stand-in answers chat.postMessage slowly, after storing the message).

A phase is published once the previous phase's entries are stored, so the expected messages are
fixed: after a last run is allowed to finish delivering, each channel must hold every expected
alert and reply exactly once, replies in their parent's thread, in the order the outbox wrote them,
and every parent must name every outlet that reported its story.

`bench/crash.py --kills N` runs the same scenario longer.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from tests.faultserver import FaultServer, FaultySlack, fault_server, faulty_slack
from tests.slack_standin import BOT_TOKEN, SIGNING_SECRET

BOT_COMMAND = [sys.executable, "-m", "bot"]  # bench/crash.py --command can run another entry point
SEED = 20240917
KILLS = 50

FEEDS = {"a": "Agentur Alpha", "b": "Blatt Bravo", "c": "Courier Charlie"}
TOPICS = {
    "Nordkorea | North Korea": "nk",
    "Jesse Jackson": "jj",
    "Valencia": "va",
    "Bahnstreik | GDL": "gdl",
    "Boeing": "bo",
}
CHANNELS = {"C0CRASHA": tuple(TOPICS), "C0CRASHB": ("Jesse Jackson", "Valencia")}


@dataclass(frozen=True)
class Report:
    """One entry of a story: `relation` is what story grouping must make of it."""

    feed: str
    guid: str  # "<story>-<n>"; the story's first report is "<story>-1"
    title: str
    text: str
    relation: str  # new (a parent alert), same (an edit of the parent) or followup (a thread reply)

    @property
    def story(self) -> str:
        return self.guid.split("-")[0]


PHASES: list[list[Report]] = [
    [
        Report(
            "a",
            "nk-1",
            "Offenbar 10.000 Soldaten aus Nordkorea in Russland",
            "Das US-Pentagon spricht von etwa 10.000 nordkoreanischen Soldaten zur Unterstützung Russlands. "
            "„Wir gehen davon aus, dass Nordkorea insgesamt etwa 10.000 Soldaten zur Ausbildung nach "
            "Ostrussland geschickt hat“, sagte die Pentagon-Sprecherin Sabrina Singh.",
            "new",
        ),
        Report(
            "b",
            "jj-1",
            "Civil rights leader Jesse Jackson dies aged 84",
            "Jesse Jackson, the American civil rights activist and two-time presidential candidate, "
            "has died at the age of 84, his family said in a statement.",
            "new",
        ),
    ],
    [
        Report(
            "b",
            "nk-2",
            "10,000 North Korean troops in Russia, Pentagon says",
            "About 10,000 North Korean soldiers have been sent to eastern Russia for training, the "
            "Pentagon said, and could reinforce Russian forces near Ukraine in the coming weeks.",
            "same",
        ),
        Report(
            "c",
            "va-1",
            "Unwetter in Spanien: Mindestens 95 Tote in Valencia",
            "Nach heftigen Regenfällen sind in der Region Valencia mindestens 95 Menschen ums Leben "
            "gekommen. Ministerpräsident Pedro Sánchez rief drei Tage Staatstrauer aus.",
            "new",
        ),
    ],
    [
        Report(
            "c",
            "nk-3",
            "NATO bestätigt Entsendung nordkoreanischer Truppen",
            "NATO-Generalsekretär Mark Rutte hat bestätigt, dass nordkoreanische Truppen nach Russland "
            "entsandt worden sind. Einige der Soldaten seien bereits in der russischen Region Kursk im "
            "Einsatz. „Das ist eine erhebliche Eskalation“, sagte Rutte.",
            "followup",
        ),
        Report(
            "a",
            "gdl-1",
            "GDL kündigt Bahnstreik ab Donnerstag an",
            "Die Lokführergewerkschaft GDL hat einen bundesweiten Bahnstreik bei der Deutschen Bahn "
            "angekündigt. Der Streik im Personenverkehr soll am Donnerstag um 2 Uhr beginnen und 35 Stunden "
            "dauern, sagte GDL-Chef Claus Weselsky.",
            "new",
        ),
    ],
    [
        Report(
            "c",
            "jj-2",
            "Jesse Jackson, veteran US civil rights activist, dies at 84",
            "The civil rights leader Jesse Jackson, a close ally of Martin Luther King and twice a "
            "candidate for the presidency, died at 84, his family announced.",
            "same",
        ),
        Report(
            "b",
            "va-2",
            "Death toll in Valencia floods rises to 158",
            "The number of people killed by flash floods in the Valencia region has risen to 158, "
            "emergency services said. King Felipe and Queen Letizia visited Paiporta on Sunday.",
            "followup",
        ),
        Report(
            "b",
            "bo-1",
            "Boeing machinists vote to end seven-week strike",
            "Boeing factory workers voted to accept a contract with a 38% raise over four years, "
            "ending a strike by 33,000 machinists in Seattle that halted production of the 737 MAX.",
            "new",
        ),
    ],
    [
        Report(
            "a",
            "jj-3",
            "Civil rights leader Jesse Jackson mourned in Chicago",
            "Thousands of mourners gathered in Chicago for the funeral of Jesse Jackson. "
            "Former president Barack Obama and the Reverend Al Sharpton spoke at the service.",
            "followup",
        ),
        Report(
            "b",
            "gdl-2",
            "Deutsche Bahn and GDL union reach deal to end rail strikes",
            "Deutsche Bahn and the GDL train drivers' union led by Claus Weselsky reached an agreement, "
            "mediated by Daniel Günther and Thomas de Maizière, introducing a 35-hour week by 2029.",
            "followup",
        ),
    ],
    [
        Report(
            "c",
            "bo-2",
            "Boeing machinists accept contract, ending strike",
            "Boeing factory workers in Seattle voted to accept a contract with a 38% raise over four years, "
            "ending the strike by 33,000 machinists that halted production of the 737 MAX.",
            "same",
        ),
        Report(
            "a",
            "bo-3",
            "Boeing to cut 17,000 jobs after machinists' strike",
            "After the strike by 33,000 machinists in Seattle, Boeing chief executive Kelly Ortberg said "
            "the company will cut 17,000 jobs, about ten percent of its workforce.",
            "followup",
        ),
        Report(
            "c",
            "va-3",
            "Valencia: Tausende protestieren gegen Regionalpräsident Carlos Mazón",
            "In Valencia haben 130.000 Menschen gegen Regionalpräsident Carlos Mazón demonstriert, "
            "dem sie zu späte Warnungen vor der Flut vorwerfen.",
            "followup",
        ),
    ],
]


@dataclass(frozen=True)
class Expected:
    """A message a channel must show exactly once."""

    report: Report
    phase: int
    parent: Report | None  # the story's first report, for replies


def expected_messages() -> dict[str, list[Expected]]:
    """Per channel, the messages the scenario must produce, in phase order."""
    firsts = {r.story: r for phase in PHASES for r in phase if r.relation == "new"}
    topic_of = {story: topic for topic, story in TOPICS.items()}
    wanted: dict[str, list[Expected]] = {channel: [] for channel in CHANNELS}
    for number, phase in enumerate(PHASES):
        for report in phase:
            if report.relation == "same":
                continue
            for channel, topics in CHANNELS.items():
                if topic_of[report.story] not in topics:
                    continue
                parent = None if report.relation == "new" else firsts[report.story]
                wanted[channel].append(Expected(report, number, parent))
    return wanted


def rss(feed: str, reports: list[tuple[Report, datetime]]) -> str:
    items = "".join(
        f"<item><title>{escape(r.title)}</title><link>https://{feed}.example/{r.guid}</link>"
        f'<guid isPermaLink="false">crash-{r.guid}</guid><pubDate>{format_datetime(when)}</pubDate>'
        f"<description>{escape(r.text)}</description></item>"
        for r, when in reversed(reports)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{FEEDS[feed]}</title>'
        f"<link>https://{feed}.example/</link><description>crash test</description>{items}</channel></rss>"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(workdir: Path, feeds: FaultServer, extra: str = "") -> Path:
    lines = [
        f'data_dir = "{workdir / "data"}"',
        "[fetch]",
        'allow_private_hosts = ["127.0.0.1"]',
        "timeout_seconds = 5",
        "full_text_below_chars = 0",
        "[schedule]",
        "tick_seconds = 1",
        "min_interval_seconds = 1",
        "max_interval_seconds = 2",
        "[alerts]",
        "edit_interval_seconds = 0",
    ]
    for feed in FEEDS:
        lines += ["[[feeds]]", f'url = "{feeds.url(f"/{feed}.xml")}"']
    for channel, topics in CHANNELS.items():
        for topic in topics:
            lines += ["[[subscriptions]]", f'channel = "slack:{channel}"', f'topic = "{topic}"']
    config = workdir / "newsbot.toml"
    config.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return config


def start_bot(config: Path, standin: FaultySlack, log: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "SLACK_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, NEWSBOT_SLACK_API_URL=standin.api_url
    )
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [*BOT_COMMAND, "--config", str(config), "serve", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
        )


class Database:
    """The bot's SQLite file, read-only, as the test sees progress."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        if not self.path.exists():
            return []
        try:
            with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10) as conn:
                return list(conn.execute(sql, args))
        except sqlite3.OperationalError:
            return []  # not created or not migrated yet

    def polled_all(self, count: int = len(FEEDS)) -> bool:
        """Whether all `count` feeds had a successful poll (their first poll's entries never alert)."""
        rows = self.query("SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL")
        return bool(rows) and rows[0][0] == count

    def stored(self, guids: list[str]) -> bool:
        keys = {f"crash-{g}" for g in guids}
        rows = self.query("SELECT key FROM entries")
        return keys <= {key for (key,) in rows}

    def outbox(self) -> Counter[str]:
        return Counter(status for (status,) in self.query("SELECT status FROM alerts"))

    def sent_order(self, channel: str) -> list[str]:
        """The ts of the channel's alerts and replies in outbox (id) order."""
        rows = self.query(
            "SELECT message_id FROM alerts WHERE channel = ? AND kind IN ('alert', 'followup') "
            "AND status = 'sent' ORDER BY id",
            f"slack:{channel}",
        )
        return [str(message_id).partition(":")[2] for (message_id,) in rows]


@dataclass
class CrashReport:
    seed: int
    kills: int = 0
    runs: int = 0
    exits: list[str] = field(default_factory=list)  # runs that ended before they were killed
    phases_released: int = 0
    expected: int = 0
    delivered: int = 0  # expected messages found at least once
    duplicated: int = 0  # copies beyond the first
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    misthreaded: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    stale_parents: list[str] = field(default_factory=list)  # parents not naming every outlet
    outbox: dict[str, int] = field(default_factory=dict)
    resend_checks: int = 0  # conversations.history/replies lookups the bot made
    tracebacks: int = 0
    resends_avoided: int = 0  # times the bot found its unconfirmed message in Slack and did not repost
    seconds: float = 0.0

    def problems(self) -> list[str]:
        found = [f"{len(self.exits)} runs exited by themselves: {self.exits[:3]}"] if self.exits else []
        if self.phases_released < len(PHASES):
            found.append(f"only {self.phases_released} of {len(PHASES)} phases were published")
        for name in ("missing", "unexpected", "misthreaded", "out_of_order", "stale_parents"):
            items = getattr(self, name)
            if items:
                found.append(f"{name}: {items}")
        if self.duplicated:
            found.append(f"{self.duplicated} duplicated messages")
        left = {k: v for k, v in self.outbox.items() if k not in ("sent",)}
        if left:
            found.append(f"outbox not drained: {left}")
        if self.tracebacks:
            found.append(f"{self.tracebacks} tracebacks in the log")
        return found

    def summary(self) -> str:
        return (
            f"seed {self.seed}: {self.kills} kills in {self.runs} runs, {self.seconds:.0f}s; "
            f"alerts expected {self.expected}, delivered {self.delivered}, duplicated {self.duplicated}, "
            f"missing {len(self.missing)}, misthreaded {len(self.misthreaded)}, "
            f"out of order {len(self.out_of_order)}, unexpected {len(self.unexpected)}; "
            f"resend checks {self.resend_checks}, resends avoided {self.resends_avoided}; "
            f"outbox {dict(self.outbox)}"
        )


def header(message: dict[str, Any]) -> str:
    blocks = message.get("blocks") or []
    if not blocks:
        return ""
    text = blocks[0].get("text") or {}
    return str(text.get("text", ""))


def check_channels(standin: FaultySlack, db: Database, report: CrashReport) -> None:
    """Compare what each channel shows with what it must show."""
    for channel, wanted in expected_messages().items():
        report.expected += len(wanted)
        posted = [m for m in standin.posted(channel) if m.get("blocks")]
        by_title: dict[str, list[dict[str, Any]]] = {}
        for message in posted:
            match = [e for e in wanted if header(message).endswith(escape(e.report.title))]
            if not match:
                report.unexpected.append(f"{channel}: {header(message)!r}")
                continue
            by_title.setdefault(match[0].report.guid, []).append(message)
        keys = Counter(str(((m.get("metadata") or {}).get("event_payload") or {}).get("key")) for m in posted)
        report.duplicated += sum(n - 1 for n in keys.values() if n > 1)
        ts_of: dict[str, str] = {}
        for item in wanted:
            copies = by_title.get(item.report.guid, [])
            if not copies:
                report.missing.append(f"{channel}: {item.report.guid}")
                continue
            report.delivered += 1
            report.duplicated += len(copies) - 1
            ts_of[item.report.guid] = copies[0]["ts"]
        for item in wanted:
            copy = by_title.get(item.report.guid, [None])[0]
            if copy is None:
                continue
            thread = copy.get("thread_ts")
            if item.parent is None and thread:
                report.misthreaded.append(f"{channel}: parent {item.report.guid} is in thread {thread}")
            if item.parent is not None and (thread is None or thread != ts_of.get(item.parent.guid)):
                report.misthreaded.append(
                    f"{channel}: {item.report.guid} in thread {thread}, not {item.parent.guid}'s"
                )
        # the channel shows messages in the outbox's order, and no phase before an earlier one
        shown = [m["ts"] for m in posted]
        if shown != db.sent_order(channel) and not report.duplicated:
            report.out_of_order.append(f"{channel}: shown {shown}, outbox {db.sent_order(channel)}")
        phase_of = {e.report.guid: e.phase for e in wanted}
        first_ts = {copies[0]["ts"]: guid for guid, copies in by_title.items()}
        phases = [phase_of[first_ts[m["ts"]]] for m in posted if m["ts"] in first_ts]
        if phases != sorted(phases):
            report.out_of_order.append(f"{channel}: phases in the order {phases}")
        # every parent names every outlet that reported its story (the edits were not lost)
        outlets: dict[str, set[str]] = {}
        for phase in PHASES:
            for r in phase:
                outlets.setdefault(r.story, set()).add(FEEDS[r.feed])
        for item in wanted:
            copy = by_title.get(item.report.guid, [None])[0]
            if item.parent is None and copy is not None:
                shown_text = str(copy.get("blocks"))
                absent = sorted(o for o in outlets[item.report.story] if o not in shown_text)
                if absent:
                    report.stale_parents.append(f"{channel}: {item.report.guid} lacks {absent}")


def run_crash(
    workdir: Path,
    *,
    kills: int = KILLS,
    seed: int = SEED,
    life: tuple[float, float] = (0.3, 3.0),
    finish_seconds: float = 120.0,
    say: Callable[[str], None] = print,
) -> CrashReport:
    """The scenario of the module docstring; returns what was found (the caller asserts)."""
    started = time.monotonic()
    rng = random.Random(seed)
    report = CrashReport(seed=seed)
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "serve.log"
    db = Database(workdir / "data" / "newsbot.sqlite")
    published: dict[str, list[tuple[Report, datetime]]] = {feed: [] for feed in FEEDS}
    spacing = max(1, kills // (len(PHASES) + 3))
    with (
        fault_server(seed=seed, delay=(0.0, 0.3)) as feeds,
        faulty_slack(seed=seed, post_delay=(0.0, 0.4)) as standin,
    ):
        for channel in CHANNELS:
            standin.add_channel(channel)
        for feed in FEEDS:
            feeds.serve(f"/{feed}.xml", rss(feed, []))
        config = write_config(workdir, feeds)

        def publish_when_ready() -> None:
            number = report.phases_released
            if number >= len(PHASES):
                return
            ready = db.polled_all() if number == 0 else db.stored([r.guid for r in PHASES[number - 1]])
            if not ready:
                return
            now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
            for r in PHASES[number]:
                published[r.feed].append((r, now))
            for feed, items in published.items():
                feeds.serve(f"/{feed}.xml", rss(feed, items))
            report.phases_released += 1
            say(f"  phase {number} published after {report.kills} kills")

        next_release = spacing
        while report.kills < kills:
            port = free_port()
            with log.open("ab") as out:
                out.write(f"\n=== run {report.runs + 1}\n".encode())
            bot = start_bot(config, standin, log, port)
            report.runs += 1
            lifetime = rng.uniform(*life)
            try:
                bot.wait(lifetime)
                report.exits.append(f"run {report.runs} exited with {bot.returncode}")
            except subprocess.TimeoutExpired:
                bot.send_signal(signal.SIGKILL)
                bot.wait()
                report.kills += 1
            if report.kills >= next_release:
                before = report.phases_released
                publish_when_ready()
                if report.phases_released > before:
                    next_release = report.kills + spacing

        # a last run may finish: publish what is left, deliver everything
        say(f"  {report.kills} kills done; letting a last run finish")
        port = free_port()
        with log.open("ab") as out:
            out.write(b"\n=== last run\n")
        bot = start_bot(config, standin, log, port)
        report.runs += 1
        wanted = sum(len(v) for v in expected_messages().values())
        deadline = time.monotonic() + finish_seconds
        quiet_since: float | None = None
        while time.monotonic() < deadline and bot.poll() is None:
            publish_when_ready()
            outbox = db.outbox()
            shown = sum(len([m for m in standin.posted(c) if m.get("blocks")]) for c in CHANNELS)
            done = (
                report.phases_released == len(PHASES)
                and shown >= wanted
                and not outbox.get("pending")
                and not outbox.get("claimed")
            )
            if done and quiet_since is None:
                quiet_since = time.monotonic()
            elif not done:
                quiet_since = None
            if quiet_since is not None and time.monotonic() - quiet_since > 3.0:
                break  # three more ticks and nothing else arrived
            time.sleep(0.2)
        if bot.poll() is not None:
            report.exits.append(f"the last run exited with {bot.returncode}")
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(30)
        except subprocess.TimeoutExpired:
            bot.kill()
            bot.wait()
            report.exits.append("the last run did not stop on SIGTERM")
        report.outbox = dict(db.outbox())
        report.resend_checks = len(standin.calls_to("conversations.history")) + len(
            standin.calls_to("conversations.replies")
        )
        check_channels(standin, db, report)
    logged = log.read_text(errors="replace")
    report.tracebacks = logged.count("Traceback")
    report.resends_avoided = logged.count("not posting it again")
    report.seconds = time.monotonic() - started
    return report


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> CrashReport:
    """One run of the scenario (about two minutes), shared by the tests below."""
    seed = int(os.environ.get("NEWSBOT_CRASH_SEED", SEED))
    print(f"\ncrash test seed {seed} (set NEWSBOT_CRASH_SEED to try another)")
    report = run_crash(tmp_path_factory.mktemp("crash"), kills=KILLS, seed=seed)
    print(report.summary())
    return report


def test_sigkill_at_random_moments_loses_doubles_and_reorders_no_alert(crashed: CrashReport) -> None:
    assert crashed.kills >= KILLS and not crashed.exits, crashed.exits
    assert crashed.seconds < 240, crashed.summary()
    assert crashed.phases_released == len(PHASES), crashed.summary()
    assert crashed.missing == [], crashed.summary()
    assert crashed.duplicated == 0, crashed.summary()
    assert crashed.delivered == crashed.expected
    assert crashed.out_of_order == [], crashed.out_of_order
    assert crashed.outbox == {"sent": crashed.outbox.get("sent", 0)}, crashed.outbox


def test_after_restarts_followups_stay_in_their_parents_thread(crashed: CrashReport) -> None:
    assert crashed.misthreaded == [], crashed.misthreaded
    assert crashed.unexpected == [], crashed.unexpected
    assert crashed.stale_parents == [], crashed.stale_parents
