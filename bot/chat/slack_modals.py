"""The Slack forms (modals) and how a submitted one becomes a command of bot.chat.commands.

A form never changes anything itself: its fields become the text of the same command a person could
type (`subscribe Nordkorea | North Korea +Raketen --threshold 80 --lang de`, `settings quiet off`,
`feeds add <url>`), which the one CommandHandler carries out. Before that, each field is checked on
its own with the same parsers and in the same words as the command, so that a mistake is shown next
to the field that holds it (`response_action: errors`) and nothing is stored.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.chat.commands import (
    DIGEST_TIME_USAGE,
    LANGUAGES,
    QUIET_USAGE,
    SETTINGS_USAGE,
    THREAD_MODES,
    check_feed_url,
    parse_lang_option,
    parse_threshold_option,
    unknown_zone,
)
from bot.chat.slack_blocks import Block
from bot.chat.slack_form_kit import (
    FormResult,
    for_channel,
    input_block,
    metadata,
    modal,
    plain,
    select,
    text_input,
)
from bot.core.matching import MAX_QUERY_CHARS, QueryError, parse_topic
from bot.core.windows import (
    DEFAULT_DIGEST_AT,
    DIGEST_MODES,
    DeliveryPrefs,
    parse_clock,
    parse_quiet_hours,
    zone,
)
from bot.errors import ParseError
from bot.ingest.opml import parse_opml

TOPIC_FORM = "newsbot_topic"
SETTINGS_FORM = "newsbot_settings"
FEED_FORM = "newsbot_feed"
ACTION_PREVIEW = "newsbot_topic_preview"
ERROR_LIMIT = 1000  # a field error stays readable next to its field
ANY_LANGUAGE = "any"

PREVIEW_ON_ENTER = ("topic", "aliases", "required", "excluded")  # the fields whose Enter previews


# -- Track a topic ---------------------------------------------------------------------------------

# The topic form's optional word fields: field, label, placeholder, hint.
_WORD_FIELDS = (
    ("aliases", "Other names", "North Korea, DPRK", "Any of these also matches; separate them with commas."),
    (
        "required",
        "Must also mention",
        "Raketen",
        "Every one of these words must appear too; separate them with commas.",
    ),
    (
        "excluded",
        "Must not mention",
        "Südkorea",
        "A story with any of these words is left out; separate them with commas.",
    ),
)


def topic_view(
    target: str,
    initial: dict[str, str | None] | None = None,
    preview: str | None = None,
    *,
    home: bool = False,
) -> dict[str, Any]:
    """The "Track a topic" form for the channel `target`; `preview` is the text under its button."""
    values = initial or {}
    languages = [(ANY_LANGUAGE, "any language"), *((lang, lang) for lang in LANGUAGES)]
    blocks: list[Block] = [
        for_channel(target),
        input_block(
            "topic",
            "Topic",
            text_input(values.get("topic"), max_length=MAX_QUERY_CHARS, placeholder="Nordkorea"),
            hint="The name alerts are filed under.",
        ),
        *(
            input_block(
                field,
                label,
                text_input(values.get(field), max_length=MAX_QUERY_CHARS, placeholder=placeholder),
                optional=True,
                hint=hint,
            )
            for field, label, placeholder, hint in _WORD_FIELDS
        ),
        input_block(
            "threshold",
            "Threshold",
            {
                "type": "number_input",
                "is_decimal_allowed": True,
                "min_value": "0",
                "max_value": "100",
                **({"initial_value": values["threshold"]} if values.get("threshold") else {}),
            },
            optional=True,
            hint="How well a story must match, from 0 to 100 (default 70).",
        ),
        input_block(
            "lang",
            "Language",
            select(languages, values.get("lang") or ANY_LANGUAGE),
            optional=True,
        ),
        {
            "type": "actions",
            "block_id": "preview_button",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACTION_PREVIEW,
                    "text": plain("Preview the last 72 hours", 75),
                    "value": "preview",
                }
            ],
        },
    ]
    if preview is not None:
        blocks.append(
            {
                "type": "section",
                "block_id": "preview",
                "text": {"type": "mrkdwn", "text": preview[:3000], "verbatim": True},
            }
        )
    for block in blocks:
        if block.get("block_id") in PREVIEW_ON_ENTER:  # Enter in a word field refreshes the preview
            block["dispatch_action"] = True
            block["element"]["dispatch_action_config"] = {"trigger_actions_on": ["on_enter_pressed"]}
    return modal(TOPIC_FORM, "Track a topic", "Track", blocks, metadata(channel=target, home=home))


def _terms(value: str | None, *, quote: bool = True) -> list[str]:
    """A comma- or line-separated field as terms; a +/- term of several words is quoted as a phrase
    (an alias between `|` needs no quotes)."""
    if not value:
        return []
    parts = [" ".join(part.split()) for part in value.replace("\n", ",").split(",")]
    return [f'"{part}"' if quote and " " in part else part for part in parts if part]


def _no_option(value: str | None) -> str | None:
    """A field must not smuggle in a command option (`--lang`), which the form has its own field for."""
    for word in (value or "").split():
        if word.startswith("--"):
            return f"“{word[:40]}” looks like a command option; use the form's fields instead."
    return None


def _problem(exc: QueryError) -> str:
    """A topic error in the command's words (plain text: Slack shows field errors as they are)."""
    text = str(exc)
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"


