"""`newsbot serve` end to end with Slack: a real process, real feeds on loopback, the Slack stand-in.

One story as a Slack channel lives it: someone subscribes with a signed `/news` request, a feed
publishes the news (Slack rate-limits the first try), another outlet reports it again with a new
development, and the channel sees one alert, one thread reply and one edited parent.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from bot.store.db import Store
from tests.conftest import FIXTURES
from tests.feedserver import EMPTY_FEED, FeedServer, feed_server
from tests.slack_standin import BOT_TOKEN, SIGNING_SECRET, SlackStandin, sign, slack_standin, slash_command

SEED_TITLE = "Offenbar 10.000 Soldaten aus Nordkorea in Russland"


def seed_feed(published: datetime) -> str:
    document = (FIXTURES / "seed-feed.xml").read_text(encoding="utf-8")
    return document.replace("Tue, 29 Oct 2024 06:12:00 +0100", format_datetime(published))


def second_outlet_feed(published: datetime) -> str:
    """An English report of the same news, then a German report of a new development (a follow-up)."""
    when = format_datetime(published)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Second Outlet</title><link>https://second.example/</link>
<description>news</description>
<item><title>10,000 North Korean troops in Russia, Pentagon says</title>
<link>https://second.example/world/north-korea-troops</link><guid>en-1</guid><pubDate>{when}</pubDate>
<description>About 10,000 North Korean soldiers have been sent to eastern Russia for training, the Pentagon
said, and could reinforce Russian forces near Ukraine in the coming weeks.</description></item>
<item><title><![CDATA[&lt;!channel&gt; NATO bestätigt Entsendung nordkoreanischer Truppen]]></title>
<link>https://second.example/nato-nordkorea</link><guid>de-2</guid><pubDate>{when}</pubDate>
<description>NATO-Generalsekretär Mark Rutte hat bestätigt, dass nordkoreanische Truppen nach Russland
entsandt worden sind. Einige der Soldaten seien bereits in der russischen Region Kursk im Einsatz.
</description></item>
</channel></rss>"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(url: str, body: str, headers: dict[str, str]) -> tuple[int, str, float]:
    started = time.monotonic()
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), time.monotonic() - started


@contextmanager
def newsbot_serve(tmp_path: Path, standin: SlackStandin, feeds: FeedServer, *paths: str) -> Iterator[str]:
    lines = [
        f'data_dir = "{tmp_path / "data"}"',
        "[fetch]",
        'allow_private_hosts = ["127.0.0.1"]',
        "timeout_seconds = 5",
        "full_text_below_chars = 0",  # no article pages: the items link to hosts that do not exist
        "[schedule]",
        "tick_seconds = 0.5",
        "min_interval_seconds = 0.5",
        "max_interval_seconds = 1",
        "[alerts]",
        "edit_interval_seconds = 0",
    ]
    for path in paths:
        lines += ["[[feeds]]", f'url = "{feeds.url(path)}"']
    config = tmp_path / "newsbot.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "SLACK_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, NEWSBOT_SLACK_API_URL=standin.api_url
    )
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "-v", "--config", str(config), "serve", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if post(url, "", {})[0] == 401:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "newsbot serve did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            stdout, _ = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, _ = process.communicate()
        logged = log.read_text()
        assert BOT_TOKEN not in logged and SIGNING_SECRET not in logged, "a secret reached the log"
        assert "Traceback" not in logged, logged[-4000:]
        assert stdout == ""  # the console is off when Slack is configured


def alerts_in(standin: SlackStandin, channel: str) -> list[dict[str, Any]]:
    return [m for m in standin.posted(channel) if m.get("blocks")]


def test_a_story_in_a_slack_channel_from_subscribe_to_thread(tmp_path: Path) -> None:
    with slack_standin() as standin, feed_server() as feeds:
        standin.add_channel("C0NEWS")
        feeds.serve("/de.xml", EMPTY_FEED)
        feeds.serve("/en.xml", EMPTY_FEED)
        with newsbot_serve(tmp_path, standin, feeds, "/de.xml", "/en.xml") as url:
            standin.wait_for(lambda: {"/de.xml", "/en.xml"} <= set(feeds.requests), what="the first polls")

            body = slash_command(
                "subscribe Nordkorea | North Korea", response_url=standin.response_url("sub")
            )
            status, answer_body, took = post(url, body, sign(body))
            assert status == 200 and took < 3.0 and answer_body == ""
            [answer] = standin.wait_for(lambda: standin.responses, what="the ephemeral answer")
            assert answer["response_type"] == "ephemeral" and "Subscribed this channel" in answer["text"]
            [notice] = standin.wait_for(lambda: standin.posted("C0NEWS"), what="the channel notice")
            assert notice["text"] == "<@U0ANN> subscribed this channel to news about “Nordkorea”."

            standin.fail("chat.postMessage", 429, "ratelimited", retry_after=1)
            now = datetime.now(UTC)
            feeds.serve("/de.xml", seed_feed(now - timedelta(minutes=5)))
            [parent] = standin.wait_for(lambda: alerts_in(standin, "C0NEWS"), what="the alert")
            header = parent["blocks"][0]["text"]["text"]
            assert header == f"[Nordkorea] {SEED_TITLE}" or header.startswith("[Nordkorea] ")
            assert SEED_TITLE in parent["text"]
            assert parent["metadata"]["event_type"] == "newsbot_alert"
            assert parent["metadata"]["event_payload"]["key"].startswith("newsbot-alert-")
            limited = standin.calls_to("chat.postMessage", ok=False)
            [sent] = [c for c in standin.calls_to("chat.postMessage", ok=True) if c.args.get("blocks")]
            assert [c.status for c in limited] == [429]
            assert sent.at - limited[0].at >= 1.0  # Retry-After was honoured

            feeds.serve("/en.xml", second_outlet_feed(now))
            standin.wait_for(lambda: len(alerts_in(standin, "C0NEWS")) == 2, what="the follow-up")
            standin.wait_for(lambda: standin.calls_to("chat.update", ok=True), what="the parent's edit")
            time.sleep(1.5)  # a few more ticks: nothing else may arrive

        first, followup = alerts_in(standin, "C0NEWS")
        assert first["ts"] == parent["ts"] and followup["thread_ts"] == parent["ts"]
        assert followup["blocks"][0]["text"]["text"].startswith("↳ [Nordkorea] &lt;!channel&gt; NATO")
        assert "<!channel>" not in followup["text"] and "&lt;!channel&gt;" in followup["text"]
        updates = standin.calls_to("chat.update", ok=True)
        assert {u.args["ts"] for u in updates} == {parent["ts"]}
        assert "Second Outlet" in str(first["blocks"])  # the edited parent names the other outlet
        assert sum(SEED_TITLE in m["text"] for m in standin.posted("C0NEWS")) == 1  # never doubled


def test_serve_refuses_forged_requests_and_answers_bad_input_kindly(tmp_path: Path) -> None:
    with slack_standin() as standin, feed_server() as feeds:
        standin.add_channel("C0NEWS")
        with newsbot_serve(tmp_path, standin, feeds) as url:
            body = slash_command("subscribe Nordkorea", response_url=standin.response_url("forged"))
            assert post(url, body, sign(body, secret="guessed"))[0] == 401
            assert post(url, body, sign(body, timestamp=int(time.time()) - 360))[0] == 401

            bad = {
                "empty": ("", {}),
                "unknown": ("frobnicate now", {}),
                "long": ("subscribe " + "Nordkorea " * 500, {}),
                "emoji": ("subscribe 🚀🔥", {}),
                "rtl": ("subscribe \u202eNordkorea", {}),
                "dm": ("subscribe Nordkorea", {"channel_id": "D0ANN", "channel_name": "directmessage"}),
            }
            for name, (text, where) in bad.items():
                body = slash_command(text, response_url=standin.response_url(name), **where)
                status, _, took = post(url, body, sign(body))
                assert status == 200 and took < 3.0, name
            said = standin.wait_for(
                lambda: (
                    {r["name"]: r for r in standin.responses} if len(standin.responses) >= len(bad) else None
                ),
                what="an answer to each bad command",
            )
        assert set(said) == set(bad)  # one answer each, none for the forged requests
        assert all(r["response_type"] == "ephemeral" for r in said.values())
        assert "subscribe &lt;topic&gt;" in said["empty"]["text"]
        assert "don't know the command" in said["unknown"]["text"]
        assert "limit is 2000" in said["long"]["text"]
        assert "cannot use" in said["emoji"]["text"] and "cannot use" in said["rtl"]["text"]
        assert "not to direct messages" in said["dm"]["text"]
        assert standin.posted("C0NEWS") == []  # nothing announced
        store = Store(f"sqlite:///{tmp_path / 'data' / 'newsbot.sqlite'}")
        assert store.list_subscriptions() == []  # and nothing stored
        store.close()
