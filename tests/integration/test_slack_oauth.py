"""Multi-workspace install: Slack's OAuth flow against the stand-in, the installation in our database,
and commands and alerts of that workspace carried with its own token."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select

from bot.chat.slack import SlackChannelError, SlackChat
from bot.model import AlertContent
from bot.ports import SystemTime
from bot.settings import Settings
from bot.store.db import Store
from bot.store.slack_tables import slack_bots
from tests.integration.test_slack import serving
from tests.slack_standin import (
    CLIENT_ID,
    CLIENT_SECRET,
    SIGNING_SECRET,
    SlackStandin,
    sign,
    slack_standin,
    slash_payload,
)

TEAM = "T0SECOND"
TEAM_TOKEN = "xoxb-t0second-token"


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with slack_standin() as server:
        yield server


def oauth_chat(standin: SlackStandin, store: Store) -> SlackChat:
    settings = Settings(
        slack_api_url=standin.api_url,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
    )
    return SlackChat(settings, store, SystemTime(), min_interval=0.0)


def test_a_workspace_installs_through_oauth_and_is_served_with_its_own_token(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    standin.add_channel("C0SECOND")
    chat = oauth_chat(standin, sqlite_store)

    async def go() -> tuple[int, int]:
        async with serving(chat) as events_url, aiohttp.ClientSession() as http:
            base = events_url.rsplit("/slack/events", 1)[0]
            async with http.get(f"{base}/slack/install", allow_redirects=False) as install:
                page = await install.text()
                location = install.headers.get("Location", "")
                # the browser's state cookie (Secure, so a browser sends it back over https only;
                # the test plays that browser over loopback http)
                cookie = install.headers.get("Set-Cookie", "").split(";", 1)[0]
            state = re.search(r"state=([A-Za-z0-9_\-.~%]+)", location or page)
            assert state is not None, page[:500]
            code = standin.authorize(TEAM)
            callback = f"{base}/slack/oauth_redirect?" + urlencode({"code": code, "state": state.group(1)})
            async with http.get(callback, headers={"Cookie": cookie}) as done:
                finished = done.status
            # a replayed callback (same state) is refused: the state was consumed
            async with http.get(callback, headers={"Cookie": cookie}) as replay:
                replayed = replay.status

            body = urlencode(
                {
                    **slash_payload(
                        "subscribe NATO", response_url=standin.response_url("r0"), channel_id="C0SECOND"
                    ),
                    "team_id": TEAM,
                }
            )
            async with http.post(events_url, data=body, headers=sign(body)) as answer:
                assert answer.status == 200
            deadline = time.monotonic() + 10
            while not standin.responses and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            alert = AlertContent(
                "NATO", "NATO-Gipfel beginnt", None, "DW", datetime.now(UTC), 90.0, None, None
            )
            await chat.send_alert(f"slack:C0SECOND@{TEAM}", alert, key="newsbot-alert-1", thread=None)
            return finished, replayed

    finished, replayed = asyncio.run(go())
    assert finished == 200 and replayed != 200
    with sqlite_store.engine.connect() as conn:
        tokens = [
            row.bot_token for row in conn.execute(select(slack_bots).where(slack_bots.c.team_id == TEAM))
        ]
    assert tokens == [TEAM_TOKEN]
    assert [s.channel for s in sqlite_store.list_subscriptions()] == [f"slack:C0SECOND@{TEAM}"]
    posts = [c for c in standin.calls if c.method == "chat.postMessage"]
    assert len(posts) == 2  # the channel notice of the subscription, then the alert
    assert all(c.token == TEAM_TOKEN and c.args["channel"] == "C0SECOND" for c in posts)
    assert "NATO-Gipfel beginnt" in json.dumps(posts[1].args, ensure_ascii=False)


def test_an_uninstalled_workspace_loses_its_installation(standin: SlackStandin, sqlite_store: Store) -> None:
    standin.add_channel("C0SECOND")
    chat = oauth_chat(standin, sqlite_store)
    standin.workspace_tokens[TEAM_TOKEN] = TEAM

    async def go() -> None:
        installation = chat.oauth
        assert installation is not None
        from slack_sdk.oauth.installation_store import Installation

        await installation.installation_store.async_save(
            Installation(
                app_id="A0NEWSBOT", team_id=TEAM, user_id="U0ADMIN", bot_token=TEAM_TOKEN, bot_id="B1"
            )
        )
        async with serving(chat) as events_url, aiohttp.ClientSession() as http:
            event = json.dumps(
                {
                    "type": "event_callback",
                    "team_id": TEAM,
                    "api_app_id": "A0NEWSBOT",
                    "event": {"type": "app_uninstalled"},
                    "event_id": "Ev1",
                    "event_time": int(time.time()),
                }
            )
            headers = {**sign(event), "Content-Type": "application/json"}
            async with http.post(events_url, data=event, headers=headers) as answer:
                assert answer.status == 200
            await asyncio.sleep(0.3)
        alert = AlertContent("NATO", "Gipfel", None, "DW", None, 90.0, None, None)
        with pytest.raises(SlackChannelError, match="no installation"):
            await chat.send_alert(f"slack:C0SECOND@{TEAM}", alert, key="newsbot-alert-2", thread=None)

    asyncio.run(go())
    with sqlite_store.engine.connect() as conn:
        assert conn.execute(select(slack_bots).where(slack_bots.c.team_id == TEAM)).first() is None
