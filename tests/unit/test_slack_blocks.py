"""Slack rendering: what a channel sees for an alert, and that feed text can never become markup."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.chat.slack_blocks import (
    HEADER_LIMIT,
    alert_blocks,
    alert_message,
    button_value,
    escape,
    fallback_text,
    fit,
    header_text,
    notice_message,
    safe_url,
)
from bot.core.render import Message

MESSAGE = Message(
    topic="Nordkorea",
    headline="Offenbar 10.000 Soldaten aus Nordkorea in Russland",
    figure="etwa 10.000 Soldaten",
    quote="Wir gehen davon aus, dass Nordkorea insgesamt etwa 10.000 Soldaten geschickt hat",
    speaker="Sabrina Singh, stellvertretende Pentagon-Sprecherin",
    context="tagesschau · 29.10.2024 05:12 UTC · match 92 (Nordkorea)",
    link="https://www.tagesschau.de/ausland/nordkorea-soldaten-russland-100.html",
    sources=None,
    followup=False,
    lead=None,
)


def with_(**changes: Any) -> Message:
    fields = {name: getattr(MESSAGE, name) for name in Message.__dataclass_fields__}
    return Message(**{**fields, **changes})


def texts(blocks: list[dict[str, Any]]) -> str:
    """What Slack shows: every text of the blocks (a button's value is data it hands back, never shown)."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "value"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return json.dumps(strip(blocks), ensure_ascii=False)


def test_escape_turns_slacks_three_control_characters_into_entities() -> None:
    assert escape("<!channel> & <@U1|boss> <https://x|y>") == (
        "&lt;!channel&gt; &amp; &lt;@U1|boss&gt; &lt;https://x|y&gt;"
    )
    assert escape("„Zitat“ — 10 % 😀 שלום") == "„Zitat“ — 10 % 😀 שלום"


def test_the_alert_reads_header_figure_quote_context_and_buttons_in_that_order() -> None:
    blocks = alert_blocks(MESSAGE, "newsbot-alert-1")
    assert [b["type"] for b in blocks] == ["header", "section", "section", "context", "actions"]
    assert blocks[0]["text"] == {
        "type": "plain_text",
        "text": "[Nordkorea] Offenbar 10.000 Soldaten aus Nordkorea in Russland",
        "emoji": False,
    }
    assert blocks[1]["text"]["text"] == "Key figure: *etwa 10.000 Soldaten*"
    assert blocks[2]["text"]["text"] == (
        "> “Wir gehen davon aus, dass Nordkorea insgesamt etwa 10.000 Soldaten geschickt hat”\n"
        "> — Sabrina Singh, stellvertretende Pentagon-Sprecherin"
    )
    assert blocks[3]["elements"][0]["text"] == MESSAGE.context
    read, mute, relevant, not_relevant = blocks[4]["elements"]
    assert read["url"] == MESSAGE.link and read["text"]["text"] == "Read article"
    assert mute["text"]["text"] == "Mute topic" and not_relevant["text"]["text"] == "Not relevant"
    assert relevant["text"]["text"] == "Relevant" and relevant["value"] == not_relevant["value"]
    assert json.loads(mute["value"]) == {"key": "newsbot-alert-1", "topic": "Nordkorea"}


def test_a_followup_says_so_and_shows_what_is_new() -> None:
    blocks = alert_blocks(with_(followup=True, lead="Update: new figure 12.000 Soldaten"), "k")
    assert blocks[0]["text"]["text"].startswith("↳ [Nordkorea] ")
    assert blocks[1]["text"]["text"].startswith("_Update: new figure 12.000 Soldaten_\nKey figure:")


def test_an_alert_without_figure_quote_or_link_still_has_its_header_context_and_feedback() -> None:
    blocks = alert_blocks(with_(figure=None, quote=None, speaker=None, link=None), "k")
    assert [b["type"] for b in blocks] == ["header", "context", "actions"]
    assert [e["text"]["text"] for e in blocks[2]["elements"]] == ["Mute topic", "Relevant", "Not relevant"]


def test_the_parent_edit_lists_the_other_sources() -> None:
    blocks = alert_blocks(with_(sources="+2 sources: AP, ZDF"), "k")
    assert [e["text"] for e in blocks[3]["elements"]] == [MESSAGE.context, "+2 sources: AP, ZDF"]


HOSTILE = "<!channel> <!here|here> <@U0BOSS> <#C0SECRET> <https://evil.example|tagesschau.de> & Co"


@pytest.mark.parametrize(
    "field", ["topic", "headline", "figure", "quote", "speaker", "context", "sources", "lead"]
)
def test_no_piece_of_feed_text_can_ping_link_or_mention(field: str) -> None:
    message = with_(**{field: HOSTILE})
    rendered = texts(alert_blocks(message, "k")) + fallback_text(message)
    for raw in ("<!channel>", "<!here", "<@U0BOSS>", "<#C0SECRET>", "<https://evil"):
        assert raw not in rendered
    assert "&lt;!channel&gt;" in rendered


def test_emphasis_cannot_be_broken_open_by_an_asterisk_in_the_figure() -> None:
    blocks = alert_blocks(with_(figure="5*10 Mio. Euro"), "k")
    assert blocks[1]["text"]["text"] == "Key figure: *5∗10 Mio. Euro*"


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "ftp://x.example/a",
        "https://x.example/a|fake",
        "https://x.example/<b>",
        "/relative",
        "",
    ],
)
def test_only_a_plain_http_link_becomes_the_article_button(link: str) -> None:
    assert safe_url(link) is None
    elements = alert_blocks(with_(link=link), "k")[-1]["elements"]
    assert [e["text"]["text"] for e in elements] == ["Mute topic", "Relevant", "Not relevant"]


