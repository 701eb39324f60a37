"""The App Home tab, the forms and the "Track this story's topic" shortcut, through slack-bolt: signed
requests to /slack/events (and Socket Mode envelopes) against the Slack stand-in on loopback.

Every view the app sends passes through the stand-in, which refuses what Slack would refuse; each test
also checks every sent view against Block Kit's limits itself.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.chat.commands import CommandContext, CommandHandler
from bot.chat.slack import NOT_ALLOWED, SlackChat
from bot.chat.slack_home import (
    ACTION_ADD_FEED,
    ACTION_ADD_TOPIC,
    ACTION_PAGE,
    ACTION_RESUME_FEED,
    ACTION_SETTINGS,
)
from bot.chat.slack_modals import ACTION_PREVIEW, feed_view, topic_view
from bot.chat.slack_surfaces import SHORTCUT_TRACK, STALE_SETTINGS, UNKNOWN_FORM
from bot.core.payload import alert_to_dict
from bot.delivery import Deliverer
from bot.model import Quote
from bot.ports import SystemTime
from bot.settings import Settings
from bot.store.db import Store
from bot.store.rows import NewEntry, NewSubscription, PendingAlert
from tests.integration.test_slack import ALERT, _post, make_chat, serving
from tests.slack_standin import (
    APP_TOKEN,
    BOT_TOKEN,
    SlackStandin,
    block_kit_problems,
    home_opened,
    interactive_body,
    message_shortcut,
    sign,
    slack_standin,
    slash_command,
    view_action,
    view_submission,
)

Send = Callable[[dict[str, Any]], Awaitable[tuple[int, str]]]


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    with slack_standin() as server:
        server.add_channel("C0NEWS")
        server.add_channel("C0OTHER")
        yield server


def all_views_valid(standin: SlackStandin) -> None:
    """Every view the app sent is within Block Kit's limits, and Slack accepted every views call."""
    assert standin.sent_views, "the app sent no view"
    for view in standin.sent_views:
        surface = "home" if view.get("type") == "home" else "modal"
        assert block_kit_problems(view, surface) == [], view
    for method in ("views.open", "views.update", "views.publish"):
        assert standin.calls_to(method, ok=False) == [], standin.summary()


def run(chat: SlackChat, script: Callable[[Send, str], Awaitable[None]]) -> None:
    """Serve /slack/events and run `script` with a function that posts signed requests."""

    async def go() -> None:
        async with serving(chat) as url:

            async def send(payload: dict[str, Any]) -> tuple[int, str]:
                if payload.get("type") == "event_callback":
                    body = json.dumps(payload)
                    headers = sign(body, content_type="application/json")
                else:
                    body = interactive_body(payload)
                    headers = sign(body)
                status, text, took = await _post(url, body, headers)
                assert took < 3.0, "Slack gives up after three seconds"
                return status, text

            await script(send, url)

    asyncio.run(go())


