"""Slack rendering as pure functions: a neutral Message -> Block Kit blocks and a plain fallback.

Every piece of feed text passes through `escape` (`&`, `<`, `>`), so a headline can never become
`<!channel>`, a fake `<https://evil|link>` or a `<@U123>` mention. Lengths are checked after
escaping, because Slack counts what it receives: a header stays within 150 characters.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from bot.core.digest import Digest, item_text, plain_digest
from bot.core.render import Message, plain_text, shorten

HEADER_LIMIT = 150  # Slack's limit for a header block's text
SECTION_LIMIT = 3000  # a section's text
CONTEXT_LIMIT = 2000  # one context element's text
FALLBACK_LIMIT = 3000  # the notification text; Slack truncates beyond 40,000, we stay short
TOPIC_IN_HEADER = 50  # the topic never crowds out the headline
URL_LIMIT = 3000  # a button's url
VALUE_LIMIT = 2000  # a button's value

ACTION_OPEN = "newsbot_open_article"
ACTION_MUTE = "newsbot_mute_topic"
ACTION_NOT_RELEVANT = "newsbot_not_relevant"
ACTION_RELEVANT = "newsbot_relevant"
ACTION_EXCLUDE = "newsbot_exclude"  # accept a proposed exclusion
ACTION_DECLINE = "newsbot_decline"  # turn a proposed exclusion down
ALERT_EVENT = "newsbot_alert"
NOTICE_EVENT = "newsbot_notice"
DIGEST_EVENT = "newsbot_digest"

Block = dict[str, Any]


# mrkdwn has no escape character: the characters that open bold, italic, strike-through and code
# become lookalikes, so feed text shows as written instead of as formatting.
_MRKDWN = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})


def escape(text: str) -> str:
    """Slack's three control characters as entities; nothing else is touched.

    Bidi controls never get this far: parsing drops them from feed text (`bot.core.text`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_mrkdwn(text: str) -> str:
    """`escape`, and mrkdwn's emphasis and code markers neutralised: for feed text in mrkdwn fields."""
    return escape(text).translate(_MRKDWN)


def fit(text: str, limit: int, mrkdwn: bool = False) -> str:
    """`text` shortened on a word boundary and escaped, at most `limit` characters once escaped.

    With `mrkdwn`, formatting markers are neutralised too (`escape_mrkdwn`), for mrkdwn fields.
    """
    budget = limit
    escaper = escape_mrkdwn if mrkdwn else escape
    while True:
        escaped = escaper(shorten(text, budget))
        if len(escaped) <= limit or budget <= 1:
            return escaped[:limit] if len(escaped) > limit else escaped
        budget -= max(1, len(escaped) - limit)


def header_text(message: Message) -> str:
    """`[topic] headline` (with `↳ ` for a follow-up), escaped, within Slack's header limit."""
    prefix = ("↳ " if message.followup else "") + "[" + fit(message.topic, TOPIC_IN_HEADER) + "] "
    room = HEADER_LIMIT - len(prefix)
    return prefix + fit(message.headline, room)


def safe_url(url: str | None) -> str | None:
    """A link we are willing to put on a button: http(s), with a host, no spaces or angle brackets."""
    if not url or len(url) > URL_LIMIT or any(c in url for c in " <>|\n\r\t"):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def _bold(text: str) -> str:
    """Emphasis in mrkdwn around text already passed through `fit(..., mrkdwn=True)`."""
    return "*" + text + "*"


def button_value(topic: str, key: str) -> str:
    """What a feedback button carries back to us: the alert key and its topic."""
    value = json.dumps({"key": key, "topic": topic}, ensure_ascii=False)
    if len(value) <= VALUE_LIMIT:
        return value
    return json.dumps({"key": key, "topic": topic[:500]}, ensure_ascii=False)


def alert_blocks(message: Message, key: str) -> list[Block]:
    """The alert as Block Kit: header, lead, key figure, key quote, context, article link, feedback."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": header_text(message), "emoji": False}}
    ]
    lines: list[str] = []
    if message.lead:
        lines.append("_" + fit(message.lead, 300, mrkdwn=True) + "_")
    if message.figure:
        lines.append("Key figure: " + _bold(fit(message.figure, 300, mrkdwn=True)))
    if lines:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines), "verbatim": True}}
        )
    if message.quote:
        opening, closing = message.quote_marks  # the marks of the quote's language
        quote = "> " + opening + fit(message.quote, 1500, mrkdwn=True) + closing
        if message.speaker:
            quote += "\n> — " + fit(message.speaker, 300, mrkdwn=True)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": quote, "verbatim": True}})
    context = [{"type": "mrkdwn", "text": fit(message.context, CONTEXT_LIMIT, mrkdwn=True), "verbatim": True}]
    if message.sources:
        context.append(
            {"type": "mrkdwn", "text": fit(message.sources, CONTEXT_LIMIT, mrkdwn=True), "verbatim": True}
        )
    blocks.append({"type": "context", "elements": context})
    elements: list[Block] = []
    link = safe_url(message.link)
    if link:
        elements.append(
            {
                "type": "button",
                "action_id": ACTION_OPEN,
                "text": {"type": "plain_text", "text": "Read article"},
                "url": link,
                "style": "primary",
            }
        )
    value = button_value(message.topic, key)
    elements.append(
        {
            "type": "button",
            "action_id": ACTION_MUTE,
            "text": {"type": "plain_text", "text": "Mute topic"},
            "value": value,
        }
    )
    elements.append(
        {
            "type": "button",
            "action_id": ACTION_RELEVANT,
            "text": {"type": "plain_text", "text": "Relevant"},
            "value": value,
        }
    )
    elements.append(
        {
            "type": "button",
            "action_id": ACTION_NOT_RELEVANT,
            "text": {"type": "plain_text", "text": "Not relevant"},
            "value": value,
        }
    )
    blocks.append({"type": "actions", "block_id": "newsbot_feedback", "elements": elements})
    return blocks


def fallback_text(message: Message) -> str:
    """The notification text: the whole alert as plain lines, escaped."""
    # the link stays as written (Slack links it); every other line is feed text
    lines = [fit(line, 600, mrkdwn=line != message.link) for line in plain_text(message).splitlines()]
    text = "\n".join(line for line in lines if line)
    return text if len(text) <= FALLBACK_LIMIT else fit(text, FALLBACK_LIMIT)


def alert_metadata(key: str, event_type: str = ALERT_EVENT, story: str | None = None) -> dict[str, Any]:
    """Message metadata that lets a resend find the message it would double; an alert also names
    its story, so that other apps (and a later version of this one) can tell which story it is."""
    payload = {"key": key} if story is None else {"key": key, "story": story}
    return {"event_type": event_type, "event_payload": payload}


def alert_message(message: Message, key: str, story: str | None = None) -> dict[str, Any]:
    """The arguments of chat.postMessage for an alert (without channel and thread_ts)."""
    return {
        "text": fallback_text(message),
        "blocks": alert_blocks(message, key),
        "metadata": alert_metadata(key, story=story),
        "unfurl_links": False,
        "unfurl_media": False,
    }


def notice_message(text: str, key: str) -> dict[str, Any]:
    """The arguments of chat.postMessage for a notice from the bot (feed paused, subscriptions).

    A notice may quote feed text (a breaking story's headline, a feed's error), so formatting
    markers in it show as written."""
    return {
        "text": fit(text, FALLBACK_LIMIT, mrkdwn=True),
        "metadata": alert_metadata(key, NOTICE_EVENT),
        "unfurl_links": False,
        "unfurl_media": False,
    }


def digest_blocks(digest: Digest) -> list[Block]:
    """A digest as Block Kit: a header, then one section per story with its headline linked."""
    blocks: list[Block] = []
    for notice in digest.notices:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": fit(notice, 600, mrkdwn=True), "verbatim": True},
            }
        )
    if digest.items:
        blocks.append(
            {
                "type": "header",
                "text": {"type": "plain_text", "text": fit(digest.title, HEADER_LIMIT), "emoji": False},
            }
        )
    for item in digest.items:
        link = safe_url(item.link)
        line = fit(item_text(item), 1500, mrkdwn=True)
        if link:
            line += f" <{link}|Read>"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line, "verbatim": True}})
    return blocks


def digest_message(digest: Digest, key: str) -> dict[str, Any]:
    """The arguments of chat.postMessage for a digest (without channel)."""
    # the links stay as written; every other line may hold feed text (notices quote headlines)
    ours = {item.link for item in digest.items}
    lines = [fit(line, 600, mrkdwn=line.strip() not in ours) for line in plain_digest(digest).splitlines()]
    text = "\n".join(line for line in lines if line)
    return {
        "text": text if len(text) <= FALLBACK_LIMIT else fit(text, FALLBACK_LIMIT),
        "blocks": digest_blocks(digest),
        "metadata": alert_metadata(key, DIGEST_EVENT),
        "unfurl_links": False,
        "unfurl_media": False,
    }


def proposal_blocks(text: str, word: str, topic: str) -> list[Block]:
    """An answer that offers an exclusion: the reason, then [Exclude WORD] [No thanks]."""
    value = json.dumps({"word": word[:200], "topic": topic[:500]}, ensure_ascii=False)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": fit(text, SECTION_LIMIT), "verbatim": True}},
        {
            "type": "actions",
            "block_id": "newsbot_proposal",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACTION_EXCLUDE,
                    "text": {"type": "plain_text", "text": fit(f"Exclude {word}", 75)},
                    "value": value,
                    "style": "primary",
                },
                {
                    "type": "button",
                    "action_id": ACTION_DECLINE,
                    "text": {"type": "plain_text", "text": "No thanks"},
                    "value": value,
                },
            ],
        },
    ]
