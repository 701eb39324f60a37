"""Relevant / Not relevant and the one-click exclusion, through slack-bolt with signed requests."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

from bot.chat.slack_blocks import ACTION_EXCLUDE, ACTION_NOT_RELEVANT, ACTION_RELEVANT
from bot.store.db import Store
from bot.store.rows import NewSubscription, PendingAlert
from tests.integration.test_slack import _post, make_chat, serving
from tests.integration.test_slack import standin as standin  # the fixture
from tests.slack_standin import SlackStandin, block_action, sign

NOW = datetime.now(UTC)
FRUIT = (
    "Apple growers warn of a poor harvest after frost",
    "Cider makers pay more as the apple harvest shrinks",
    "Apple harvest begins early in the valley",
    "Orchards: growers expect a small apple harvest",
)
COMPANY = "Apple unveils a cheaper MacBook"


def _alerts(store: Store) -> dict[str, str]:
    """Stored, sent alerts in #C0NEWS; their Slack timestamps by title."""
    feed, _ = store.add_feed("https://news.example/feed.xml", "Wire", NOW)
    stamps = {}
    for n, title in enumerate((*FRUIT, COMPANY)):
        payload = {"topic": "Apple", "title": title, "source": "Wire", "score": 100.0}
        store.record_poll(
            feed.id, [], [], [PendingAlert(channel="slack:C0NEWS", kind="alert", payload=payload)], {}, NOW
        )
        row = store.claim_next("slack:C0NEWS", NOW)
        assert row is not None
        stamps[title] = f"1.00000{n}"
        store.mark_sent(row.id, f"C0NEWS:{stamps[title]}", NOW)
    return stamps


def _click(standin: SlackStandin, store: Store, clicks: list[tuple[str, str, str]], **settings: Any) -> None:
    chat = make_chat(standin, store, **settings)

    async def go() -> None:
        async with serving(chat) as url:
            for name, action, ts_or_value in clicks:
                if action == ACTION_EXCLUDE:
                    body = block_action(action, ts_or_value, response_url=standin.response_url(name))
                else:
                    value = json.dumps({"key": "newsbot-alert-1", "topic": "Apple"})
                    body = block_action(
                        action, value, response_url=standin.response_url(name), message_ts=ts_or_value
                    )
                status = (await _post(url, body, sign(body)))[0]
                assert status == 200
                deadline = time.monotonic() + 5
                while name not in {r["name"] for r in standin.responses} and time.monotonic() < deadline:
                    await asyncio.sleep(0.02)

    asyncio.run(go())


def test_verdicts_lead_to_an_offer_whose_button_excludes_the_word(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    sqlite_store.add_subscription(NewSubscription("slack:C0NEWS", "Apple", "Apple", None, "U0ANN"), NOW)
    stamps = _alerts(sqlite_store)
    clicks = [("good", ACTION_RELEVANT, stamps[COMPANY])]
    clicks += [(f"bad{n}", ACTION_NOT_RELEVANT, stamps[title]) for n, title in enumerate(FRUIT)]
    clicks.append(("again", ACTION_NOT_RELEVANT, stamps[FRUIT[0]]))
    _click(standin, sqlite_store, clicks)
    said = {r["name"]: r for r in standin.responses}
    assert "relevant to “Apple”" in said["good"]["text"]
    assert "blocks" not in said["bad0"] and "already" in said["again"]["text"]
    offer = said["bad3"]
    buttons = [e for b in offer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["action_id"] == ACTION_EXCLUDE
    word = json.loads(buttons[0]["value"])["word"]
    assert word.lower() == "harvest" and "Reply:" not in offer["text"]
    assert offer["response_type"] == "ephemeral"

    _click(standin, sqlite_store, [("yes", ACTION_EXCLUDE, buttons[0]["value"])])
    (sub,) = sqlite_store.list_subscriptions("slack:C0NEWS")
    assert sub.query == f"Apple -{word}"
    assert "now excludes" in {r["name"]: r for r in standin.responses}["yes"]["text"]


def test_only_the_channel_managers_may_accept_an_offer(standin: SlackStandin, sqlite_store: Store) -> None:
    sqlite_store.add_subscription(NewSubscription("slack:C0NEWS", "Apple", "Apple", None, "U0BOSS"), NOW)
    value = json.dumps({"word": "harvest", "topic": "Apple"})
    _click(standin, sqlite_store, [("no", ACTION_EXCLUDE, value)], slack_managers=["U0BOSS"])
    assert "only the people" in {r["name"]: r for r in standin.responses}["no"]["text"]
    assert sqlite_store.list_subscriptions("slack:C0NEWS")[0].query == "Apple"
