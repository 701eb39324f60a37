"""The Slack adapter against the Slack stand-in on loopback: what lands in the channel, what the
person who typed a command sees, and what happens when Slack says no.

Requests to /slack/events are real HTTP requests, signed the way Slack signs them, to the routes
`newsbot serve` mounts; the Web API calls the bot makes are real HTTP calls to the stand-in.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp import web

from bot.chat.slack import SlackChannelError, SlackChat, SlackRateLimited, SlackUnavailable
from bot.chat.slack_blocks import ACTION_MUTE, ACTION_NOT_RELEVANT
from bot.core.digest import Queued, build_digests
from bot.model import AlertContent, Evidence, Figure, Quote
from bot.ports import SystemTime
from bot.settings import Settings
from bot.store.db import Store
from bot.store.rows import NewSubscription
from tests.slack_standin import (
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackStandin,
    block_action,
    sign,
    slack_standin,
    slash_command,
)

ALERT = AlertContent(
    topic="Nordkorea",
    title="Offenbar 10.000 Soldaten aus Nordkorea in Russland",
    link="https://news.example/ausland/nordkorea-soldaten-russland-100.html",
    source="Beispiel-Nachrichten",
    published=datetime(2024, 10, 29, 5, 12, tzinfo=UTC),
    score=92.0,
    figure=Figure(text="etwa 10.000 Soldaten", value=10000.0, unit="Soldaten", approx="etwa"),
    quote=Quote(
        text="Wir gehen davon aus, dass Nordkorea insgesamt etwa 10.000 Soldaten geschickt hat",
        speaker="Sabrina Singh",
        role="stellvertretende Pentagon-Sprecherin",
    ),
    evidence=(Evidence(alias="Nordkorea", word="Nordkorea", field="title", score=100.0),),
    sources=("Beispiel-Nachrichten",),
)


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with slack_standin() as server:
        server.add_channel("C0NEWS")
        server.add_channel("C0OUTSIDE", member=False)
        server.add_channel("C0OLD", archived=True)
        yield server


def make_chat(standin: SlackStandin, store: Store, **settings: Any) -> SlackChat:
    config = Settings(
        slack_api_url=standin.api_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        **settings,
    )
    return SlackChat(config, store, SystemTime(), min_interval=0.2)


# -- alerts, threads, edits -------------------------------------------------------------------------


def test_an_alert_arrives_as_block_kit_with_a_fallback_and_its_key(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    chat = make_chat(standin, sqlite_store)
    message_id = asyncio.run(chat.send_alert("slack:C0NEWS", ALERT, key="newsbot-alert-1", thread=None))

    [posted] = standin.posted("C0NEWS")
    assert message_id == f"C0NEWS:{posted['ts']}"
    assert posted["blocks"][0]["type"] == "header"
    assert posted["blocks"][0]["text"]["text"].startswith("[Nordkorea] Offenbar 10.000 Soldaten")
    shown = json.dumps(posted["blocks"], ensure_ascii=False)
    assert "*etwa 10.000 Soldaten*" in shown
    assert (
        # a German quote in German marks
        "> „Wir gehen davon aus" in shown and "Sabrina Singh, stellvertretende Pentagon-Sprecherin" in shown
    )
    assert "Beispiel-Nachrichten · 29.10.2024 05:12 UTC · match 92" in shown
    buttons = [e for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Read article", "Mute topic", "Relevant", "Not relevant"]
    assert buttons[0]["url"] == ALERT.link
    assert "Offenbar 10.000 Soldaten" in posted["text"]  # the notification
    assert posted["metadata"] == {"event_type": "newsbot_alert", "event_payload": {"key": "newsbot-alert-1"}}
    assert posted["unfurl_links"] is False and posted["unfurl_media"] is False


def test_a_digest_is_one_message_with_a_line_per_story_and_is_never_posted_twice(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    chat = make_chat(standin, sqlite_store)
    rows = [
        Queued(1, "alert", None, ALERT),
        Queued(2, "alert", None, replace(ALERT, title="NATO bestätigt Entsendung", link=None)),
    ]
    (digest,) = build_digests(rows)
    first = asyncio.run(chat.send_digest("slack:C0NEWS", digest, key="newsbot-digest-1-0"))
    restarted = make_chat(standin, sqlite_store)  # after a crash the digest is sent again
    again = asyncio.run(restarted.send_digest("slack:C0NEWS", digest, key="newsbot-digest-1-0"))
    [posted] = standin.posted("C0NEWS")  # the resend found the message instead of doubling it
    assert first == again == f"C0NEWS:{posted['ts']}"
    assert posted["blocks"][0]["text"]["text"] == "News digest: 2 stories"
    lines = [b["text"]["text"] for b in posted["blocks"][1:]]
    assert lines[0].startswith("[Nordkorea] Offenbar 10.000 Soldaten aus Nordkorea in Russland — etwa 10.000")
    assert (
        lines[0].endswith(f"<{ALERT.link}|Read>")
        and lines[1] == "[Nordkorea] NATO bestätigt Entsendung — etwa 10.000 Soldaten"
    )
    assert "News digest: 2 stories" in posted["text"]
    assert posted["metadata"]["event_payload"] == {"key": "newsbot-digest-1-0"}


def test_a_followup_goes_into_the_thread_and_the_parent_is_edited(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    chat = make_chat(standin, sqlite_store)

    async def story() -> tuple[str, str]:
        parent = await chat.send_alert("slack:C0NEWS", ALERT, key="newsbot-alert-1", thread=None)
        followup = AlertContent(
            **{**_fields(ALERT), "title": "NATO bestätigt Entsendung", "relation": "followup"}
        )
        reply = await chat.send_alert("slack:C0NEWS", followup, key="newsbot-alert-2", thread=parent)
        edited = AlertContent(**{**_fields(ALERT), "sources": ("Beispiel-Nachrichten", "AP", "ZDF")})
        await chat.edit_alert("slack:C0NEWS", parent, edited)
        return parent, reply

    parent, _ = asyncio.run(story())
    first, second = standin.posted("C0NEWS")
    assert second["thread_ts"] == first["ts"] == parent.split(":")[1]
    assert second["blocks"][0]["text"]["text"].startswith("↳ [Nordkorea] NATO bestätigt")
    [update] = standin.calls_to("chat.update", ok=True)
    assert update.args["ts"] == first["ts"] and update.args["channel"] == "C0NEWS"
    assert first["edits"] == 1 and "+2 sources: AP, ZDF" in json.dumps(first["blocks"])


def _fields(alert: AlertContent) -> dict[str, Any]:
    return {name: getattr(alert, name) for name in AlertContent.__dataclass_fields__}


def test_feed_text_cannot_ping_the_channel_fake_a_link_or_a_mention(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    hostile = AlertContent(
        **{
            **_fields(ALERT),
            "title": "<!channel> Breaking: <https://evil.example|tagesschau.de> says <@U0BOSS> & co",
            "source": "<!here> feed",
            "link": "javascript:alert(1)",
            "quote": Quote(text="<!everyone> look", speaker="<@U0BOSS>", role=None),
        }
    )
    asyncio.run(make_chat(standin, sqlite_store).send_alert("slack:C0NEWS", hostile, key="k", thread=None))
    [posted] = standin.posted("C0NEWS")
    everything = posted["text"] + json.dumps(posted["blocks"], ensure_ascii=False)
    for raw in ("<!channel>", "<!here>", "<!everyone>", "<@U0BOSS>", "<https://evil"):
        assert raw not in everything
    assert "&lt;!channel&gt; Breaking" in posted["blocks"][0]["text"]["text"]
    assert "&amp; co" in posted["text"]
    assert not any(e.get("url") for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"])


def test_a_resend_after_an_unknown_outcome_finds_the_message_instead_of_doubling_it(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    chat = make_chat(standin, sqlite_store)

    async def crash_then_resend() -> tuple[str, str]:
        first = await chat.send_alert("slack:C0NEWS", ALERT, key="newsbot-alert-7", thread=None)
        restarted = make_chat(standin, sqlite_store)  # a new process knows nothing of the first send
        again = await restarted.send_alert("slack:C0NEWS", ALERT, key="newsbot-alert-7", thread=None)
        return first, again

    first, again = asyncio.run(crash_then_resend())
    assert first == again
    assert len(standin.posted("C0NEWS")) == 1


def test_slack_429_carries_retry_after_and_posts_nothing(standin: SlackStandin, sqlite_store: Store) -> None:
    standin.fail("chat.postMessage", 429, "ratelimited", retry_after=7)
    chat = make_chat(standin, sqlite_store)
    with pytest.raises(SlackRateLimited) as caught:
        asyncio.run(chat.send_alert("slack:C0NEWS", ALERT, key="k1", thread=None))
    assert caught.value.retry_after == 7.0
    assert standin.posted("C0NEWS") == []


def test_slack_5xx_is_an_error_to_retry_and_the_retry_looks_before_posting(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    standin.fail("chat.postMessage", 503, "service_unavailable")
    chat = make_chat(standin, sqlite_store)

    async def attempt_twice() -> str:
        with pytest.raises(SlackUnavailable):
            await chat.send_alert("slack:C0NEWS", ALERT, key="k5", thread=None)
        return await chat.send_alert("slack:C0NEWS", ALERT, key="k5", thread=None)

    asyncio.run(attempt_twice())
    assert len(standin.posted("C0NEWS")) == 1
    assert len(standin.calls_to("conversations.history")) == 2  # at first send and after the 503


@pytest.mark.parametrize(
    ("channel", "error", "advice"),
    [
        ("C0OUTSIDE", "not_in_channel", "/invite @newsbot"),
        ("C0GONE", "channel_not_found", "does not exist"),
        ("C0OLD", "is_archived", "archived"),
    ],
)
def test_a_channel_the_bot_cannot_post_to_is_a_clear_error(
    standin: SlackStandin, sqlite_store: Store, channel: str, error: str, advice: str
) -> None:
    with pytest.raises(SlackChannelError) as caught:
        asyncio.run(
            make_chat(standin, sqlite_store).send_alert(f"slack:{channel}", ALERT, key="k", thread=None)
        )
    assert caught.value.error == error and advice in str(caught.value)
    assert caught.value.retry_after is not None and caught.value.retry_after >= 60


def test_messages_to_one_channel_are_paced(standin: SlackStandin, sqlite_store: Store) -> None:
    chat = make_chat(standin, sqlite_store)

    async def three() -> None:
        for n in range(3):
            await chat.send_notice("slack:C0NEWS", f"notice {n}", key=f"n{n}")

    asyncio.run(three())
    times = [c.at for c in standin.calls_to("chat.postMessage", ok=True)]
    assert len(times) == 3 and all(b - a >= 0.18 for a, b in itertools.pairwise(times))


# -- /slack/events over HTTP --------------------------------------------------------------------------


@asynccontextmanager
async def serving(chat: SlackChat) -> AsyncIterator[str]:
    app = web.Application()
    app.add_routes(chat.web_routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    await web.SockSite(runner, sock).start()
    try:
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        await chat.stop()
        await runner.cleanup()


async def _post(url: str, body: str, headers: dict[str, str]) -> tuple[int, str, float]:
    started = time.monotonic()
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        return response.status, await response.text(), time.monotonic() - started


def run_commands(
    standin: SlackStandin,
    store: Store,
    *commands: tuple[str, dict[str, Any]],
    settle: int = 1,
    settings: dict[str, Any] | None = None,
) -> list[tuple[int, str, float]]:
    """Send signed slash commands to /slack/events; wait until every answer reached Slack."""
    chat = make_chat(standin, store, **(settings or {}))

    async def go() -> list[tuple[int, str, float]]:
        async with serving(chat) as url:
            results = []
            for n, (text, options) in enumerate(commands):
                body = slash_command(text, response_url=standin.response_url(f"r{n}"), **options)
                results.append(await _post(url, body, sign(body)))
            deadline = time.monotonic() + 10
            while len(standin.responses) < len(commands) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            return results

    return asyncio.run(go())


def answers(standin: SlackStandin) -> dict[str, str]:
    return {r["name"]: r["text"] for r in standin.responses}


def test_subscribe_answers_ephemerally_and_tells_the_channel(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    [(status, body, took)] = run_commands(standin, sqlite_store, ("subscribe Nordkorea | North Korea", {}))
    assert status == 200 and took < 3.0
    assert body == ""  # acknowledged at once; the answer follows through response_url
    [answer] = standin.responses
    assert answer["response_type"] == "ephemeral"
    assert "Subscribed this channel to “Nordkorea”" in answer["text"]
    [notice] = standin.posted("C0NEWS")
    assert notice["text"] == "<@U0ANN> subscribed this channel to news about “Nordkorea”."
    assert [s.query for s in sqlite_store.list_subscriptions("slack:C0NEWS")] == ["Nordkorea | North Korea"]


def test_list_and_help_are_only_for_the_asker(standin: SlackStandin, sqlite_store: Store) -> None:
    run_commands(standin, sqlite_store, ("subscribe NATO", {}), ("list", {}), ("help", {}))
    said = answers(standin)
    assert "• NATO" in said["r1"]
    assert "subscribe &lt;topic&gt;" in said["r2"]  # the help text, escaped for Slack
    assert len(standin.posted("C0NEWS")) == 1  # only the subscription was announced


def test_subscribing_where_the_bot_is_not_a_member_says_how_to_invite_it(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    run_commands(standin, sqlite_store, ("subscribe NATO", {"channel_id": "C0OUTSIDE", "channel_name": "x"}))
    [answer] = standin.responses
    assert "not a member of this channel" in answer["text"] and "/invite <@U0NEWSBOT>" in answer["text"]


BAD_INPUT = [
    ("", {}, "subscribe &lt;topic&gt;"),
    ("frobnicate", {}, "don't know the command “frobnicate”"),
    ("subscribe " + "Nordkorea " * 500, {}, "characters long"),
    ("subscribe 🚀🔥", {}, "topic"),
    ("subscribe \u202e<!channel>", {}, "topic"),
    (
        "subscribe Nordkorea",
        {"channel_id": "D0ANN", "channel_name": "directmessage"},
        "not to direct messages",
    ),
    ("subscribe &amp; <@U0BOSS|boss>", {}, "topic"),
]


@pytest.mark.parametrize(("text", "where", "expected"), BAD_INPUT)
def test_bad_input_gets_one_friendly_answer_and_stores_nothing(
    standin: SlackStandin, sqlite_store: Store, text: str, where: dict[str, Any], expected: str
) -> None:
    [(status, _, took)] = run_commands(standin, sqlite_store, (text, where))
    assert status == 200 and took < 3.0
    [answer] = standin.responses
    assert answer["response_type"] == "ephemeral"
    assert expected in answer["text"], answer["text"]
    assert "<!channel>" not in answer["text"] and "<@U0BOSS" not in answer["text"]
    assert sqlite_store.list_subscriptions() == []
    assert standin.posted("C0NEWS") == []


def test_forged_and_stale_requests_are_refused_before_any_handler_runs(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    chat = make_chat(standin, sqlite_store)

    async def go() -> list[int]:
        async with serving(chat) as url:
            body = slash_command("subscribe NATO", response_url=standin.response_url("r"))
            forged = await _post(url, body, sign(body, secret="not-the-secret"))
            stale = await _post(url, body, sign(body, timestamp=int(time.time()) - 301))
            unsigned = await _post(url, body, {"Content-Type": "application/x-www-form-urlencoded"})
            tampered = await _post(url, body.replace("NATO", "Nordkorea"), sign(body))
            await asyncio.sleep(0.3)
            return [forged[0], stale[0], unsigned[0], tampered[0]]

    assert asyncio.run(go()) == [401, 401, 401, 401]
    assert standin.responses == [] and standin.calls == []
    assert sqlite_store.list_subscriptions() == []


def test_feedback_buttons_mute_the_topic_and_store_the_verdict(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    chat = make_chat(standin, sqlite_store)
    sqlite_store.add_subscription(
        NewSubscription("slack:C0NEWS", "Nordkorea", "Nordkorea", None, "U0ANN"), datetime.now(UTC)
    )
    value = json.dumps({"key": "newsbot-alert-3", "topic": "Nordkorea"})

    async def go() -> list[int]:
        async with serving(chat) as url:
            statuses = []
            for n, action in enumerate((ACTION_MUTE, ACTION_NOT_RELEVANT, ACTION_NOT_RELEVANT)):
                body = block_action(action, value, response_url=standin.response_url(f"b{n}"))
                statuses.append((await _post(url, body, sign(body)))[0])
            deadline = time.monotonic() + 5
            while len(standin.responses) < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            return statuses

    assert asyncio.run(go()) == [200, 200, 200]
    said = answers(standin)
    assert "Muted “Nordkorea” until" in said["b0"]
    [subscription] = sqlite_store.list_subscriptions("slack:C0NEWS")
    assert subscription.muted(datetime.now(UTC) + timedelta(hours=23))
    assert "not relevant" in said["b1"] and "already" in said["b2"]
    assert sqlite_store.feedback_counts("slack:C0NEWS") == {"Nordkorea": 1}
    assert all(
        r["response_type"] == "ephemeral" and r["replace_original"] is False for r in standin.responses
    )


def test_a_failing_store_is_a_friendly_answer_not_a_500(
    standin: SlackStandin, sqlite_store: Store, tmp_path: Path
) -> None:
    sqlite_store.close()
    broken = Store(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.sqlite'}")  # never upgraded: no tables
    [(status, _, _)] = run_commands(standin, broken, ("subscribe NATO", {}))
    assert status == 200
    [answer] = standin.responses
    assert "Sorry" in answer["text"]


def test_the_manifest_points_slack_at_the_routes_and_scopes_the_bot_uses(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    yaml = pytest.importorskip("yaml")  # PyYAML arrives with the test tools; the bot does not need it
    manifest = yaml.safe_load((Path(__file__).parents[2] / "config" / "slack-manifest.yml").read_text())
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/news"
    routes = {route.path for route in make_chat(standin, sqlite_store).web_routes()}
    settings = manifest["settings"]
    for url in (
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ):
        assert url.startswith("https://") and urlsplit(url).path in routes
    assert settings["interactivity"]["is_enabled"] is True
    assert {"commands", "chat:write", "channels:history"} <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_oauth_variables_in_the_environment_do_not_switch_off_the_bot_token(
    standin: SlackStandin, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "1234.5678")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    run_commands(standin, sqlite_store, ("subscribe NATO", {}))
    [answer] = standin.responses
    assert "Subscribed this channel" in answer["text"]
    assert standin.calls_to("auth.test", ok=True)  # authorised with SLACK_BOT_TOKEN, not an OAuth install


def test_only_the_named_managers_may_change_subscriptions(standin: SlackStandin, sqlite_store: Store) -> None:
    run_commands(
        standin,
        sqlite_store,
        ("subscribe NATO", {"user_id": "U0ANN"}),
        ("list", {"user_id": "U0ANN"}),
        ("subscribe Nordkorea", {"user_id": "U0BOSS"}),
        settings={"slack_managers": ["U0BOSS"]},
    )
    said = answers(standin)
    assert "only the people this workspace chose" in said["r0"]
    assert "tracks no topics" in said["r1"]  # reading is for everyone
    assert [s.name for s in sqlite_store.list_subscriptions()] == ["Nordkorea"]
