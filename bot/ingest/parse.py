"""Feed bytes -> ParsedFeed: fastfeedparser on the hot path, feedparser whenever there is doubt.

Both parsers are wrapped by one adapter (`_FeedView` -> `_build`), so an entry comes out the
same whichever parser read it: plain-text fields, aware UTC dates, one identity rule.

The fast parser is used unless the bytes look broken (bare `&`, entities XML does not define,
a DOCTYPE, bytes that do not decode as the declared encoding, UTF-16/32) or the format is
one it reads differently (Atom 0.3). feedparser takes over when the fast parser raises,
finds no entries, or finds fewer entries than the document has `<item>`/`<entry>` tags.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import replace

from bot.core.text import detect_language
from bot.errors import ParseError
from bot.ingest.feed_bytes import ITEM_TAG, FeedMeta, broken_reason, drop_unreadable_items, feed_meta
from bot.ingest.feed_readers import RawEntry, RawFeed, read_careful, read_fast
from bot.ingest.feed_text import (
    absolute_link,
    content_hash,
    fast_clean_text,
    flat,
    html_to_text,
    normalize_link,
    one_line,
)
from bot.model import Entry, ParsedFeed


def _lead(text: str, limit: int = 400) -> str:
    """The first paragraph of a text, cut at a word boundary near `limit` characters."""
    first = text.split("\n", 1)[0]
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return f"{cut} …"


_SURROGATE = re.compile("[\ud800-\udfff]")
_SKIPPED_SHOWN = 3  # reasons named in the feed's problem line; the count covers the rest


def _checked(value: str, what: str) -> str:
    """`value`, or ValueError when it holds a lone surrogate (`&#xd800;`), which no store can encode."""
    if not value.isascii() and _SURROGATE.search(value):
        raise ValueError(f"the {what} holds an invalid character (a lone UTF-16 surrogate)")
    return value


def _entry(raw: RawEntry, base: str, feed_lang: str | None) -> Entry | None:
    """One item as an Entry (None when it has nothing to show); ValueError when it is unusable."""
    title = _checked(one_line(raw.title), "title")
    text = _checked(html_to_text(raw.content), "content")
    summary = _checked(html_to_text(raw.description), "summary")
    if text and summary:
        flat_text, flat_summary = flat(text), flat(summary)
        if flat_text == flat_summary:
            text = ""  # the content only repeats the description
        elif flat_text.startswith(flat_summary.rstrip(".… ")):
            summary = ""  # a teaser that is the text's opening says nothing of its own
    if text and not summary:
        summary = _lead(text)
    link = absolute_link(raw.link, base)
    if not (title or summary or text or link):
        return None
    guid = _checked((raw.guid or "").strip(), "guid")
    if link and guid and guid == (raw.link or "").strip():
        guid = ""  # the guid is the link (or a parser's fallback to it): the normalised link is the identity
    key = guid or (normalize_link(link) if link else "") or f"hash:{content_hash(title, summary, text)}"
    lang = raw.lang or feed_lang or detect_language(f"{title}\n{summary}\n{text}")
    return Entry(
        key=key,
        title=title,
        link=link,
        summary=summary,
        text=text,
        published=raw.published,
        content_hash=content_hash(title, summary, text),
        lang=lang,
        author=_checked(one_line(raw.author), "author") or None,
    )


def _build(raw: RawFeed, meta: FeedMeta, url: str, problem: str | None) -> ParsedFeed:
    try:
        link = absolute_link(raw.link, url)
        title = _checked(one_line(raw.title), "feed title") or None
    except ValueError as exc:  # the channel's own link or title is unusable: the items still are
        link, title = None, None
        problem = _join_problems(problem, f"feed head ignored: {exc}")
    base = link or url
    feed_lang = meta.lang or raw.lang
    entries: list[Entry] = []
    seen: set[str] = set()
    skipped: list[str] = []
    for number, raw_entry in enumerate(raw.entries, 1):
        try:
            entry = _entry(raw_entry, url or base, feed_lang)
        except ValueError as exc:  # one bad item (an unreadable link, a lone surrogate) costs only itself
            skipped.append(f"item {number}: {exc}")
            continue
        if entry is None or entry.key in seen:
            continue
        seen.add(entry.key)
        entries.append(entry)
    if skipped:
        problem = _join_problems(problem, _skipped_note(skipped))
    return ParsedFeed(
        title=title,
        link=link,
        lang=feed_lang,
        entries=tuple(entries),
        ttl_seconds=meta.ttl_seconds,
        problem=problem,
    )


def _parse_fast(body: bytes, url: str) -> tuple[ParsedFeed, RawFeed]:
    raw = read_fast(body)
    return _build(raw, feed_meta(body), url, None), raw


def parse_fast(body: bytes, url: str) -> ParsedFeed:
    """The fast path alone (fastfeedparser); raises whatever it raises. For tests and benchmarks."""
    return _parse_fast(body, url)[0]


def parse_careful(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """The feedparser path alone; raises ParseError when the bytes are not a feed."""
    raw = read_careful(body, url, content_type)
    return _build(raw, feed_meta(body), url, raw.problem)


def _with_skipped(parsed: ParsedFeed, reasons: list[str]) -> ParsedFeed:
    if not reasons:
        return parsed
    return replace(parsed, problem=_join_problems(parsed.problem, _skipped_note(reasons)))


def _skipped_note(reasons: list[str]) -> str:
    shown = "; ".join(reasons[:_SKIPPED_SHOWN]) + ("; …" if len(reasons) > _SKIPPED_SHOWN else "")
    return f"skipped {len(reasons)} unusable item{'s' if len(reasons) != 1 else ''} ({shown})"


def _join_problems(*problems: str | None) -> str | None:
    return "; ".join(p for p in problems if p) or None


def parse_feed(
    body: bytes, url: str, content_type: str | None = None, max_items: int | None = None
) -> ParsedFeed:
    """Parse feed bytes fetched from `url` into plain-text entries.

    Raises ParseError("<url>: not a feed (<why>)") when no usable feed is there; a valid feed
    with no items comes back with `entries=()`. A recovered defect is named in `.problem`, and an
    item that cannot be read (an invalid character, a link no one can open) is left out and named
    there too: one bad item costs only itself. With `max_items`, only the newest that many entries
    come back (by date, undated ones after them in document order), so one huge document cannot
    make a poll hold (and analyse) tens of thousands of entries.
    """
    if not body or not body.strip():
        raise ParseError(f"{url}: not a feed (empty document)")
    body, dropped = drop_unreadable_items(body)
    parsed = _with_skipped(_parse_feed(body, url, content_type), dropped)
    return _newest(parsed, max_items) if max_items is not None else parsed


def _newest(parsed: ParsedFeed, limit: int) -> ParsedFeed:
    entries = parsed.entries
    if len(entries) <= limit:
        return parsed

    def newest_first(index: int) -> tuple[int, float, int]:
        published = entries[index].published
        return (0, -published.timestamp(), index) if published else (1, 0.0, index)

    order = sorted(range(len(entries)), key=newest_first)
    kept = tuple(entries[i] for i in sorted(order[:limit]))
    note = f"kept the newest {limit} of {len(entries)} items (fetch.max_items_per_poll)"
    return replace(parsed, entries=kept, problem=_join_problems(parsed.problem, note))


def _fast_attempt(body: bytes, url: str) -> tuple[ParsedFeed | None, bool]:
    """The fast parser's feed (None when the bytes look broken or it failed) and whether it can
    stand alone: it found entries, no fewer than the document's item tags (before duplicates are
    dropped), and content wherever the document has content elements."""
    if broken_reason(body) is not None:
        return None, False
    try:
        parsed, raw = _parse_fast(body, url)
    except Exception:  # the fast parser's errors are not part of our contract
        return None, False
    complete = len(raw.entries) >= len(ITEM_TAG.findall(body)) and not raw.lost_content
    return parsed, bool(parsed.entries) and complete


def _parse_feed(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    fast_result, trusted = _fast_attempt(body, url)
    if trusted and fast_result is not None:
        return fast_result
    try:
        careful = parse_careful(body, url, content_type)
    except ParseError:
        if fast_result is not None and fast_result.entries:
            return fast_result
        raise
    except Exception as exc:  # feedparser should never raise; if it does, the feed is unusable
        raise ParseError(f"{url}: not a feed ({type(exc).__name__}: {exc})") from exc
    if fast_result is not None and len(fast_result.entries) > len(careful.entries):
        return fast_result
    if not careful.entries:
        if careful.problem is None:
            return careful  # a valid, empty feed
        raise ParseError(f"{url}: not a feed ({careful.problem})")
    return careful


async def parse_in_pool(
    executor: Executor | None,
    body: bytes,
    url: str,
    content_type: str | None = None,
    max_items: int | None = None,
) -> ParsedFeed:
    """`parse_feed` off the event loop: in `executor` (a ProcessPoolExecutor sized to the cores
    for throughput, a thread pool, or None for the loop's default executor). The cap applies in
    the worker, so the entries beyond it never reach this process."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, parse_feed, body, url, content_type, max_items)


def parse_many(items: Iterable[tuple[bytes, str]]) -> list[ParsedFeed | ParseError]:
    """Parse several documents in one call (one pickling round trip per batch in a process pool)."""
    results: list[ParsedFeed | ParseError] = []
    for body, url in items:
        try:
            results.append(parse_feed(body, url))
        except ParseError as exc:
            results.append(exc)
    return results


__all__ = [
    "broken_reason",  # the names below from feed_bytes and feed_text are imported from here too
    "content_hash",
    "fast_clean_text",
    "html_to_text",
    "normalize_link",
    "parse_careful",
    "parse_fast",
    "parse_feed",
    "parse_in_pool",
    "parse_many",
]
