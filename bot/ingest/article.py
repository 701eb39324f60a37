"""Full text for entries that carry only a teaser: fetch the article page, extract its main text.

The page is fetched with the same `Fetcher` (same caps, address guard and User-Agent as feeds);
extraction (trafilatura, CPU-bound) runs in the loop's default executor, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

import trafilatura

from bot.core.text import clean_text
from bot.errors import FetchError
from bot.ingest.fetch import Fetcher

log = logging.getLogger(__name__)

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def extract_text(html: bytes, url: str) -> str | None:
    """The main text of an HTML page as plain text with one paragraph per line, or None."""
    text = trafilatura.extract(
        html,
        url=url,
        output_format="txt",
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=True,
        deduplicate=True,
    )
    if not isinstance(text, str):
        return None
    cleaned = clean_text(text)
    return cleaned or None


async def fetch_full_text(fetcher: Fetcher, url: str) -> str | None:
    """The article's main text, or None when the page cannot be fetched or holds no article.

    Fetch failures are logged, not raised: a missing full text only means the teaser stays.
    """
    try:
        result = await fetcher.fetch(url)
    except FetchError as exc:
        log.info("full text not fetched: %s", exc)
        return None
    if result.body is None:
        return None
    content_type = (result.content_type or "").split(";")[0].strip().lower()
    if content_type and content_type not in _HTML_TYPES:
        log.info("full text not extracted: %s is %s, not HTML", url, content_type)
        return None
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, partial(extract_text, result.body, result.url))


__all__ = ["extract_text", "fetch_full_text"]
