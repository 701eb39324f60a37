"""An alert as a neutral message: the parts every platform shows, in the order they show them.

No markup here: each chat adapter escapes these strings for its platform (Slack mrkdwn,
Matrix HTML, the terminal) and lays them out. Text is shortened on word boundaries.
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


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
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
    if alert.quote is None:
        return None
    parts = [p for p in (alert.quote.speaker, alert.quote.role) if p]
    return ", ".join(parts) or None


def sources_line(sources: tuple[str, ...]) -> str | None:
    """`+2 sources: DW, BBC` once other outlets reported the same story; None before that."""
    others = list(dict.fromkeys(sources))[1:]
    if not others:
        return None
    label = "source" if len(others) == 1 else "sources"
    shown = ", ".join(others[:5]) + (" …" if len(others) > 5 else "")
    return f"+{len(others)} {label}: {shown}"


def _lead(alert: AlertContent) -> str | None:
    if alert.relation != "followup":
        return None
    news = []
    if alert.figure is not None:
        news.append(f"new figure {alert.figure.text}")
    if alert.quote is not None and alert.quote.speaker:
        news.append(f"{alert.quote.speaker} quoted")
    return "Update: " + "; ".join(news) if news else "Update"


def render(alert: AlertContent) -> Message:
    matched_words = sorted({e.word for e in alert.evidence})[:3]
    match = f"match {alert.score:.0f}" + (f" ({', '.join(matched_words)})" if matched_words else "")
    updated = f"updated {alert.updated.strftime('%H:%M UTC')}" if alert.updated else None
    context = " · ".join(part for part in (alert.source, _when(alert.published), match, updated) if part)
    return Message(
        topic=alert.topic,
        headline=shorten(alert.title, HEADLINE_LIMIT),
        figure=shorten(alert.figure.text, 120) if alert.figure else None,
        quote=shorten(alert.quote.text, QUOTE_LIMIT) if alert.quote else None,
        speaker=_speaker(alert),
        context=context,
        link=alert.link,
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
