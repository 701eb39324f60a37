"""What the rooms say to the bot: `!news` commands (through the one grammar of bot.chat.commands,
answered with m.notice replies), 👍/👎 verdicts on alerts, and messages it cannot decrypt (one
notice, one key request).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import ClientError
from nio import (
    LocalProtocolError,
    MegolmEvent,
    ReactionEvent,
    RoomEncryptionEvent,
    RoomGetStateResponse,
    RoomInfo,
    RoomMessageText,
    UnknownEncryptedEvent,
)

from bot.chat.commands import CommandContext, CommandHandler, changes_settings, strip_prefix
from bot.chat.learning import Learning, reaction_verdict
from bot.chat.matrix_crypto import SUPPORTED_ALGORITHMS
from bot.chat.matrix_send import MatrixSender, content_digest
from bot.chat.matrix_session import PREFIX, log
from bot.chat.permissions import Access, may_change
from bot.ports import TimeSource
from bot.settings import Settings
from bot.store.db import Store

COMMAND = "!news"
UNKNOWN_ALGORITHM_NOTICE = (
    "This room is encrypted with {algorithm}, which newsbot does not support (it speaks "
    "m.megolm.v1.aes-sha2, Element's default), so it can neither read commands nor post alerts here."
)
UNDECRYPTABLE_NOTICE = (
    "I could not decrypt a message from {sender}: its keys were not shared with my device {device}. "
    "I have asked for them. If it was a command, please send it again."
)
NO_KEYS_NOTICE = (
    "I cannot read or post encrypted messages here: {problem}. An admin of the bot has been told "
    "in its log; this room's alerts wait until then."
)
NEW_DEVICE_NOTICE = (
    "My encryption keys were damaged and have been replaced: I am now device {device}. Messages "
    "sent to my old device cannot be read; new ones can."
)
INFINITE_POWER = 2**53


def is_command(body: str) -> bool:
    """`!news …` in any case (`!NEWS LIST` too), never `!newsletter`."""
    text = body.strip()
    head = text[: len(COMMAND)].lower()
    return head == COMMAND and (len(text) == len(COMMAND) or text[len(COMMAND)].isspace())


def without_reply_fallback(body: str) -> str:
    """A reply's body without the quoted lines older clients put in front (`> <@a:b> …`)."""
    if not body.startswith("> "):
        return body
    lines = body.split("\n")
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    if lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def _as_int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def power_level(state: list[dict[str, Any]], user_id: str) -> int:
    """A user's power level from a room's full state (room versions 1–12, creators included)."""
    create = next((e for e in state if e.get("type") == "m.room.create"), None)
    levels = next((e for e in state if e.get("type") == "m.room.power_levels"), None)
    create_content = create.get("content", {}) if create else {}
    creator = create_content.get("creator") or (create.get("sender") if create else None)
    version = str(create_content.get("room_version", "1"))
    if version.isdigit() and int(version) >= 12 and create is not None:
        extra = create_content.get("additional_creators")
        creators = {create.get("sender"), *(extra if isinstance(extra, list) else [])}
        if user_id in creators:
            return INFINITE_POWER
    if levels is None:
        return 100 if user_id == creator else 0
    content = levels.get("content", {})
    users = content.get("users") if isinstance(content.get("users"), dict) else {}
    return _as_int(users.get(user_id, content.get("users_default", 0)))


def thread_root(source: Any) -> str | None:
    """The root event of the thread a message was sent in (an alert, for `!news why`), if any."""
    content = source.get("content") if isinstance(source, dict) else None
    relates = content.get("m.relates_to") if isinstance(content, dict) else None
    if isinstance(relates, dict) and relates.get("rel_type") == "m.thread":
        root = relates.get("event_id")
        return root if isinstance(root, str) else None
    return None


