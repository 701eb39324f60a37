"""A digest: the alerts a channel collected since its last digest, as one message.

Follow-ups fold into their story's line (`+2 updates`, the newest figure), parent edits give the
line its sources, and an update of a story posted before the digest gets a line of its own. All
text is one line and shortened (render.py); the chat adapters escape it for their platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.core.render import HEADLINE_LIMIT, one_line, shorten, sources_line
from bot.model import AlertContent

ITEMS_PER_MESSAGE = 40  # keeps a Slack digest within its 50 blocks


@dataclass(frozen=True, slots=True)
class Queued:
    """One waiting outbox row as the digest sees it."""

    id: int
    kind: str  # alert, followup, edit, notice
    parent_id: int | None
    alert: AlertContent | None = None
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class DigestItem:
    topic: str
    headline: str
    figure: str | None
    link: str | None
    sources: str | None  # "+2 sources: DW, BBC"
    updates: int = 0  # follow-ups of this story that arrived with it
    followup: bool = False  # an update of a story the channel saw before this digest


@dataclass(frozen=True, slots=True)
class Digest:
    items: tuple[DigestItem, ...]
    notices: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        count = len(self.items)
        return f"News digest: {count} {'story' if count == 1 else 'stories'}"


def _item(alert: AlertContent, *, followup: bool) -> DigestItem:
    return DigestItem(
        topic=one_line(alert.topic),
        headline=shorten(alert.title, HEADLINE_LIMIT),
        figure=shorten(alert.figure.text, 120) or None if alert.figure else None,
        link=_web_link(alert.link),
        sources=sources_line(alert.sources),
        followup=followup,
    )


def _web_link(link: str | None) -> str | None:
    """The link when it is an http(s) address; a feed's `javascript:` or `file:` link is dropped."""
    link = one_line(link or "")
    return link if link.lower().startswith(("http://", "https://")) and " " not in link else None


def build_digests(rows: Sequence[Queued], per_message: int = ITEMS_PER_MESSAGE) -> list[Digest]:
    """The waiting rows of a channel (in outbox order) as one or more digest messages."""
    items: dict[int, DigestItem] = {}  # keyed by the row that opened the line
    line_of: dict[int, int] = {}  # alert row id -> the line it belongs to
    notices: list[str] = []
    for row in rows:
        if row.kind == "notice":
            if row.notice and one_line(row.notice):
                notices.append(shorten(row.notice, 500))
            continue
        if row.alert is None:
            continue
        line = line_of.get(row.parent_id) if row.parent_id is not None else None
        if row.kind == "edit":
            if line is not None and (sources := sources_line(row.alert.sources)):
                items[line] = replace(items[line], sources=sources)
            continue  # an edit of a message posted before the digest changes nothing here
        if row.kind == "followup" and line is not None:
            current = items[line]
            figure = shorten(row.alert.figure.text, 120) if row.alert.figure else ""
            items[line] = replace(current, updates=current.updates + 1, figure=figure or current.figure)
            line_of[row.id] = line
            continue
        items[row.id] = _item(row.alert, followup=row.kind == "followup")
        line_of[row.id] = row.id
    lines = list(items.values())
    if not lines:
        return [Digest(items=(), notices=tuple(notices))] if notices else []
    chunks = [tuple(lines[i : i + per_message]) for i in range(0, len(lines), per_message)]
    return [Digest(items=chunk, notices=tuple(notices) if n == 0 else ()) for n, chunk in enumerate(chunks)]


def item_text(item: DigestItem) -> str:
    """One digest line without markup: `[topic] headline — figure (+2 updates; +1 source: DW)`."""
    text = f"{'↳ Update: ' if item.followup else ''}[{item.topic}] {item.headline}"
    if item.figure:
        text += f" — {item.figure}"
    notes = [part for part in (_updates(item), item.sources) if part]
    if notes:
        text += f" ({'; '.join(notes)})"
    return text


def _updates(item: DigestItem) -> str | None:
    if not item.updates:
        return None
    return f"+{item.updates} update{'s' if item.updates != 1 else ''}"


def plain_digest(digest: Digest) -> str:
    """The digest as plain lines: the console's form and the notification fallback."""
    lines = [*digest.notices, digest.title] if digest.items else list(digest.notices)
    for item in digest.items:
        lines.append(f"• {item_text(item)}")
        if item.link:
            lines.append(f"  {item.link}")
    return "\n".join(lines)
