"""The Matrix adapter in end-to-end encrypted rooms, against a real Synapse and a real encrypting
client (nio with vodozemac): what the room's members can read, and what the bot does with what it
cannot."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.chat.matrix import MatrixChat, MatrixRoomError
from bot.core.digest import Digest, DigestItem
from bot.core.payload import alert_to_dict
from bot.delivery import Deliverer
from bot.model import AlertContent
from bot.ports import SystemTime
from bot.settings import Settings
from bot.store.rows import NewEntry, PendingAlert
from tests.conftest import FIXTURES
from tests.e2e.test_story_threads import rss
from tests.feedserver import EMPTY_FEED, feed_server
from tests.integration.test_matrix_bot import RunningBot, alert, bot_settings, bots, start_bot
from tests.integration.test_matrix_run import PARENT_TITLE, bot_env, config_file, running_bot, wait_until
from tests.synapse import EncryptedClient, MatrixUser, Synapse, synapse

__all__ = ["bots", "synapse"]

MEGOLM = {"algorithm": "m.megolm.v1.aes-sha2"}
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def clients() -> Iterator[list[EncryptedClient]]:
    made: list[EncryptedClient] = []
    yield made
    for client in reversed(made):  # a client on another's loop closes before that loop stops
        client.close()


def replying_to(bot: MatrixUser, event_id: str) -> Any:
    return lambda e: (
        e["sender"] == bot.user_id
        and e["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == event_id
    )


def plaintext_from(user: MatrixUser, room: str, bot: MatrixUser) -> list[dict[str, Any]]:
    """The bot's unencrypted messages in the room, as the homeserver stores them."""
    return [e for e in user.messages(room) if e["sender"] == bot.user_id]


def encrypted_from(user: MatrixUser, room: str, bot: MatrixUser) -> list[dict[str, Any]]:
    path = f"/_matrix/client/v3/rooms/{room}/messages?dir=b&limit=200"
    return [
        e
        for e in user.call("GET", path)["chunk"]
        if e["sender"] == bot.user_id and e["type"] == "m.room.encrypted"
    ]


def phone_key(running: RunningBot) -> str:
    """The bot device's curve25519 key (the sender key of its Megolm sessions)."""
    return str(running.chat.client.olm.account.identity_keys["curve25519"])  # type: ignore[union-attr]


def encrypted_room(
    synapse: Synapse, bots: list[RunningBot], clients: list[EncryptedClient], tmp_path: Path
) -> tuple[MatrixUser, EncryptedClient, MatrixUser, str, RunningBot]:
    """An encrypted room of a new user (with an encrypting client) and a new bot (invited, greeted)."""
    alice = synapse.register("alice")
    botuser = synapse.register("newsbot")
    running = start_bot(bots, bot_settings(tmp_path, synapse, botuser))
    phone = EncryptedClient(synapse, alice, tmp_path / "alice-phone", loop=running.loop)
    clients.append(phone)
    room = alice.create_room(invite=(botuser.user_id,), encrypted=True)
    greeting = phone.wait_for(room, lambda e: e["sender"] == botuser.user_id, what="the bot's greeting")
    assert "!news help" in greeting["content"]["body"]
    return alice, phone, botuser, room, running


