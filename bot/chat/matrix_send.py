"""Sending to Matrix rooms: alerts as HTML, follow-ups as `m.thread` replies, source updates as
`m.replace` edits, notices; encrypted or plain as the room is; relayed to the owner of the keys
from a send-only process (bot.chat.matrix_relay).

Every send carries a transaction id derived from the outbox key and the content, so the homeserver
turns a resend into the original event instead of a second message.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from typing import Any

import aiohttp
from aiohttp import ClientError, web
from nio import (
    Api,
    LocalProtocolError,
    RoomGetStateEventResponse,
    RoomSendResponse,
)

from bot.chat.matrix_crypto import SUPPORTED_ALGORITHMS, apply_trust, parse_verified
from bot.chat.matrix_html import alert_html, digest_html, notice_html
from bot.chat.matrix_relay import MAX_BODY, RELAY_PATH, check, parse, relay_key, sign
from bot.chat.matrix_session import AUTH_ERRORS, PREFIX, MatrixSession, describe_error, log
from bot.core.digest import Digest
from bot.core.render import render
from bot.errors import ChannelUnavailable, ChatUnavailable, NewsbotError
from bot.model import AlertContent
from bot.settings import Settings

HTML = "org.matrix.custom.html"
PLAIN_RECHECK_SECONDS = 60.0


class MatrixError(NewsbotError):
    """A Matrix request failed; the message says which and why."""


class MatrixRateLimited(MatrixError, ChatUnavailable):
    """The homeserver said M_LIMIT_EXCEEDED; `retry_after` is its delay in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        ChatUnavailable.__init__(self, message, retry_after=retry_after)


class MatrixUnreachable(MatrixError, ChatUnavailable):
    """The homeserver did not answer (network, timeout, not connected yet); try again later."""


class MatrixRoomError(MatrixError, ChannelUnavailable):
    """The bot cannot post in a room: not a member (kicked, left, never invited), or encrypted in a
    way it cannot serve (an unknown algorithm, no usable keys, a send-only process without a relay)."""


def room_of(channel: str) -> str:
    """`matrix:!abc:example.org` -> `!abc:example.org` (room version 12 ids have no `:server`)."""
    room_id = channel[len(PREFIX) :] if channel.startswith(PREFIX) else ""
    if not re.fullmatch(r"![^\s/]+", room_id):
        raise MatrixRoomError(
            f"{channel!r} does not name a Matrix room; write it as matrix:!roomid (or matrix:!roomid:server "
            "in older rooms): the room id from the room's advanced settings, not its #alias"
        )
    return room_id


def content_digest(*parts: Any) -> str:
    raw = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


