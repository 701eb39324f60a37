"""Reading one POST to /slack/events before Bolt sees it: too large, unsigned or malformed is refused.

Bolt decodes and parses a request before it checks the signature, so a forged request with a
non-UTF-8 body or a `payload` that is not a JSON object made it raise (a traceback, then a
friendly 200). Here every such request gets a plain 4xx and one log line, and only a request
whose signature and age check out is parsed at all.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest

log = logging.getLogger(__name__)

MAX_AGE_SECONDS = 300  # Slack's own rule: a request older than five minutes may be a replay


def signature_valid(secret: str, body: bytes, timestamp: str | None, signature: str | None) -> bool:
    """Slack's v0 signature: HMAC-SHA256 over `v0:<timestamp>:<body>`, timestamp within five minutes."""
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest(f"v0={expected.hexdigest()}", signature)


def _refuse(status: int, why: str) -> web.Response:
    log.warning("Slack: refused a request to /slack/events (%d): %s", status, why)
    return web.Response(status=status, text=why)


async def read_slack_request(request: web.Request, secret: str) -> AsyncBoltRequest | web.Response:
    """The request for Bolt, or the 400/401 answer when it is too large, unsigned or malformed."""
    try:
        body = await request.read()  # the app's client_max_size caps it
    except web.HTTPRequestEntityTooLarge:
        return _refuse(400, "request body too large")
    headers = request.headers
    if not signature_valid(
        secret, body, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")
    ):
        return _refuse(401, "invalid or missing signature")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(400, "request body is not UTF-8")
    try:
        return AsyncBoltRequest(body=text, query=request.query_string, headers=dict(headers))
    except (ValueError, TypeError, AttributeError, KeyError) as exc:  # e.g. payload=[1] or payload=oops
        return _refuse(400, f"malformed request body ({type(exc).__name__})")
