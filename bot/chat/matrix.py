"""The Matrix bot: `!news …` commands in rooms, alerts as HTML messages, follow-ups in threads.

One `nio.AsyncClient`, driven by our own sync loop (not nio's callbacks) so that every step is
visible and every failure is handled here:

* Login with an access token (checked with /whoami) or a password. A password login stores the
  access token and device id in `data_dir/matrix-session.json` (mode 0600) and reuses them, so the
  bot keeps one device: Synapse drops a repeated transaction id per device, which is what makes a
  resend after a crash post nothing twice.
* The sync token is kept in `data_dir/matrix-sync.json` (mode 0600). The very first sync (no token)
  only reads state: old messages are history, not commands. Later starts continue from the token,
  so commands sent while the bot was down are answered once and old ones never again.
* Invites are accepted (optionally only from `matrix_allowed_inviters`), commands go through the one
  grammar of bot.chat.commands, answers are m.notice replies (bots never answer notices).
* Alerts are m.text with HTML (bot.chat.matrix_html) and `"m.mentions": {}`; follow-ups are
  m.thread replies to the parent alert; source updates are m.replace edits of the parent.
* Every send carries a transaction id derived from the outbox key (and the content), so the
  homeserver turns a resend into the original event instead of a second message.
* Encrypted rooms (Megolm) work as plain ones: the listening process keeps the device's keys in
  `data_dir/matrix-crypto/` (bot.chat.matrix_crypto), decrypts commands, encrypts every send, and
  shares room keys with the devices its trust policy allows. A message it cannot decrypt gets one
  notice and one key request; a room with an encryption algorithm it does not know gets one notice
  and nothing else. A send-only connection (a scale-out worker) holds no keys: it hands messages
  for encrypted rooms to the owner (bot.chat.matrix_relay) instead of racing it on the session.

Tokens and passwords are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import ClientError, web
from nio import (
    Api,
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    InviteInfo,
    InviteMemberEvent,
    JoinResponse,
    LocalProtocolError,
    LoginResponse,
    MegolmEvent,
    OlmEvent,
    ReactionEvent,
    RoomEncryptionEvent,
    RoomGetStateEventResponse,
    RoomGetStateResponse,
    RoomInfo,
    RoomMemberEvent,
    RoomMessageText,
    RoomSendResponse,
    SyncError,
    SyncResponse,
    UnknownEncryptedEvent,
    WhoamiResponse,
)
from nio.crypto import ENCRYPTION_ENABLED
from nio.store import SqliteStore

from bot.chat.commands import CommandContext, CommandHandler, changes_settings, strip_prefix
from bot.chat.learning import Learning, reaction_verdict
from bot.chat.matrix_crypto import (
    STORE_NAME,
    SUPPORTED_ALGORITHMS,
    apply_trust,
    crypto_dir,
    lock_owner,
    parse_verified,
    quarantine,
    store_key,
    store_problem,
    unlock_owner,
)
from bot.chat.matrix_html import alert_html, digest_html, notice_html
from bot.chat.matrix_relay import MAX_BODY, RELAY_PATH, check, parse, relay_key, sign
from bot.core.digest import Digest
from bot.core.render import render
from bot.errors import ChannelUnavailable, ChatUnavailable, ConfigError, NewsbotError
from bot.model import AlertContent
from bot.ports import Clock
from bot.settings import Settings
from bot.store.db import Store

log = logging.getLogger(__name__)

PREFIX = "matrix:"
COMMAND = "!news"
SESSION_FILE = "matrix-session.json"
SYNC_FILE = "matrix-sync.json"
DEVICE_NAME = "newsbot"
HTML = "org.matrix.custom.html"
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
AUTH_ERRORS = frozenset({"M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"})
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
PLAIN_RECHECK_SECONDS = 60.0
GREETING = "Hello! I post news alerts in this room. Try: !news subscribe Nordkorea — or !news help."
LEAVE_HELP = "  leave                               (Matrix) the bot leaves this room and drops its topics"
INFINITE_POWER = 2**53


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


class _Client(AsyncClient):  # type: ignore[misc]
    """nio's client, with one hole closed: a to-device message so broken that vodozemac cannot even
    parse it raises out of nio's sync handling, which would end every later sync too (the homeserver
    sends it again until a sync gets past it). Here it is logged and dropped like any message that
    fails to decrypt."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dropped_to_device: set[int] = set()  # ids of this sync's to-device events logged here

    def _handle_decrypt_to_device(self, to_device_event: Any) -> Any:
        try:
            return super()._handle_decrypt_to_device(to_device_event)
        except Exception as exc:
            _log_bad_to_device(to_device_event, _describe(exc))
            self.dropped_to_device.add(id(to_device_event))
            return None