def topic_query(values: dict[str, str | None]) -> tuple[str, float | None, str | None, dict[str, str]]:
    """The topic query text, threshold and language a topic form asks for, or errors by field.

    Fields are added to the query one at a time, so an error is shown at the field that brings it."""
    errors: dict[str, str] = {}
    topic = values.get("topic")
    if not topic:
        return "", None, None, {"topic": "Which topic? Type a name, e.g. Nordkorea."}
    parts = [topic]
    pieces = {
        "aliases": " | ".join(_terms(values.get("aliases"), quote=False)),
        "required": " ".join("+" + term for term in _terms(values.get("required"))),
        "excluded": " ".join("-" + term for term in _terms(values.get("excluded"))),
    }
    for block_id in ("topic", "aliases", "required", "excluded"):
        if block_id != "topic":
            if not pieces[block_id]:
                continue
            parts.append(("| " if block_id == "aliases" else "") + pieces[block_id])
        problem = _no_option(values.get(block_id))
        if problem:
            errors[block_id] = problem
            break
        try:
            parse_topic(" ".join(parts))
        except QueryError as exc:
            errors[block_id] = _problem(exc)
            break
    threshold: float | None = None
    if values.get("threshold"):
        try:
            threshold = parse_threshold_option(str(values["threshold"]))
        except QueryError as exc:
            errors["threshold"] = _problem(exc)
    lang: str | None = None
    if values.get("lang") and values["lang"] != ANY_LANGUAGE:
        try:
            lang = parse_lang_option(str(values["lang"]))
        except QueryError as exc:
            errors["lang"] = _problem(exc)
    return " ".join(parts), threshold, lang, errors


def topic_request(values: dict[str, str | None]) -> FormResult:
    """The `subscribe …` command a submitted topic form stands for."""
    query, threshold, lang, errors = topic_query(values)
    if errors:
        return FormResult(errors=errors)
    command = f"subscribe {query}"
    if threshold is not None:
        command += f" --threshold {threshold:g}"
    if lang is not None:
        command += f" --lang {lang}"
    return FormResult(commands=[command])


# -- Channel settings -------------------------------------------------------------------------------


def settings_version(thread_mode: str, prefs: DeliveryPrefs) -> str:
    """A short fingerprint of a channel's settings: a form opened before a change can tell."""
    shown = [thread_mode, prefs.timezone, prefs.quiet_start, prefs.quiet_end, prefs.digest, prefs.digest_at]
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()[:16]


def settings_view(
    target: str, thread_mode: str, prefs: DeliveryPrefs, *, home: bool = False
) -> dict[str, Any]:
    """The "Channel settings" form, filled with the channel's settings as they are now."""
    quiet = f"{prefs.quiet_start}-{prefs.quiet_end}" if prefs.quiet_start and prefs.quiet_end else None
    blocks: list[Block] = [
        for_channel(target),
        input_block(
            "threads",
            "Follow-ups",
            select(
                [
                    ("thread", "in the first alert's thread"),
                    ("thread+broadcast", "in the thread, new figures also in the channel"),
                    ("flat", "as new messages"),
                ],
                thread_mode,
            ),
        ),
        input_block(
            "quiet",
            "Quiet hours",
            text_input(quiet, max_length=20, placeholder="22:00-07:00"),
            optional=True,
            hint="Alerts wait during these hours and follow when they end. Empty: none.",
        ),
        input_block(
            "digest",
            "Digest",
            select(
                [("off", "off: every alert at once"), ("hourly", "hourly"), ("daily", "daily")], prefs.digest
            ),
        ),
        input_block(
            "digest_at",
            "Daily digest at",
            text_input(prefs.digest_at, max_length=5, placeholder=DEFAULT_DIGEST_AT),
            optional=True,
            hint="For a daily digest only.",
        ),
        input_block(
            "timezone",
            "Time zone",
            text_input(prefs.timezone, max_length=64, placeholder="Europe/Berlin"),
            hint="Of the quiet hours and the daily digest.",
        ),
    ]
    private = metadata(channel=target, version=settings_version(thread_mode, prefs), home=home)
    return modal(SETTINGS_FORM, "Channel settings", "Save", blocks, private)


