"""The interfaces the pipeline and the command handlers need from the edges."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from bot.core.digest import Digest
from bot.errors import NewsbotError
from bot.model import AlertContent


class TimeSource(Protocol):
    def now(self) -> datetime: ...


class SystemTime:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class Chat(Protocol):
    """One chat platform. Channels are named with the platform's prefix: `slack:C0123`, `console`.

    `key` identifies the message for idempotent sends: a platform that can drop a repeat
    (Matrix transaction ids, Slack metadata) uses it, so a resend after a crash posts nothing twice.
    """

    def handles(self, channel: str) -> bool: ...

    async def send_alert(self, channel: str, alert: AlertContent, *, key: str, thread: str | None) -> str:
        """Post an alert (in `thread` when given); returns the platform's message id."""
        ...

    async def edit_alert(self, channel: str, message_id: str, alert: AlertContent) -> None: ...

    async def send_notice(self, channel: str, text: str, *, key: str) -> str: ...

    async def send_digest(self, channel: str, digest: Digest, *, key: str) -> str:
        """Post a channel's digest (hourly or daily) as one message; returns its message id."""
        ...


class ChatService(Chat, Protocol):
    """A chat platform that also receives commands (Slack, Matrix, the console).

    `start` begins listening (sync loop, Socket Mode, HTTP routes) and returns once listening;
    `stop` ends it and releases connections. Commands go through bot.chat.commands.CommandHandler.
    """

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def failed(self) -> NewsbotError:
        """Returns, with the reason, once the service can no longer work at all (a revoked token),
        so the process can stop with a clear message instead of running on without it."""
        ...