def test_in_an_encrypted_room_commands_answers_alerts_threads_and_edits_are_all_encrypted(
    synapse: Synapse, bots: list[RunningBot], clients: list[EncryptedClient], tmp_path: Path
) -> None:
    alice, phone, botuser, room, running = encrypted_room(synapse, bots, clients, tmp_path)
    command = phone.say(room, "!news subscribe Nordkorea | North Korea")
    answer = phone.wait_for(room, replying_to(botuser, command), what="the answer to subscribe")
    assert answer["content"]["msgtype"] == "m.notice"
    assert "Subscribed this channel to “Nordkorea”" in answer["content"]["body"]
    assert [s.query for s in running.store.list_subscriptions(f"matrix:{room}")] == [
        "Nordkorea | North Korea"
    ]

    channel = f"matrix:{room}"
    parent = running.run(running.chat.send_alert(channel, alert(), key="newsbot-alert-1", thread=None))
    shown = phone.wait_for(room, lambda e: e["event_id"] == parent, what="the alert")["content"]
    assert "<strong>etwa 10.000 Soldaten</strong>" in shown["formatted_body"]
    assert shown["m.mentions"] == {}
    follow = running.run(
        running.chat.send_alert(
            channel,
            alert("NATO bestätigt Entsendung", relation="followup"),
            key="newsbot-alert-2",
            thread=parent,
        )
    )
    reply = phone.wait_for(room, lambda e: e["event_id"] == follow, what="the follow-up")["content"]
    assert reply["m.relates_to"]["rel_type"] == "m.thread" and reply["m.relates_to"]["event_id"] == parent
    assert "NATO bestätigt Entsendung" in reply["body"]
    running.run(running.chat.edit_alert(channel, parent, alert(sources=("tagesschau", "ZDF", "AP"))))
    edit = phone.wait_for(
        room, lambda e: e["content"].get("m.relates_to", {}).get("rel_type") == "m.replace", what="the edit"
    )["content"]
    assert edit["m.relates_to"]["event_id"] == parent
    assert "+2 sources: ZDF, AP" in edit["m.new_content"]["body"]
    notice = running.run(running.chat.send_notice(channel, "I paused the feed x", key="newsbot-alert-3"))
    assert phone.wait_for(room, lambda e: e["event_id"] == notice)["content"]["msgtype"] == "m.notice"
    item = DigestItem("Nordkorea", "Offenbar 10.000 Soldaten", None, "https://news.example/nk", None)
    digest = running.run(running.chat.send_digest(channel, Digest((item,)), key="newsbot-digest-1"))
    assert (
        "Offenbar 10.000 Soldaten"
        in phone.wait_for(room, lambda e: e["event_id"] == digest)["content"]["body"]
    )

    # a resend of the same outbox row is the same event, not a second (differently encrypted) copy
    again = running.run(running.chat.send_alert(channel, alert(), key="newsbot-alert-1", thread=None))
    assert again == parent
    # nothing the bot said went out in plain text, and the homeserver saw every relation it needs
    assert plaintext_from(alice, room, botuser) == []
    sent = encrypted_from(alice, room, botuser)
    assert len(sent) == 7  # greeting, answer, alert, follow-up, edit, notice, digest: the resend is none
    relations = [e["content"].get("m.relates_to", {}).get("rel_type") for e in sent]
    assert relations.count("m.thread") == 1 and relations.count("m.replace") == 1
    assert phone.undecryptable == []


