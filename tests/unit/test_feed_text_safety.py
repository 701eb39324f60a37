"""Feed text that tries to look like something else: bidi controls and Slack mrkdwn in headlines."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.chat.matrix_html import digest_html
from bot.chat.slack_blocks import alert_blocks, digest_message, fallback_text
from bot.core.digest import Digest, DigestItem
from bot.core.render import Message
from bot.core.text import clean_text
from bot.ingest.parse import fast_clean_text, parse_feed

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# "invoice_exe.pdf" would show as "invoice_fdp.exe": U+202E reverses what follows it
REVERSED = "Report \u202efdp.exe\u202c and \u2067isolated\u2069 text"


def message(text: str) -> Message:
    return Message(
        topic="NATO",
        headline=text,
        figure=text,
        quote=text,
        speaker=text,
        context=f"outlet {text} · 29.10.2024 05:12 UTC · match 92 (NATO)",
        link="https://example.org/a_b_c/story_1.html",
        sources=f"+1 source: {text}",
        followup=False,
        lead=text,
    )


def strings(node: Any) -> str:
    return json.dumps(node, ensure_ascii=False)


@pytest.mark.parametrize("clean", [clean_text, fast_clean_text])
def test_cleaning_feed_text_drops_every_bidi_control(clean: Any) -> None:
    assert clean(REVERSED) == "Report fdp.exe and isolated text"
    assert not any(char in clean(f"<p>{BIDI}x&#x202E;y</p>") for char in BIDI)


def test_a_parsed_feed_carries_no_bidi_control_to_any_platform() -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Feed \u202eeltit</title>'
        "<item><title>Headline &#x202E;desrever</title><link>https://example.org/1</link>"
        f"<description>{REVERSED}</description><author>a@example.org (Jane \u2067Doe\u2069)</author></item>"
        "</channel></rss>"
    ).encode()
    parsed = parse_feed(body, "https://example.org/feed")
    (entry,) = parsed.entries
    for text in (parsed.title or "", entry.title, entry.summary, entry.text, entry.author or ""):
        assert not any(char in text for char in BIDI), text
    assert entry.title == "Headline desrever"


def test_feed_mrkdwn_shows_as_written_instead_of_formatting_the_slack_message() -> None:
    hostile = "*bold* ~strike~ `code` _italic_ ```block```"
    alert = message(hostile)
    blocks = alert_blocks(alert, "k")
    mrkdwn = [
        node["text"]
        for block in blocks
        for node in [block.get("text"), *block.get("elements", [])]
        if isinstance(node, dict) and node.get("type") == "mrkdwn"
    ]
    assert len(mrkdwn) == 4  # lead and figure, quote, context, sources
    lead_and_figure, quote, context, sources = mrkdwn
    # the bot's own emphasis stays: the lead in italics, the figure in bold, the quote as a quote
    lead, figure = lead_and_figure.split("\n")
    assert lead.startswith("_") and lead.endswith("_") and figure.startswith("Key figure: *")
    assert quote.startswith("> “")
    for text in (lead[1:-1], figure.removeprefix("Key figure: *")[:-1], quote, context, sources):
        assert not any(marker in text for marker in "*~`_"), text
        assert "bold" in text and "strike" in text and "code" in text and "italic" in text
    fallback = fallback_text(alert)
    first_lines = fallback.split("\n")[:-1]
    assert not any(marker in line for line in first_lines for marker in "*~`_")
    assert fallback.split("\n")[-1] == "https://example.org/a_b_c/story_1.html"  # the link works as sent


def test_feed_mrkdwn_in_a_digest_is_neutralised_and_links_stay_whole() -> None:
    item = DigestItem(
        topic="NATO",
        headline="*Breaking* _news_ ~not~ `x`",
        figure=None,
        link="https://example.org/a_b/c",
        followup=False,
        updates=0,
        sources=None,
    )
    digest = Digest(items=(item,))
    args = digest_message(digest, "k")
    section = args["blocks"][-1]["text"]["text"]
    assert "Breaking" in section and not any(marker in section.split(" <")[0] for marker in "*~`_")
    assert section.endswith("<https://example.org/a_b/c|Read>")
    assert "https://example.org/a_b/c" in args["text"].split("\n")
    assert "*Breaking*" not in args["text"]
    assert "*Breaking*" in digest_html(digest)[0]  # Matrix shows the text as written: no mrkdwn there
