"""Commands that read an article or a file of entries and print what the bot makes of it:
`match`, `extract`, `preview` and `stories`. They need no database."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.cli.common import settings_of
from bot.errors import NewsbotError
from bot.model import Article, Figure, Quote
from bot.runtime import (
    fetch_policy,
)
from bot.settings import Settings


def _read_document(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise NewsbotError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _load_article(path: str, lang: str | None) -> Article:
    from bot.core.text import read_article

    return read_article(_read_document(path), lang=None if lang in (None, "auto") else lang)


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")


def _figure_json(figure: Figure | None) -> dict[str, Any] | None:
    if figure is None:
        return None
    return {"text": figure.text, "value": figure.value, "unit": figure.unit, "approx": figure.approx}


def _quote_json(quote: Quote | None) -> dict[str, Any] | None:
    if quote is None:
        return None
    return {"text": quote.text, "speaker": quote.speaker, "role": quote.role, "fragment": quote.fragment}


def cmd_match(args: argparse.Namespace) -> int:
    from bot.core.matching import QueryError, match_article, parse_topic

    article = _load_article(args.file, args.lang)
    try:
        queries = [parse_topic(topic) for topic in args.topic]
    except QueryError as exc:
        raise NewsbotError(str(exc)) from exc
    results = match_article(article, queries)
    matches = [
        {
            "topic": raw,
            "score": round(result.score, 1),
            "matched": result.matched,
            "evidence": [asdict(evidence) for evidence in result.evidence],
        }
        for raw, result in zip(args.topic, results, strict=True)
    ]
    if args.json:
        _print_json({"matches": matches})
    else:
        for match in matches:
            mark = "✓" if match["matched"] else "✗"
            words = ", ".join(sorted({e["word"] for e in match["evidence"]}))
            print(f"{mark} {match['topic']}: {match['score']:.0f}" + (f" ({words})" if words else ""))
    return 0


def _option_json(option: Any, weights: Any) -> dict[str, Any]:
    """One ranked option of the key-point choice: what it is, its confidence and what decided it."""
    from bot.core.keypoints import contributions

    candidate = option.candidate
    if candidate is None:
        shown: dict[str, Any] | None = None
    elif isinstance(candidate, Figure):
        shown = _figure_json(candidate)
    else:
        shown = _quote_json(candidate)
    return {
        "candidate": shown,
        "confidence": round(option.confidence, 3),
        "score": round(option.score, 3),
        "features": {name: round(effect, 3) for name, effect in contributions(option, weights)},
    }


def _explained(explanation: Any, count: int = 3) -> dict[str, Any]:
    """The top options of each choice with the features that decided them, and the thresholds."""
    from bot.core.lang import extract_weights

    weights = extract_weights()
    return {
        "figure": [_option_json(o, weights.figure) for o in explanation.figures[:count]],
        "quote": [_option_json(o, weights.quote) for o in explanation.quotes[:count]],
        "thresholds": {"figure": explanation.figure_threshold, "quote": explanation.quote_threshold},
    }


def _why_lines(explanation: Any) -> list[str]:
    """Plain lines that say why the figure and the quote were chosen or left out."""
    lines: list[str] = []
    explained = _explained(explanation, count=4)
    for part, label in (("figure", "Figure"), ("quote", "Quote")):
        options = explained[part]
        threshold = explained["thresholds"][part]
        if not options:
            lines.append(f"{label}: no candidate in the text")
            continue
        best = options[0]
        if best["candidate"] is None:
            lines.append(f"{label}: none; “nothing” ranked first ({best['confidence']:.0%})")
        else:
            verdict = "shown" if best["confidence"] >= threshold else "left out"
            lines.append(
                f"{label}: {verdict}, “{_shorten(best['candidate']['text'])}” — confidence "
                f"{best['confidence']:.0%} (threshold {threshold:.0%})"
            )
        lines.append(
            "  because: " + ", ".join(f"{k} {v:+.2f}" for k, v in list(best["features"].items())[:6])
        )
        shown_text = best["candidate"]["text"] if best["candidate"] else None
        runner = next((o for o in options[1:] if (o["candidate"] or {}).get("text") != shown_text), None)
        if runner is not None:
            what = _shorten(runner["candidate"]["text"]) if runner["candidate"] else "nothing"
            lines.append(f"  next: “{what}” ({runner['confidence']:.0%})")
    return lines


def _shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cmd_extract(args: argparse.Namespace) -> int:
    from bot.core.keypoints import explain_keypoints
    from bot.core.matching import QueryError, parse_topic

    article = _load_article(args.file, args.lang)
    try:
        topic = parse_topic(args.topic) if args.topic else None
    except QueryError as exc:
        raise NewsbotError(str(exc)) from exc
    explanation = explain_keypoints(article, topic)
    points = explanation.points
    key_figure = _figure_json(points.figure)
    key_quote = _quote_json(points.quote)
    if key_figure is not None and explanation.figure is not None:
        key_figure["confidence"] = round(explanation.figure.confidence, 3)
    if key_quote is not None and explanation.quote is not None:
        key_quote["confidence"] = round(explanation.quote.confidence, 3)
    payload: dict[str, Any] = {
        "lang": points.lang,
        "title": article.title,
        "key_figure": key_figure,
        "key_quote": key_quote,
        "quotes": [_quote_json(q) for q in points.quotes],
        "figures": [_figure_json(f) for f in points.figures],
    }
    if args.explain:
        payload["explain"] = _explained(explanation)
    if args.json:
        _print_json(payload)
    else:
        print(article.title)
        if points.figure:
            print(f"  figure: {points.figure.text}")
        if points.quote:
            speaker = f" ({points.quote.speaker})" if points.quote.speaker else ""
            print(f"  quote: „{points.quote.text}“{speaker}")
        if args.explain:
            for line in _why_lines(explanation):
                print("  " + line)
    return 0


async def _fetch_article(settings: Settings, url: str) -> Article:
    """An article page fetched with the bot's guards, its main text extracted."""
    from bot.ingest.article import fetch_full_text
    from bot.ingest.fetch import Fetcher

    async with Fetcher(fetch_policy(settings)) as fetcher:
        text = await fetch_full_text(fetcher, url)
    if not text:
        raise NewsbotError(f"{url}: no article text found (see the log for why)")
    title, _, body = text.partition("\n")
    return Article(title=title, text=body)