def test_newsbot_run_in_an_encrypted_room_survives_sigkill_and_a_new_device_reads_what_follows(
    synapse: Synapse, clients: list[EncryptedClient], tmp_path: Path
) -> None:
    alice = synapse.register("alice")
    bot = synapse.register("newsbot")
    phone = EncryptedClient(synapse, alice, tmp_path / "alice-phone")
    clients.append(phone)
    log = tmp_path / "newsbot.log"
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
            )
        ],
    )
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
    from_bot = lambda e: e["sender"] == bot.user_id  # noqa: E731
    with feed_server() as server:
        for path in ("/a.xml", "/b.xml", "/c.xml"):
            server.serve(path, EMPTY_FEED)
        config = config_file(tmp_path, server)
        env = bot_env(synapse, bot)
        room = alice.create_room(invite=(bot.user_id,), encrypted=True)
        with running_bot(config, env, log) as process:
            phone.wait_for(room, from_bot, what="the bot's encrypted greeting", timeout=40)
            command = phone.say(room, "!news subscribe Nordkorea | North Korea")
            answer = phone.wait_for(room, replying_to(bot, command), what="the answer to subscribe")
            assert "Subscribed" in answer["content"]["body"]
            wait_until(lambda: all(p in server.requests for p in ("/a.xml", "/b.xml", "/c.xml")), "polls")
            server.serve("/a.xml", seed)
            parent = phone.wait_for(
                room, lambda e: PARENT_TITLE in e["content"].get("body", ""), what="the alert", timeout=30
            )
            assert "<blockquote>" in parent["content"]["formatted_body"]
            server.serve("/b.xml", wire)
            server.serve("/c.xml", daily)
            followup = phone.wait_for(
                room,
                lambda e: e["content"].get("m.relates_to", {}).get("rel_type") == "m.thread",
                what="the follow-up in the thread",
            )
            assert followup["content"]["m.relates_to"]["event_id"] == parent["event_id"]
            phone.wait_for(
                room,
                lambda e: "+2 sources" in e["content"].get("m.new_content", {}).get("body", ""),
                what="the parent edited with both other sources",
            )
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        assert (tmp_path / "data" / "matrix-crypto").stat().st_mode & 0o777 == 0o700
        store = tmp_path / "data" / "matrix-crypto" / "newsbot-crypto.db"
        assert store.stat().st_mode & 0o777 == 0o600
        before = len(encrypted_from(alice, room, bot))

        with running_bot(config, env, log):
            late = phone.say(room, "!news list")
            listed = phone.wait_for(room, replying_to(bot, late), what="an answer after the SIGKILL")
            assert "Nordkorea" in listed["content"]["body"]
            # a second device of the member: what the bot says from now on is readable there too
            joined_ms = time.time() * 1000
            laptop = EncryptedClient(
                synapse, alice, tmp_path / "alice-laptop", device_name="laptop", loop=phone.loop
            )
            clients.append(laptop)
            wait_until(lambda: laptop.client.olm is not None and laptop.client.olm.account.shared, "keys")
            asked = phone.say(room, "!news help")
            helped = laptop.wait_for(room, replying_to(bot, asked), what="the answer, on the new device")
            assert "subscribe" in helped["content"]["body"]
            wait_until(lambda: len(encrypted_from(alice, room, bot)) >= before + 2, "both answers")
        after = encrypted_from(alice, room, bot)
    # the restarted bot is the same device with the same keys: nothing new for members to verify
    assert len(list(phone.client.device_store.active_user_devices(bot.user_id))) == 1
    assert len(after) == before + 2  # the two answers; nothing from before the kill posted again
    assert plaintext_from(alice, room, bot) == []
    bodies = [e["content"].get("body", "") for r, e in phone.decrypted if r == room and from_bot(e)]
    assert sum(b.startswith("Subscribed") for b in bodies) == 1
    assert sum(PARENT_TITLE in b and not b.startswith("* ") for b in bodies) == 1
    assert phone.undecryptable == []
    # the new device cannot read what was said before it existed, and can read everything after
    assert [e for _, e in laptop.undecryptable if e["origin_server_ts"] > joined_ms] == []
    text = log.read_text()
    assert "Traceback" not in text and bot.password not in text
    key = (tmp_path / "data" / "matrix-crypto" / "store-key").read_text().strip()
    assert len(key) >= 32 and key not in text  # the store's key is never logged


