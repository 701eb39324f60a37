"""A chat platform that is down at start-up holds back nothing: polling and the other platforms go on.

Slack is the local stand-in; Matrix is configured with a homeserver on a loopback port where
nothing listens (connection refused: what a homeserver that is down looks like to the bot).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import socketserver
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from tests.conftest import FIXTURES
from tests.feedserver import EMPTY_FEED, FeedServer, feed_server
from tests.integration.test_slack_serve import free_port
from tests.slack_standin import BOT_TOKEN, SIGNING_SECRET, SlackStandin, slack_standin
from tests.synapse import Synapse, synapse

__all__ = ["synapse"]

SEED_TITLE = "Offenbar 10.000 Soldaten aus Nordkorea in Russland"
ROOM = "matrix:!news:localhost"


def seed_feed() -> str:
    document = (FIXTURES / "seed-feed.xml").read_text(encoding="utf-8")
    return document.replace("Tue, 29 Oct 2024 06:12:00 +0100", format_datetime(datetime.now(UTC)))


def setup(
    tmp_path: Path, feeds: FeedServer, standin: SlackStandin, room: str = ROOM
) -> tuple[Path, dict[str, str]]:
    lines = [
        f'data_dir = "{tmp_path / "data"}"',
        "[fetch]",
        'allow_private_hosts = ["127.0.0.1"]',
        "timeout_seconds = 5",
        "full_text_below_chars = 0",
        "[schedule]",
        "tick_seconds = 0.5",
        "min_interval_seconds = 0.5",
        "max_interval_seconds = 1",
        "[[feeds]]",
        f'url = "{feeds.url("/feed.xml")}"',
    ]
    for channel in ("slack:C0NEWS", room):
        lines += ["[[subscriptions]]", f'channel = "{channel}"', 'topic = "Nordkorea"']
    config = tmp_path / "newsbot.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "SLACK_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        NEWSBOT_SLACK_API_URL=standin.api_url,
        NEWSBOT_MATRIX_HOMESERVER=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        NEWSBOT_MATRIX_USER="@newsbot:localhost",
        NEWSBOT_MATRIX_PASSWORD="not-used-while-down",
    )
    return config, env


def pending_for(tmp_path: Path, channel: str) -> int:
    with sqlite3.connect(tmp_path / "data" / "newsbot.sqlite") as db:
        (count,) = db.execute(
            "SELECT count(*) FROM alerts WHERE channel = ? AND status = 'pending'", (channel,)
        ).fetchone()
    return int(count)


def test_run_once_with_matrix_down_delivers_to_slack_exits_and_keeps_the_matrix_alert(tmp_path: Path) -> None:
    with slack_standin() as standin, feed_server() as feeds:
        standin.add_channel("C0NEWS")
        config, env = setup(tmp_path, feeds, standin)
        runs = []
        for document in (EMPTY_FEED, seed_feed()):  # the first poll only stores the backlog
            feeds.serve("/feed.xml", document)
            started = time.monotonic()
            run = subprocess.run(
                [sys.executable, "-m", "bot", "--config", str(config), "run", "--once"],
                capture_output=True,
                text=True,
                timeout=90,
                env=env,
                check=False,
            )
            runs.append((run, time.monotonic() - started))
        posted = standin.posted("C0NEWS")
    for run, took in runs:
        assert run.returncode == 0, run.stderr[-3000:]
        assert took < 60, took  # it ends, instead of waiting for the homeserver forever
        assert "Matrix is not reachable; its alerts wait in the outbox" in run.stderr
        assert "Traceback" not in run.stderr
    headers = [m["blocks"][0]["text"]["text"] for m in posted if m.get("blocks")]
    assert len(headers) == 1 and SEED_TITLE in headers[0]
    assert pending_for(tmp_path, ROOM) == 1  # the Matrix alert waits for the homeserver, not failed


def test_serve_with_matrix_down_polls_and_posts_to_slack_while_matrix_retries(tmp_path: Path) -> None:
    with slack_standin() as standin, feed_server() as feeds:
        standin.add_channel("C0NEWS")
        config, env = setup(tmp_path, feeds, standin)
        feeds.serve("/feed.xml", EMPTY_FEED)
        log, port = tmp_path / "serve.log", str(free_port())
        with log.open("w") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "-v", "--config", str(config), "serve", "--port", port],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=sink,
            )
        try:
            deadline = time.monotonic() + 40
            while "polled 1 feeds" not in log.read_text():  # the first poll, while Matrix is down
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            feeds.serve("/feed.xml", seed_feed())
            alerts = standin.wait_for(
                lambda: [m for m in standin.posted("C0NEWS") if m.get("blocks")] or None,
                timeout=40,
                what="the alert on Slack",
            )
            assert process.poll() is None  # still serving
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)
    text = log.read_text()
    assert len(alerts) == 1 and SEED_TITLE in alerts[0]["blocks"][0]["text"]["text"]
    assert "Matrix homeserver http://127.0.0.1" in text and "retrying in" in text
    assert code == 0 and "Traceback" not in text
    assert pending_for(tmp_path, ROOM) == 1


class Relay(socketserver.ThreadingTCPServer):
    """The way to the homeserver coming back: a TCP relay to Synapse, started on a port where
    nothing listened before (so the bot's first attempts were refused)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        relay = self

        class Pipe(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with socket.create_connection(relay.target) as upstream:
                    threading.Thread(target=_copy, args=(upstream, self.request), daemon=True).start()
                    _copy(self.request, upstream)

        self.target = target
        super().__init__(("127.0.0.1", port), Pipe)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def _copy(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def test_matrix_that_comes_up_later_gets_its_waiting_alert_while_slack_had_it_at_once(
    synapse: Synapse, tmp_path: Path
) -> None:
    alice, bot = synapse.register("alice"), synapse.register("newsbot")
    room = alice.create_room(invite=(bot.user_id,))
    host, synapse_port = synapse.base_url.removeprefix("http://").split(":")
    with slack_standin() as standin, feed_server() as feeds:
        standin.add_channel("C0NEWS")
        config, env = setup(tmp_path, feeds, standin, room=f"matrix:{room}")
        port = free_port()
        env.update(
            NEWSBOT_MATRIX_HOMESERVER=f"http://127.0.0.1:{port}",
            NEWSBOT_MATRIX_USER=bot.user_id,
            NEWSBOT_MATRIX_PASSWORD=bot.password,
        )
        feeds.serve("/feed.xml", EMPTY_FEED)
        log = tmp_path / "run.log"
        with log.open("w") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "-v", "--config", str(config), "run"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=sink,
            )
        relay = None
        try:
            deadline = time.monotonic() + 40
            while "polled 1 feeds" not in log.read_text():
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            feeds.serve("/feed.xml", seed_feed())
            standin.wait_for(
                lambda: [m for m in standin.posted("C0NEWS") if m.get("blocks")] or None,
                timeout=40,
                what="the alert on Slack while Matrix is down",
            )
            assert "is not reachable" in log.read_text()
            relay = Relay(port, (host, int(synapse_port)))  # the homeserver is back
            alert = alice.wait_for(
                room,
                lambda e: e["sender"] == bot.user_id and SEED_TITLE in e["content"].get("body", ""),
                timeout=120,
                what="the waiting alert in the Matrix room",
            )
            assert process.poll() is None
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)
            if relay is not None:
                relay.shutdown()
                relay.server_close()
    text = log.read_text()
    assert alert["content"]["msgtype"] in ("m.text", "m.notice")
    bodies = [e["content"].get("body", "") for e in alice.messages(room) if e["sender"] == bot.user_id]
    assert sum(SEED_TITLE in body for body in bodies) == 1  # once, not once per retry
    assert code == 0 and "Traceback" not in text and bot.password not in text
