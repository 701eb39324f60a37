"""The embedded chat: alerts to standard output, commands from standard input.

Output is one readable block per alert and never hard-wrapped, so the headline, the figure
and the quote can be found (and copied) as they are. Styling appears only on a terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from bot.chat.commands import CommandContext, CommandHandler
from bot.core.digest import Digest, plain_digest
from bot.core.render import one_line, plain_text, render
from bot.model import AlertContent
from bot.ports import TimeSource
from bot.store.db import Store

CHANNEL = "console"


class ConsoleChat:
    """Alerts of the console's channels (`console`, `console:<name>`) on standard output.

    A terminal has no threads: a reply names the alert it follows, and when the store has topics
    in more than one console channel, every line names its channel.
    """

    def __init__(self, stream: TextIO | None = None, store: Store | None = None) -> None:
        self.console = Console(file=stream or sys.stdout, soft_wrap=True, highlight=False, emoji=False)
        self.store = store

    def handles(self, channel: str) -> bool:
        return channel == CHANNEL or channel.startswith("console:")

    def _label(self, channel: str) -> str:
        """`console:iran │ ` before each line while several console channels have topics, else ''."""
        if self.store is None:
            return ""
        channels = {s.channel for s in self.store.list_subscriptions() if self.handles(s.channel)}
        return f"{one_line(channel)} │ " if len(channels | {channel}) > 1 else ""

    def _print(self, text: str, *, style: str | None = None, indent: bool = False, label: str = "") -> None:
        prefix = label + ("    " if indent else "")
        for line in text.splitlines():
            # Feed text is never read as rich markup: Text() takes it literally.
            self.console.print(Text(prefix + line, style=style or ""))

    async def send_alert(self, channel: str, alert: AlertContent, *, key: str, thread: str | None) -> str:
        message = render(alert)
        indent = thread is not None
        label = self._label(channel)
        self.console.rule(style="dim") if not indent else None
        lines = plain_text(message).splitlines()
        self._print(lines[0], style="bold", indent=indent, label=label)
        if message.parent:  # also in flat mode, where a reply is a message of its own
            self._print(f"in reply to: {message.parent}", style="dim", indent=indent, label=label)
        self._print("\n".join(lines[1:]), indent=indent, label=label)
        return f"console:{key}"

    async def edit_alert(self, channel: str, message_id: str, alert: AlertContent) -> None:
        message = render(alert)
        note = f"(updated) [{message.topic}] {message.headline}"
        details = [
            part
            for part in (message.sources, f"Figure: {message.figure}" if message.figure else None)
            if part
        ]
        self._print(
            note + (" — " + " · ".join(details) if details else ""), style="dim", label=self._label(channel)
        )

    async def send_notice(self, channel: str, text: str, *, key: str) -> str:
        self.console.print(f"{escape(self._label(channel))}[yellow]newsbot:[/] {escape(text)}")
        return f"console:{key}"

    async def send_digest(self, channel: str, digest: Digest, *, key: str) -> str:
        self.console.rule(style="dim")
        label = self._label(channel)
        lines = plain_digest(digest).splitlines()
        for line in lines:
            self._print(line, style="bold" if line == digest.title else None, label=label)
        return f"console:{key}"

    def answer(self, text: str) -> None:
        """A command's answer, shown to the person who typed it."""
        self._print(text, style="cyan")


async def run_console_commands(store: Store, console: ConsoleChat | None, clock: TimeSource) -> None:
    """Read commands from a terminal until EOF; without a terminal (or console), keep the bot running.

    Returns when stdin closes (terminal) or on SIGINT/SIGTERM. The terminal is read by the event
    loop itself (a reader callback, no thread), so nothing is left blocked in a read when a signal
    ends the bot: Ctrl-C stops it at once, not after the next Enter.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    try:
        if console is None or not sys.stdin.isatty():
            await stop.wait()
            return
        await _read_commands(store, console, clock, stop)
    finally:
        # a second Ctrl-C while shutting down interrupts as usual
        for sig in handled:
            loop.remove_signal_handler(sig)


async def _read_commands(store: Store, console: ConsoleChat, clock: TimeSource, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    fd = sys.stdin.fileno()
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    pending = b""

    def readable() -> None:
        nonlocal pending
        # a terminal reports readable once a whole line (or Ctrl-D) is typed: this read never blocks
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:  # end of input: the last line even without its newline, then stop
            loop.remove_reader(fd)
            complete, pending = [pending] if pending else [], b""
        else:
            pending += chunk
            *complete, pending = pending.split(b"\n")
        for line in complete:
            lines.put_nowait(line.decode(sys.stdin.encoding or "utf-8", errors="replace"))
        if not chunk:
            lines.put_nowait(None)

    handler = CommandHandler(store)
    console.answer("Type a command (e.g. /news subscribe Nordkorea, /news help); Ctrl-D or Ctrl-C quits.")
    loop.add_reader(fd, readable)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        while True:
            reader = asyncio.ensure_future(lines.get())
            done, _ = await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if reader not in done:
                reader.cancel()
                return
            line = reader.result()
            if line is None:
                return
            if not line.strip():
                continue
            reply = handler.handle(line, CommandContext(channel=CHANNEL, user=None, now=clock.now()))
            console.answer(reply.text)
    finally:
        stopper.cancel()
        loop.remove_reader(fd)