class MatrixSender(MatrixSession):
    """The sending half of the adapter: what a room gets, and how it is sent."""

    def __init__(self, settings: Settings, *, request_timeout_seconds: float = 30.0) -> None:
        super().__init__(settings, request_timeout_seconds=request_timeout_seconds)
        self._verified = parse_verified(settings.matrix_verified_devices)
        self._algorithms: dict[str, str] = {}  # room id -> its m.room.encryption algorithm
        self._plain_until: dict[str, float] = {}  # send-only: rooms seen unencrypted, until when

    def _unreachable(self, exc: BaseException | None) -> MatrixUnreachable:
        """The error of a send that never reached the homeserver (None: not connected yet)."""
        if exc is None:
            return MatrixUnreachable(
                f"not connected to the Matrix homeserver {self.homeserver or '(not set)'} yet"
            )
        return MatrixUnreachable(
            f"cannot reach the Matrix homeserver {self.homeserver}: {describe_error(exc)}"
        )

    async def _reply(self, room_id: str, event_id: str, text: str) -> None:
        content = self._notice_content(text)
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": event_id}}
        # Keyed on the command's event: answering a command again (a crash before the sync token
        # was saved) is dropped by the homeserver instead of answered twice.
        try:
            await self._send(room_id, content, tx_id=f"newsbot-reply-{content_digest(room_id, event_id)}")
        except MatrixError as exc:
            log.warning("Matrix: could not answer in %s: %s", room_id, exc)

    async def _notice(self, room_id: str, text: str, *, tx_id: str, plain: bool = False) -> None:
        try:
            if plain:
                await self._send_plain(room_id, self._notice_content(text), tx_id=tx_id)
            else:
                await self._send(room_id, self._notice_content(text), tx_id=tx_id)
        except MatrixError as exc:
            log.warning("Matrix: could not post a notice in %s: %s", room_id, exc)

    @staticmethod
    def _notice_content(text: str) -> dict[str, Any]:
        return {
            "msgtype": "m.notice",
            "body": text,
            "format": HTML,
            "formatted_body": notice_html(text),
            "m.mentions": {},
        }

    # -- ChatService: sending ---------------------------------------------------------------------

    async def send_alert(self, channel: str, alert: AlertContent, *, key: str, thread: str | None) -> str:
        room_id = room_of(channel)
        body, formatted = alert_html(render(alert))
        content: dict[str, Any] = {
            "msgtype": "m.text",
            "body": body,
            "format": HTML,
            "formatted_body": formatted,
            "m.mentions": {},  # a feed's "@room" pings nobody
        }
        if not thread:
            return await self._send(room_id, content, tx_id=self._tx_id(key, room_id, content))
        content["m.relates_to"] = {
            "rel_type": "m.thread",
            "event_id": thread,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": thread},
        }
        event_id = await self._send(room_id, content, tx_id=self._tx_id(key, room_id, content))
        if getattr(alert, "broadcast", False):
            # Matrix has no "also send to room" for thread replies: a major follow-up also gets a
            # short reply in the main timeline that points at it. Both sends are idempotent, so a
            # retry after the second one failed posts neither twice.
            message = render(alert)
            text = f"↳ {message.lead or 'Update'} — [{message.topic}] {message.headline} (in the thread)"
            pointer = self._notice_content(text)
            pointer["msgtype"] = "m.text"
            pointer["m.relates_to"] = {"m.in_reply_to": {"event_id": event_id}}
            await self._send(room_id, pointer, tx_id=self._tx_id(key + "-broadcast", room_id, pointer))
        return event_id

    async def edit_alert(self, channel: str, message_id: str, alert: AlertContent) -> None:
        room_id = room_of(channel)
        body, formatted = alert_html(render(alert))
        new_content = {
            "msgtype": "m.text",
            "body": body,
            "format": HTML,
            "formatted_body": formatted,
            "m.mentions": {},
        }
        content: dict[str, Any] = {
            "msgtype": "m.text",
            "body": "* " + body,
            "format": HTML,
            "formatted_body": "* " + formatted,
            "m.new_content": new_content,
            "m.relates_to": {"rel_type": "m.replace", "event_id": message_id},
            "m.mentions": {},
        }
        await self._send(room_id, content, tx_id=self._tx_id("newsbot-edit", room_id, content))

    async def send_notice(self, channel: str, text: str, *, key: str) -> str:
        room_id = room_of(channel)
        content = self._notice_content(text)
        return await self._send(room_id, content, tx_id=self._tx_id(key, room_id, content))

    async def send_digest(self, channel: str, digest: Digest, *, key: str) -> str:
        room_id = room_of(channel)
        body, formatted = digest_html(digest)
        content = {
            "msgtype": "m.text",
            "body": body,
            "format": HTML,
            "formatted_body": formatted,
            "m.mentions": {},
        }
        return await self._send(room_id, content, tx_id=self._tx_id(key, room_id, content))

    @staticmethod
    def _tx_id(key: str, room_id: str, content: dict[str, Any]) -> str:
        """The outbox key plus a digest of what is sent: a resend of the same alert is the same
        transaction (dropped by the homeserver), while a different message that happens to reuse a
        key (a wiped database, a second bot on one device) is never mistaken for it."""
        safe_key = re.sub(r"[^A-Za-z0-9._-]", "_", key)[:100]
        return f"{safe_key}-{content_digest(room_id, content)}"

    async def _encryption_of(self, room_id: str) -> str | None:
        """The room's encryption algorithm, or None for a plain room.

        The listening process knows it from sync; a room it has not synced yet, and every room of a
        send-only connection, is asked of the homeserver (a plain answer is kept for a minute only:
        a room can be made encrypted any time, and must never then get a plain message)."""
        client = self.client
        assert client is not None
        if room_id in self._algorithms:
            return self._algorithms[room_id]
        room = client.rooms.get(room_id)
        if self._owner and room is not None and not room.encrypted:
            return None
        if self._plain_until.get(room_id, 0.0) > asyncio.get_running_loop().time():
            return None
        try:
            response = await client.room_get_state_event(room_id, "m.room.encryption")
        except (ClientError, TimeoutError, OSError) as exc:
            raise self._unreachable(exc) from None
        content = response.content if isinstance(response, RoomGetStateEventResponse) else None
        if not isinstance(content, dict):
            return None  # rate-limited, …: the send itself says so
        error = content.get("errcode") or getattr(response, "status_code", None)
        if error == "M_NOT_FOUND":
            self._plain_until[room_id] = asyncio.get_running_loop().time() + PLAIN_RECHECK_SECONDS
            return None
        if error:
            return None  # not a member, …: the send itself says so
        algorithm = str(content.get("algorithm") or "(no algorithm)")
        self._algorithms[room_id] = algorithm
        return algorithm

    async def _send(self, room_id: str, content: dict[str, Any], *, tx_id: str) -> str:
        client = self.client
        if client is None:
            raise self._unreachable(None)
        algorithm = await self._encryption_of(room_id)
        if algorithm is None:
            return await self._send_plain(room_id, content, tx_id=tx_id)
        if algorithm not in SUPPORTED_ALGORITHMS:
            raise MatrixRoomError(
                f"room {room_id} is encrypted with {algorithm[:100]!r}, which newsbot does not support "
                "(only m.megolm.v1.aes-sha2); it posts nothing there"
            )
        if not self._owner:
            return await self._relay(room_id, content, tx_id)
        if client.olm is None:
            raise MatrixRoomError(
                f"room {room_id} is end-to-end encrypted and {self._crypto_problem or 'no keys are loaded'}"
            )
        if room_id not in client.rooms:
            raise MatrixRoomError(
                f"the bot may not post in room {room_id}: it is not a member (kicked, left or never "
                f"invited). Invite it again, or unsubscribe matrix:{room_id}"
            )
        try:
            room = client.rooms[room_id]
            if not room.members_synced:
                await client.joined_members(room_id)
            if client.should_query_keys:
                await client.keys_query()
            apply_trust(client, room_id, self.settings.matrix_device_trust, self._verified)
            response = await client.room_send(room_id, "m.room.message", content, tx_id=tx_id)
        except (ClientError, TimeoutError, OSError) as exc:
            raise self._unreachable(exc) from None
        except LocalProtocolError as exc:  # members or devices changed while sharing the room key
            raise MatrixUnreachable(f"encrypting for {room_id} failed, will retry: {exc}") from None
        return self._sent(room_id, response)

    async def _send_plain(self, room_id: str, content: dict[str, Any], *, tx_id: str) -> str:
        """Send without encryption, whatever nio knows of the room (a plain room, or a notice in a
        room whose algorithm the bot does not speak)."""
        client = self.client
        if client is None:
            raise self._unreachable(None)
        method, path, data = Api.room_send(client.access_token, room_id, "m.room.message", content, tx_id)
        try:
            response = await client._send(RoomSendResponse, method, path, data, (room_id,))
        except (ClientError, TimeoutError, OSError) as exc:
            raise self._unreachable(exc) from None
        return self._sent(room_id, response)

    # -- scale-out: sends to encrypted rooms go through the owner of the keys -----------------------

    def _relay_key(self) -> bytes:
        secret = self.settings.matrix_access_token or self.settings.matrix_password
        return relay_key(secret.get_secret_value() if secret is not None else "")

    def web_routes(self) -> list[web.RouteDef]:
        """POST /matrix/relay: a send-only process's message for an encrypted room (bot.chat.matrix_relay)."""
        return [web.post(RELAY_PATH, self.handle_relay)]

    async def handle_relay(self, request: web.Request) -> web.Response:
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return web.json_response({"error": "the message is too large"}, status=413)
        refused = check(
            self._relay_key(),
            request.headers.get("X-Newsbot-Timestamp", ""),
            request.headers.get("X-Newsbot-Signature", ""),
            body,
        )
        if refused is not None:
            log.warning("Matrix: refused a relayed send from %s: %s", request.remote, refused)
            return web.json_response({"error": refused}, status=401)
        try:
            room_id, content, tx_id = parse(body)
        except ValueError as exc:
            return web.json_response({"error": f"bad relayed send: {exc}"}, status=400)
        if not self._owner:
            return web.json_response({"error": "this process does not run the Matrix sync"}, status=503)
        try:
            event_id = await self._send(room_id, content, tx_id=tx_id)
        except MatrixRateLimited as exc:
            return web.json_response({"error": str(exc), "retry_after": exc.retry_after}, status=429)
        except MatrixRoomError as exc:
            return web.json_response({"error": str(exc)}, status=409)
        except MatrixUnreachable as exc:
            return web.json_response({"error": str(exc)}, status=503)
        except MatrixError as exc:
            return web.json_response({"error": str(exc)}, status=502)
        return web.json_response({"event_id": event_id})

    async def _relay(self, room_id: str, content: dict[str, Any], tx_id: str) -> str:
        """Hand a message for an encrypted room to the process that owns the keys, and raise its
        answer as this connection's own."""
        base = (self.settings.matrix_relay_url or "").rstrip("/")
        if not base:
            raise MatrixRoomError(
                f"room {room_id} is end-to-end encrypted and this process only sends: the keys belong to "
                "the process that runs the Matrix sync. Set matrix_relay_url to that process's HTTP "
                "address (docs/operations.md); until then nothing is posted there"
            )
        body = json.dumps({"room_id": room_id, "content": content, "tx_id": tx_id}).encode()
        stamp = f"{time.time():.3f}"
        headers = {
            "Content-Type": "application/json",
            "X-Newsbot-Timestamp": stamp,
            "X-Newsbot-Signature": sign(self._relay_key(), stamp, body),
        }
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.request_timeout * 2)) as http,
                http.post(base + RELAY_PATH, data=body, headers=headers) as response,
            ):
                answer = await response.json(content_type=None)
                status = response.status
        except (ClientError, TimeoutError, OSError, ValueError) as exc:
            raise MatrixUnreachable(
                f"cannot reach the Matrix relay {base} (the process that owns the keys): "
                f"{describe_error(exc)}"
            ) from None
        error = str(answer.get("error", "")) if isinstance(answer, dict) else "not a relay answer"
        if status == 200 and isinstance(answer, dict) and isinstance(answer.get("event_id"), str):
            return str(answer["event_id"])
        if status == 429:
            retry = answer.get("retry_after") if isinstance(answer, dict) else None
            raise MatrixRateLimited(error, float(retry) if isinstance(retry, int | float) else 5.0)
        if status == 409:
            raise MatrixRoomError(error)
        if status == 503:
            raise MatrixUnreachable(f"the Matrix relay {base} cannot send now: {error}")
        raise MatrixError(f"the Matrix relay {base} refused the message (HTTP {status}): {error}")

    def _sent(self, room_id: str, response: Any) -> str:
        if isinstance(response, RoomSendResponse):
            return str(response.event_id)
        code = response.status_code or "error"
        if code == "M_LIMIT_EXCEEDED":
            delay = (response.retry_after_ms or 5000) / 1000
            raise MatrixRateLimited(
                f"the homeserver rate-limits the bot in {room_id} (M_LIMIT_EXCEEDED); retry in {delay:.1f} s",
                delay,
            )
        if code == "M_FORBIDDEN":
            raise MatrixRoomError(
                f"the bot may not post in room {room_id}: it is not a member (kicked, left or never "
                f"invited) or lacks the power level to post ({response.message}). Invite it again, or "
                f"unsubscribe matrix:{room_id}"
            )
        if code in AUTH_ERRORS:
            raise MatrixError(
                f"the homeserver {self.homeserver} rejected the bot's access token ({code}); it was revoked. "
                "Restart with a valid NEWSBOT_MATRIX_ACCESS_TOKEN or NEWSBOT_MATRIX_PASSWORD"
            )
        raise MatrixError(f"sending to {room_id} failed: {code} {response.message}")
