"""One story, one thread: three feeds, five entries, two stories, through the console and the store."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import select

from bot.ingest.fetch import Fetcher
from bot.pipeline import Pipeline
from bot.runtime import fetch_policy
from bot.settings import Settings
from bot.store.db import Store
from bot.store.rows import NewSubscription
from bot.store.schema import alerts
from tests.conftest import FIXTURES
from tests.e2e.test_run_once import _config, newsbot
from tests.feedserver import EMPTY_FEED, feed_server


def rss(title: str, items: list[tuple[str, str, str, datetime]]) -> str:
    """An RSS 2.0 document with (guid, title, description, published) items."""
    body = "".join(
        f"<item><title>{escape(t)}</title><link>https://news.example/{guid}</link>"
        f'<guid isPermaLink="false">{guid}</guid><pubDate>{format_datetime(when)}</pubDate>'
        f"<description>{escape(text)}</description></item>"
        for guid, t, text, when in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>https://news.example/</link><description>test</description>{body}</channel></rss>"
    )


def test_five_entries_of_two_stories_make_two_threads_with_edited_parents(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    seed = (FIXTURES / "seed-feed.xml").read_text(encoding="utf-8")
    seed = seed.replace("Tue, 29 Oct 2024 06:12:00 +0100", format_datetime(now - timedelta(minutes=50)))
    wire = rss(
        "Wire English",
        [
            (
                "wire-troops",
                "10,000 North Korean troops in Russia, Pentagon says",
                "About 10,000 North Korean soldiers have been sent to eastern Russia for training, the "
                "Pentagon said, and could reinforce Russian forces near Ukraine in the coming weeks.",
                now - timedelta(minutes=40),
            ),
            (
                "wire-jackson",
                "Civil rights leader Jesse Jackson dies aged 84",
                "Jesse Jackson, the American civil rights activist and two-time presidential candidate, "
                "has died at the age of 84, his family said in a statement.",
                now - timedelta(minutes=30),
            ),
        ],
    )
    daily = rss(
        "Tageszeitung",
        [
            (
                "daily-nato",
                "NATO bestätigt Entsendung nordkoreanischer Truppen",
                "NATO-Generalsekretär Mark Rutte hat bestätigt, dass nordkoreanische Truppen nach Russland "
                "entsandt worden sind. Einige der Soldaten seien bereits in der russischen Region Kursk im "
                "Einsatz. „Das ist eine erhebliche Eskalation“, sagte Rutte.",
                now - timedelta(minutes=20),
            ),
            (
                "daily-jackson",
                "Jesse Jackson, veteran US civil rights activist, dies at 84",
                "The civil rights leader Jesse Jackson, a close ally of Martin Luther King and twice a "
                "candidate for the presidency, died at 84, his family announced.",
                now - timedelta(minutes=10),
            ),
        ],
    )
    with feed_server() as server:
        for path in ("/a.xml", "/b.xml", "/c.xml"):
            server.serve(path, EMPTY_FEED)
        config = _config(
            tmp_path,
            server,
            "/a.xml",
            "/b.xml",
            "/c.xml",
            topics=("Nordkorea | North Korea", "Jesse Jackson"),
        )
        (tmp_path / "newsbot.toml").write_text(
            config.read_text() + "[alerts]\nedit_interval_seconds = 0\n", encoding="utf-8"
        )
        assert newsbot("--config", str(config), "run", "--once").returncode == 0
        server.serve("/a.xml", seed)
        server.serve("/b.xml", wire)
        server.serve("/c.xml", daily)
        run = newsbot("--config", str(config), "run", "--once")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    parents = [line for line in lines if re.match(r"^\[(Nordkorea|Jesse Jackson)\] ", line)]
    assert parents == [
        "[Nordkorea] Krieg gegen die Ukraine Offenbar 10.000 Soldaten aus Nordkorea in Russland",
        "[Jesse Jackson] Civil rights leader Jesse Jackson dies aged 84",
    ]
    followups = [line for line in lines if line.startswith("    ↳ ")]
    assert followups == ["    ↳ [Nordkorea] NATO bestätigt Entsendung nordkoreanischer Truppen"]
    edits = [line for line in lines if line.startswith("(updated)")]
    assert any("[Nordkorea]" in e and "+2 sources: Wire English, Tageszeitung" in e for e in edits), edits
    assert any("[Jesse Jackson]" in e and "+1 source: Tageszeitung" in e for e in edits), edits
    # the follow-up is printed after its parent, indented under it
    assert lines.index(followups[0]) > lines.index(parents[0])


def test_with_two_console_channels_every_line_names_its_channel_and_a_reply_its_alert(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    seed = (FIXTURES / "seed-feed.xml").read_text(encoding="utf-8")
    seed = seed.replace("Tue, 29 Oct 2024 06:12:00 +0100", format_datetime(now - timedelta(minutes=50)))
    daily = rss(
        "Tageszeitung",
        [
            (
                "daily-nato",
                "NATO bestätigt Entsendung nordkoreanischer Truppen",
                "NATO-Generalsekretär Mark Rutte hat bestätigt, dass nordkoreanische Truppen nach Russland "
                "entsandt worden sind. Einige der Soldaten seien bereits in der russischen Region Kursk im "
                "Einsatz. „Das ist eine erhebliche Eskalation“, sagte Rutte.",
                now - timedelta(minutes=20),
            ),
        ],
    )
    with feed_server() as server:
        for path in ("/a.xml", "/c.xml"):
            server.serve(path, EMPTY_FEED)
        config = _config(tmp_path, server, "/a.xml", "/c.xml", topics=())
        (tmp_path / "newsbot.toml").write_text(
            config.read_text()
            + '[[subscriptions]]\nchannel = "console:korea"\ntopic = "Nordkorea | North Korea"\n'
            + '[[subscriptions]]\nchannel = "console:defence"\ntopic = "Pentagon"\n',
            encoding="utf-8",
        )
        assert newsbot("--config", str(config), "run", "--once").returncode == 0
        server.serve("/a.xml", seed)
        server.serve("/c.xml", daily)
        run = newsbot("--config", str(config), "run", "--once")
    assert run.returncode == 0, run.stderr
    text = [line for line in run.stdout.splitlines() if line.strip() and not set(line) <= {"─"}]
    assert text and all(line.startswith(("console:korea │ ", "console:defence │ ")) for line in text), text
    headline = "Krieg gegen die Ukraine Offenbar 10.000 Soldaten aus Nordkorea in Russland"
    assert f"console:defence │ [Pentagon] {headline}" in text
    reply = text.index("console:korea │     ↳ [Nordkorea] NATO bestätigt Entsendung nordkoreanischer Truppen")
    assert text[reply + 1] == f"console:korea │     in reply to: {headline}"
    assert text.index(f"console:korea │ [Nordkorea] {headline}") < reply
    # the report without the word "Pentagon" is not shown in the Pentagon channel's thread
    assert not any(line.startswith("console:defence │     ↳") for line in text)


QUAKE_DE = (
    "tb-quake",
    "Schweres Erdbeben in Marokko: mehr als 820 Tote",
    "Ein Erdbeben der Stärke 6,8 hat in der Nacht das Atlasgebirge südlich von Marrakesch erschüttert. "
    "Nach Angaben des Innenministeriums kamen mindestens 820 Menschen ums Leben, Hunderte wurden verletzt.",
)
QUAKE_EN = (
    "ww-quake",
    "Morocco earthquake: death toll passes 820 as rescuers search Atlas villages",
    "A magnitude 6.8 earthquake struck the Atlas mountains south of Marrakesh overnight, killing at "
    "least 820 people, the interior ministry said; hundreds more were injured.",
)
TRAP_EN = (
    "ww-football",
    "Morocco beat Portugal to reach the World Cup semi-final",
    "Morocco's national team beat Portugal 1-0 in Doha on Saturday, the first African side to reach "
    "the last four of the tournament.",
)


def _alert_rows(store: Store) -> list[tuple[str, str, str | None, dict[str, object]]]:
    """(channel, kind, story, payload) of every outbox row, in the order written."""
    with store.engine.connect() as conn:
        query = select(alerts.c.channel, alerts.c.kind, alerts.c.story, alerts.c.payload)
        return [(r.channel, r.kind, r.story, r.payload) for r in conn.execute(query.order_by(alerts.c.id))]


def test_an_english_report_an_hour_after_a_german_alert_joins_its_thread_and_a_country_alone_does_not(
    sqlite_store: Store, tmp_path: Path
) -> None:
    start = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    config = Settings(
        data_dir=tmp_path,
        # no article pages: the items link to hosts that do not exist
        fetch={"allow_private_hosts": ["127.0.0.1"], "timeout_seconds": 5, "full_text_below_chars": 0},
        alerts={"edit_interval_seconds": 0},
    )
    with feed_server() as server:
        for path in ("/tagesblatt.xml", "/wire.xml"):
            server.serve(path, EMPTY_FEED)
            sqlite_store.add_feed(server.url(path), None, start)
        # one channel takes every language, one only German; the same topic in both
        for channel, lang in (("console", None), ("console:de", "de")):
            sqlite_store.add_subscription(
                NewSubscription(channel, "Marokko", "Marokko | Morocco", None, None, lang=lang), start
            )

        async def cycles() -> None:
            async with Fetcher(fetch_policy(config)) as fetcher:
                await Pipeline(config, sqlite_store, fetcher).run_cycle(start, every_feed=True)
                german = start + timedelta(minutes=10)
                server.serve("/tagesblatt.xml", rss("Tagesblatt", [(*QUAKE_DE, german)]))
                await Pipeline(config, sqlite_store, fetcher).run_cycle(german, every_feed=True)
                # an hour later, after a restart: story grouping is rebuilt from the stored features
                english = german + timedelta(hours=1)
                server.serve("/wire.xml", rss("World Wire", [(*QUAKE_EN, english), (*TRAP_EN, english)]))
                await Pipeline(config, sqlite_store, fetcher).run_cycle(english, every_feed=True)

        asyncio.run(cycles())
    rows = _alert_rows(sqlite_store)
    parents = {(channel, p["title"]): story for channel, kind, story, p in rows if kind == "alert"}
    quake = parents[("console", QUAKE_DE[1])]
    # the English report is a reply in the German alert's thread, and the parent lists both outlets
    replies = [(c, p["title"], s) for c, kind, s, p in rows if kind == "followup"]
    assert ("console", QUAKE_EN[1], quake) in replies
    edits = [p for c, kind, s, p in rows if kind == "edit" and c == "console" and s == quake]
    assert edits and set(edits[-1]["sources"]) == {"Tagesblatt", "World Wire"}
    # the football result shares only the country: an alert of its own
    assert parents[("console", TRAP_EN[1])] != quake
    # the German channel gets only German alerts, in the same story as the other channel
    german_rows = [(kind, p["title"], s) for c, kind, s, p in rows if c == "console:de" and kind != "edit"]
    assert german_rows == [("alert", QUAKE_DE[1], quake)]
