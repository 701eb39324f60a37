"""An alert as Matrix message text: a plain `body` and an `org.matrix.custom.html` `formatted_body`.

Pure functions, no I/O. Every piece of feed text is escaped with `html.escape(..., quote=True)`;
a link becomes an anchor only when it is http(s), so a feed cannot smuggle markup, scripts or
`javascript:` URLs into a room. Only tags from the Matrix spec's recommended set are used.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from bot.core.digest import Digest, item_text, plain_digest
from bot.core.render import Message, plain_text


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def safe_link(url: str | None) -> str | None:
    """The URL when it is an http(s) URL with a host and no whitespace; else None."""
    if not url:
        return None
    url = url.strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def alert_html(message: Message) -> tuple[str, str]:
    """(body, formatted_body) for one alert.

    The HTML shows the topic and headline, the key figure in bold, the key quote in a blockquote
    with its speaker, the context line, other sources and the link to the article.
    """
    body = plain_text(message)
    parts: list[str] = []
    marker = "↳ " if message.followup else ""
    parts.append(f"<p>{marker}<b>[{_e(message.topic)}]</b> <b>{_e(message.headline)}</b></p>")
    if message.lead:
        parts.append(f"<p><i>{_e(message.lead)}</i></p>")
    if message.figure:
        parts.append(f"<p>Figure: <strong>{_e(message.figure)}</strong></p>")
    if message.quote:
        speaker = f"<br>— {_e(message.speaker)}" if message.speaker else ""
        parts.append(f"<blockquote><p>„{_e(message.quote)}“{speaker}</p></blockquote>")
    details = [_e(message.context)]
    if message.sources:
        details.append(_e(message.sources))
    link = safe_link(message.link)
    if link:
        details.append(f'<a href="{_e(link)}">{_e(link)}</a>')
    elif message.link:
        details.append(_e(message.link))
    parts.append(f"<p>{'<br>'.join(details)}</p>")
    return body, "".join(parts)


def notice_html(text: str) -> str:
    """A plain notice (a command's answer) as HTML: escaped, line breaks kept."""
    return "<br>".join(_e(line) for line in text.split("\n"))


def digest_html(digest: Digest) -> tuple[str, str]:
    """(body, formatted_body) for a digest: notices, a title, one list item per story."""
    parts = [f"<p>{_e(notice)}</p>" for notice in digest.notices]
    if digest.items:
        parts.append(f"<p><b>{_e(digest.title)}</b></p>")
        items = []
        for item in digest.items:
            link = safe_link(item.link)
            anchor = f' <a href="{_e(link)}">Read</a>' if link else ""
            items.append(f"<li>{_e(item_text(item))}{anchor}</li>")
        parts.append(f"<ul>{''.join(items)}</ul>")
    return plain_digest(digest), "".join(parts)
