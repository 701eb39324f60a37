"""`newsbot run` with Matrix settings, against a real Synapse and a local feed server.

What a room sees: the bot joins on invite, a subscription is answered, the seed story arrives as an
HTML alert with its figure and quote, a later development arrives in the alert's thread, the alert
is edited with the other sources, and a restart in the middle of a delivery posts nothing twice.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES
from tests.e2e.test_story_threads import rss
from tests.feedserver import EMPTY_FEED, FeedServer, feed_server
from tests.synapse import MatrixUser, Synapse, request, synapse

__all__ = ["synapse"]

PARENT_TITLE = "Krieg gegen die Ukraine Offenbar 10.000 Soldaten aus Nordkorea in Russland"


def config_file(tmp_path: Path, server: FeedServer) -> Path:
    lines = [
        f'data_dir = "{tmp_path / "data"}"',
        "[fetch]",
        'allow_private_hosts = ["127.0.0.1"]',
        "timeout_seconds = 5",
        "full_text_below_chars = 0",  # no article pages: the test's network is loopback only
        "[schedule]",
        "tick_seconds = 1",
        "min_interval_seconds = 1",
        "max_interval_seconds = 2",
        "[alerts]",
        "edit_interval_seconds = 0",
    ]
    for path in ("/a.xml", "/b.xml", "/c.xml"):
        lines += ["[[feeds]]", f'url = "{server.url(path)}"']
    config = tmp_path / "newsbot.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def bot_env(synapse: Synapse, bot: MatrixUser, **secrets: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(NEWSBOT_MATRIX_HOMESERVER=synapse.base_url, NEWSBOT_MATRIX_USER=bot.user_id)
    env.update(secrets or {"NEWSBOT_MATRIX_PASSWORD": bot.password})
    return env


@contextmanager
def running_bot(config: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "run"],
            stdout=sink,
            stderr=sink,
            env=env,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(condition: Any, what: str, timeout: float = 30.0, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            detail = log.read_text(errors="replace")[-3000:] if log else ""
            raise AssertionError(f"timed out waiting for {what}\n{detail}")
        time.sleep(0.2)


def from_bot(bot: MatrixUser, room: str, user: MatrixUser) -> list[dict[str, Any]]:
    return [e for e in user.messages(room) if e["sender"] == bot.user_id]


def test_newsbot_run_posts_alerts_threads_and_edits_in_a_matrix_room_and_survives_a_restart(
    synapse: Synapse, tmp_path: Path
) -> None:
    alice = synapse.register("alice")
    bot = synapse.register("newsbot")
    log = tmp_path / "newsbot.log"
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
            )
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
            )
        ],
    )
    with feed_server() as server:
        for path in ("/a.xml", "/b.xml", "/c.xml"):
            server.serve(path, EMPTY_FEED)
        config = config_file(tmp_path, server)
        env = bot_env(synapse, bot)
        room = alice.create_room(invite=(bot.user_id,))
        with running_bot(config, env, log) as process:
            alice.wait_for(room, lambda e: e["sender"] == bot.user_id, what="the bot joining", timeout=40)
            command = alice.say(room, "!news subscribe Nordkorea | North Korea")
            answer = alice.wait_for(
                room,
                lambda e: (
                    e["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == command
                ),
                what="the answer to subscribe",
            )
            assert answer["content"]["msgtype"] == "m.notice"
            assert "Subscribed" in answer["content"]["body"]
            wait_until(
                lambda: all(p in server.requests for p in ("/a.xml", "/b.xml", "/c.xml")),
                "first polls",
                log=log,
            )

            server.serve("/a.xml", seed)  # the story breaks
            parent = alice.wait_for(
                room,
                lambda e: (
                    e["content"].get("body", "").startswith(f"[Nordkorea | North Korea] {PARENT_TITLE}")
                    or e["content"].get("body", "").startswith(f"[Nordkorea] {PARENT_TITLE}")
                ),
                what="the alert",
                timeout=30,
            )
            content = parent["content"]
            assert content["msgtype"] == "m.text" and content["m.mentions"] == {}
            assert "<strong>" in content["formatted_body"] and "10.000 Soldaten" in content["formatted_body"]
            assert "<blockquote>" in content["formatted_body"]
            assert "Wir gehen davon aus, dass Nordkorea" in content["formatted_body"]
            assert "Sabrina Singh" in content["formatted_body"]

            server.serve("/b.xml", wire)  # another outlet: the same report
            server.serve("/c.xml", daily)  # a new development: a follow-up
            followup = alice.wait_for(
                room,
                lambda e: e["content"].get("m.relates_to", {}).get("rel_type") == "m.thread",
                what="the follow-up in the thread",
            )
            assert followup["content"]["m.relates_to"]["event_id"] == parent["event_id"]
            assert "NATO bestätigt Entsendung" in followup["content"]["body"]
            alice.wait_for(
                room,
                lambda e: (
                    e["content"].get("m.relates_to", {}).get("rel_type") == "m.replace"
                    and "+2 sources" in e["content"].get("m.new_content", {}).get("body", "")
                ),
                what="the parent edited with both other sources",
            )
            assert process.poll() is None
        assert process.returncode == 0, log.read_text()[-3000:]

        # A crash between posting the alert and recording it: the outbox row is claimed again.
        database = tmp_path / "data" / "newsbot.sqlite"
        with sqlite3.connect(database) as db:
            (sent_id,) = db.execute(
                "SELECT message_id FROM alerts WHERE kind = 'alert' AND channel = ?", (f"matrix:{room}",)
            ).fetchone()
            db.execute("UPDATE alerts SET status = 'claimed', message_id = NULL WHERE kind = 'alert'")
        assert sent_id == parent["event_id"]
        before = from_bot(bot, room, alice)
        with running_bot(config, env, log):

            def resent() -> bool:
                with sqlite3.connect(database) as db:
                    row = db.execute("SELECT status, message_id FROM alerts WHERE kind = 'alert'").fetchone()
                return bool(row == ("sent", parent["event_id"]))

            wait_until(resent, "the alert to be sent again", log=log)
            late = alice.say(room, "!news list")
            alice.wait_for(
                room,
                lambda e: (
                    e["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == late
                ),
                what="an answer after the restart",
            )
        after = from_bot(bot, room, alice)
        assert len(after) == len(before) + 1  # only the answer to the new command; nothing posted twice
        assert sum(e["content"].get("body", "").startswith("Subscribed") for e in after) == 1
    assert "Traceback" not in log.read_text()
    assert bot.password not in log.read_text()


def test_a_revoked_access_token_stops_newsbot_run_with_a_clear_message(
    synapse: Synapse, tmp_path: Path
) -> None:
    bot = synapse.register("newsbot")
    request(synapse.base_url, "POST", "/_matrix/client/v3/logout", {}, bot.token)
    config = tmp_path / "newsbot.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "run"],
        capture_output=True,
        text=True,
        timeout=60,
        env=bot_env(synapse, bot, NEWSBOT_MATRIX_ACCESS_TOKEN=bot.token),
        check=False,
    )
    assert run.returncode != 0
    assert "revoked" in run.stderr and bot.user_id in run.stderr
    assert "Traceback" not in run.stderr and bot.token not in run.stderr


def test_a_token_revoked_while_the_bot_runs_stops_it_with_a_clear_message(
    synapse: Synapse, tmp_path: Path
) -> None:
    bot = synapse.register("newsbot")
    config = tmp_path / "newsbot.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    log = tmp_path / "bot.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "run"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=bot_env(synapse, bot, NEWSBOT_MATRIX_ACCESS_TOKEN=bot.token),
        )
        try:
            wait_until(
                lambda: "listening for !news commands" in log.read_text(), "the bot to log in", log=log
            )
            request(synapse.base_url, "POST", "/_matrix/client/v3/logout", {}, bot.token)
            code = process.wait(timeout=90)  # the sync that is under way ends with the revoked token
        finally:
            if process.poll() is None:
                process.kill()
    text = log.read_text()
    assert code != 0
    assert "revoked" in text and bot.user_id in text
    assert "Traceback" not in text and bot.token not in text