def _log_bad_to_device(event: Any, why: str) -> None:
    log.warning(
        "Matrix: could not decrypt an encrypted to-device message from %s (sender key %s): %s; ignored it",
        getattr(event, "sender", "?"),
        getattr(event, "sender_key", "?"),
        why,
    )


class _Unreachable(Exception):
    """The homeserver did not answer usefully (network, 5xx, rate limit at login); try again later."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def room_of(channel: str) -> str:
    """`matrix:!abc:example.org` -> `!abc:example.org` (room version 12 ids have no `:server`)."""
    room_id = channel[len(PREFIX) :] if channel.startswith(PREFIX) else ""
    if not re.fullmatch(r"![^\s/]+", room_id):
        raise MatrixRoomError(
            f"{channel!r} does not name a Matrix room; write it as matrix:!roomid (or matrix:!roomid:server "
            "in older rooms): the room id from the room's advanced settings, not its #alias"
        )
    return room_id


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


def _digest(*parts: Any) -> str:
    raw = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def _write_private(path: Path, data: dict[str, Any]) -> None:
    """Write JSON readable by the owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, json.dumps(data).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return None
    return data if isinstance(data, dict) else None


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


class MatrixChat:
    """The Matrix platform: a ChatService for `matrix:!room:server` channels."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        *,
        retry_base_seconds: float = 1.0,
        retry_max_seconds: float = 60.0,
        sync_timeout_ms: int = 30_000,
        request_timeout_seconds: float = 30.0,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.handler = CommandHandler(store)
        self.learning = Learning(store)
        self.retry_base = retry_base_seconds
        self.retry_max = retry_max_seconds
        self.sync_timeout_ms = sync_timeout_ms
        self.request_timeout = request_timeout_seconds
        self.client: AsyncClient | None = None
        self.user_id = settings.matrix_user or ""
        self.homeserver = (settings.matrix_homeserver or "").rstrip("/")
        self.next_batch: str | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._told: set[str] = set()
        # the listening process owns the crypto store; a send-only connection never opens it
        self._owner = False
        self._verified = parse_verified(settings.matrix_verified_devices)
        self._algorithms: dict[str, str] = {}  # room id -> its m.room.encryption algorithm
        self._plain_until: dict[str, float] = {}  # send-only: rooms seen unencrypted, until when
        self._pending_greetings: dict[str, tuple[str, str]] = {}  # room -> (text, tx id) once synced
        self._crypto_problem: str | None = None  # why this process has no usable keys
        self._new_device_notice = False
        self._lock: int | None = None  # held while this process owns the crypto store
        self._stopping = False
        self._failure: NewsbotError | None = None
        self._failed = asyncio.Event()

    async def failed(self) -> NewsbotError:
        await self._failed.wait()
        assert self._failure is not None
        return self._failure

    # -- files in data_dir ------------------------------------------------------------------------

    @property
    def session_path(self) -> Path:
        return self.settings.data_dir / SESSION_FILE

    @property
    def sync_path(self) -> Path:
        return self.settings.data_dir / SYNC_FILE

    def _mine(self, data: dict[str, Any] | None) -> bool:
        if not data:
            return False
        return data.get("homeserver") == self.homeserver and data.get("user_id") == self.user_id

    def _load_sync_token(self) -> str | None:
        data = _read_json(self.sync_path)
        if data is None or not self._mine(data):
            return None
        token = data.get("next_batch")
        return token if isinstance(token, str) and token else None

    def _save_sync_token(self, token: str) -> None:
        self.next_batch = token
        _write_private(
            self.sync_path, {"homeserver": self.homeserver, "user_id": self.user_id, "next_batch": token}
        )

    # -- ChatService: lifecycle -------------------------------------------------------------------

    def handles(self, channel: str) -> bool:
        return channel.startswith(PREFIX)

    async def start(self) -> None:
        """Log in and sync once (retrying while the homeserver is unreachable), then keep syncing.

        Raises ConfigError when the settings are incomplete or the homeserver rejects the credentials.
        """
        self._owner = True
        await self._connect(first_sync=True)
        log.info("Matrix: logged in as %s on %s; listening for !news commands", self.user_id, self.homeserver)
        self._stopping = False
        self._sync_task = asyncio.create_task(self._sync_loop(), name="matrix-sync")

    async def connect(self) -> None:
        """Log in to send only, without listening for commands (a scale-out worker delivers alerts,
        the `web` process answers commands)."""
        self._owner = False
        await self._connect(first_sync=False)
        log.info("Matrix: logged in as %s on %s to send alerts", self.user_id, self.homeserver)

    async def _connect(self, *, first_sync: bool) -> None:
        self._check_settings()
        nio_log = logging.getLogger("nio")
        if nio_log.level == logging.NOTSET:  # nio logs every event it sees at INFO: noise in our logs
            nio_log.setLevel(logging.WARNING)
        attempt = 0
        while True:
            try:
                await self._login()
                if self._owner:
                    await self._open_crypto()
                if first_sync:
                    await self._first_sync()
                break
            except _Unreachable as exc:
                attempt += 1
                delay = min(self.retry_max, self.retry_base * 2 ** (attempt - 1))
                if exc.retry_after is not None:
                    delay = max(delay, exc.retry_after)
                log.warning(
                    "Matrix homeserver %s is not reachable (%s); attempt %d failed, retrying in %.1f s",
                    self.homeserver,
                    exc,
                    attempt,
                    delay,
                )
                await self._close_client()
                await asyncio.sleep(delay)
            except BaseException:
                await self._close_client()
                unlock_owner(self._lock)
                self._lock = None
                raise

    async def stop(self) -> None:
        self._stopping = True
        task, self._sync_task = self._sync_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._close_client()
        unlock_owner(self._lock)
        self._lock = None

    async def _close_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()

    def _check_settings(self) -> None:
        s = self.settings
        if not self.homeserver or not self.user_id:
            raise ConfigError("Matrix needs NEWSBOT_MATRIX_HOMESERVER and NEWSBOT_MATRIX_USER")
        if not re.match(r"https?://[^/\s]+", self.homeserver):
            raise ConfigError(
                f"NEWSBOT_MATRIX_HOMESERVER must be an http(s) URL such as https://matrix.example.org, "
                f"not {self.homeserver!r}"
            )
        if not re.fullmatch(r"@[^\s:]+:\S+", self.user_id):
            raise ConfigError(
                "NEWSBOT_MATRIX_USER must be a full user id such as @newsbot:example.org, "
                f"not {self.user_id!r}"
            )
        if s.matrix_relay_url and not re.match(r"https?://[^/\s]+", s.matrix_relay_url):
            raise ConfigError(
                "NEWSBOT_MATRIX_RELAY_URL must be the http(s) address of the process that runs the Matrix "
                f"sync, such as http://web.internal:3000, not {s.matrix_relay_url!r}"
            )
        if s.matrix_access_token is None and s.matrix_password is None:
            raise ConfigError(
                f"Matrix needs NEWSBOT_MATRIX_ACCESS_TOKEN or NEWSBOT_MATRIX_PASSWORD for {self.user_id}"
            )

    def _new_client(self, device_id: str | None) -> AsyncClient:
        encrypting = self._owner and ENCRYPTION_ENABLED
        key = ""
        if encrypting:
            key = store_key(crypto_dir(self.settings.data_dir), self.settings.matrix_store_passphrase)
        config = AsyncClientConfig(
            max_limit_exceeded=0,  # a 429 comes back to us (delivery reschedules on retry_after)
            max_timeouts=0,  # a network failure comes back to us (we back off and log)
            request_timeout=self.request_timeout,
            encryption_enabled=encrypting,
            store=SqliteStore if encrypting else None,
            store_name=STORE_NAME,
            pickle_key=key,
            store_sync_tokens=False,
        )
        # No store path yet: nio would open the store inside login(); _open_crypto does, checked.
        client = _Client(self.homeserver, self.user_id, device_id=device_id, config=config, store_path="")
        return client

    # -- keys -------------------------------------------------------------------------------------

    async def _open_crypto(self) -> None:
        """Open this device's crypto store (the listening process only) and publish its keys.

        A damaged store is moved aside with one error line; with a password the bot becomes a new
        device with new keys, with an access token it runs without encryption (plain rooms work)."""
        client = self.client
        assert client is not None
        if not ENCRYPTION_ENABLED:
            self._crypto_problem = "matrix-nio was installed without its e2e extra (vodozemac)"
            log.error("Matrix: %s; encrypted rooms are not served", self._crypto_problem)
            return
        directory = crypto_dir(self.settings.data_dir)
        if self._lock is None:
            self._lock = lock_owner(directory)
        path = directory / STORE_NAME
        problem = store_problem(path)
        if problem is None:
            client.store_path = str(directory)
            try:
                client.load_store()
            except Exception as exc:
                if not _unreadable_keys(exc):
                    raise
                problem = _describe(exc)  # the keys cannot be unpickled: damaged, or another passphrase
                client.store, client.olm = None, None
        if problem is not None:
            moved = quarantine(path) if path.exists() else path
            if self.settings.matrix_password is not None and self.settings.matrix_access_token is None:
                log.error(
                    "Matrix: the crypto store %s is unusable (%s); moved it to %s and logging in as a new "
                    "device with new keys. Messages sent to the old device cannot be read",
                    path,
                    problem,
                    moved.name,
                )
                with contextlib.suppress(FileNotFoundError):
                    self.session_path.unlink()
                await self._login()
                client = self.client
                assert client is not None
                client.store_path = str(directory)
                client.load_store()
                self._new_device_notice = True
            else:
                self._crypto_problem = f"my key store was damaged ({problem})"
                log.error(
                    "Matrix: the crypto store %s is unusable (%s); moved it to %s. Encrypted rooms are "
                    "paused; create a new access token (a new device) and restart",
                    path,
                    problem,
                    moved.name,
                )
                return
        os.chmod(directory / STORE_NAME, 0o600)
        await self._crypto_upkeep()

    async def _crypto_upkeep(self) -> None:
        """What nio's own sync loop would do between syncs: publish one-time keys, learn members'
        devices, open Olm sessions, send queued to-device messages (key shares, key requests)."""
        client = self.client
        if client is None or client.olm is None:
            return
        try:
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
            await client.send_to_device_messages()
        except (ClientError, TimeoutError, OSError) as exc:
            raise _Unreachable(_describe(exc)) from None

    # -- login ------------------------------------------------------------------------------------

    async def _login(self) -> None:
        await self._close_client()
        token = self.settings.matrix_access_token
        if token is not None:
            self.client = self._new_client(None)
            who = await self._whoami(self.client, token.get_secret_value())
            if who is None:
                raise ConfigError(
                    f"the homeserver {self.homeserver} rejected the Matrix access token for {self.user_id} "
                    "(M_UNKNOWN_TOKEN): it was revoked, expired or mistyped. Create a new one and set "
                    "NEWSBOT_MATRIX_ACCESS_TOKEN"
                )
            self.client.device_id = who.device_id
            return
        password = self.settings.matrix_password
        assert password is not None
        session = _read_json(self.session_path)
        device_id: str | None = None
        if session is not None and self._mine(session):
            device_id = session.get("device_id") if isinstance(session.get("device_id"), str) else None
            stored = session.get("access_token")
            if isinstance(stored, str) and stored:
                self.client = self._new_client(device_id)
                who = await self._whoami(self.client, stored)
                if who is not None:
                    self.client.device_id = who.device_id or device_id
                    return
                log.info("Matrix: the stored session of %s has ended; logging in again", self.user_id)
                await self._close_client()
        self.client = self._new_client(device_id)
        try:
            response = await self.client.login(password.get_secret_value(), device_name=DEVICE_NAME)
        except (ClientError, TimeoutError, OSError) as exc:
            raise _Unreachable(_describe(exc)) from None
        if isinstance(response, LoginResponse):
            _write_private(
                self.session_path,
                {
                    "homeserver": self.homeserver,
                    "user_id": response.user_id,
                    "device_id": response.device_id,
                    "access_token": response.access_token,
                },
            )
            return
        self._raise_transient(response)
        if response.status_code == "M_LIMIT_EXCEEDED":
            raise _Unreachable("login rate-limited", (response.retry_after_ms or 5000) / 1000)
        raise ConfigError(
            f"Matrix login as {self.user_id} on {self.homeserver} failed: {response.status_code or 'error'} "
            f"{response.message}. Check NEWSBOT_MATRIX_USER and NEWSBOT_MATRIX_PASSWORD"
        )

    async def _whoami(self, client: AsyncClient, token: str) -> WhoamiResponse | None:
        """The token's owner; None when the homeserver rejects the token."""
        client.access_token = token
        client.user_id = self.user_id
        try:
            who = await client.whoami()
        except (ClientError, TimeoutError, OSError) as exc:
            raise _Unreachable(_describe(exc)) from None
        if isinstance(who, WhoamiResponse):
            if who.user_id != self.user_id:
                raise ConfigError(
                    f"the Matrix access token belongs to {who.user_id}, "
                    f"not to NEWSBOT_MATRIX_USER={self.user_id}"
                )
            return who
        self._raise_transient(who)
        if who.status_code in AUTH_ERRORS:
            client.access_token = ""
            return None
        raise ConfigError(f"Matrix: checking the access token of {self.user_id} failed: {who}")

    @staticmethod
    def _raise_transient(response: ErrorResponse) -> None:
        transport = getattr(response, "transport_response", None)
        status = getattr(transport, "status", None)
        if isinstance(status, int) and status >= 500:
            raise _Unreachable(f"HTTP {status}")
        if not (response.status_code or "").startswith("M_"):
            raise _Unreachable(f"not a Matrix answer: {response.message}")

    # -- sync -------------------------------------------------------------------------------------

    async def _sync(self, *, since: str | None, timeout_ms: int, full_state: bool = False) -> SyncResponse:
        assert self.client is not None
        try:
            response = await self.client.sync(
                timeout=timeout_ms, sync_filter=SYNC_FILTER, since=since, full_state=full_state or None
            )
        except (ClientError, TimeoutError, OSError) as exc:
            raise _Unreachable(_describe(exc)) from None
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
            raise _Unreachable("sync rate-limited", (response.retry_after_ms or 5000) / 1000)
        self._raise_transient(response)
        raise _Unreachable(str(response))

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
            except _Unreachable as exc:
                failures += 1
                delay = min(self.retry_max, self.retry_base * 2 ** (failures - 1))
                if exc.retry_after is not None:
                    delay = max(delay, exc.retry_after)
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
                delay = min(self.retry_max, self.retry_base * 2 ** (failures - 1))
                log.exception("Matrix: a sync with %s failed; retrying in %.0f s", self.homeserver, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            try:
                await self._crypto_upkeep()
            except _Unreachable as exc:  # the next round tries again; the sync itself worked
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
        tx_id = f"newsbot-hello-{_digest(room_id, inviter)}"
        algorithm = await self._encryption_of(room_id)
        if algorithm is None:
            await self._notice(room_id, GREETING, tx_id=tx_id)
        elif algorithm not in SUPPORTED_ALGORITHMS:
            await self._tell_unsupported(room_id, algorithm)
        else:  # encrypting needs the room's members and devices: greet once the room is synced
            self._pending_greetings[room_id] = (GREETING, tx_id)

    # -- room events ------------------------------------------------------------------------------

    async def _on_joined_room(self, room_id: str, info: RoomInfo, *, history: bool) -> None:
        for event in [*info.state, *info.timeline.events]:
            if isinstance(event, RoomEncryptionEvent):
                algorithm = (event.source.get("content") or {}).get("algorithm")
                self._algorithms[room_id] = str(algorithm)
        for event in info.timeline.events:
            if history:
                continue
            try:
                if isinstance(event, RoomEncryptionEvent):
                    algorithm = self._algorithms[room_id]
                    if algorithm not in SUPPORTED_ALGORITHMS:
                        await self._tell_unsupported(room_id, algorithm)
                elif isinstance(event, UnknownEncryptedEvent) and event.sender != self.user_id:
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
                elif isinstance(event, MegolmEvent) and event.sender != self.user_id:
                    await self._on_undecryptable(room_id, event)
                elif (
                    isinstance(event, RoomMessageText)
                    and event.sender != self.user_id
                    and isinstance(event.body, str)
                ):
                    text = without_reply_fallback(event.body)
                    if is_command(text):
                        await self._on_command(
                            room_id, event.event_id, event.sender, text.strip(), thread_root(event.source)
                        )
                elif isinstance(event, ReactionEvent) and event.sender != self.user_id:
                    await self._on_reaction(room_id, event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "Matrix: handling event %s in %s failed", getattr(event, "event_id", "?"), room_id
                )

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
            tx_id=f"newsbot-e2ee-{_digest(room_id, algorithm)}",
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
                    tx_id=f"newsbot-nokeys-{_digest(room_id, self.client.device_id)}",
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
            tx_id=f"newsbot-undecryptable-{_digest(room_id, event.session_id)}",
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

    def _check_to_device(self, response: SyncResponse) -> None:
        """An encrypted to-device message nio could not decrypt stays in the response: log it once
        (there is no room to tell). A lost room key is asked for when a message needs it."""
        client = self.client
        dropped = client.dropped_to_device if isinstance(client, _Client) else set()
        for event in response.to_device_events:
            if isinstance(event, OlmEvent) and id(event) not in dropped:
                _log_bad_to_device(event, "no Olm session decrypts it")
        dropped.clear()

    async def _tell_new_device(self) -> None:
        assert self.client is not None
        device = self.client.device_id
        for room_id, room in list(self.client.rooms.items()):
            if room.encrypted and self._algorithms.get(room_id) in SUPPORTED_ALGORITHMS:
                await self._notice(
                    room_id,
                    NEW_DEVICE_NOTICE.format(device=device),
                    tx_id=f"newsbot-newdevice-{_digest(room_id, device)}",
                )

    async def _on_command(
        self, room_id: str, event_id: str, sender: str, text: str, thread: str | None = None
    ) -> None:
        channel = PREFIX + room_id
        verb = strip_prefix(text).split(maxsplit=1)[0].lower() if strip_prefix(text).split() else ""
        if verb == "leave" or changes_settings(text):
            needed = self.settings.matrix_command_power_level
            level = await self._power_level(room_id, sender)
            if level is None:
                await self._reply(
                    room_id, event_id, "I could not read this room's power levels; please try again shortly."
                )
                return
            if level < needed:
                log.info(
                    "Matrix: refused %r from %s in %s (power level %d < %d)",
                    verb,
                    sender,
                    room_id,
                    level,
                    needed,
                )
                await self._reply(
                    room_id,
                    event_id,
                    f"Sorry, changing what this room receives needs power level {needed} (a moderator); "
                    f"yours is {level}. Ask a moderator, or see the room's topics with: !news list",
                )
                return
        if verb == "leave":
            await self._leave(room_id, event_id, sender)
            return
        context = CommandContext(channel=channel, user=sender, now=self.clock.now(), thread=thread)
        reply = self.handler.handle(text, context)
        answer = reply.text
        if verb in ("", "help"):
            answer = f"{answer}\n{LEAVE_HELP}"
        # The answer is a notice everyone in the room sees, as a reply to the command; it already
        # tells the room what changed, so Reply.announce is folded into it rather than sent twice.
        await self._reply(room_id, event_id, answer)

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

    async def _power_level(self, room_id: str, user_id: str) -> int | None:
        assert self.client is not None
        state = await self.client.room_get_state(room_id)
        if not isinstance(state, RoomGetStateResponse):
            log.warning("Matrix: cannot read the state of %s: %s", room_id, state)
            return None
        return power_level([e for e in state.events if isinstance(e, dict)], user_id)

    async def _leave(self, room_id: str, event_id: str, sender: str) -> None:
        assert self.client is not None
        channel = PREFIX + room_id
        topics = self.store.list_subscriptions(channel)
        for sub in topics:
            self.store.remove_subscription(channel, sub.name)
        count = len(topics)
        if count:
            dropped = f"its {count} topic{'s are' if count != 1 else ' is'} dropped"
        else:
            dropped = "it tracked no topics"
        await self._reply(
            room_id,
            event_id,
            f"Goodbye: leaving this room as {sender} asked; {dropped}. Invite me again any time.",
        )
        left = await self.client.room_leave(room_id)
        log.info("Matrix: left %s at the request of %s (%s)", room_id, sender, type(left).__name__)

    async def _reply(self, room_id: str, event_id: str, text: str) -> None:
        content = self._notice_content(text)
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": event_id}}
        # Keyed on the command's event: answering a command again (a crash before the sync token
        # was saved) is dropped by the homeserver instead of answered twice.
        try:
            await self._send(room_id, content, tx_id=f"newsbot-reply-{_digest(room_id, event_id)}")
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
        return f"{safe_key}-{_digest(room_id, content)}"

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
            raise MatrixUnreachable(
                f"cannot reach the Matrix homeserver {self.homeserver}: {_describe(exc)}"
            ) from None
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
            raise MatrixUnreachable(
                f"not connected to the Matrix homeserver {self.homeserver or '(not set)'} yet"
            )
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
            raise MatrixUnreachable(
                f"cannot reach the Matrix homeserver {self.homeserver}: {_describe(exc)}"
            ) from None
        except LocalProtocolError as exc:  # members or devices changed while sharing the room key
            raise MatrixUnreachable(f"encrypting for {room_id} failed, will retry: {exc}") from None
        return self._sent(room_id, response)

    async def _send_plain(self, room_id: str, content: dict[str, Any], *, tx_id: str) -> str:
        """Send without encryption, whatever nio knows of the room (a plain room, or a notice in a
        room whose algorithm the bot does not speak)."""
        client = self.client
        if client is None:
            raise MatrixUnreachable(
                f"not connected to the Matrix homeserver {self.homeserver or '(not set)'} yet"
            )
        method, path, data = Api.room_send(client.access_token, room_id, "m.room.message", content, tx_id)
        try:
            response = await client._send(RoomSendResponse, method, path, data, (room_id,))
        except (ClientError, TimeoutError, OSError) as exc:
            raise MatrixUnreachable(
                f"cannot reach the Matrix homeserver {self.homeserver}: {_describe(exc)}"
            ) from None
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
                f"cannot reach the Matrix relay {base} (the process that owns the keys): {_describe(exc)}"
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


def _unreadable_keys(exc: BaseException) -> bool:
    """nio could open the store but not unpickle the keys in it (vodozemac's pickle errors)."""
    return any("pickle" in type(e).__name__.lower() or "pickle" in str(e).lower() for e in _chain(exc))


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text


def thread_root(source: Any) -> str | None:
    """The root event of the thread a message was sent in (an alert, for `!news why`), if any."""
    content = source.get("content") if isinstance(source, dict) else None
    relates = content.get("m.relates_to") if isinstance(content, dict) else None
    if isinstance(relates, dict) and relates.get("rel_type") == "m.thread":
        root = relates.get("event_id")
        return root if isinstance(root, str) else None
    return None