class MatrixRooms(MatrixSender):
    """The adapter's answers to room events, on top of sending."""

    def __init__(
        self, settings: Settings, store: Store, clock: TimeSource, *, request_timeout_seconds: float = 30.0
    ) -> None:
        super().__init__(settings, request_timeout_seconds=request_timeout_seconds)
        self.store = store
        self.clock = clock
        self.handler = CommandHandler(store)
        self.learning = Learning(store)
        self._told: set[str] = set()

    # -- room events ------------------------------------------------------------------------------

    async def _on_joined_room(self, room_id: str, info: RoomInfo, *, history: bool) -> None:
        for event in [*info.state, *info.timeline.events]:
            if isinstance(event, RoomEncryptionEvent):
                algorithm = (event.source.get("content") or {}).get("algorithm")
                self._algorithms[room_id] = str(algorithm)
        if history:
            return
        for event in info.timeline.events:
            try:
                await self._on_event(room_id, event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "Matrix: handling event %s in %s failed", getattr(event, "event_id", "?"), room_id
                )

    async def _on_event(self, room_id: str, event: Any) -> None:
        """One new timeline event; of the bot's own, only a change of the room's encryption counts."""
        if isinstance(event, RoomEncryptionEvent):
            algorithm = self._algorithms[room_id]
            if algorithm not in SUPPORTED_ALGORITHMS:
                await self._tell_unsupported(room_id, algorithm)
            return
        if getattr(event, "sender", None) == self.user_id:
            return
        if isinstance(event, UnknownEncryptedEvent):
            if self._algorithms.get(room_id) in SUPPORTED_ALGORITHMS:  # one odd message
                log.warning(
                    "Matrix: ignored event %s in %s from %s: encrypted with %r, not Megolm",
                    event.event_id,
                    room_id,
                    event.sender,
                    str(event.algorithm)[:100],
                )
            else:
                await self._tell_unsupported(room_id, str(event.algorithm))
        elif isinstance(event, MegolmEvent):
            await self._on_undecryptable(room_id, event)
        elif isinstance(event, RoomMessageText) and isinstance(event.body, str):
            text = without_reply_fallback(event.body)
            if is_command(text):
                await self._on_command(
                    room_id, event.event_id, event.sender, text.strip(), thread_root(event.source)
                )
        elif isinstance(event, ReactionEvent):
            await self._on_reaction(room_id, event)

    def _once(self, *key: str) -> bool:
        """True the first time this process sees `key`; the tx id of the notice dedupes restarts."""
        joined = "|".join(key)
        if joined in self._told:
            return False
        self._told.add(joined)
        return True

    async def _tell_unsupported(self, room_id: str, algorithm: str) -> None:
        if not self._once("unsupported", room_id):
            return
        log.warning(
            "Matrix: room %s is encrypted with %r, which newsbot does not support; it posts nothing there",
            room_id,
            algorithm,
        )
        # In plain text: a Megolm message would be no more readable to a room of another algorithm.
        await self._notice(
            room_id,
            UNKNOWN_ALGORITHM_NOTICE.format(algorithm=algorithm[:100]),
            tx_id=f"newsbot-e2ee-{content_digest(room_id, algorithm)}",
            plain=True,
        )

    async def _on_undecryptable(self, room_id: str, event: MegolmEvent) -> None:
        """A message the bot cannot decrypt: one log line, one key request, one notice per session."""
        assert self.client is not None
        if self.client.olm is None:
            if self._crypto_problem and self._once("nokeys", room_id):
                log.warning("Matrix: cannot read encrypted room %s: %s", room_id, self._crypto_problem)
                await self._notice(
                    room_id,
                    NO_KEYS_NOTICE.format(problem=self._crypto_problem),
                    tx_id=f"newsbot-nokeys-{content_digest(room_id, self.client.device_id)}",
                    plain=True,
                )
            return
        if not self._once("undecryptable", room_id, str(event.session_id)):
            return
        log.warning(
            "Matrix: cannot decrypt event %s from %s in %s: Megolm session %s was not shared with device "
            "%s; requesting the key",
            event.event_id,
            event.sender,
            room_id,
            event.session_id,
            self.client.device_id,
        )
        await self._request_key(event)
        await self._notice(
            room_id,
            UNDECRYPTABLE_NOTICE.format(sender=event.sender, device=self.client.device_id),
            tx_id=f"newsbot-undecryptable-{content_digest(room_id, event.session_id)}",
        )

    async def _request_key(self, event: MegolmEvent) -> None:
        """Ask for a missing room key once (nio keeps the request in the store across restarts):
        from the bot's own other devices and from the sender's devices."""
        client = self.client
        assert client is not None and client.device_id is not None
        try:
            await client.request_room_key(event)
        except LocalProtocolError:  # asked before, maybe in an earlier run: once is enough
            return
        except (ClientError, TimeoutError, OSError) as exc:
            log.warning("Matrix: requesting the key of session %s failed: %s", event.session_id, exc)
            return
        if event.sender != self.user_id:
            with contextlib.suppress(ClientError, TimeoutError, OSError):
                await client.to_device(event.as_key_request(event.sender, client.device_id))

    async def _tell_new_device(self) -> None:
        assert self.client is not None
        device = self.client.device_id
        for room_id, room in list(self.client.rooms.items()):
            if room.encrypted and self._algorithms.get(room_id) in SUPPORTED_ALGORITHMS:
                await self._notice(
                    room_id,
                    NEW_DEVICE_NOTICE.format(device=device),
                    tx_id=f"newsbot-newdevice-{content_digest(room_id, device)}",
                )

    async def _on_command(
        self, room_id: str, event_id: str, sender: str, text: str, thread: str | None = None
    ) -> None:
        if changes_settings(text) and not await self._may_change(room_id, event_id, sender, text):
            return
        context = CommandContext(
            channel=PREFIX + room_id, user=sender, now=self.clock.now(), thread=thread, can_leave=True
        )
        reply = self.handler.handle(text, context)
        # The answer is a notice everyone in the room sees, as a reply to the command; it already
        # tells the room what changed, so Reply.announce is folded into it rather than sent twice.
        await self._reply(room_id, event_id, reply.text)
        if reply.leave:
            assert self.client is not None
            left = await self.client.room_leave(room_id)
            log.info("Matrix: left %s at the request of %s (%s)", room_id, sender, type(left).__name__)

    async def _on_reaction(self, room_id: str, event: ReactionEvent) -> None:
        """👍 / 👎 on an alert is a reader's verdict; the room hears back only when it brings an offer."""
        relevant = reaction_verdict(event.key)
        if relevant is None:
            return
        outcome = self.learning.record(
            PREFIX + room_id, event.reacts_to, event.sender, relevant, self.clock.now()
        )
        log.info("Matrix: %s judged %s in %s: %s", event.sender, event.reacts_to, room_id, outcome.text)
        if outcome.proposal is not None and outcome.topic is not None:
            offer = outcome.text.replace("Reply: exclude", "Reply: !news exclude")
            await self._reply(room_id, event.event_id, offer)

    async def _may_change(self, room_id: str, event_id: str, sender: str, text: str) -> bool:
        """The one rule (bot.chat.permissions), a room's moderators being its admins: those with
        matrix_command_power_level. A refusal is answered here."""
        needed = self.settings.matrix_command_power_level
        verb = strip_prefix(text).partition(" ")[0].lower()
        level = await self._power_level(room_id, sender)

        async def moderator() -> bool | None:
            return None if level is None else level >= needed

        access = await may_change(everyone=False, listed=False, is_admin=moderator)
        if access is Access.UNKNOWN:
            await self._reply(
                room_id, event_id, "I could not read this room's power levels; please try again shortly."
            )
        elif access is Access.REFUSED:
            log.info(
                "Matrix: refused %r from %s in %s (power level %s < %d)", verb, sender, room_id, level, needed
            )
            await self._reply(
                room_id,
                event_id,
                f"Sorry, changing what this room receives needs power level {needed} (a moderator); "
                f"yours is {level}. Ask a moderator, or see the room's topics with: !news list",
            )
        return access is Access.ALLOWED

    async def _power_level(self, room_id: str, user_id: str) -> int | None:
        assert self.client is not None
        state = await self.client.room_get_state(room_id)
        if not isinstance(state, RoomGetStateResponse):
            log.warning("Matrix: cannot read the state of %s: %s", room_id, state)
            return None
        return power_level([e for e in state.events if isinstance(e, dict)], user_id)
