"""Socket Mode: with SLACK_APP_TOKEN the bot dials out to Slack over a websocket (the stand-in's)
and the same /news handler answers there, without any public HTTP endpoint."""

from __future__ import annotations

import asyncio
import time

from bot.chat.slack import SlackChat
from bot.ports import SystemTime
from bot.settings import Settings
from bot.store.db import Store
from tests.slack_standin import APP_TOKEN, BOT_TOKEN, slack_standin, slash_payload


def test_a_command_over_socket_mode_is_acked_answered_and_announced(sqlite_store: Store) -> None:
    with slack_standin() as standin:
        standin.add_channel("C0NEWS")
        settings = Settings(
            slack_api_url=standin.api_url, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN
        )
        chat = SlackChat(settings, sqlite_store, SystemTime())
        assert chat.web_routes() == []  # no signing secret: nothing is served over HTTP

        async def go() -> float:
            await chat.start()
            try:
                assert standin.sockets, "start() returns once the websocket is open"
                started = time.monotonic()
                sent = standin.send_envelope(
                    "slash_commands",
                    slash_payload("subscribe Nordkorea", response_url=standin.response_url("socket")),
                )
                while not any(m.get("envelope_id") == sent for m in standin.socket_messages):
                    assert time.monotonic() - started < 3.0, "no ack within Slack's 3 seconds"
                    await asyncio.sleep(0.02)
                acked = time.monotonic() - started
                while not standin.responses or not standin.posted("C0NEWS"):
                    assert time.monotonic() - started < 10.0, standin.summary()
                    await asyncio.sleep(0.02)
                return acked
            finally:
                await chat.stop()

        assert asyncio.run(go()) < 3.0
        assert len(standin.calls_to("apps.connections.open", ok=True)) == 1  # with the app token
        [answer] = standin.responses
        assert "Subscribed this channel" in answer["text"] and answer["response_type"] == "ephemeral"
        assert standin.posted("C0NEWS")[0]["text"].startswith("<@U0ANN> subscribed")
        assert [s.query for s in sqlite_store.list_subscriptions("slack:C0NEWS")] == ["Nordkorea"]