def settings_request(values: dict[str, str | None], thread_mode: str, prefs: DeliveryPrefs) -> FormResult:
    """The `settings …` commands that change what the form changed, or errors by field."""
    errors: dict[str, str] = {}
    threads = values.get("threads") or ""
    if threads not in THREAD_MODES:
        errors["threads"] = SETTINGS_USAGE
    quiet = values.get("quiet")
    span = parse_quiet_hours(quiet) if quiet else None
    if quiet and span is None:
        errors["quiet"] = QUIET_USAGE
    digest = values.get("digest") or ""
    if digest not in DIGEST_MODES:
        errors["digest"] = SETTINGS_USAGE
    at = parse_clock(values.get("digest_at") or DEFAULT_DIGEST_AT)
    if digest == "daily" and at is None:
        errors["digest_at"] = DIGEST_TIME_USAGE
    timezone = values.get("timezone") or ""
    if zone(timezone) is None:
        errors["timezone"] = (
            unknown_zone(timezone) if timezone else "Which time zone? e.g. Europe/Berlin or UTC."
        )
    if errors:
        return FormResult(errors={k: v[:ERROR_LIMIT] for k, v in errors.items()})
    commands = []
    if threads != thread_mode:
        commands.append(f"settings threads {threads}")
    current_span = (prefs.quiet_start, prefs.quiet_end) if prefs.quiet_start and prefs.quiet_end else None
    if span != current_span:
        commands.append(f"settings quiet {span[0]}-{span[1]}" if span else "settings quiet off")
    if digest != prefs.digest or (digest == "daily" and at != prefs.digest_at):
        commands.append(f"settings digest daily {at}" if digest == "daily" else f"settings digest {digest}")
    if timezone != prefs.timezone:
        commands.append(f"settings timezone {timezone}")
    return FormResult(commands=commands)


# -- Add a feed -------------------------------------------------------------------------------------


OPML_MAX_BYTES = 1_000_000  # an OPML file larger than this is no list of subscriptions
OPML_MAX_FEEDS = 200  # what one form adds within Slack's three seconds; `newsbot feeds import` takes more


def feed_view(*, home: bool = False) -> dict[str, Any]:
    """The "Add a feed" form: a URL, or an OPML file of feeds (an export of another reader)."""
    blocks: list[Block] = [
        input_block(
            "url",
            "Feed URL",
            text_input(None, max_length=2048, placeholder="https://www.tagesschau.de/index~rss2.xml"),
            optional=True,
            hint="An RSS or Atom feed over http or https; it is polled for every channel.",
        ),
        input_block(
            "opml",
            "…or an OPML file",
            {"type": "file_input", "filetypes": ["opml", "xml"], "max_files": 1},
            optional=True,
            hint=f"The feeds of an OPML export (at most {OPML_MAX_FEEDS}); feeds already polled are kept.",
        ),
    ]
    return modal(FEED_FORM, "Add a feed", "Add", blocks, metadata(home=home))


def _url_problem(url: str) -> str | None:
    """Why `feeds add <url>` would refuse the URL (a space would split the command)."""
    return check_feed_url(url) or ("A feed URL has no spaces." if any(c.isspace() for c in url) else None)


def feed_request(values: dict[str, str | None], opml: bytes | None = None) -> FormResult:
    """The `feeds add <url>` commands of the form (its URL, or each feed of its OPML file), or the
    error the command would give; nothing is added unless all of it can be."""
    url = values.get("url") or ""
    if opml is None or url:
        problem = check_feed_url(url) or (
            "A feed URL has no spaces." if any(c.isspace() for c in url) else None
        )
        if problem:
            return FormResult(errors={"url": problem[:ERROR_LIMIT]})
    commands = [f"feeds add {url}"] if url else []
    if opml is not None:
        try:
            feeds = parse_opml(opml)
        except ParseError as exc:
            return FormResult(errors={"opml": f"That file cannot be read: {exc}"[:ERROR_LIMIT]})
        usable = [
            f.url for f in feeds if check_feed_url(f.url) is None and not any(c.isspace() for c in f.url)
        ]
        if not usable:
            return FormResult(errors={"opml": "That OPML file lists no http or https feeds."})
        if len(usable) > OPML_MAX_FEEDS:
            return FormResult(
                errors={
                    "opml": f"That file lists {len(usable)} feeds; a form takes at most {OPML_MAX_FEEDS}. "
                    "Use `newsbot feeds import FILE` on the server for more."
                }
            )
        commands += [f"feeds add {feed}" for feed in usable if feed != url]
    return FormResult(commands=commands)
