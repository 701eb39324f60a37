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
import logging

from bot.chat.matrix_crypto import unlock_owner
from bot.chat.matrix_rooms import is_command, power_level, thread_root, without_reply_fallback
from bot.chat.matrix_send import (
    MatrixError,
    MatrixRateLimited,
    MatrixRoomError,
    MatrixUnreachable,
    room_of,
)
from bot.chat.matrix_session import PREFIX, RetryLater, log
from bot.chat.matrix_sync import MatrixListener, inviter_allowed
from bot.errors import NewsbotError

__all__ = [
    "MatrixChat",
    "MatrixError",
    "MatrixRateLimited",
    "MatrixRoomError",
    "MatrixUnreachable",
    "inviter_allowed",
    "is_command",
    "power_level",
    "room_of",
    "thread_root",
    "without_reply_fallback",
]


class MatrixChat(MatrixListener):
    """The Matrix platform: a ChatService for `matrix:!room:server` channels.

    Its layers, each in its own module and each built on the one before: the session
    (bot.chat.matrix_session), sending (bot.chat.matrix_send), what rooms say (bot.chat.matrix_rooms),
    the sync and invites (bot.chat.matrix_sync); here only the lifecycle the platform starter drives."""

    async def failed(self) -> NewsbotError:
        await self._failed.wait()
        assert self._failure is not None
        return self._failure

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
            except RetryLater as exc:
                attempt += 1
                delay = self._backoff(attempt, exc.retry_after)
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
