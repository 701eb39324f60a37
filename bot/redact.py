"""Credentials out of what people see: `https://user:secret@host/feed` shows as `https://***@host/feed`.

A feed URL may carry a user name and password (a private feed); the bot keeps them to fetch it,
but every listing, notice and log line shows the URL without them. `RedactingFilter` applies the
same rule to every log record, so a message that quotes a URL (an error from aiohttp, a
FetchError) cannot leak them either.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

# scheme://userinfo@ : userinfo has no '/', '?', '#', '@' or whitespace (RFC 3986 section 3.2.1)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]+@")


def redact(text: str) -> str:
    """`text` with the user name and password of every URL in it replaced by `***`."""
    return _USERINFO.sub(r"\1***@", text) if "@" in text else text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and arguments) so no URL credentials reach a log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "@" in message:
            record.msg = redact(message)
            record.args = None
        if record.exc_info and not record.exc_text:
            # formatters reuse exc_text instead of formatting the traceback again
            record.exc_text = redact(_TRACEBACKS.formatException(record.exc_info))
        return True


_TRACEBACKS = logging.Formatter()


def site_of(url: str) -> str:
    """A feed URL down to its scheme and host: what another workspace may know about it."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname or '?'}"
    except ValueError:
        return "(unreadable URL)"
