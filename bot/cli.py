"""Command-line entry point: `newsbot …` and `python -m bot …`.

This is the composition root: the only module (with pipeline.py) that wires edges together.
Every expected failure ends as one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import NewsbotError
from bot.model import Article, Figure, Quote

Handler = Callable[[argparse.Namespace], int]


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


def cmd_extract(args: argparse.Namespace) -> int:
    from bot.core.keypoints import extract_keypoints
    from bot.core.matching import QueryError, parse_topic

    article = _load_article(args.file, args.lang)
    try:
        topic = parse_topic(args.topic) if args.topic else None
    except QueryError as exc:
        raise NewsbotError(str(exc)) from exc
    points = extract_keypoints(article, topic)
    payload = {
        "lang": points.lang,
        "title": article.title,
        "key_figure": _figure_json(points.figure),
        "key_quote": _quote_json(points.quote),
        "quotes": [_quote_json(q) for q in points.quotes],
        "figures": [_figure_json(f) for f in points.figures],
    }
    if args.json:
        _print_json(payload)
    else:
        print(article.title)
        if points.figure:
            print(f"  figure: {points.figure.text}")
        if points.quote:
            speaker = f" ({points.quote.speaker})" if points.quote.speaker else ""
            print(f"  quote: „{points.quote.text}“{speaker}")
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
        decision = grouper.assign(item)
        _print_json({"id": item.id, "story": decision.story, "relation": decision.relation})
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbot", description="News alerts for Slack, Matrix and the console.")
    parser.add_argument("--config", metavar="PATH", help="a TOML file with settings (or set NEWSBOT_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    match = sub.add_parser("match", help="score an article against topics")
    match.add_argument("--topic", action="append", required=True, help="topic query; repeat for several")
    match.add_argument("--json", action="store_true", help="print JSON")
    match.add_argument("--lang", choices=["de", "en", "auto"], default="auto")
    match.add_argument("file", help="article: first line headline, then text; - for stdin")
    match.set_defaults(handler=cmd_match)

    extract = sub.add_parser("extract", help="key quote and key figure of an article")
    extract.add_argument("--topic", help="the topic the alert is for")
    extract.add_argument("--json", action="store_true", help="print JSON")
    extract.add_argument("--lang", choices=["de", "en", "auto"], default="auto")
    extract.add_argument("file", help="article: first line headline, then text; - for stdin")
    extract.set_defaults(handler=cmd_extract)

    stories = sub.add_parser("stories", help="group entries (JSON lines, in time order) into stories")
    stories.add_argument("--json", action="store_true", help="print JSON lines (the only format)")
    stories.add_argument("file", help="JSON lines file; - for stdin")
    stories.set_defaults(handler=cmd_stories)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
