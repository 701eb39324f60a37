"""Files people upload to a Slack form (an OPML list of feeds): fetched with the workspace's bot
token, from Slack's own file host only, within Slack's three seconds and a size cap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack_api import SlackError
from bot.chat.slack_modals import OPML_MAX_BYTES

SLACK_FILES_HOST = "files.slack.com"
DOWNLOAD_SECONDS = 2.0  # an uploaded OPML file is fetched within Slack's three seconds
TOO_LARGE = f"That file is larger than {OPML_MAX_BYTES // 1000} kB; an OPML file of feeds is smaller."


def trusted_file_url(url: str, api_url: str) -> bool:
    """Only Slack's own file host (or the configured API host) ever sees the bot token."""
    parts, api = urlsplit(url), urlsplit(api_url)
    if (parts.scheme, parts.hostname) == (api.scheme, api.hostname):
        return True
    return parts.scheme == "https" and parts.hostname == SLACK_FILES_HOST


async def download_file(
    file: dict[str, Any], client_for: Callable[[], Awaitable[AsyncWebClient]], api_url: str
) -> bytes:
    """An uploaded file's bytes (at most OPML_MAX_BYTES), fetched with the workspace's bot token
    (its client asked for only once the file looks right)."""
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    if not url or not trusted_file_url(url, api_url):
        raise SlackError("I could not find the uploaded file; please upload it again.")
    if int(file.get("size") or 0) > OPML_MAX_BYTES:
        raise SlackError(TOO_LARGE)
    client = await client_for()
    headers = {"Authorization": f"Bearer {client.token}"} if client.token else {}
    data = b""
    try:
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_SECONDS)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers, allow_redirects=False) as response,
        ):
            if response.status != 200:
                raise SlackError(f"Slack did not hand out the file (HTTP {response.status}); try again.")
            async for chunk in response.content.iter_chunked(65536):
                data += chunk
                if len(data) > OPML_MAX_BYTES:
                    raise SlackError(TOO_LARGE)
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise SlackError(f"I could not fetch the file from Slack ({type(exc).__name__}).") from None
    return data
