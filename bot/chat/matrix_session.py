"""The Matrix session: settings checked, login (access token or password, one device kept in
`data_dir/matrix-session.json`), the nio client, and this device's end-to-end keys.

The bottom layer of the Matrix adapter (bot.chat.matrix): it knows nothing of rooms, commands or
sending. Tokens and passwords are never logged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    LoginResponse,
    WhoamiResponse,
)
from nio.crypto import ENCRYPTION_ENABLED
from nio.store import SqliteStore

from bot.chat.matrix_crypto import (
    STORE_NAME,
    crypto_dir,
    lock_owner,
    quarantine,
    store_key,
    store_problem,
)
from bot.errors import ConfigError
from bot.settings import Settings

# One logger for the whole Matrix adapter, whichever of its modules speaks: operators filter on it.
log = logging.getLogger("bot.chat.matrix")

PREFIX = "matrix:"
SESSION_FILE = "matrix-session.json"
SYNC_FILE = "matrix-sync.json"
DEVICE_NAME = "newsbot"
AUTH_ERRORS = frozenset({"M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"})


class TolerantClient(AsyncClient):  # type: ignore[misc]
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
            log_bad_to_device(to_device_event, describe_error(exc))
            self.dropped_to_device.add(id(to_device_event))
            return None


def log_bad_to_device(event: Any, why: str) -> None:
    log.warning(
        "Matrix: could not decrypt an encrypted to-device message from %s (sender key %s): %s; ignored it",
        getattr(event, "sender", "?"),
        getattr(event, "sender_key", "?"),
        why,
    )


class RetryLater(Exception):
    """The homeserver did not answer usefully (network, 5xx, rate limit at login); try again later."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def write_private_json(path: Path, data: dict[str, Any]) -> None:
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


def read_json_file(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return None
    return data if isinstance(data, dict) else None


class MatrixSession:
    """Who the bot is on which homeserver, its nio client and its keys."""

    def __init__(self, settings: Settings, *, request_timeout_seconds: float = 30.0) -> None:
        self.settings = settings
        self.request_timeout = request_timeout_seconds
        self.client: AsyncClient | None = None
        self.user_id = settings.matrix_user or ""
        self.homeserver = (settings.matrix_homeserver or "").rstrip("/")
        # the listening process owns the crypto store; a send-only connection never opens it
        self._owner = False
        self._crypto_problem: str | None = None  # why this process has no usable keys
        self._new_device_notice = False
        self._lock: int | None = None  # held while this process owns the crypto store

    # -- files in data_dir ------------------------------------------------------------------------

    @property
    def session_path(self) -> Path:
        return self.settings.data_dir / SESSION_FILE

    def _mine(self, data: dict[str, Any] | None) -> bool:
        if not data:
            return False
        return data.get("homeserver") == self.homeserver and data.get("user_id") == self.user_id

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
        client = TolerantClient(
            self.homeserver, self.user_id, device_id=device_id, config=config, store_path=""
        )
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
                problem = describe_error(exc)  # the keys cannot be unpickled: damaged, or another passphrase
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
            raise RetryLater(describe_error(exc)) from None

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
        session = read_json_file(self.session_path)
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
            raise RetryLater(describe_error(exc)) from None
        if isinstance(response, LoginResponse):
            write_private_json(
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
            raise RetryLater("login rate-limited", (response.retry_after_ms or 5000) / 1000)
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
            raise RetryLater(describe_error(exc)) from None
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
            raise RetryLater(f"HTTP {status}")
        if not (response.status_code or "").startswith("M_"):
            raise RetryLater(f"not a Matrix answer: {response.message}")


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


def describe_error(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text
