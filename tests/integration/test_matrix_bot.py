"""The Matrix adapter against a real Synapse: what people in a room see when they talk to the bot.

The bot runs in a thread of its own with its own event loop (as it would in `newsbot run`); the
people in the room are plain HTTP clients of the same homeserver.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import SecretStr

from bot.chat.matrix import (
    MatrixChat,
    MatrixRateLimited,
    MatrixRoomError,
    inviter_allowed,
    is_command,
    power_level,
    room_of,
    thread_root,
    without_reply_fallback,
)
from bot.errors import ConfigError
from bot.model import AlertContent, Figure, Quote
from bot.ports import SystemTime
from bot.settings import Settings
from bot.store.db import Store
from tests.synapse import HttpError, MatrixUser, Synapse, request, synapse

__all__ = ["synapse"]

T = TypeVar("T")


class RunningBot:
    """A MatrixChat on an event loop in a background thread; the test stays synchronous."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        self.settings = settings
        self.store = Store(f"sqlite:///{settings.data_dir / 'newsbot.sqlite'}")
        self.store.upgrade()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.chat = MatrixChat(settings, self.store, SystemTime(), **options)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def start(self) -> RunningBot:
        self.run(self.chat.start())
        return self

    def close(self) -> None:
        self.run(self.chat.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.store.close()


def bot_settings(tmp_path: Path, synapse: Synapse, bot: MatrixUser, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        matrix_homeserver=synapse.base_url,
        matrix_user=bot.user_id,
        matrix_password=SecretStr(bot.password),
        **extra,
    )


@pytest.fixture
def bots(tmp_path: Path) -> Iterator[list[RunningBot]]:
    running: list[RunningBot] = []
    yield running
    for bot in running:
        bot.close()


def start_bot(bots: list[RunningBot], settings: Settings, **options: Any) -> RunningBot:
    bot = RunningBot(settings, sync_timeout_ms=1000, **options)
    bots.append(bot)
    return bot.start()


def from_bot(bot: MatrixUser, msgtype: str = "m.notice") -> Any:
    return lambda e: e["sender"] == bot.user_id and e["content"].get("msgtype") == msgtype


def replies_to(bot: MatrixUser, event_id: str) -> Any:
    return lambda e: (
        e["sender"] == bot.user_id
        and e["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == event_id
    )


def joined_room(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path, **extra: Any
) -> tuple[MatrixUser, MatrixUser, str, RunningBot]:
    """A room of a new user with a new bot in it (invited, greeted)."""
    alice = synapse.register("alice")
    botuser = synapse.register("newsbot")
    running = start_bot(bots, bot_settings(tmp_path, synapse, botuser, **extra))
    room = alice.create_room(invite=(botuser.user_id,))
    alice.wait_for(room, from_bot(botuser), what="the bot's greeting")
    return alice, botuser, room, running


def alert(title: str = "Offenbar 10.000 Soldaten aus Nordkorea in Russland", **changes: Any) -> AlertContent:
    fields: dict[str, Any] = {
        "topic": "Nordkorea",
        "title": title,
        "link": "https://news.example/nk",
        "source": "tagesschau",
        "published": datetime(2024, 10, 29, 5, 12, tzinfo=UTC),
        "score": 92.0,
        "figure": Figure(text="etwa 10.000 Soldaten", value=10000.0),
        "quote": Quote(text="Wir gehen davon aus", speaker="Sabrina Singh"),
    }
    fields.update(changes)
    return AlertContent(**fields)


def test_invited_bot_joins_greets_and_answers_commands_with_notices(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path
) -> None:
    alice, botuser, room, running = joined_room(synapse, bots, tmp_path)
    greeting = alice.wait_for(room, from_bot(botuser))
    assert "!news help" in greeting["content"]["body"]

    command = alice.say(room, "!news subscribe Nordkorea | North Korea")
    answer = alice.wait_for(room, replies_to(botuser, command), what="an answer to subscribe")
    assert answer["content"]["msgtype"] == "m.notice"
    assert "Subscribed this channel to “Nordkorea”" in answer["content"]["body"]
    assert answer["content"]["m.mentions"] == {}
    assert [s.query for s in running.store.list_subscriptions(f"matrix:{room}")] == [
        "Nordkorea | North Korea"
    ]

    listing = alice.say(room, "!news list")
    assert "Nordkorea | North Korea" in alice.wait_for(room, replies_to(botuser, listing))["content"]["body"]
    helped = alice.say(room, "!news")
    help_text = alice.wait_for(room, replies_to(botuser, helped))["content"]["body"]
    assert "subscribe <topic>" in help_text and "leave" in help_text

    # plain chat, other bots' prefixes and notices are not commands: no answer to any of them
    for text in ("news about Nordkorea?", "!newsletter", "!help"):
        alice.say(room, text)
    alice.send(room, {"msgtype": "m.notice", "body": "!news list"})
    last = alice.say(room, "!news list")
    alice.wait_for(room, replies_to(botuser, last))
    assert len([e for e in alice.messages(room) if e["sender"] == botuser.user_id]) == 5


def test_alerts_are_html_with_threads_for_followups_and_edits_for_sources(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path
) -> None:
    alice, _botuser, room, running = joined_room(synapse, bots, tmp_path)
    channel = f"matrix:{room}"
    parent = running.run(running.chat.send_alert(channel, alert(), key="newsbot-alert-1", thread=None))
    shown = alice.wait_for(room, lambda e: e["event_id"] == parent)["content"]
    assert shown["msgtype"] == "m.text" and shown["m.mentions"] == {}
    assert shown["format"] == "org.matrix.custom.html"
    assert "<strong>etwa 10.000 Soldaten</strong>" in shown["formatted_body"]
    assert "<blockquote>" in shown["formatted_body"] and "Sabrina Singh" in shown["formatted_body"]
    assert shown["body"].startswith("[Nordkorea] Offenbar 10.000 Soldaten")

    follow = running.run(
        running.chat.send_alert(
            channel,
            alert("NATO bestätigt Entsendung", relation="followup"),
            key="newsbot-alert-2",
            thread=parent,
        )
    )
    reply = alice.wait_for(room, lambda e: e["event_id"] == follow)["content"]
    assert reply["m.relates_to"]["rel_type"] == "m.thread"
    assert reply["m.relates_to"]["event_id"] == parent
    assert reply["m.relates_to"]["is_falling_back"] is True
    assert reply["m.relates_to"]["m.in_reply_to"] == {"event_id": parent}

    major = running.run(
        running.chat.send_alert(
            channel,
            alert("Pentagon: 12.000 Soldaten", relation="followup", broadcast=True),
            key="newsbot-alert-4",
            thread=parent,
        )
    )
    pointer = alice.wait_for(
        room, lambda e: e["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == major
    )["content"]
    assert "rel_type" not in pointer["m.relates_to"]  # in the main timeline, pointing into the thread
    assert "Pentagon: 12.000 Soldaten" in pointer["body"] and pointer["m.mentions"] == {}

    updated = alert(sources=("tagesschau", "ZDF", "AP"))
    running.run(running.chat.edit_alert(channel, parent, updated))
    edit = alice.wait_for(room, lambda e: e["content"].get("m.relates_to", {}).get("rel_type") == "m.replace")
    content = edit["content"]
    assert content["m.relates_to"]["event_id"] == parent
    assert content["body"].startswith("* [Nordkorea]")
    assert "+2 sources: ZDF, AP" in content["m.new_content"]["body"]
    assert "+2 sources: ZDF, AP" in content["m.new_content"]["formatted_body"]
    assert content["m.new_content"]["m.mentions"] == {}

    notice = running.run(running.chat.send_notice(channel, "I paused the feed x", key="newsbot-alert-3"))
    assert alice.wait_for(room, lambda e: e["event_id"] == notice)["content"]["msgtype"] == "m.notice"

    # a resend of the same outbox row (a crash before its id was recorded) is the same event, not a copy
    again = running.run(running.chat.send_alert(channel, alert(), key="newsbot-alert-1", thread=None))
    assert again == parent
    parents = [e for e in alice.messages(room) if e["content"].get("body", "").startswith("[Nordkorea]")]
    assert len(parents) == 1


def test_feed_text_and_commands_with_room_pings_and_html_are_shown_as_text(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path
) -> None:
    alice, botuser, room, running = joined_room(synapse, bots, tmp_path)
    command = alice.say(room, '!news subscribe @room <img src=x onerror="alert(1)"> <b>Nordkorea</b>')
    answer = alice.wait_for(room, replies_to(botuser, command))["content"]
    assert answer["m.mentions"] == {}
    assert "<img" not in answer["formatted_body"] and "<b>Nordkorea" not in answer["formatted_body"]
    assert (
        "&lt;img src=x" in answer["formatted_body"]
        and "&lt;b&gt;Nordkorea&lt;/b&gt;" in answer["formatted_body"]
    )
    assert "@room" in answer["body"]  # shown, but m.mentions {} means it pings nobody

    event = running.run(
        running.chat.send_alert(
            f"matrix:{room}",
            alert('@room <script>alert("x")</script> Nordkorea', link="javascript:alert(1)"),
            key="newsbot-alert-9",
            thread=None,
        )
    )
    shown = alice.wait_for(room, lambda e: e["event_id"] == event)["content"]
    assert shown["m.mentions"] == {}
    assert "<script>" not in shown["formatted_body"] and "&lt;script&gt;" in shown["formatted_body"]
    assert (
        "javascript:" not in shown["formatted_body"].split("href=")[-1]
        or "href=" not in shown["formatted_body"]
    )


def test_changing_subscriptions_needs_power_level_50(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path
) -> None:
    alice, botuser, room, running = joined_room(synapse, bots, tmp_path)
    bob = synapse.register("bob")
    alice.invite(room, bob.user_id)
    bob.join(room)

    refused = bob.say(room, "!news subscribe Nordkorea")
    answer = alice.wait_for(room, replies_to(botuser, refused))["content"]["body"]
    assert "needs power level 50" in answer and "yours is 0" in answer
    assert running.store.list_subscriptions(f"matrix:{room}") == []

    listing = bob.say(room, "!news list")  # reading is for everyone
    assert "tracks no topics" in alice.wait_for(room, replies_to(botuser, listing))["content"]["body"]
    leave = bob.say(room, "!news leave")
    assert "needs power level 50" in alice.wait_for(room, replies_to(botuser, leave))["content"]["body"]

    alice.set_power_level(room, bob.user_id, 50)
    allowed = bob.say(room, "!news subscribe Nordkorea")
    assert "Subscribed" in alice.wait_for(room, replies_to(botuser, allowed))["content"]["body"]


def test_leave_on_request_drops_the_rooms_topics(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path
) -> None:
    alice, botuser, room, running = joined_room(synapse, bots, tmp_path)
    alice.wait_for(room, replies_to(botuser, alice.say(room, "!news subscribe Nordkorea")))
    leave = alice.say(room, "!news leave")
    goodbye = alice.wait_for(room, replies_to(botuser, leave))["content"]["body"]
    assert "leaving" in goodbye and "1 topic is dropped" in goodbye
    assert running.store.list_subscriptions(f"matrix:{room}") == []
    for _ in range(50):
        if alice.members(room).get(botuser.user_id) == "leave":
            break
        threading.Event().wait(0.2)
    assert alice.members(room)[botuser.user_id] == "leave"


def test_malformed_events_are_ignored_and_the_bot_keeps_answering(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path
) -> None:
    alice, botuser, room, _running = joined_room(synapse, bots, tmp_path)
    for content in (
        {"msgtype": "m.text", "body": 12345},  # Synapse itself refuses some of these
        {"msgtype": "m.text", "body": {"nested": "!news list"}},
        {"msgtype": "m.text"},
        {"body": "!news list"},
        {"msgtype": 5, "body": "!news list"},
        {"msgtype": "m.text", "body": "!news list", "format": 7, "formatted_body": ["x"]},
        {"msgtype": "m.text", "body": "!news list", "m.relates_to": "nonsense", "m.mentions": 3},
        {"msgtype": "m.text", "body": "!news " + "x" * 5000},
        {"msgtype": "m.text", "body": "!news subscribe \u0000\u202e"},
    ):
        with contextlib.suppress(HttpError):
            alice.send(room, content)
    alice.send(room, {"garbage": True}, event_type="com.example.weird")
    alice.call("PUT", f"/_matrix/client/v3/rooms/{room}/state/com.example.odd/x", {"a": [1, {"b": None}]})
    final = alice.say(room, "!news list")
    assert "tracks" in alice.wait_for(room, replies_to(botuser, final))["content"]["body"]
    long_answer = [e for e in alice.messages(room) if "limit is 2000" in e["content"].get("body", "")]
    assert len(long_answer) == 1


def test_invites_from_disallowed_servers_are_declined(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path
) -> None:
    alice = synapse.register("alice")
    carol = synapse.register("carol")
    botuser = synapse.register("newsbot")
    start_bot(
        bots,
        bot_settings(tmp_path, synapse, botuser, matrix_allowed_inviters=[":trusted.example", carol.user_id]),
    )
    refused = alice.create_room(invite=(botuser.user_id,))
    welcome = carol.create_room(invite=(botuser.user_id,))
    carol.wait_for(welcome, from_bot(botuser), what="a greeting in the allowed room")
    for _ in range(50):
        if alice.members(refused).get(botuser.user_id) == "leave":
            break
        threading.Event().wait(0.2)
    assert alice.members(refused)[botuser.user_id] == "leave"  # the invite was rejected
    assert [e for e in alice.messages(refused) if e["sender"] == botuser.user_id] == []


def test_a_room_encrypted_with_an_unknown_algorithm_gets_one_notice_and_no_alerts(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    alice = synapse.register("alice")
    botuser = synapse.register("newsbot")
    with caplog.at_level(logging.WARNING, logger="bot.chat.matrix"):
        running = start_bot(bots, bot_settings(tmp_path, synapse, botuser))
        room = alice.create_room(invite=(botuser.user_id,), encrypted=True, algorithm="com.example.rot13")
        plain = alice.create_room(invite=(botuser.user_id,))
        notice = alice.wait_for(room, from_bot(botuser))["content"]["body"]
        assert "com.example.rot13" in notice and "does not support" in notice
        alice.wait_for(plain, from_bot(botuser), what="the greeting in the other, plain room")
        with pytest.raises(MatrixRoomError, match="does not support"):
            running.run(
                running.chat.send_alert(f"matrix:{room}", alert(), key="newsbot-alert-1", thread=None)
            )
        # the bot keeps working for its other rooms
        command = alice.say(plain, "!news list")
        alice.wait_for(plain, replies_to(botuser, command), what="an answer in the plain room")
    assert len([e for e in alice.messages(room) if e["sender"] == botuser.user_id]) == 1
    lines = [r.getMessage() for r in caplog.records if "com.example.rot13" in r.getMessage()]
    assert len([m for m in lines if "does not support" in m]) == 1, lines


def test_kicked_unknown_and_misnamed_rooms_are_clear_errors(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path
) -> None:
    alice, botuser, room, running = joined_room(synapse, bots, tmp_path)
    alice.kick(room, botuser.user_id)
    with pytest.raises(MatrixRoomError, match="not a member"):
        for _ in range(3):  # the kick may take a moment to reach the bot
            running.run(
                running.chat.send_alert(f"matrix:{room}", alert(), key="newsbot-alert-5", thread=None)
            )
            threading.Event().wait(0.3)
    # the kick pauses the room's subscriptions (their alerts wait); an invite back resumes them
    channel = f"matrix:{room}"
    for _ in range(50):
        if channel in running.chat.store.paused_channels():
            break
        threading.Event().wait(0.2)
    assert "removed the bot" in running.chat.store.paused_channels()[channel]
    alice.invite(room, botuser.user_id)
    for _ in range(50):
        if channel not in running.chat.store.paused_channels():
            break
        threading.Event().wait(0.2)
    assert channel not in running.chat.store.paused_channels()
    with pytest.raises(MatrixRoomError, match="not a member"):
        running.run(
            running.chat.send_alert("matrix:!nowhere:localhost", alert(), key="newsbot-alert-6", thread=None)
        )
    with pytest.raises(MatrixRoomError, match="not its #alias"):
        running.run(
            running.chat.send_alert("matrix:#news:localhost", alert(), key="newsbot-alert-7", thread=None)
        )


def test_rate_limits_surface_with_the_homeservers_delay(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path
) -> None:
    admin = synapse.register("admin", admin=True)
    _alice, botuser, room, running = joined_room(synapse, bots, tmp_path)
    admin.call(
        "POST",
        f"/_synapse/admin/v1/users/{botuser.user_id}/override_ratelimit",
        {"messages_per_second": 1, "burst_count": 1},
    )
    channel = f"matrix:{room}"
    with pytest.raises(MatrixRateLimited) as caught:
        for number in range(5):
            running.run(
                running.chat.send_alert(
                    channel, alert(f"Story {number}"), key=f"newsbot-alert-{number}", thread=None
                )
            )
    assert (caught.value.retry_after or 0) > 0  # the deliverer reschedules on this attribute
    assert "M_LIMIT_EXCEEDED" in str(caught.value)


def test_restart_keeps_the_device_and_never_replays_old_commands(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path
) -> None:
    alice, botuser, room, first = joined_room(synapse, bots, tmp_path)
    alice.wait_for(room, replies_to(botuser, alice.say(room, "!news subscribe Nordkorea")))
    parent = first.run(first.chat.send_alert(f"matrix:{room}", alert(), key="newsbot-alert-1", thread=None))
    device = first.chat.client.device_id  # type: ignore[union-attr]
    first.close()
    bots.remove(first)

    data = tmp_path / "data"
    for name in ("matrix-sync.json", "matrix-session.json"):
        assert (data / name).stat().st_mode & 0o777 == 0o600
        assert botuser.password not in (data / name).read_text()
    while_down = alice.say(room, "!news list")

    second = start_bot(bots, bot_settings(tmp_path, synapse, botuser))
    assert second.chat.client.device_id == device  # type: ignore[union-attr]
    assert "Nordkorea" in alice.wait_for(room, replies_to(botuser, while_down))["content"]["body"]
    again = second.run(second.chat.send_alert(f"matrix:{room}", alert(), key="newsbot-alert-1", thread=None))
    assert again == parent  # the homeserver dropped the resend
    bodies = [e["content"].get("body", "") for e in alice.messages(room) if e["sender"] == botuser.user_id]
    assert sum(b.startswith("Subscribed") for b in bodies) == 1  # the old command was not answered again
    assert sum(b.startswith("[Nordkorea]") for b in bodies) == 1
    assert sum("tracks 1 topic" in b for b in bodies) == 1


def test_wrong_password_and_revoked_token_are_config_errors(synapse: Synapse, tmp_path: Path) -> None:
    botuser = synapse.register("newsbot")
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.upgrade()
    wrong = bot_settings(tmp_path, synapse, botuser)
    wrong.matrix_password = SecretStr("not-the-password")
    with pytest.raises(ConfigError, match=r"login as .* failed") as caught:
        asyncio.run(MatrixChat(wrong, store, SystemTime()).start())
    assert "not-the-password" not in str(caught.value)

    request(synapse.base_url, "POST", "/_matrix/client/v3/logout", {}, botuser.token)  # revoke it
    revoked = Settings(
        data_dir=tmp_path / "data",
        matrix_homeserver=synapse.base_url,
        matrix_user=botuser.user_id,
        matrix_access_token=SecretStr(botuser.token),
    )
    with pytest.raises(ConfigError, match="revoked") as caught:
        asyncio.run(MatrixChat(revoked, store, SystemTime()).start())
    assert botuser.token not in str(caught.value)
    store.close()


def test_a_homeserver_that_is_down_at_start_is_retried_with_backoff(
    synapse: Synapse, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot waits for the homeserver (logging each attempt) and starts once it answers."""
    botuser = synapse.register("newsbot")
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.upgrade()
    target_port = int(synapse.base_url.rsplit(":", 1)[1])

    async def scenario() -> list[str]:
        listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        listener.close()
        await listener.wait_closed()  # nothing listens on `port` now: the homeserver is "down"
        settings = bot_settings(tmp_path, synapse, botuser)
        settings.matrix_homeserver = f"http://127.0.0.1:{port}"
        chat = MatrixChat(settings, store, SystemTime(), retry_base_seconds=0.2, sync_timeout_ms=500)
        starting = asyncio.create_task(chat.start())
        await asyncio.sleep(1.0)
        assert not starting.done()

        async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target_port)

            async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
                try:
                    while data := await src.read(65536):
                        dst.write(data)
                        await dst.drain()
                except (ConnectionError, OSError):
                    pass
                finally:
                    dst.close()

            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

        proxy = await asyncio.start_server(forward, "127.0.0.1", port)  # the homeserver comes up
        try:
            await asyncio.wait_for(starting, 20)
            assert chat.client is not None and chat.client.access_token
            await chat.stop()
        finally:
            proxy.close()
        return [r.getMessage() for r in caplog.records if r.name == "bot.chat.matrix"]

    with caplog.at_level(logging.INFO, logger="bot.chat.matrix"):
        messages = asyncio.run(scenario())
    retries = [m for m in messages if "is not reachable" in m]
    assert len(retries) >= 2, messages
    assert "attempt 1 failed" in retries[0] and "attempt 2 failed" in retries[1]
    delays = [float(m.rsplit("retrying in ", 1)[1].split()[0]) for m in retries]
    assert delays == sorted(delays) and delays[1] > delays[0]  # backing off, not hammering
    assert any("logged in as" in m for m in messages)
    assert all(botuser.password not in m for m in messages)
    store.close()


# -- the rules behind the behaviour above, without a homeserver ------------------------------------


def test_who_may_invite_the_bot() -> None:
    allowed = [":trusted.example", "@ann:other.example"]
    assert inviter_allowed("@bob:trusted.example", allowed)
    assert inviter_allowed("@ann:other.example", allowed)
    assert not inviter_allowed("@eve:other.example", allowed)
    assert not inviter_allowed("@eve:untrusted.example", allowed)
    assert not inviter_allowed("@eve:evil-trusted.example", allowed)
    assert inviter_allowed("@anyone:anywhere.example", [])


def test_power_levels_from_room_state_of_old_and_new_room_versions() -> None:
    create_v10 = {
        "type": "m.room.create",
        "sender": "@ann:x",
        "content": {"room_version": "10", "creator": "@ann:x"},
    }
    levels = {
        "type": "m.room.power_levels",
        "content": {"users": {"@ann:x": 100, "@mod:x": "50", "@odd:x": ["x"]}, "users_default": 0},
    }
    assert power_level([create_v10, levels], "@mod:x") == 50  # old rooms may store levels as strings
    assert power_level([create_v10, levels], "@odd:x") == 0  # nonsense counts as nothing
    assert power_level([create_v10, levels], "@new:x") == 0
    assert power_level([create_v10], "@ann:x") == 100  # no power levels yet: the creator rules
    create_v12 = {"type": "m.room.create", "sender": "@ann:x", "content": {"room_version": "12"}}
    assert power_level([create_v12, {"type": "m.room.power_levels", "content": {}}], "@ann:x") > 100


def test_commands_are_recognised_also_in_replies_from_older_clients() -> None:
    assert is_command("!news") and is_command("  !news list") and is_command("!news\tlist")
    assert is_command("!NEWS LIST") and is_command("!News")
    assert not is_command("!newsletter") and not is_command("news list") and not is_command("")
    reply = "> <@newsbot:x> [Nordkorea] Offenbar 10.000 Soldaten\n> more\n\n!news list"
    assert without_reply_fallback(reply) == "!news list"
    assert room_of("matrix:!abc:example.org") == "!abc:example.org"
    with pytest.raises(MatrixRoomError):
        room_of("matrix:#alias:example.org")


def test_a_command_in_an_alerts_thread_knows_the_alert() -> None:
    in_thread = {"content": {"body": "!news why", "m.relates_to": {"rel_type": "m.thread", "event_id": "$a"}}}
    assert thread_root(in_thread) == "$a"
    reply_only = {"content": {"body": "!news why", "m.relates_to": {"m.in_reply_to": {"event_id": "$b"}}}}
    assert thread_root(reply_only) is None
    assert thread_root({"content": "garbage"}) is None


def test_a_send_only_connection_posts_alerts_without_answering_commands(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path
) -> None:
    alice, botuser, room, running = joined_room(synapse, bots, tmp_path)
    running.run(running.chat.stop())  # the listening bot is gone; a scale-out worker takes over
    worker = MatrixChat(running.settings, running.store, SystemTime())
    running.run(worker.connect())
    try:
        command = alice.say(room, "!news list")
        sent = running.run(worker.send_alert(f"matrix:{room}", alert(), key="newsbot-alert-9", thread=None))
        shown = alice.wait_for(room, lambda e: e["event_id"] == sent)["content"]
        assert "<strong>etwa 10.000 Soldaten</strong>" in shown["formatted_body"]
        threading.Event().wait(1.0)
        answers = [e for e in alice.messages(room) if replies_to(botuser, command)(e)]
        assert answers == []  # sending only: commands are the web process's to answer
    finally:
        running.run(worker.stop())
