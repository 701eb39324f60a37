"""An alert as a neutral message: the parts every platform shows, in the order they show them.

No markup here: each chat adapter escapes these strings for its platform (Slack mrkdwn,
Matrix HTML, the terminal) and lays them out. Every field is one line of plain text: line breaks,
tabs and control characters from the feed (a terminal's ESC sequences, BEL, C1 codes) become spaces,
so a feed can neither add lines of its own to an alert nor drive the terminal it is shown on.
Text is shortened on word boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.model import AlertContent

HEADLINE_LIMIT = 140  # fits Slack's 150-character header with the topic in front
QUOTE_LIMIT = 400


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    headline: str
    figure: str | None  # "etwa 10.000 Soldaten"
    quote: str | None  # the quoted words, without quotation marks
    speaker: str | None  # "Sabrina Singh, stellvertretende Pentagon-Sprecherin"
    context: str  # "tagesschau · 29.10.2024 05:12 UTC · match 92 (Nordkorea)"
    link: str | None
    sources: str | None  # "+3 sources: Spiegel, DW, BBC" for a story reported more than once
    followup: bool  # a reply in the thread of the story's first alert
    lead: str | None  # for a follow-up: what is new


# C0 and C1 control characters and DEL; str.split() already treats \n, \t, \x1c-\x1f and \x85 as spaces
_CONTROLS = dict.fromkeys((*range(0x20), *range(0x7F, 0xA0)), " ")


def one_line(text: str) -> str:
    """`text` as one line: control characters and line breaks become spaces, runs of spaces one."""
    return " ".join(text.translate(_CONTROLS).split())


def shorten(text: str, limit: int) -> str:
    """`text` as one line, cut at a word boundary to at most `limit` characters, with an ellipsis when cut."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def _when(published: datetime | None) -> str | None:
    if published is None:
        return None
    return published.strftime("%d.%m.%Y %H:%M UTC")


def _speaker(alert: AlertContent) -> str | None:
    if alert.quote is None or not one_line(alert.quote.text):
        return None  # a speaker is shown with the words they said, never alone
    parts = [one_line(p) for p in (alert.quote.speaker, alert.quote.role) if p]
    return ", ".join(p for p in parts if p) or None


def sources_line(sources: tuple[str, ...]) -> str | None:
    """`+2 sources: DW, BBC` once other outlets reported the same story; None before that."""
    others = [s for s in list(dict.fromkeys(map(one_line, sources)))[1:] if s]
    if not others:
        return None
    label = "source" if len(others) == 1 else "sources"
    shown = ", ".join(others[:5]) + (" …" if len(others) > 5 else "")
    return f"+{len(others)} {label}: {shown}"


def _lead(alert: AlertContent) -> str | None:
    if alert.relation != "followup":
        return None
    news = []
    figure = shorten(alert.figure.text, 120) if alert.figure is not None else ""
    if figure:
        news.append(f"new figure {figure}")
    if alert.quote is not None and alert.quote.speaker and one_line(alert.quote.speaker):
        news.append(f"{shorten(alert.quote.speaker, 120)} quoted")
    return "Update: " + "; ".join(news) if news else "Update"


BREAKING_MARK = "BREAKING"  # leads the context line of a story many outlets report at once


def render(alert: AlertContent) -> Message:
    matched_words = sorted({w for w in (shorten(e.word, 60) for e in alert.evidence) if w})[:3]
    match = f"match {alert.score:.0f}" + (f" ({', '.join(matched_words)})" if matched_words else "")
    updated = f"updated {alert.updated.strftime('%H:%M UTC')}" if alert.updated else None
    source = one_line(alert.source)
    breaking = BREAKING_MARK if alert.breaking else None
    context = " · ".join(part for part in (breaking, source, _when(alert.published), match, updated) if part)
    return Message(
        topic=one_line(alert.topic),
        headline=shorten(alert.title, HEADLINE_LIMIT),
        figure=shorten(alert.figure.text, 120) or None if alert.figure else None,
        quote=shorten(alert.quote.text, QUOTE_LIMIT) or None if alert.quote else None,
        speaker=_speaker(alert),
        context=context,
        link=one_line(alert.link) or None if alert.link else None,
        sources=sources_line(alert.sources),
        followup=alert.relation == "followup",
        lead=_lead(alert),
    )


def plain_text(message: Message) -> str:
    """The whole alert as plain lines: the notification fallback and the console's form."""
    lines = [f"{'↳ ' if message.followup else ''}[{message.topic}] {message.headline}"]
    if message.lead:
        lines.append(message.lead)
    if message.figure:
        lines.append(f"Figure: {message.figure}")
    if message.quote:
        lines.append(f"„{message.quote}“" + (f" — {message.speaker}" if message.speaker else ""))
    lines.append(message.context)
    if message.sources:
        lines.append(message.sources)
    if message.link:
        lines.append(message.link)
    return "\n".join(lines)
