"""OPML import and export of feed subscriptions.

Parsing is safe against hostile files: a document that declares entities (billion laughs) or
refers to external ones is refused before anything is expanded, and nothing is fetched.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlsplit
from xml.parsers import expat

from bot.errors import ParseError


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    title: str | None = None
    category: str | None = None  # folder path, "News/World" for nested folders


@dataclass(frozen=True, slots=True)
class OpmlSkipped:
    """An outline with a feed URL that is not imported, and why, so the import can say so."""

    url: str
    title: str | None
    reason: str  # "not an http or https URL", "listed twice"


@dataclass(frozen=True, slots=True)
class OpmlImport:
    feeds: list[OpmlFeed]
    skipped: list[OpmlSkipped]


class _Refused(Exception):
    pass


def _refuse(*_: Any) -> NoReturn:
    raise _Refused


def _safe_parse(data: bytes) -> ET.Element:
    """Parse with expat directly, refusing entity declarations and external references."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.EntityDeclHandler = _refuse  # internal and external entity declarations
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.Parse(data, True)
    return builder.close()


def _attr(element: ET.Element, name: str) -> str | None:
    wanted = name.lower()
    for key, value in element.attrib.items():
        if key.lower() == wanted and value.strip():
            return " ".join(value.split())
    return None


def _feed_url(raw: str) -> str | None:
    url = raw.strip()
    if url.lower().startswith("feed://"):
        url = "http://" + url[len("feed://") :]
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def _opml_body(data: bytes) -> ET.Element | None:
    """The <body> of an OPML document (None when it has none); ParseError when it is not OPML."""
    try:
        root = _safe_parse(data)
    except _Refused:
        raise ParseError("OPML refused: it declares XML entities, which are not allowed") from None
    except expat.ExpatError as exc:
        raise ParseError(f"not an OPML document ({exc})") from None
    if root.tag.lower() != "opml":
        raise ParseError(f"not an OPML document (root element <{root.tag}>)")
    return next((child for child in root if child.tag.lower() == "body"), None)


def _category(outline: ET.Element, folders: tuple[str, ...]) -> str | None:
    """The folders an outline sits in, else the first category it declares."""
    if folders:
        return "/".join(folders)
    declared = _attr(outline, "category")
    return (declared.split(",")[0].strip().strip("/") or None) if declared else None


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds of an OPML document, in document order, each URL once.

    Raises ParseError when the document is not OPML or declares entities.
    """
    return read_opml(data).feeds


def read_opml(data: bytes) -> OpmlImport:
    """The feeds of an OPML document, in document order, each URL once, and the outlines skipped
    (with the reason), so an import can tell which entries it left out.

    Raises ParseError when the document is not OPML or declares entities.
    """
    body = _opml_body(data)
    feeds: list[OpmlFeed] = []
    skipped: list[OpmlSkipped] = []
    seen: set[str] = set()

    def walk(element: ET.Element, folders: tuple[str, ...]) -> None:
        for outline in element:
            if outline.tag.lower() != "outline":
                continue
            label = _attr(outline, "title") or _attr(outline, "text")
            raw_url = _attr(outline, "xmlUrl")
            if raw_url is None:
                walk(outline, (*folders, label) if label else folders)
                continue
            url = _feed_url(raw_url)
            if url is None:
                skipped.append(OpmlSkipped(raw_url.strip(), label, "not an http or https URL"))
                continue
            if url in seen:
                skipped.append(OpmlSkipped(url, label, "listed twice"))
                continue
            seen.add(url)
            feeds.append(OpmlFeed(url=url, title=label, category=_category(outline, folders)))

    if body is not None:
        walk(body, ())
    return OpmlImport(feeds, skipped)


def write_opml(feeds: Iterable[OpmlFeed], title: str = "newsbot feeds") -> str:
    """An OPML 2.0 document with one folder outline per category (nested on '/')."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    folders: dict[tuple[str, ...], ET.Element] = {(): body}

    def folder(path: tuple[str, ...]) -> ET.Element:
        if path not in folders:
            parent = folder(path[:-1])
            folders[path] = ET.SubElement(parent, "outline", text=path[-1], title=path[-1])
        return folders[path]

    for feed in feeds:
        path = tuple(part.strip() for part in (feed.category or "").split("/") if part.strip())
        attrs = {"type": "rss", "text": feed.title or feed.url, "xmlUrl": feed.url}
        if feed.title:
            attrs["title"] = feed.title
        ET.SubElement(folder(path), "outline", attrs)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


__all__ = ["OpmlFeed", "OpmlImport", "OpmlSkipped", "parse_opml", "read_opml", "write_opml"]
