"""AlertContent to and from JSON-ready dicts, for the outbox and the `why` command."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.dates import parse_datetime
from bot.model import AlertContent, Evidence, Figure, Quote


def alert_to_dict(alert: AlertContent) -> dict[str, Any]:
    return {
        "topic": alert.topic,
        "title": alert.title,
        "link": alert.link,
        "source": alert.source,
        "published": alert.published.isoformat() if alert.published else None,
        "score": alert.score,
        "figure": None
        if alert.figure is None
        else {
            "text": alert.figure.text,
            "value": alert.figure.value,
            "unit": alert.figure.unit,
            "approx": alert.figure.approx,
        },
        "quote": None
        if alert.quote is None
        else {"text": alert.quote.text, "speaker": alert.quote.speaker, "role": alert.quote.role},
        "evidence": [
            {"alias": e.alias, "word": e.word, "field": e.field, "score": e.score} for e in alert.evidence
        ],
        "relation": alert.relation,
        "sources": list(alert.sources),
        "broadcast": alert.broadcast,
        "breaking": alert.breaking,
        "updated": alert.updated.isoformat() if alert.updated else None,
        "lang": alert.lang,
        "parent_title": alert.parent_title,
    }


def _time(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def alert_from_dict(data: dict[str, Any]) -> AlertContent:
    figure = data.get("figure")
    quote = data.get("quote")
    published = data.get("published")
    return AlertContent(
        topic=str(data.get("topic") or ""),
        title=str(data.get("title") or ""),
        link=data.get("link"),
        source=str(data.get("source") or ""),
        published=_time(published),
        score=float(data.get("score") or 0.0),
        figure=None
        if not figure
        else Figure(
            text=str(figure["text"]),
            value=float(figure["value"]),
            unit=figure.get("unit"),
            approx=figure.get("approx"),
        ),
        quote=None
        if not quote
        else Quote(text=str(quote["text"]), speaker=quote.get("speaker"), role=quote.get("role")),
        evidence=tuple(
            Evidence(
                alias=str(e["alias"]), word=str(e["word"]), field=str(e["field"]), score=float(e["score"])
            )
            for e in data.get("evidence") or ()
        ),
        relation=data.get("relation") or "new",
        sources=tuple(str(s) for s in data.get("sources") or ()),
        broadcast=bool(data.get("broadcast", False)),
        breaking=bool(data.get("breaking", False)),
        updated=_time(data.get("updated")),
        lang=data.get("lang"),
        parent_title=data.get("parent_title"),
    )
