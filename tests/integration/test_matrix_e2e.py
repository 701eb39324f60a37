"""The Matrix adapter in end-to-end encrypted rooms, against a real Synapse and a real encrypting
client (nio with vodozemac): what the room's members can read, and what the bot does with what it
cannot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_matrix_bot import RunningBot, alert, bot_settings, bots, start_bot
from tests.synapse import EncryptedClient, MatrixUser, Synapse, synapse

__all__ = ["bots", "synapse"]

MEGOLM = {"algorithm": "m.megolm.v1.aes-sha2"}


@pytest.fixture
def clients() -> Iterator[list[EncryptedClient]]:
    made: list[EncryptedClient] = []
    yield made
    for client in made:
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

    # a resend of the same outbox row is the same event, not a second (differently encrypted) copy
    again = running.run(running.chat.send_alert(channel, alert(), key="newsbot-alert-1", thread=None))
    assert again == parent
    # nothing the bot said went out in plain text, and the homeserver saw every relation it needs
    assert plaintext_from(alice, room, botuser) == []
    sent = encrypted_from(alice, room, botuser)
    assert len(sent) == 6  # greeting, answer, alert, follow-up, edit, notice: the resend is none
    relations = [e["content"].get("m.relates_to", {}).get("rel_type") for e in sent]
    assert relations.count("m.thread") == 1 and relations.count("m.replace") == 1
    assert phone.undecryptable == []