def test_an_undecryptable_message_gets_one_notice_one_key_request_and_the_bot_reads_on(
    synapse: Synapse,
    bots: list[RunningBot],
    clients: list[EncryptedClient],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice, phone, botuser, room, running = encrypted_room(synapse, bots, clients, tmp_path)
    sender_key = phone.client.olm.account.identity_keys["curve25519"]
    withheld = {  # a Megolm message whose session was never shared with the bot (keys withheld)
        **MEGOLM,
        "sender_key": sender_key,
        "device_id": phone.device_id,
        "session_id": "c2Vzc2lvbi1uZXZlci1zaGFyZWQtd2l0aC10aGUtYm90",
        "ciphertext": "AwgAEjBhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk",
    }
    bot_device = running.chat.client.device_id  # type: ignore[union-attr]
    bot_key = running.chat.client.olm.account.identity_keys["curve25519"]  # type: ignore[union-attr]
    broken_olm = {  # a to-device message that cannot be decrypted
        "algorithm": "m.olm.v1.curve25519-aes-sha2",
        "sender_key": sender_key,
        "ciphertext": {bot_key: {"type": 1, "body": "bm90IGFuIG9sbSBtZXNzYWdl"}},
    }
    with caplog.at_level(logging.WARNING, logger="bot.chat.matrix"):
        alice.send(room, withheld, event_type="m.room.encrypted")
        alice.send(room, withheld, event_type="m.room.encrypted")  # the same session again: no 2nd notice
        alice.call(
            "PUT",
            f"/_matrix/client/v3/sendToDevice/m.room.encrypted/{uuid.uuid4().hex}",
            {"messages": {botuser.user_id: {bot_device: broken_olm}}},
        )
        notice = phone.wait_for(
            room, lambda e: "could not decrypt" in e["content"].get("body", ""), what="the notice"
        )
        assert alice.user_id in notice["content"]["body"] and bot_device in notice["content"]["body"]
        command = phone.say(room, "!news list")  # the bot reads on
        assert "tracks no topics" in phone.wait_for(room, replying_to(botuser, command))["content"]["body"]
        to_device = [r for r in caplog.records if "to-device" in r.getMessage()]
        for _ in range(50):
            if to_device:
                break
            threading.Event().wait(0.2)
            to_device = [r for r in caplog.records if "to-device" in r.getMessage()]
    notices = [e for r, e in phone.decrypted if "could not decrypt" in e["content"].get("body", "")]
    assert len(notices) == 1
    lines = [r.getMessage() for r in caplog.records if "cannot decrypt event" in r.getMessage()]
    assert len(lines) == 1 and withheld["session_id"] in lines[0]
    assert withheld["session_id"] in running.chat.client.outgoing_key_requests  # type: ignore[union-attr]
    assert len(to_device) == 1 and alice.user_id in to_device[0].getMessage()
    assert plaintext_from(alice, room, botuser) == []


def test_a_damaged_key_store_is_moved_aside_and_the_bot_comes_back_as_a_new_device(
    synapse: Synapse,
    bots: list[RunningBot],
    clients: list[EncryptedClient],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice, phone, botuser, room, running = encrypted_room(synapse, bots, clients, tmp_path)
    plain = alice.create_room(invite=(botuser.user_id,))
    alice.wait_for(plain, lambda e: e["sender"] == botuser.user_id, what="the greeting in the plain room")
    old_device = running.chat.client.device_id  # type: ignore[union-attr]
    running.run(running.chat.stop())
    store = tmp_path / "data" / "matrix-crypto" / "newsbot-crypto.db"
    store.write_bytes(b"this is no longer a SQLite database" * 100)

    with caplog.at_level(logging.ERROR, logger="bot.chat.matrix"):
        running.chat = MatrixChat(running.settings, running.store, SystemTime(), sync_timeout_ms=1000)
        running.start()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "unusable" in errors[0] and "new device" in errors[0], errors
    new_device = running.chat.client.device_id  # type: ignore[union-attr]
    assert new_device != old_device
    assert list(store.parent.glob("newsbot-crypto.db.damaged-*"))  # kept for the admin, not deleted
    told = phone.wait_for(room, lambda e: "damaged" in e["content"].get("body", ""), what="the notice")
    assert str(new_device) in told["content"]["body"]
    command = phone.say(room, "!news list")
    phone.wait_for(room, replying_to(botuser, command), what="an answer from the new device")
    listing = alice.say(plain, "!news list")
    alice.wait_for(plain, lambda e: e["sender"] == botuser.user_id and listing in str(e["content"]))


def test_a_worker_hands_encrypted_room_sends_to_the_process_that_owns_the_keys(
    synapse: Synapse, bots: list[RunningBot], clients: list[EncryptedClient], tmp_path: Path
) -> None:
    alice, phone, botuser, room, running = encrypted_room(synapse, bots, clients, tmp_path)

    async def serve() -> tuple[web.AppRunner, int]:  # the owner's HTTP server, as `newsbot serve` runs it
        app = web.Application()
        app.add_routes(running.chat.web_routes())
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner, int(runner.addresses[0][1])

    runner, port = running.run(serve())
    relay = f"http://127.0.0.1:{port}"
    worker = MatrixChat(
        running.settings.model_copy(update={"matrix_relay_url": relay}), running.store, SystemTime()
    )
    lone = MatrixChat(running.settings, running.store, SystemTime())  # a worker with no relay set
    running.run(worker.connect())
    running.run(lone.connect())
    channel = f"matrix:{room}"
    try:
        sent = running.run(worker.send_alert(channel, alert(), key="newsbot-alert-1", thread=None))
        shown = phone.wait_for(room, lambda e: e["event_id"] == sent, what="the relayed alert")
        assert "<strong>etwa 10.000 Soldaten</strong>" in shown["content"]["formatted_body"]
        again = running.run(worker.send_alert(channel, alert(), key="newsbot-alert-1", thread=None))
        assert again == sent  # a resend through the relay is still the one event
        with pytest.raises(MatrixRoomError, match="matrix_relay_url"):
            running.run(lone.send_alert(channel, alert(), key="newsbot-alert-2", thread=None))

        async def forged() -> int:
            body = json.dumps({"room_id": room, "content": {"msgtype": "m.text", "body": "x"}, "tx_id": "t"})
            headers = {"X-Newsbot-Timestamp": f"{time.time():.3f}", "X-Newsbot-Signature": "0" * 64}
            async with (
                aiohttp.ClientSession() as http,
                http.post(relay + "/matrix/relay", data=body, headers=headers) as r,
            ):
                return r.status

        assert running.run(forged()) == 401
    finally:
        running.run(worker.stop())
        running.run(lone.stop())
        running.run(runner.cleanup())
    assert plaintext_from(alice, room, botuser) == []
    assert len(encrypted_from(alice, room, botuser)) == 2  # the greeting and the one alert


def test_with_verified_trust_only_listed_devices_get_room_keys(
    synapse: Synapse,
    bots: list[RunningBot],
    clients: list[EncryptedClient],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = synapse.register("alice")
    botuser = synapse.register("newsbot")
    settings = bot_settings(tmp_path, synapse, botuser, matrix_device_trust="verified")
    with caplog.at_level(logging.WARNING, logger="bot.chat.matrix_crypto"):
        running = start_bot(bots, settings)
        phone = EncryptedClient(synapse, alice, tmp_path / "alice-phone", loop=running.loop)
        clients.append(phone)
        room = alice.create_room(invite=(botuser.user_id,), encrypted=True)
        wait_until(lambda: len(encrypted_from(alice, room, botuser)) == 1, "the greeting")
        threading.Event().wait(1.0)
    assert [e for r, e in phone.decrypted if e["sender"] == botuser.user_id] == []  # no key for phone
    blocked = [r.getMessage() for r in caplog.records if "gets no room keys" in r.getMessage()]
    assert len(blocked) == 1 and phone.device_id in blocked[0]

    running.run(running.chat.stop())  # the admin lists the phone and restarts the bot
    listed = settings.model_copy(update={"matrix_verified_devices": [f"{alice.user_id} {phone.device_id}"]})
    running.chat = MatrixChat(listed, running.store, SystemTime(), sync_timeout_ms=1000)
    running.start()
    command = phone.say(room, "!news list")
    answer = phone.wait_for(room, replying_to(botuser, command), what="an answer the listed phone reads")
    assert "tracks no topics" in answer["content"]["body"]


def test_a_member_who_leaves_gets_no_key_for_what_follows(
    synapse: Synapse, bots: list[RunningBot], clients: list[EncryptedClient], tmp_path: Path
) -> None:
    alice, phone, botuser, room, running = encrypted_room(synapse, bots, clients, tmp_path)
    bob = synapse.register("bob")
    bobs = EncryptedClient(synapse, bob, tmp_path / "bob", loop=running.loop)
    clients.append(bobs)
    alice.invite(room, bob.user_id)
    bob.join(room)
    channel = f"matrix:{room}"
    wait_until(lambda: bob.user_id in running.chat.client.rooms[room].users, "the bot to see bob")  # type: ignore[union-attr]
    first = running.run(running.chat.send_alert(channel, alert(), key="newsbot-alert-1", thread=None))
    bobs.wait_for(room, lambda e: e["event_id"] == first, what="the alert, on bob's device")
    bob.call("POST", f"/_matrix/client/v3/rooms/{room}/leave", {})
    wait_until(lambda: bob.user_id not in running.chat.client.rooms[room].users, "the bot to see bob leave")  # type: ignore[union-attr]
    second = running.run(
        running.chat.send_alert(
            channel, alert("Pentagon: 12.000 Soldaten"), key="newsbot-alert-2", thread=None
        )
    )
    phone.wait_for(room, lambda e: e["event_id"] == second, what="the second alert, for alice")
    sessions = {e["event_id"]: e["content"]["session_id"] for e in encrypted_from(alice, room, botuser)}
    assert sessions[first] != sessions[second]  # the room key was replaced when bob left
    keys = bobs.client.olm.inbound_group_store
    assert keys.get(room, phone_key(running), sessions[first]) is not None  # bob had the old key
    assert keys.get(room, phone_key(running), sessions[second]) is None  # and never got the new one


def test_with_an_access_token_a_damaged_key_store_pauses_encrypted_rooms_and_keeps_their_alerts(
    synapse: Synapse,
    bots: list[RunningBot],
    clients: list[EncryptedClient],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = synapse.register("alice")
    botuser = synapse.register("newsbot")
    settings = Settings(
        data_dir=tmp_path / "data",
        matrix_homeserver=synapse.base_url,
        matrix_user=botuser.user_id,
        matrix_access_token=SecretStr(botuser.token),
    )
    running = start_bot(bots, settings)
    phone = EncryptedClient(synapse, alice, tmp_path / "alice-phone", loop=running.loop)
    clients.append(phone)
    room = alice.create_room(invite=(botuser.user_id,), encrypted=True)
    phone.wait_for(room, lambda e: e["sender"] == botuser.user_id, what="the greeting")
    plain = alice.create_room(invite=(botuser.user_id,))
    alice.wait_for(plain, lambda e: e["sender"] == botuser.user_id, what="the greeting in the plain room")
    running.run(running.chat.stop())
    store = tmp_path / "data" / "matrix-crypto" / "newsbot-crypto.db"
    store.write_bytes(b"\0garbage" * 500)

    with caplog.at_level(logging.WARNING, logger="bot.chat.matrix"):
        running.chat = MatrixChat(settings, running.store, SystemTime(), sync_timeout_ms=1000)
        running.start()
        phone.say(room, "!news list")  # the bot cannot read it: it says so, once, in plain text
        told = alice.wait_for(room, lambda e: e["sender"] == botuser.user_id, what="the plain notice")
        assert "cannot read or post encrypted messages here" in told["content"]["body"]
        phone.say(room, "!news help")
        listing = alice.say(plain, "!news list")  # plain rooms go on
        alice.wait_for(
            plain,
            lambda e: (
                e["content"].get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id") == listing
            ),
        )
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "unusable" in errors[0] and "access token" in errors[0]
    assert len([e for e in alice.messages(room) if e["sender"] == botuser.user_id]) == 1
    assert botuser.token not in caplog.text

    # an alert for the encrypted room waits in the outbox, its channel paused with the reason
    channel = f"matrix:{room}"
    feed, _ = running.store.add_feed("https://news.example/feed.xml", None, START)
    payload = alert_to_dict(
        AlertContent("Nordkorea", "Offenbar 10.000 Soldaten", None, "src", START, 90.0, None, None)
    )
    pending = PendingAlert(channel=channel, kind="alert", payload=payload, entry_key="e1", story="s1")
    entry = NewEntry("e1", "Offenbar 10.000 Soldaten", None, "", "", "de", START, "e1", "e1")
    running.store.record_poll(feed.id, [entry], [], [pending], {}, START)
    report = running.run(Deliverer(running.store, [running.chat], SystemTime()).deliver())
    assert report.sent == 0
    assert "key store" in running.store.paused_channels()[channel]
    counts = running.store.alert_counts()
    assert counts == {"pending": 1}, counts  # kept, not sent, not given up
