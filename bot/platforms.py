"""Starting the chat platforms one by one, each on its own: one that is down holds back no other.

A homeserver that is unreachable at start-up used to keep `newsbot run` waiting inside
`MatrixChat.start()`: nothing was polled and Slack got nothing. Here every platform starts in its
own task and retries there; until it is up, delivery leaves its channels' alerts waiting in the
outbox (the `StartedGate` says it handles no channel yet), and polling and the other platforms
go on. A platform that refuses the bot for good (bad settings, a revoked token) still ends the
process with its message, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from bot.core.digest import Digest
from bot.errors import NewsbotError
from bot.model import AlertContent
from bot.ports import ChatService

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 5.0  # after a start that failed unexpectedly; doubles up to the cap
RETRY_MAX_SECONDS = 300.0


def platform_name(service: ChatService) -> str:
    return type(service).__name__.removesuffix("Chat") or type(service).__name__


class StartedGate:
    """A chat platform as delivery sees it: it handles its channels only once it has started."""

    def __init__(self, service: ChatService) -> None:
        self.service = service
        self.started = False

    def handles(self, channel: str) -> bool:
        return self.started and self.service.handles(channel)

    def __getattr__(self, name: str) -> Any:
        """Anything else a platform offers delivery (beyond the Chat protocol) is the platform's."""
        if name == "service":  # not set yet (copying, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.service, name)

    async def send_alert(self, channel: str, alert: AlertContent, *, key: str, thread: str | None) -> str:
        return await self.service.send_alert(channel, alert, key=key, thread=thread)

    async def edit_alert(self, channel: str, message_id: str, alert: AlertContent) -> None:
        await self.service.edit_alert(channel, message_id, alert)

    async def send_notice(self, channel: str, text: str, *, key: str) -> str:
        return await self.service.send_notice(channel, text, key=key)

    async def send_digest(self, channel: str, digest: Digest, *, key: str) -> str:
        return await self.service.send_digest(channel, digest, key=key)


class PlatformStarter:
    """Starts every platform in a task of its own and stops the ones that started."""

    def __init__(self, services: list[ChatService]) -> None:
        self.gates = [StartedGate(service) for service in services]
        self.tasks: list[asyncio.Task[NewsbotError]] = []

    def start(self) -> list[asyncio.Task[NewsbotError]]:
        """One task per platform; each ends only with the error that stops the bot."""
        self.tasks = [
            asyncio.create_task(self._run(gate), name=f"start-{platform_name(gate.service)}")
            for gate in self.gates
        ]
        return self.tasks

    async def _run(self, gate: StartedGate) -> NewsbotError:
        name = platform_name(gate.service)
        attempt = 0
        while True:
            try:
                await gate.service.start()  # Matrix retries an unreachable homeserver in here itself
            except NewsbotError as exc:  # misconfigured or refused for good: the bot stops with it
                return exc
            except Exception as exc:
                attempt += 1
                delay = min(RETRY_MAX_SECONDS, RETRY_FIRST_SECONDS * 2 ** (attempt - 1))
                log.warning(
                    "%s did not start (%s: %s); attempt %d, retrying in %.0f s; the other platforms "
                    "and polling go on",
                    name,
                    type(exc).__name__,
                    exc,
                    attempt,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            gate.started = True
            if attempt:
                log.info("%s started after %d failed attempts; its waiting alerts go out now", name, attempt)
            return await gate.service.failed()

    async def wait_started(self, timeout: float) -> None:
        """Until every platform has started, one has failed for good, or `timeout` seconds passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not all(gate.started for gate in self.gates) and not any(t.done() for t in self.tasks):
            if loop.time() >= deadline:
                return
            await asyncio.sleep(0.1)

    def failure(self) -> NewsbotError | None:
        """The error a platform stopped with, if one did."""
        for task in self.tasks:
            if task.done() and not task.cancelled():
                return task.result()
        return None

    def not_started(self) -> list[str]:
        return [platform_name(gate.service) for gate in self.gates if not gate.started]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for gate in self.gates:  # also one cut off while starting: stop releases what it holds
            await gate.service.stop()