def cmd_preview(args: argparse.Namespace) -> int:
    """The alert for an article as the console, Slack and Matrix would show it."""
    from bot.chat.matrix_html import alert_html
    from bot.chat.slack_blocks import alert_message
    from bot.core.alerts import build_alert
    from bot.core.keypoints import explain_keypoints
    from bot.core.matching import QueryError, match_article, parse_topic
    from bot.core.render import plain_text, render

    settings = settings_of(args)
    try:
        topic = parse_topic(args.topic)
    except QueryError as exc:
        raise NewsbotError(str(exc)) from exc
    if args.source.startswith(("http://", "https://")):
        article = asyncio.run(_fetch_article(settings, args.source))
        link: str | None = args.source
    else:
        article = _load_article(args.source, None)
        link = None
    match = match_article(article, [topic])[0]
    alert = build_alert(article, topic, match, link=link, source="preview", published=None)
    why = _why_lines(explain_keypoints(article, topic)) if args.explain else []
    message = render(alert)
    if not match.matched:
        print(f"(this article would not alert for “{topic.name}”: score {match.score:.0f})\n")
    print("── console " + "─" * 40)
    print(plain_text(message))
    print("── Slack chat.postMessage " + "─" * 25)
    print(json.dumps(alert_message(message, "preview"), ensure_ascii=False, indent=2))
    body, formatted = alert_html(message)
    print("── Matrix m.room.message " + "─" * 26)
    print(
        json.dumps(
            {
                "msgtype": "m.text",
                "body": body,
                "format": "org.matrix.custom.html",
                "formatted_body": formatted,
                "m.mentions": {},
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    if why:
        print("── why this figure and quote " + "─" * 22)
        print("\n".join(why))
    return 0


def _parse_time(value: Any) -> datetime | None:
    from bot.core.dates import parse_datetime

    return parse_datetime(value) if isinstance(value, str) else None


def cmd_stories(args: argparse.Namespace) -> int:
    from bot.core.stories import StoryGrouper
    from bot.model import StoryItem

    grouper = StoryGrouper()
    for number, line in enumerate(_read_document(args.file).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            item = StoryItem(
                id=str(raw["id"]),
                title=str(raw.get("title") or ""),
                summary=str(raw.get("summary") or ""),
                text=str(raw.get("text") or ""),
                published=_parse_time(raw.get("published")),
                source=str(raw.get("source") or ""),
                lang=raw.get("lang"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise NewsbotError(f"{args.file}:{number}: not an entry ({exc})") from exc
        explained = grouper.explain(item) if args.explain else None
        decision = grouper.assign(item)
        line_out: dict[str, Any] = {"id": item.id, "story": decision.story, "relation": decision.relation}
        if explained is not None:
            line_out["candidates"] = [
                {
                    "story": story,
                    "probability": round(p, 4),
                    "features": {k: round(v, 4) for k, v in f.items()},
                }
                for story, p, f in explained
            ]
        _print_json(line_out)
    return 0
