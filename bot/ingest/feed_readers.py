"""The two feed parsers behind one shape: fastfeedparser (fast) and feedparser (careful).

Each gives a `RawFeed` of `RawEntry` values, what the parser found before our normalisation,
with each parser's quirks undone here, so that `bot/ingest/parse.py` builds entries one way.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import fastfeedparser
import feedparser

from bot.core.dates import parse_datetime
from bot.errors import ParseError
from bot.ingest.feed_bytes import ITEM_TAG, channel_link, self_links

_CONTENT_TAG = re.compile(rb"<(?:content:encoded|content)(?:\s[^>]*)?(?<!/)>(?!\s*</)")
_SUMMARY_TAG = re.compile(rb"<(?:description|summary|dc:description)[\s>/]")


def _declared_lang(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    match = re.match(r"\s*([A-Za-z]{2,3})(?:[-_]|\s*$)", value)
    return match.group(1).lower() if match else None


@dataclass(frozen=True, slots=True)
class RawEntry:
    """What either parser found in one item, before our normalisation."""

    guid: str | None
    link: str | None
    title: str | None
    description: str | None  # the summary/description element (None when absent)
    content: str | None  # content:encoded / atom content (None when absent)
    published: datetime | None
    author: str | None
    lang: str | None


@dataclass(frozen=True, slots=True)
class RawFeed:
    title: str | None
    link: str | None
    lang: str | None
    entries: tuple[RawEntry, ...]
    problem: str | None
    lost_content: bool = False  # the document has content elements but the parser read none


def _struct_to_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in value[:6])
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _content_value(entry: Mapping[str, Any]) -> str | None:
    content = entry.get("content")
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        return _str(content[0].get("value"))
    return None


_EMAIL_NAME = re.compile(r"^\s*\S+@\S+\s*\((.+)\)\s*$")


def _author(item: Mapping[str, Any]) -> str | None:
    """The first author's name; `jane@example.com (Jane Doe)` gives `Jane Doe`."""
    authors = item.get("authors")
    name: str | None = None
    if isinstance(authors, list) and authors and isinstance(authors[0], Mapping):
        name = _str(authors[0].get("name"))
    name = name or _str(item.get("author"))
    if name:
        match = _EMAIL_NAME.match(name)
        if match:
            name = match.group(1)
    return name


def _raw_entry(
    item: Mapping[str, Any], *, description: str | None, content: str | None, published: datetime | None
) -> RawEntry:
    """An item with the fields both parsers name alike, and those each reads its own way."""
    return RawEntry(
        guid=_str(item.get("id")),
        link=_str(item.get("link")),
        title=_str(item.get("title")),
        description=description,
        content=content,
        published=published,
        author=_author(item),
        lang=None,
    )


def read_fast(body: bytes) -> RawFeed:
    parsed = fastfeedparser.parse(body, include_tags=False, include_media=False, include_enclosures=False)
    # What the items hold, decided on the document: fastfeedparser fills `content` from the
    # description and `description` from the content when either element is missing.
    cut = ITEM_TAG.search(body)
    items = memoryview(body)[cut.start() :] if cut else memoryview(body)
    has_content = _CONTENT_TAG.search(items) is not None
    has_summary = _SUMMARY_TAG.search(items) is not None
    feed = parsed.get("feed") or {}
    entries: list[RawEntry] = []
    for item in parsed.get("entries") or ():
        description = _str(item.get("description"))
        content = _content_value(item)
        if not has_content:
            content = None  # fastfeedparser copies an RSS description into `content`
        if not has_summary:
            description = None  # ... and synthesises a description from the content
        date_text = _str(item.get("published")) or _str(item.get("updated"))
        published = parse_datetime(date_text) if date_text else None
        entries.append(_raw_entry(item, description=description, content=content, published=published))
    link = _str(feed.get("link"))
    if link and link in self_links(body):
        link = channel_link(body)  # fastfeedparser may take the feed's own address; we want the site
    return RawFeed(
        title=_str(feed.get("title")),
        link=link,
        lang=_declared_lang(feed.get("language")),
        entries=tuple(entries),
        problem=None,
        lost_content=has_content and not any(entry.content for entry in entries),
    )


@functools.cache
def _install_feedparser_media_fix() -> None:
    """feedparser files <media:description> (an image caption) under `content`; keep it apart.
    Installed by the first feedparser parse (not at import), once per process."""
    from feedparser.namespaces import mediarss

    def start(self: Any, attrs_d: Any) -> None:
        self.push("media_description", 1)

    def end(self: Any) -> None:
        self.pop("media_description")

    mediarss.Namespace._start_media_description = start
    mediarss.Namespace._end_media_description = end


def read_careful(body: bytes, url: str, content_type: str | None) -> RawFeed:
    _install_feedparser_media_fix()
    headers: dict[str, str] = {}  # no content-location: we resolve links ourselves, guids stay as written
    if content_type:
        headers["content-type"] = content_type
    # A BytesIO: feedparser would open a bytes/str argument as a file name or URL if it looks like one.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    feed = parsed.get("feed") or {}
    entries: list[RawEntry] = []
    for item in parsed.get("entries") or ():
        # feedparser copies content into an absent summary, without a summary_detail
        description = _str(item.get("summary")) if "summary_detail" in item else None
        content = _content_value(item)
        published = _struct_to_datetime(item.get("published_parsed")) or _struct_to_datetime(
            item.get("updated_parsed")
        )
        entries.append(_raw_entry(item, description=description, content=content, published=published))
    problem = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        problem = f"{type(exc).__name__}: {exc}" if exc is not None else "malformed feed"
    if not parsed.get("version") and not entries:
        problem = problem or "no RSS, Atom or RDF root element"
        raise ParseError(f"{url}: not a feed ({problem})")
    return RawFeed(
        title=_str(feed.get("title")),
        link=_str(feed.get("link")),
        lang=_declared_lang(feed.get("language")),
        entries=tuple(entries),
        problem=problem,
    )
