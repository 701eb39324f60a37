"""An alert as a neutral message: the parts every platform shows, in the order they show them.

No markup here: each chat adapter escapes these strings for its platform (Slack mrkdwn,
Matrix HTML, the terminal) and lays them out. Every field is one line of plain text: line breaks,
tabs and control characters from the feed (a terminal's ESC sequences, BEL, C1 codes) become spaces,
so a feed can neither add lines of its own to an alert nor drive the terminal it is shown on.
Text is shortened on word boundaries.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from bot.core.lang.typography import DEFAULT_LANGUAGE, QUOTATION_MARKS
from bot.core.text import detect_language
from bot.model import AlertContent, Figure

HEADLINE_LIMIT = 140  # fits Slack's 150-character header with the topic in front
QUOTE_LIMIT = 400
PARENT_LIMIT = 80  # the parent's headline on a thread reply, enough to tell the alert


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
    parent: str | None = None  # for a follow-up: the (shortened) headline of the alert it replies to
    quote_marks: tuple[str, str] = QUOTATION_MARKS[DEFAULT_LANGUAGE]  # in the quote's own language

    def quoted(self) -> str | None:
        """The key quote in its language's marks: “…” for English, „…“ for German."""
        return f"{self.quote_marks[0]}{self.quote}{self.quote_marks[1]}" if self.quote else None


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


def _figure(figure: Figure | None) -> str | None:
    """The key figure as shown; None for a bare number (`84`), which says nothing without a unit."""
    if figure is None:
        return None
    text = shorten(figure.text, 120)
    rest = text.replace(figure.approx, "", 1) if figure.approx else text
    says_what = figure.unit or any(
        unicodedata.category(ch)[0] == "L" or unicodedata.category(ch) == "Sc" or ch in "%‰" for ch in rest
    )
    return text if text and says_what else None


def _quote_marks(alert: AlertContent) -> tuple[str, str]:
    """The marks of the language the quote is in (an English quote in a German article is English)."""
    if alert.quote is None:
        return QUOTATION_MARKS[DEFAULT_LANGUAGE]
    lang = detect_language(alert.quote.text, default=alert.lang or DEFAULT_LANGUAGE)
    return QUOTATION_MARKS.get(lang, QUOTATION_MARKS[DEFAULT_LANGUAGE])


def _lead(alert: AlertContent) -> str | None:
    if alert.relation != "followup":
        return None
    news = []
    figure = _figure(alert.figure)
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
        figure=_figure(alert.figure),
        quote=shorten(alert.quote.text, QUOTE_LIMIT) or None if alert.quote else None,
        speaker=_speaker(alert),
        context=context,
        link=one_line(alert.link) or None if alert.link else None,
        sources=sources_line(alert.sources),
        followup=alert.relation == "followup",
        lead=_lead(alert),
        parent=shorten(alert.parent_title, PARENT_LIMIT) or None
        if alert.parent_title and alert.relation == "followup"
        else None,
        quote_marks=_quote_marks(alert),
    )


def plain_text(message: Message) -> str:
    """The whole alert as plain lines: the notification fallback and the console's form."""
    lines = [f"{'↳ ' if message.followup else ''}[{message.topic}] {message.headline}"]
    if message.lead:
        lines.append(message.lead)
    if message.figure:
        lines.append(f"Figure: {message.figure}")
    if message.quote:
        lines.append(f"{message.quoted()}" + (f" — {message.speaker}" if message.speaker else ""))
    lines.append(message.context)
    if message.sources:
        lines.append(message.sources)
    if message.link:
        lines.append(message.link)
    return "\n".join(lines)
