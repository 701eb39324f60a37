"""The Matrix sync: our own sync loop (not nio's callbacks), invites, and being removed from a
room; each joined room's events go to bot.chat.matrix_rooms.

The sync token is kept in `data_dir/matrix-sync.json` (mode 0600). The very first sync (no token)
only reads state: old messages are history, not commands. Later starts continue from the token, so
commands sent while the bot was down are answered once and old ones never again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import ClientError
from nio import (
    InviteInfo,
    InviteMemberEvent,
    JoinResponse,
    OlmEvent,
    RoomMemberEvent,
    SyncError,
    SyncResponse,
)

from bot.chat.matrix_crypto import SUPPORTED_ALGORITHMS
from bot.chat.matrix_rooms import MatrixRooms
from bot.chat.matrix_send import content_digest
from bot.chat.matrix_session import (
    AUTH_ERRORS,
    SYNC_FILE,
    RetryLater,
    TolerantClient,
    describe_error,
    log,
    log_bad_to_device,
    read_json_file,
    write_private_json,
)
from bot.errors import ConfigError, NewsbotError
from bot.ports import TimeSource
from bot.settings import Settings
from bot.store.db import Store

# Only what the bot reads: room timelines and state; no presence, no account data.
SYNC_FILTER: dict[str, Any] = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "timeline": {"limit": 50},
        "state": {"lazy_load_members": True},
        "account_data": {"not_types": ["*"]},
        "ephemeral": {"not_types": ["*"]},
    },
}
GREETING = "Hello! I post news alerts in this room. Try: !news subscribe Nordkorea — or !news help."


def inviter_allowed(inviter: str, allowed: list[str]) -> bool:
    """Every inviter when the list is empty; else user ids listed or on a listed `:server`."""
    if not allowed:
        return True
    server = inviter.partition(":")[2]
    for entry in allowed:
        entry = entry.strip()
        if entry.startswith(":") and server and server == entry[1:]:
            return True
        if entry == inviter:
            return True
    return False


class MatrixListener(MatrixRooms):
    """The listening half of the adapter: syncs, and answers what the rooms say."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: TimeSource,
        *,
        retry_base_seconds: float = 1.0,
        retry_max_seconds: float = 60.0,
        sync_timeout_ms: int = 30_000,
        request_timeout_seconds: float = 30.0,
    ) -> None:
        super().__init__(settings, store, clock, request_timeout_seconds=request_timeout_seconds)
        self.retry_base = retry_base_seconds
        self.retry_max = retry_max_seconds
        self.sync_timeout_ms = sync_timeout_ms
        self.next_batch: str | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._pending_greetings: dict[str, tuple[str, str]] = {}  # room -> (text, tx id) once synced
        self._stopping = False
        self._failure: NewsbotError | None = None
        self._failed = asyncio.Event()

    def _backoff(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to wait after `failures` in a row: doubling up to retry_max, and never sooner than
        the homeserver asked."""
        delay = min(self.retry_max, self.retry_base * 2.0 ** (failures - 1))
        return delay if retry_after is None else max(delay, retry_after)

    @property
    def sync_path(self) -> Path:
        return self.settings.data_dir / SYNC_FILE

    def _load_sync_token(self) -> str | None:
        data = read_json_file(self.sync_path)
        if data is None or not self._mine(data):
            return None
        token = data.get("next_batch")
        return token if isinstance(token, str) and token else None

    def _save_sync_token(self, token: str) -> None:
        self.next_batch = token
        write_private_json(
            self.sync_path, {"homeserver": self.homeserver, "user_id": self.user_id, "next_batch": token}
        )

    # -- sync -------------------------------------------------------------------------------------

    async def _sync(self, *, since: str | None, timeout_ms: int, full_state: bool = False) -> SyncResponse:
        assert self.client is not None
        try:
            response = await self.client.sync(
                timeout=timeout_ms, sync_filter=SYNC_FILTER, since=since, full_state=full_state or None
            )
        except (ClientError, TimeoutError, OSError) as exc:
            raise RetryLater(describe_error(exc)) from None
        if isinstance(response, SyncResponse):
            return response
        assert isinstance(response, SyncError)
        if response.status_code in AUTH_ERRORS:
            raise ConfigError(
                f"the homeserver {self.homeserver} no longer accepts the Matrix session of {self.user_id} "
                f"({response.status_code}): the access token was revoked. Set a new "
                "NEWSBOT_MATRIX_ACCESS_TOKEN, or restart with NEWSBOT_MATRIX_PASSWORD to log in again"
            )
        if response.status_code == "M_LIMIT_EXCEEDED":
            raise RetryLater("sync rate-limited", (response.retry_after_ms or 5000) / 1000)
        self._raise_transient(response)
        raise RetryLater(str(response))

    async def _first_sync(self) -> None:
        stored = self._load_sync_token()
        response = await self._sync(since=stored, timeout_ms=0, full_state=True)
        await self._crypto_upkeep()
        # Without a token, the timeline is history: take state and invites, answer no old command.
        await self._process(response, history=stored is None)
        if self._new_device_notice:
            self._new_device_notice = False
            await self._tell_new_device()
        self._save_sync_token(response.next_batch)

    async def _sync_loop(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                response = await self._sync(since=self.next_batch, timeout_ms=self.sync_timeout_ms)
            except RetryLater as exc:
                failures += 1
                delay = self._backoff(failures, exc.retry_after)
                log.warning(
                    "Matrix sync with %s failed (%s); retrying in %.0f s", self.homeserver, exc, delay
                )
                await asyncio.sleep(delay)
                continue
            except ConfigError as exc:
                log.error("Matrix: %s", exc)
                self._failure = exc
                self._failed.set()
                return
            except Exception:  # a bug in handling one sync must not end all syncing
                failures += 1
                delay = self._backoff(failures)
                log.exception("Matrix: a sync with %s failed; retrying in %.0f s", self.homeserver, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            try:
                await self._crypto_upkeep()
            except RetryLater as exc:  # the next round tries again; the sync itself worked
                log.warning("Matrix: exchanging keys with %s failed (%s)", self.homeserver, exc)
            try:
                await self._process(response, history=False)
            except Exception:  # one bad sync must never end the bot
                log.exception("Matrix: handling a sync response failed")
            self._save_sync_token(response.next_batch)

    async def _process(self, response: SyncResponse, *, history: bool) -> None:
        self._check_to_device(response)
        for room_id, invite in response.rooms.invite.items():
            await self._guard(self._on_invite(room_id, invite), f"invite to {room_id}")
        for room_id, info in response.rooms.join.items():
            await self._guard(self._on_joined_room(room_id, info, history=history), f"events in {room_id}")
        assert self.client is not None
        for room_id in [r for r in self._pending_greetings if r in self.client.rooms]:
            text, tx_id = self._pending_greetings.pop(room_id)
            await self._guard(self._notice(room_id, text, tx_id=tx_id), f"greeting in {room_id}")
        for room_id, info in response.rooms.leave.items():
            for event in info.timeline.events:
                if (
                    isinstance(event, RoomMemberEvent)
                    and event.state_key == self.user_id
                    and event.sender != self.user_id
                    and event.membership in ("leave", "ban")
                ):
                    reason = (event.content or {}).get("reason")
                    why = f"{event.sender} {'banned' if event.membership == 'ban' else 'removed'} the bot" + (
                        f": {reason}" if isinstance(reason, str) and reason else ""
                    )
                    self.store.pause_channel(f"matrix:{room_id}", why)
                    log.warning(
                        "Matrix: %s in room %s; its subscriptions are paused until the bot is invited again",
                        why,
                        room_id,
                    )

    @staticmethod
    async def _guard(work: Any, what: str) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Matrix: handling %s failed", what)

    # -- invites ----------------------------------------------------------------------------------

    async def _on_invite(self, room_id: str, invite: InviteInfo) -> None:
        assert self.client is not None
        inviter = next(
            (
                e.sender
                for e in invite.invite_state
                if isinstance(e, InviteMemberEvent)
                and e.state_key == self.user_id
                and e.membership == "invite"
            ),
            None,
        )
        if inviter is None:
            log.info("Matrix: ignoring an invite to %s that names no inviter", room_id)
            return
        if not inviter_allowed(inviter, self.settings.matrix_allowed_inviters):
            log.warning(
                "Matrix: declined the invite to %s from %s: not in matrix_allowed_inviters", room_id, inviter
            )
            await self.client.room_leave(room_id)
            return
        joined = await self.client.join(room_id)
        if not isinstance(joined, JoinResponse):
            log.warning("Matrix: could not join %s on the invite of %s: %s", room_id, inviter, joined)
            return
        log.info("Matrix: joined %s on the invite of %s", room_id, inviter)
        if self.store.resume_channel(f"matrix:{room_id}"):
            log.info("Matrix: invited back to %s; its subscriptions are active again", room_id)
        tx_id = f"newsbot-hello-{content_digest(room_id, inviter)}"
        algorithm = await self._encryption_of(room_id)
        if algorithm is None:
            await self._notice(room_id, GREETING, tx_id=tx_id)
        elif algorithm not in SUPPORTED_ALGORITHMS:
            await self._tell_unsupported(room_id, algorithm)
        else:  # encrypting needs the room's members and devices: greet once the room is synced
            self._pending_greetings[room_id] = (GREETING, tx_id)

    def _check_to_device(self, response: SyncResponse) -> None:
        """An encrypted to-device message nio could not decrypt stays in the response: log it once
        (there is no room to tell). A lost room key is asked for when a message needs it."""
        client = self.client
        dropped = client.dropped_to_device if isinstance(client, TolerantClient) else set()
        for event in response.to_device_events:
            if isinstance(event, OlmEvent) and id(event) not in dropped:
                log_bad_to_device(event, "no Olm session decrypts it")
        dropped.clear()
