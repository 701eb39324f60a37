"""One story, one thread: three feeds, five entries, two stories, through the console and the store."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

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