async def settle(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def opened(standin: SlackStandin, n: int = -1) -> dict[str, Any]:
    """The modal the app opened (the n-th), as Slack keeps it (with its id and hash)."""
    return standin.views[standin.opened[n]]


def texts(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


NOW = datetime.now(UTC)


def test_opening_home_lists_each_channel_with_its_topics_settings_and_paused_feeds(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    handler = CommandHandler(sqlite_store)
    ctx = CommandContext("slack:C0NEWS", "U0ANN", NOW)
    handler.handle("subscribe Nordkorea | North Korea -Südkorea --threshold 80", ctx)
    handler.handle("subscribe NATO", ctx)
    handler.handle("mute NATO for 2h", ctx)
    handler.handle("settings quiet 22:00-07:00", ctx)
    handler.handle("settings threads flat", ctx)
    feed, _ = sqlite_store.add_feed("https://broken.example/rss", "Broken Feed", NOW)
    sqlite_store.set_feed_state(feed.id, status="paused", last_error="HTTP 404 eight times in a row")
    sqlite_store.pause_channel("slack:C0OTHER", "Slack refused chat.postMessage: is_archived")
    chat = make_chat(standin, sqlite_store)

    async def script(send: Send, _: str) -> None:
        status, _ = await send(home_opened("U0ANN"))
        assert status == 200
        await settle(lambda: standin.homes.get("U0ANN"), "the Home tab")

    run(chat, script)
    home = standin.homes["U0ANN"]
    shown = texts(home)
    assert "<#C0NEWS>" in shown and "<#C0OTHER>" in shown  # every channel the bot is in
    assert "Nordkorea | North Korea -Südkorea" in shown and "threshold 80" in shown
    assert "NATO" in shown and "muted until" in shown
    assert "Follow-ups: flat" in shown and "Quiet hours: 22:00–07:00" in shown and "Time zone: UTC" in shown
    assert "[paused]" in shown and "HTTP 404 eight times in a row" in shown
    assert "Alerts are paused here: Slack refused chat.postMessage: is_archived" in shown
    buttons = [
        e
        for b in home["blocks"]
        for e in (b.get("elements") or []) + ([b["accessory"]] if "accessory" in b else [])
        if e.get("type") == "button"
    ]
    actions = {(b["action_id"], b["value"]) for b in buttons}
    assert {
        (ACTION_ADD_TOPIC, "C0NEWS"),
        (ACTION_SETTINGS, "C0NEWS"),
        (ACTION_RESUME_FEED, str(feed.id)),
    } <= actions
    assert any(action == ACTION_ADD_FEED for action, _ in actions)
    all_views_valid(standin)


def test_a_long_home_tab_is_paginated_within_slacks_limits(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    for n in range(60):
        standin.add_channel(f"C0MANY{n:02d}")
        sqlite_store.add_subscription(
            NewSubscription(f"slack:C0MANY{n:02d}", f"Thema {n}", f"Thema {n}", None, "U0ANN"), NOW
        )
    for n in range(150):
        sqlite_store.add_feed(f"https://feeds.example/{n}/" + "x" * 200, f"Feed {n} " + "y" * 200, NOW)
    chat = make_chat(standin, sqlite_store)

    async def script(send: Send, _: str) -> None:
        await send(home_opened("U0ANN"))
        first = await settle(lambda: standin.homes.get("U0ANN"), "the Home tab")
        pages = [first]
        while True:
            nav = [e for b in pages[-1]["blocks"] if b["type"] == "actions" for e in b["elements"]]
            following = [
                e for e in nav if e["action_id"].startswith(ACTION_PAGE) and e["text"]["text"] == "Next"
            ]
            if not following:
                break
            before = len(standin.calls_to("views.publish", ok=True))
            await send(view_action(pages[-1], following[0]["action_id"], following[0]["value"]))
            await settle(
                lambda b=before: len(standin.calls_to("views.publish", ok=True)) > b, "the next page"
            )
            pages.append(standin.homes["U0ANN"])
            assert len(pages) < 20
        everything = " ".join(texts(page) for page in pages)
        assert len(pages) > 1
        assert all(f"<#C0MANY{n:02d}>" in everything for n in range(60))
        assert "Feed 149" in everything and "Thema 59" in everything

    run(chat, script)
    all_views_valid(standin)


def _subscription_rows(store: Store, channel: str) -> list[tuple[Any, ...]]:
    return [(s.name, s.query, s.threshold, s.lang, s.created_by) for s in store.list_subscriptions(channel)]


def test_the_topic_form_creates_the_same_subscription_as_the_slash_command(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    chat = make_chat(standin, sqlite_store)
    command = "subscribe Nordkorea | North Korea +Raketen -Südkorea --threshold 80 --lang de"

    async def script(send: Send, url: str) -> None:
        body = slash_command(command, response_url=standin.response_url("slash"))
        await _post(url, body, sign(body))
        await send(home_opened("U0ANN"))
        home = await settle(lambda: standin.homes.get("U0ANN"), "the Home tab")
        await send(view_action(home, ACTION_ADD_TOPIC, "C0OTHER"))
        await settle(lambda: standin.calls_to("views.open", ok=True), "the topic form")
        form = opened(standin)
        status, answer = await send(
            view_submission(
                form,
                topic="Nordkorea",
                aliases="North Korea",
                required="Raketen",
                excluded="Südkorea",
                threshold="80",
                lang="de",
            )
        )
        assert status == 200 and answer == ""  # accepted: Slack closes the form
        await settle(lambda: standin.posted("C0OTHER"), "the announcement")
        await settle(lambda: len(standin.calls_to("views.publish", ok=True)) >= 2, "the refreshed Home tab")

    run(chat, script)
    slash = _subscription_rows(sqlite_store, "slack:C0NEWS")
    form = _subscription_rows(sqlite_store, "slack:C0OTHER")
    assert slash == form == [("Nordkorea", "Nordkorea | North Korea +Raketen -Südkorea", 80.0, "de", "U0ANN")]
    [announcement] = standin.posted("C0OTHER")
    assert announcement["text"] == "<@U0ANN> subscribed this channel to news about “Nordkorea”."
    [confirmation] = [r for r in standin.responses if r["name"] == "ephemeral"]
    assert (
        "Subscribed this channel to “Nordkorea”" in confirmation["text"] and confirmation["user"] == "U0ANN"
    )
    assert "Nordkorea | North Korea +Raketen" in texts(standin.homes["U0ANN"])
    all_views_valid(standin)


def _errors(answer: str) -> dict[str, str]:
    data = json.loads(answer)
    assert data["response_action"] == "errors"
    return dict(data["errors"])


def _topic_form(target: str = "C0NEWS") -> dict[str, Any]:
    return {**topic_view(target), "id": "V0FORM", "hash": "1.1"}


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"topic": "🚀🔥"}, "topic", "holds the character `🚀`"),
        ({"topic": "N" * 300}, "topic", "the topic is 300 characters long; at most 200 are allowed"),
        ({"topic": None}, "topic", "Which topic?"),
        ({"topic": "Nordkorea", "aliases": "der, die"}, "aliases", "only stop words"),
        ({"topic": "Nordkorea", "required": "\u202e<!channel>"}, "required", "which a topic cannot use"),
        ({"topic": "Nordkorea --lang en"}, "topic", "looks like a command option"),
        ({"topic": "Nordkorea", "threshold": "180"}, "threshold", "--threshold takes a number from 0 to 100"),
        ({"topic": "Nordkorea", "lang": "fr"}, "lang", "--lang takes de or en"),
    ],
)
def test_a_topic_form_with_a_mistake_shows_the_commands_words_at_the_field_and_stores_nothing(
    standin: SlackStandin, sqlite_store: Store, fields: dict[str, Any], field: str, words: str
) -> None:
    chat = make_chat(standin, sqlite_store)
    answers: list[tuple[int, str]] = []

    async def script(send: Send, _: str) -> None:
        answers.append(await send(view_submission(_topic_form(), **fields)))

    run(chat, script)
    [(status, answer)] = answers
    assert status == 200
    errors = _errors(answer)
    assert words in errors[field], errors
    assert sqlite_store.list_subscriptions() == [] and standin.posted("C0NEWS") == []


def test_bad_form_payloads_get_a_clear_answer_never_a_5xx(standin: SlackStandin, sqlite_store: Store) -> None:
    chat = make_chat(standin, sqlite_store)
    answers: list[tuple[int, str]] = []
    form = _topic_form()
    no_state = {**view_submission(form, topic="Nordkorea")}
    no_state["view"] = {k: v for k, v in no_state["view"].items() if k != "state"}
    unknown = view_submission({**form, "callback_id": "newsbot_from_an_old_version"}, topic="NATO")
    no_channel = view_submission({**form, "private_metadata": "not json"}, topic="NATO")
    other_team = view_submission(_topic_form("C0NEWS@T0ELSEWHERE"), topic="NATO")
    no_callback = view_submission({k: v for k, v in form.items() if k != "callback_id"}, topic="NATO")
    no_view = {k: v for k, v in view_submission(form).items() if k != "view"}

    async def script(send: Send, _: str) -> None:
        for payload in (no_state, unknown, no_channel, other_team, no_callback, no_view):
            answers.append(await send(payload))

    run(chat, script)
    assert all(status == 200 for status, _ in answers)
    assert "Which topic?" in _errors(answers[0][1])["topic"]
    update = json.loads(answers[1][1])
    assert update["response_action"] == "update" and UNKNOWN_FORM in texts(update["view"])
    assert block_kit_problems(update["view"], "modal") == []
    assert "which channel" in _errors(answers[2][1])["topic"]
    assert "which channel" in _errors(answers[3][1])["topic"]
    for _, answer in answers[4:]:
        assert json.loads(answer)["response_action"] == "update" and UNKNOWN_FORM in answer
    assert sqlite_store.list_subscriptions() == []


def test_a_form_submitted_twice_makes_one_subscription_and_one_announcement(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    chat = make_chat(standin, sqlite_store)
    submission = view_submission(_topic_form(), topic="Nordkorea", aliases="North Korea")

    async def script(send: Send, _: str) -> None:
        assert (await send(submission))[0] == 200
        assert (await send(submission))[0] == 200
        await settle(lambda: len([r for r in standin.responses if r["name"] == "ephemeral"]) == 2, "answers")

    run(chat, script)
    assert _subscription_rows(sqlite_store, "slack:C0NEWS") == [
        ("Nordkorea", "Nordkorea | North Korea", None, None, "U0ANN")
    ]
    assert len(standin.posted("C0NEWS")) == 1
    said = sorted(r["text"] for r in standin.responses if r["name"] == "ephemeral")  # in either order
    assert "Subscribed this channel to “Nordkorea”" in said[0] and "already tracks “Nordkorea”" in said[1]


def test_only_the_named_managers_may_submit_a_form_and_it_is_checked_at_submission(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    chat = make_chat(standin, sqlite_store, slack_managers=["U0BOSS"])
    answers: list[tuple[int, str]] = []

    async def script(send: Send, _: str) -> None:
        await send(home_opened("U0ANN"))
        home = await settle(lambda: standin.homes.get("U0ANN"), "the Home tab")
        for action, value in (
            (ACTION_ADD_TOPIC, "C0NEWS"),
            (ACTION_SETTINGS, "C0NEWS"),
            (ACTION_ADD_FEED, "add"),
        ):
            before = len(standin.calls_to("views.open", ok=True))
            await send(view_action(home, action, value))  # anyone may open a form …
            await settle(lambda b=before: len(standin.calls_to("views.open", ok=True)) > b, "a form")
        topic, settings, feed = (opened(standin, n) for n in range(3))
        answers.append(await send(view_submission(topic, topic="NATO")))  # … but not submit it
        answers.append(await send(view_submission(settings, quiet="22:00-07:00")))
        answers.append(await send(view_submission(feed, url="https://feeds.example/rss")))
        answers.append(await send(view_submission(topic, user="U0BOSS", topic="Nordkorea")))

    run(chat, script)
    assert [_errors(answer) for _, answer in answers[:3]] == [
        {"topic": NOT_ALLOWED},
        {"threads": NOT_ALLOWED},
        {"url": NOT_ALLOWED},
    ]
    assert answers[3] == (200, "")
    assert [s.name for s in sqlite_store.list_subscriptions()] == ["Nordkorea"]
    assert sqlite_store.delivery_prefs() == {} and sqlite_store.list_feeds() == []
    all_views_valid(standin)


def test_the_settings_form_changes_the_settings_and_refuses_a_stale_form(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    chat = make_chat(standin, sqlite_store)
    answers: list[tuple[int, str]] = []

    async def script(send: Send, url: str) -> None:
        await send(home_opened("U0ANN"))
        home = await settle(lambda: standin.homes.get("U0ANN"), "the Home tab")
        for _ in range(2):  # two people open the form
            before = len(standin.calls_to("views.open", ok=True))
            await send(view_action(home, ACTION_SETTINGS, "C0NEWS"))
            await settle(
                lambda b=before: len(standin.calls_to("views.open", ok=True)) > b, "the settings form"
            )
        first, second = opened(standin, 0), opened(standin, 1)
        answers.append(await send(view_submission(first, quiet="bald", timezone="Mars/Olympus")))
        answers.append(
            await send(
                view_submission(
                    first, quiet="22:00-07:00", digest="daily", digest_at="07:30", timezone="Europe/Berlin"
                )
            )
        )
        answers.append(await send(view_submission(second, threads="flat")))  # opened before the change

    run(chat, script)
    errors = _errors(answers[0][1])
    assert "Quiet hours are a span of two times" in errors["quiet"]
    assert "“Mars/Olympus” is not a time zone I know" in errors["timezone"]
    assert answers[1] == (200, "")
    assert _errors(answers[2][1]) == {"threads": STALE_SETTINGS}
    prefs = sqlite_store.delivery_prefs()["slack:C0NEWS"]
    assert (prefs.quiet_start, prefs.quiet_end, prefs.digest, prefs.digest_at, prefs.timezone) == (
        "22:00",
        "07:00",
        "daily",
        "07:30",
        "Europe/Berlin",
    )
    assert sqlite_store.thread_modes()["slack:C0NEWS"] == "thread"  # the stale form changed nothing
    all_views_valid(standin)


def test_the_feed_form_adds_a_feed_and_a_paused_feed_can_be_resumed(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    paused, _ = sqlite_store.add_feed("https://paused.example/rss", "Paused", NOW)
    sqlite_store.set_feed_state(paused.id, status="paused", failures=8, last_error="HTTP 500")
    chat = make_chat(standin, sqlite_store)
    answers: list[tuple[int, str]] = []

    async def script(send: Send, _: str) -> None:
        await send(home_opened("U0ANN"))
        home = await settle(lambda: standin.homes.get("U0ANN"), "the Home tab")
        await send(view_action(home, ACTION_ADD_FEED, "add"))
        await settle(lambda: standin.calls_to("views.open", ok=True), "the feed form")
        form = opened(standin)
        answers.append(await send(view_submission(form, url="ftp://feeds.example/rss")))
        answers.append(await send(view_submission(form, url="https://feeds.example/rss")))
        await send(view_action(home, ACTION_RESUME_FEED, str(paused.id)))
        await settle(lambda: "[paused]" not in texts(standin.homes["U0ANN"]), "the Home tab again")

    run(chat, script)
    assert "is not an http or https URL" in _errors(answers[0][1])["url"]
    assert answers[1] == (200, "")
    feeds = {f.url: f.status for f in sqlite_store.list_feeds()}
    assert feeds == {"https://paused.example/rss": "ok", "https://feeds.example/rss": "new"}
    assert "[paused]" not in texts(standin.homes["U0ANN"])
    all_views_valid(standin)


def _store_entries(store: Store, items: list[tuple[str, str]]) -> None:
    feed, _ = store.add_feed("https://news.example/feed.xml", "Beispiel-Nachrichten", NOW)
    entries = [
        NewEntry(f"k{n}", title, f"https://news.example/{n}", summary, "", "de", NOW, f"h{n}", f"s{n}")
        for n, (title, summary) in enumerate(items)
    ]
    store.record_poll(feed.id, entries, [], [], {}, NOW)


ENTRIES = [
    ("Nordkorea testet erneut Raketen", "Pjöngjang hat nach Angaben aus Seoul zwei Raketen abgefeuert."),
    ("Waffenruhe in Russland und der Ukraine weiter fern", "Russland lehnt Gespräche ab."),
    ("Russland meldet Einnahme eines Dorfes", "Das russische Militär berichtet von Geländegewinnen."),
    ("Russland erhöht die Gaspreise", "Die Preise steigen in Russland zum Jahreswechsel."),
    ("Bundestag beschließt Haushalt", "Der Bundestag hat den Haushalt für das kommende Jahr beschlossen."),
]


def test_the_preview_lists_what_the_topic_would_have_matched_in_stored_entries(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    _store_entries(sqlite_store, ENTRIES)
    chat = make_chat(standin, sqlite_store)

    async def script(send: Send, _: str) -> None:
        await send(home_opened("U0ANN"))
        home = await settle(lambda: standin.homes.get("U0ANN"), "the Home tab")
        await send(view_action(home, ACTION_ADD_TOPIC, "C0NEWS"))
        await settle(lambda: standin.calls_to("views.open", ok=True), "the topic form")
        form = opened(standin)
        await send(view_action(form, ACTION_PREVIEW, "preview", topic="Nordkorea", required="Raketen"))
        await settle(lambda: standin.calls_to("views.update", ok=True), "the preview")

    run(chat, script)
    [update] = standin.calls_to("views.update", ok=True)
    preview = next(b for b in update.args["view"]["blocks"] if b.get("block_id") == "preview")["text"]["text"]
    assert "1 story of the last 3 days would have matched" in preview
    assert "<https://news.example/0|Nordkorea testet erneut Raketen>" in preview
    assert "Bundestag" not in preview and "Gaspreise" not in preview
    fields = {b["block_id"]: b["element"] for b in update.args["view"]["blocks"] if b["type"] == "input"}
    assert (
        fields["topic"]["initial_value"] == "Nordkorea" and fields["required"]["initial_value"] == "Raketen"
    )
    assert sqlite_store.list_subscriptions() == []  # a preview stores nothing
    all_views_valid(standin)


def test_the_shortcut_opens_the_topic_form_prefilled_with_the_messages_most_distinctive_names(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    _store_entries(sqlite_store, ENTRIES)
    chat = make_chat(standin, sqlite_store)
    message = {
        "ts": "1712345678.000100",
        "user": "U0ANN",
        "text": "Habt ihr das gesehen? Das Pentagon sagt, Nordkorea habe Soldaten nach Russland "
        "geschickt; Nordkorea bestreitet das. <https://news.example/x|Mehr dazu> <@U0BOSS>",
    }

    async def script(send: Send, _: str) -> None:
        status, _ = await send(message_shortcut(SHORTCUT_TRACK, message))
        assert status == 200
        await settle(lambda: standin.calls_to("views.open", ok=True), "the topic form")

    run(chat, script)
    form = opened(standin)
    fields = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert fields["topic"]["initial_value"] == "Nordkorea"  # named twice; Russland is in many stories
    assert fields["required"]["initial_value"] == "Pentagon"
    assert "U0BOSS" not in json.dumps(form)
    assert json.loads(form["private_metadata"])["channel"] == "C0NEWS"
    all_views_valid(standin)


def test_home_forms_and_the_shortcut_work_over_socket_mode(sqlite_store: Store) -> None:
    with slack_standin() as standin:
        standin.add_channel("C0NEWS")
        settings = Settings(
            slack_api_url=standin.api_url, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN
        )
        chat = SlackChat(settings, sqlite_store, SystemTime())

        async def go() -> None:
            await chat.start()
            try:
                standin.send_envelope("events_api", home_opened("U0ANN"))
                home = await settle(lambda: standin.homes.get("U0ANN"), "the Home tab")
                standin.send_envelope("interactive", view_action(home, ACTION_ADD_TOPIC, "C0NEWS"))
                await settle(lambda: standin.calls_to("views.open", ok=True), "the topic form")
                form = opened(standin)
                bad = standin.send_envelope("interactive", view_submission(form, topic="🚀"))
                acked = await settle(
                    lambda: next((m for m in standin.socket_messages if m.get("envelope_id") == bad), None),
                    "the ack of the bad form",
                )
                assert (
                    acked["payload"]["response_action"] == "errors" and "topic" in acked["payload"]["errors"]
                )
                standin.send_envelope("interactive", view_submission(form, topic="Nordkorea"))
                await settle(lambda: sqlite_store.list_subscriptions(), "the subscription")
                standin.send_envelope(
                    "interactive", message_shortcut(SHORTCUT_TRACK, {"text": "Was sagt die NATO dazu?"})
                )
                await settle(lambda: len(standin.calls_to("views.open", ok=True)) == 2, "the shortcut's form")
            finally:
                await chat.stop()

        asyncio.run(go())
        assert [s.name for s in sqlite_store.list_subscriptions("slack:C0NEWS")] == ["Nordkorea"]
        assert '"initial_value": "NATO"' in json.dumps(opened(standin, 1)["blocks"])
        all_views_valid(standin)


def test_the_preview_of_an_unusable_topic_says_why(standin: SlackStandin, sqlite_store: Store) -> None:
    chat = make_chat(standin, sqlite_store)

    async def script(send: Send, _: str) -> None:
        await send(home_opened("U0ANN"))
        home = await settle(lambda: standin.homes.get("U0ANN"), "the Home tab")
        await send(view_action(home, ACTION_ADD_TOPIC, "C0NEWS"))
        await settle(lambda: standin.calls_to("views.open", ok=True), "the topic form")
        await send(view_action(opened(standin), ACTION_PREVIEW, "preview", topic="der"))
        await settle(lambda: standin.calls_to("views.update", ok=True), "the preview")
        # Enter in the topic field previews too, with what was typed so far
        typed = view_action(opened(standin), "value", "NATO", block_id="topic", topic="NATO")
        await send(typed)
        await settle(lambda: len(standin.calls_to("views.update", ok=True)) == 2, "the preview on Enter")
        last = standin.calls_to("views.update", ok=True)[-1].args["view"]
        assert "No story of the last 3 days matches “NATO”" in texts(last)

    run(chat, script)
    [update, *_] = standin.calls_to("views.update", ok=True)
    assert "Nothing to preview yet" in texts(update.args["view"]) and "only stop words" in texts(
        update.args["view"]
    )


def test_a_delivered_alert_carries_its_story_in_the_metadata_without_link_previews(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    feed, _ = sqlite_store.add_feed("https://news.example/feed.xml", "Beispiel-Nachrichten", NOW)
    long_quote = Quote(text="Wir gehen davon aus " * 400, speaker="Sabrina Singh " * 40, role=None)
    content = replace(
        ALERT, title="Nordkorea " * 80, quote=long_quote, sources=tuple(f"Outlet {n}" for n in range(300))
    )
    sqlite_store.record_poll(
        feed.id,
        [NewEntry("p", content.title, content.link, "", "", "de", NOW, "p", "story-17")],
        [],
        [PendingAlert("slack:C0NEWS", "alert", alert_to_dict(content), entry_key="p", story="story-17")],
        {},
        NOW,
    )
    chat = make_chat(standin, sqlite_store)
    asyncio.run(Deliverer(sqlite_store, [chat], SystemTime()).deliver())
    [posted] = standin.posted("C0NEWS")
    assert posted["metadata"]["event_type"] == "newsbot_alert"
    assert posted["metadata"]["event_payload"]["story"] == "story-17"
    assert posted["unfurl_links"] is False and posted["unfurl_media"] is False
    assert block_kit_problems({"blocks": posted["blocks"]}, "message") == []  # a long alert still fits
    assert sqlite_store.alert_counts() == {"sent": 1}


def test_the_manifest_asks_for_the_home_tab_the_shortcut_and_the_event() -> None:
    yaml = pytest.importorskip("yaml")
    manifest = yaml.safe_load((Path(__file__).parents[2] / "config" / "slack-manifest.yml").read_text())
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    [shortcut] = manifest["features"]["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["callback_id"] == SHORTCUT_TRACK
    assert len(shortcut["name"]) <= 24 and len(shortcut["description"]) <= 150  # Slack's limits
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert {"channels:read", "groups:read", "files:read"} <= set(manifest["oauth_config"]["scopes"]["bot"])


OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Export</title></head><body>
<outline text="Welt"><outline text="Eins" type="rss" xmlUrl="https://eins.example/rss"/>
<outline text="Zwei" type="rss" xmlUrl="https://zwei.example/atom.xml"/></outline>
<outline text="Alt" type="rss" xmlUrl="ftp://alt.example/feed"/>
</body></opml>"""
HOSTILE = b"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>
<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x.example/rss"/></body></opml>"""


def test_an_opml_file_uploaded_in_the_feed_form_adds_its_feeds_and_a_bad_one_adds_nothing(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    chat = make_chat(standin, sqlite_store)
    answers: list[tuple[int, str]] = []
    form = {**feed_view(), "id": "V0FEED", "hash": "1"}

    async def script(send: Send, _: str) -> None:
        for name, content in (
            ("junk.opml", b"<html>no</html>"),
            ("bomb.opml", HOSTILE),
            ("feeds.opml", OPML),
        ):
            answers.append(await send(view_submission(form, opml=standin.upload(name, content))))
        elsewhere = {**standin.upload("x.opml", OPML), "url_private_download": "https://evil.example/x.opml"}
        answers.append(await send(view_submission(form, opml=elsewhere)))

    run(chat, script)
    assert "not an OPML document" in _errors(answers[0][1])["opml"]
    assert "declares XML entities" in _errors(answers[1][1])["opml"]
    assert answers[2] == (200, "")
    assert [f.url for f in sqlite_store.list_feeds()] == [
        "https://eins.example/rss",
        "https://zwei.example/atom.xml",
    ]
    assert {token for _, token in standin.downloads} == {BOT_TOKEN}  # fetched with the bot token
    assert "could not find the uploaded file" in _errors(answers[3][1])["opml"]  # the token stays home
    assert len(standin.downloads) == 3


def test_a_home_button_for_a_channel_that_is_no_channel_opens_no_form(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    chat = make_chat(standin, sqlite_store)

    async def script(send: Send, _: str) -> None:
        home = {"id": "V0HOME", "type": "home", "blocks": []}
        for value in ("<!channel>", "C0NEWS@T0ELSEWHERE", ""):
            assert (await send(view_action(home, ACTION_ADD_TOPIC, value)))[0] == 200
        await settle(lambda: len(standin.calls_to("views.open", ok=True)) == 3, "three answers")

    run(chat, script)
    for n in range(3):
        view = opened(standin, n)
        assert view.get("callback_id") == "" and "which channel this form is for" in texts(view)
    assert "<!channel>" not in json.dumps(standin.sent_views)


def test_an_oauth_workspace_sees_only_its_own_channels_served_with_its_own_token(sqlite_store: Store) -> None:
    from slack_sdk.oauth.installation_store import Installation

    from tests.integration.test_slack_oauth import TEAM, TEAM_TOKEN, oauth_chat

    with slack_standin() as standin:
        standin.add_channel("C0SECOND")
        standin.workspace_tokens[TEAM_TOKEN] = TEAM
        chat = oauth_chat(standin, sqlite_store)
        assert chat.oauth is not None
        installation = Installation(
            app_id="A0NEWSBOT", team_id=TEAM, bot_token=TEAM_TOKEN, bot_user_id="U0NEWSBOT", user_id="U0ADMIN"
        )
        asyncio.run(chat.oauth.installation_store.async_save(installation))
        for channel, topic in (
            ("slack:C0SECOND@" + TEAM, "Zweite"),
            ("slack:C0THIRD@T0OTHER", "Dritte"),
            ("slack:C0PLAIN", "Schlicht"),
        ):
            sqlite_store.add_subscription(NewSubscription(channel, topic, topic, None, "U0ADMIN"), NOW)

        async def script(send: Send, _: str) -> None:
            await send(home_opened("U0ADMIN", team=TEAM))
            home = await settle(lambda: standin.homes.get("U0ADMIN"), "the Home tab")
            await send(view_action(home, ACTION_ADD_TOPIC, "C0SECOND@" + TEAM, user="U0ADMIN", team=TEAM))
            await settle(lambda: standin.calls_to("views.open", ok=True), "the topic form")
            form = opened(standin)
            assert (await send(view_submission(form, user="U0ADMIN", team=TEAM, topic="Nordkorea")))[0] == 200
            await settle(lambda: standin.posted("C0SECOND"), "the announcement")

        run(chat, script)
        shown = texts(standin.homes["U0ADMIN"])
        assert "<#C0SECOND>" in shown and "Zweite" in shown
        assert "Dritte" not in shown and "Schlicht" not in shown  # other workspaces' channels stay hidden
        assert {c.token for c in standin.calls if c.method.startswith("views.")} == {TEAM_TOKEN}
        assert "Nordkorea" in [s.name for s in sqlite_store.list_subscriptions("slack:C0SECOND@" + TEAM)]
        all_views_valid(standin)


def test_a_form_for_a_channel_the_bot_is_not_in_saves_and_says_how_to_invite_it(
    standin: SlackStandin, sqlite_store: Store
) -> None:
    standin.add_channel("C0OUTSIDE", member=False)
    chat = make_chat(standin, sqlite_store)
    answers: list[tuple[int, str]] = []

    async def script(send: Send, _: str) -> None:
        await send(message_shortcut(SHORTCUT_TRACK, {"text": "Was sagt die NATO?"}, channel_id="C0OUTSIDE"))
        await settle(lambda: standin.calls_to("views.open", ok=True), "the topic form")
        answers.append(await send(view_submission(opened(standin))))

    run(chat, script)
    [(status, answer)] = answers
    update = json.loads(answer)
    assert status == 200 and update["response_action"] == "update"
    assert "Subscribed this channel to “NATO”" in texts(update["view"]) and "/invite @newsbot" in texts(
        update["view"]
    )
    assert block_kit_problems(update["view"], "modal") == []
    assert [s.name for s in sqlite_store.list_subscriptions("slack:C0OUTSIDE")] == ["NATO"]  # as /news does
