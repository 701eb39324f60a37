"""Sends to encrypted Matrix rooms from processes that hold no keys (scale-out workers).

Only the process that runs the Matrix sync owns the device's Olm and Megolm sessions
(bot.chat.matrix_crypto); a second process encrypting with copies of them would race it on one
session and send messages nobody can decrypt. So a send-only connection hands a message for an
encrypted room to the owner: `POST /matrix/relay` on the owner's HTTP server (`newsbot serve`),
with the room, the content and the transaction id. The owner encrypts and sends it exactly as its
own messages, and answers with the event id or the error, which the worker raises as if it had sent
the message itself (a rate limit with its delay, a room it may not post in, the owner unreachable).

Requests are signed with HMAC-SHA256 under a key derived from the bot's Matrix credential (the
password or access token every role already has) and carry a timestamp: nobody without the
credential can make the bot post, and an old request is refused. A resend carries the same
transaction id, so the homeserver drops it as for any other resend.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

RELAY_PATH = "/matrix/relay"
MAX_SKEW_SECONDS = 300.0
MAX_BODY = 256_000


def relay_key(credential: str) -> bytes:
    return hashlib.sha256(b"newsbot-matrix-relay\0" + credential.encode()).digest()


def sign(key: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(key, timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def check(key: bytes, timestamp: str, signature: str, body: bytes, now: float | None = None) -> str | None:
    """Why a relayed request is refused, or None when it is signed by a holder of the credential."""
    try:
        sent = float(timestamp)
    except ValueError:
        return "no valid timestamp"
    if abs((time.time() if now is None else now) - sent) > MAX_SKEW_SECONDS:
        return "the timestamp is too old or in the future (clocks more than 5 minutes apart?)"
    if not hmac.compare_digest(sign(key, timestamp, body), signature):
        return "the signature does not match: do web and workers share the Matrix credential?"
    return None


def parse(body: bytes) -> tuple[str, dict[str, Any], str]:
    """(room id, content, transaction id) of a relayed send; ValueError says what is wrong."""
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    room_id, content, tx_id = data.get("room_id"), data.get("content"), data.get("tx_id")
    if not (isinstance(room_id, str) and room_id.startswith("!")):
        raise ValueError("room_id must be a room id (!…)")
    if not isinstance(content, dict):
        raise ValueError("content must be an object")
    if not (isinstance(tx_id, str) and 0 < len(tx_id) <= 255):
        raise ValueError("tx_id must be a short string")
    return room_id, content, tx_id
