"""WebSub through `newsbot serve` and a hub stand-in on loopback: the subscription request, the
hub's challenge, a signed push that alerts without waiting for a poll, pushes that are ignored
(wrong or missing signature, another topic), and the renewal before the lease ends."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.test_operations import _free_port
from tests.e2e.test_run_once import _seed_feed
from tests.feedserver import EMPTY_FEED, feed_server
from tests.websub_hub import Hub

ALERT = "Offenbar 10.000 Soldaten aus Nordkorea in Russland"


def _with_hub(document: str, hub: str, topic: str) -> str:
    """The feed document, advertising its hub and naming itself, as WebSub publishers do."""
    head = f'<atom:link rel="hub" href="{hub}"/><atom:link rel="self" href="{topic}"/>'
    document = document.replace(
        '<rss version="2.0"', '<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"', 1
    )
    return document.replace("<channel>", "<channel>" + head, 1)


async def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def _scenario(tmp_path: Path) -> None:
    hub = Hub(lease_seconds=10)
    await hub.start()
    port = _free_port()
    with feed_server() as server:
        topic = server.url("/feed.xml")
        server.serve("/feed.xml", _with_hub(EMPTY_FEED, hub.url, topic))
        config = tmp_path / "newsbot.toml"
        config.write_text(
            "\n".join(
                [
                    f'data_dir = "{tmp_path / "data"}"',
                    "[fetch]",
                    'allow_private_hosts = ["127.0.0.1"]',
                    "[schedule]",
                    "tick_seconds = 1",  # the shipped poll interval: a push cannot be a poll
                    "[websub]",
                    f'callback_url = "http://127.0.0.1:{port}/"',
                    "renew_before_seconds = 6",
                    "[[feeds]]",
                    f'url = "{topic}"',
                    "[[subscriptions]]",
                    'channel = "console"',
                    'topic = "Nordkorea"',
                ]
            )
            + "\n",
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "SLACK_"))}
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(config),
            "serve",
            "--port",
            str(port),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL,
            env=env,
        )
        out: list[str] = []
        err: list[str] = []

        async def read(stream: asyncio.StreamReader | None, into: list[str]) -> None:
            assert stream is not None
            while line := await stream.readline():
                into.append(line.decode())

        readers = [asyncio.create_task(read(bot.stdout, out)), asyncio.create_task(read(bot.stderr, err))]
        try:
            # the first poll finds the hub; the bot asks it, and answers its challenge
            await _until(lambda: topic in hub.subscriptions, 30, "the subscription's verification")
            assert hub.subscriptions[topic].verified, "".join(err)
            (request,) = hub.requests
            assert request["hub.mode"] == "subscribe" and request["hub.topic"] == topic
            assert request["hub.callback"].startswith(f"http://127.0.0.1:{port}/websub/")
            assert len(request["hub.secret"]) >= 32
            polls = len(server.requests)

            story = _seed_feed(datetime.now(UTC)).encode()
            assert await hub.push(topic, story, secret="not the secret") == 202
            assert await hub.push(topic, story, signed=False) == 202
            assert await hub.push(topic, story, self_url="https://elsewhere.example/feed.xml") == 202
            await _until(lambda: "names another topic" in "".join(err), 10, "the ignored pushes' log lines")
            await asyncio.sleep(1.5)
            assert ALERT not in "".join(out)  # nothing from an unsigned or foreign push

            pushed = time.monotonic()
            assert await hub.push(topic, story) == 202
            await _until(lambda: ALERT in "".join(out), 15, "the pushed story's alert")
            assert time.monotonic() - pushed < 15  # seconds, not the poll interval of minutes
            assert len(server.requests) == polls  # no poll fetched it
            assert "".join(out).count(ALERT) == 1

            # the lease is 10 s and renewal starts 6 s before its end: a renewal comes, and is verified
            await _until(lambda: len(hub.requests) >= 2, 15, "the lease renewal")
            renewal = hub.requests[1]
            assert renewal["hub.topic"] == topic and renewal["hub.callback"] == request["hub.callback"]
        finally:
            bot.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.wait(), 40)
            await asyncio.gather(*readers)
            await hub.stop()
    log = "".join(err)
    assert "with a wrong signature ignored" in log
    assert "with no signature ignored" in log
    assert "names another topic (https://elsewhere.example/feed.xml); ignored" in log
    assert "secret" not in log.lower().replace("signature", "")  # the secret never reaches the log


def test_a_signed_push_alerts_at_once_and_bad_pushes_are_ignored(tmp_path: Path) -> None:
    asyncio.run(_scenario(tmp_path))