def test_the_header_stays_within_150_characters_even_when_escaping_makes_it_longer() -> None:
    for headline in ("&" * 200, "Wort " * 60, "<b>" * 60, "x" * 1000):
        for topic in ("Nordkorea", "T&T " * 40):
            text = header_text(with_(topic=topic, headline=headline))
            assert len(text) <= HEADER_LIMIT
            assert "&amp" not in text[-4:] or text.endswith("&amp;") or text.endswith("…")
    long = header_text(with_(headline="Ein sehr langer Titel " * 10))
    assert long.endswith("…") and len(long) <= HEADER_LIMIT


def test_fit_never_cuts_an_entity_in_half() -> None:
    for limit in range(5, 40):
        text = fit("a & b < c > d " * 10, limit)
        assert len(text) <= limit
        stripped = text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
        assert "&" not in stripped


def test_the_fallback_is_the_whole_alert_as_plain_escaped_lines() -> None:
    text = fallback_text(with_(headline="A <b> & C"))
    lines = text.splitlines()
    assert lines[0] == "[Nordkorea] A &lt;b&gt; &amp; C"
    assert "Figure: etwa 10.000 Soldaten" in lines
    assert lines[-1] == MESSAGE.link


def test_the_message_carries_its_key_and_never_unfurls() -> None:
    args = alert_message(MESSAGE, "newsbot-alert-9")
    assert args["metadata"] == {"event_type": "newsbot_alert", "event_payload": {"key": "newsbot-alert-9"}}
    assert args["unfurl_links"] is False and args["unfurl_media"] is False
    assert args["text"] and args["blocks"]
    notice = notice_message("Feed <x> paused", "newsbot-alert-10")
    assert notice["text"] == "Feed &lt;x&gt; paused"
    assert notice["metadata"]["event_payload"] == {"key": "newsbot-alert-10"}
    breaking = notice_message("Breaking: “*Big* ~news~ `now`” (Apple)", "newsbot-alert-11")["text"]
    assert "*Big*" not in breaking and "~news~" not in breaking and "`now`" not in breaking


def test_a_button_value_stays_within_slacks_limit_for_a_huge_topic() -> None:
    value = button_value("Nordkorea " * 400, "newsbot-alert-1")
    assert len(value) <= 2000 and json.loads(value)["key"] == "newsbot-alert-1"


def test_feed_text_in_mrkdwn_is_never_auto_linked_or_parsed_for_mentions() -> None:
    blocks = alert_blocks(with_(sources="+1 source: DW", quote="see example.org @here"), "newsbot-alert-2")
    mrkdwn = [
        node
        for block in blocks
        for node in ([block.get("text")] if block["type"] == "section" else block.get("elements", []))
        if isinstance(node, dict) and node.get("type") == "mrkdwn"
    ]
    assert len(mrkdwn) == 4  # figure, quote, context, sources
    assert all(node["verbatim"] is True for node in mrkdwn)
