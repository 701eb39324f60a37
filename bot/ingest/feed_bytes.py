"""What the raw bytes of a feed say before any parser reads them.

Whether they look broken (then feedparser reads them, not the fast parser), the channel head's
language and polling hints, its self and site links, and items no parser could read at all.
"""

from __future__ import annotations

import bisect
import codecs
import re
from dataclasses import dataclass

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.IGNORECASE)
_SUSPICIOUS_AMP = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);|#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};)")
_CDATA = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.DOTALL)
ITEM_TAG = re.compile(rb"<(?:item|entry)[\s>/]")
_ITEM_TAG_NAME = re.compile(rb"<(item|entry)[\s>/]")
_HEAD = 16_384
_FEED_LANG = re.compile(
    rb"<(?:language|dc:language)>\s*(?:<!\[CDATA\[)?\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9-]*)?\s*(?:\]\]>)?\s*"
    rb"</(?:language|dc:language)>"
    rb"|<(?:rss|feed|rdf:RDF|channel)\b[^>]*?\bxml:lang=[\"']([A-Za-z]{2,3})",
)
_TTL = re.compile(rb"<ttl>\s*(\d{1,7})\s*</ttl>")
_UPDATE_PERIOD = re.compile(rb"<(?:sy:)?updatePeriod>\s*(\w+)\s*</(?:sy:)?updatePeriod>")
_UPDATE_FREQUENCY = re.compile(rb"<(?:sy:)?updateFrequency>\s*(\d{1,6})\s*</(?:sy:)?updateFrequency>")
_PERIODS = {"hourly": 3600, "daily": 86_400, "weekly": 604_800, "monthly": 2_592_000, "yearly": 31_536_000}
_BOMS = (codecs.BOM_UTF32_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE)


def channel_head(body: bytes) -> bytes:
    """The document before its first item (or its first bytes): where the feed describes itself."""
    cut = ITEM_TAG.search(body)
    return body[: cut.start()] if cut else body[: 4 * _HEAD]


def broken_reason(body: bytes) -> str | None:
    """Why the fast parser should not be trusted with these bytes, or None when they look clean."""
    if body.startswith(_BOMS) or b"\x00" in body[:4]:
        return "UTF-16/32 document"
    head = body[:512]
    declared = _XML_DECL.match(head)
    encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        return f"unknown encoding {encoding!r}"
    if codec.startswith(("utf-16", "utf-32")):
        return f"declares {encoding} without a byte order mark"
    try:
        body.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as exc:
        return f"bytes are not valid {encoding} ({exc.reason} at byte {exc.start})"
    if b"<!DOCTYPE" in body[:_HEAD] or b"<!doctype" in body[:_HEAD]:
        return "document type declaration"
    if b"&" in body and _SUSPICIOUS_AMP.search(body):
        outside = _CDATA.sub(b"", body) if b"<![CDATA[" in body or b"<!--" in body else body
        match = _SUSPICIOUS_AMP.search(outside)
        if match:
            sample = outside[match.start() : match.start() + 12].split(b"<")[0].decode("utf-8", "replace")
            return f"bare '&' or undefined entity ({sample.strip()!r})"
    if b"http://purl.org/atom/ns#" in body[:_HEAD]:
        return "Atom 0.3"
    return None


@dataclass(frozen=True, slots=True)
class FeedMeta:
    lang: str | None
    ttl_seconds: int | None


def feed_meta(body: bytes) -> FeedMeta:
    """Language and polling hints from the channel head, read the same way for both parsers."""
    head = channel_head(body)
    lang: str | None = None
    match = _FEED_LANG.search(head)
    if match:
        lang = (match.group(1) or match.group(2)).decode("ascii").lower()
    ttl: int | None = None
    ttl_match = _TTL.search(head)
    if ttl_match and int(ttl_match.group(1)) > 0:
        ttl = int(ttl_match.group(1)) * 60
    period = _UPDATE_PERIOD.search(head)
    if period:
        seconds = _PERIODS.get(period.group(1).decode("ascii", "replace").lower())
        frequency_match = _UPDATE_FREQUENCY.search(head)
        frequency = int(frequency_match.group(1)) if frequency_match else 1
        if seconds and frequency > 0:
            hinted = seconds // frequency
            ttl = max(ttl or 0, hinted)
    return FeedMeta(lang=lang, ttl_seconds=ttl)


_SELF_LINK = re.compile(rb"<(?:atom:)?link\b[^>]*\brel=[\"']self[\"'][^>]*>")
_HREF = re.compile(rb"\bhref=[\"']([^\"']+)[\"']")


def self_links(body: bytes) -> set[str]:
    head = channel_head(body)
    links = set()
    for tag in _SELF_LINK.findall(head):
        href = _HREF.search(tag)
        if href:
            links.add(href.group(1).decode("utf-8", "replace"))
    return links


_CHANNEL_LINK = re.compile(rb"<link>\s*(?:<!\[CDATA\[)?\s*(https?://[^<\s\]]+)")


def channel_link(body: bytes) -> str | None:
    head = channel_head(body)
    match = _CHANNEL_LINK.search(head)
    return match.group(1).decode("utf-8", "replace").replace("&amp;", "&") if match else None


# A character reference to a UTF-16 surrogate or beyond U+10FFFF: both parsers give up on the
# whole document for one of these, so the item holding it is cut out first.
_WIDE_CHARREF = re.compile(rb"&#(?:[xX]0*([0-9a-fA-F]{4,8})|0*([0-9]{5,10}));")
_ITEM_END = {b"item": b"</item>", b"entry": b"</entry>"}


def _unreadable_ref(match: re.Match[bytes]) -> bool:
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    return 0xD800 <= code <= 0xDFFF or code > 0x10FFFF


def drop_unreadable_items(body: bytes) -> tuple[bytes, list[str]]:
    """The document without the items that hold an unreadable character reference, and why each
    went; such a reference outside any item becomes U+FFFD."""
    if b"&#" not in body:
        return body, []
    bad = [m for m in _WIDE_CHARREF.finditer(body) if _unreadable_ref(m)]
    if not bad:
        return body, []
    items = [(m.start(), m.group(1)) for m in _ITEM_TAG_NAME.finditer(body)]
    starts = [start for start, _ in items]
    parts: list[bytes] = []
    reasons: list[str] = []
    done = 0  # body[:done] is dealt with
    for ref in bad:
        if ref.start() < done:
            continue  # inside an item already dropped
        index = bisect.bisect_right(starts, ref.start()) - 1
        start, name = items[index] if index >= 0 else (-1, b"")
        end = body.find(_ITEM_END.get(name, b"\x00"), start) if start >= done else -1
        if end == -1 or end < ref.start():  # not inside an item: keep the text, lose the character
            parts += [body[done : ref.start()], b"&#xfffd;"]
            done = ref.end()
            continue
        end += len(_ITEM_END[name])
        parts.append(body[done:start])
        reasons.append(f"item {index + 1}: invalid character reference {ref.group(0).decode('ascii')}")
        done = end
    parts.append(body[done:])
    return b"".join(parts), reasons
