"""Reactions as verdicts: 👍 / 👎 on the bot's alerts in a real Synapse room."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.chat.learning import reaction_verdict
from bot.core.payload import alert_to_dict
from bot.store.rows import NewSubscription, PendingAlert
from tests.integration.test_matrix_bot import RunningBot, alert, joined_room, replies_to
from tests.synapse import Synapse
from tests.synapse import synapse as synapse  # the fixture

FRUIT = (
    "Apple growers warn of a poor harvest after frost",
    "Cider makers pay more as the apple harvest shrinks",
    "Apple harvest begins early in the valley",
)


def _post_alert(running: RunningBot, channel: str, title: str, n: int) -> str:
    """An alert written to the outbox and delivered, as the deliverer does; its event id."""
    store = running.store
    feed = (
        store.list_feeds()[0] if store.list_feeds() else store.add_feed("https://news.example/f", "F", NOW)[0]
    )
    content = alert(title, topic="Apple", figure=None, quote=None, source="Farm Weekly")
    store.record_poll(
        feed.id,
        [],
        [],
        [PendingAlert(channel=channel, kind="alert", payload=alert_to_dict(content))],
        {},
        NOW,
    )
    row = store.claim_next(channel, NOW)
    assert row is not None
    event_id = running.run(running.chat.send_alert(channel, content, key=f"newsbot-alert-{n}", thread=None))
    store.mark_sent(row.id, event_id, NOW)
    return event_id


NOW = datetime.now(UTC)


@pytest.fixture
def bots() -> Iterator[list[RunningBot]]:
    running: list[RunningBot] = []
    yield running
    for bot in running:
        bot.close()


def _react(user: object, room: str, event_id: str, key: str) -> str:
    content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
    return user.send(room, content, event_type="m.reaction")  # type: ignore[attr-defined,no-any-return]


def test_thumbs_down_on_alerts_brings_an_offer_and_thumbs_up_counts_once(
    synapse: Synapse, bots: list[RunningBot], tmp_path: Path
) -> None:
    alice, botuser, room, running = joined_room(synapse, bots, tmp_path)
    channel = f"matrix:{room}"
    running.store.add_subscription(NewSubscription(channel, "Apple", "Apple", None, alice.user_id), NOW)
    events = [_post_alert(running, channel, title, n) for n, title in enumerate(FRUIT)]
    bob = synapse.register("bob")
    alice.invite(room, bob.user_id)
    bob.join(room)
    good = _post_alert(running, channel, "Apple unveils a cheaper MacBook", 9)
    _react(bob, room, good, "👍")
    _react(bob, room, good, "👍🏽")  # the same verdict again, in another skin tone
    _react(alice, room, events[0], "🎉")  # not a verdict
    reactions = [_react(alice, room, event, "👎️") for event in events]
    offer = alice.wait_for(room, replies_to(botuser, reactions[-1]), what="an offer to exclude a word")
    body = offer["content"]["body"]
    assert offer["content"]["msgtype"] == "m.notice" and "Reply: !news exclude harvest from Apple" in body
    # the earlier reactions got no answer: verdicts are quiet
    assert not [e for e in alice.messages(room) if replies_to(botuser, reactions[0])(e)]
    assert running.store.feedback_counts(channel, "relevant") == {"Apple": 1}
    assert running.store.feedback_counts(channel) == {"Apple": 3}

    accept = alice.say(room, "!news exclude harvest from Apple")
    done = alice.wait_for(room, replies_to(botuser, accept))
    assert "now excludes “harvest”" in done["content"]["body"]
    assert running.store.list_subscriptions(channel)[0].query == "Apple -harvest"


def test_only_thumbs_are_verdicts() -> None:
    assert reaction_verdict("👍") is True and reaction_verdict("👎🏿") is False
    assert reaction_verdict("👍️") is True
    assert reaction_verdict("❤️") is None and reaction_verdict("") is None
