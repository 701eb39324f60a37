"""What people do in Slack's messages: `/news` commands and the buttons on alerts and offers.

Commands go through the one grammar in bot.chat.commands; this module only acknowledges (always at
once, before any work), checks the permission, shows the answer ephemerally and announces
subscription changes in the channel. A button is the command it stands for, or a verdict.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.chat.commands import CommandContext, changes_settings, strip_prefix
from bot.chat.slack_api import PREFIX, SlackChannelError, SlackError
from bot.chat.slack_blocks import (
    ACTION_DECLINE,
    ACTION_EXCLUDE,
    ACTION_MUTE,
    ACTION_NOT_RELEVANT,
    ACTION_OPEN,
    ACTION_RELEVANT,
    escape,
    proposal_blocks,
)

if TYPE_CHECKING:
    from bot.chat.slack import SlackChat

log = logging.getLogger("bot.chat.slack")

DM_ANSWER = (
    "I post alerts to channels, not to direct messages. Run `/news subscribe <topic>` in the channel "
    "that should get them (invite me there first with `/invite @newsbot`). `/news help` works anywhere."
)
SORRY = "Sorry, something went wrong on my side. Please try again in a minute."
NOT_ALLOWED = (
    "Sorry, only the people this workspace chose may change what channels receive "
    "(ask a workspace admin). `/news list` and `/news help` work for everyone."
)
BUTTON_MUTE = "24h"


def unescape(text: str) -> str:
    """Slack sends command text with `&`, `<`, `>` as entities; the grammar reads the characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class SlackActions:
    """The listeners for `/news` and the message buttons, answering through the chat's API."""

    def __init__(self, chat: SlackChat) -> None:
        self.chat = chat

    def register(self, app: AsyncApp) -> None:
        app.command(re.compile(r"^/news"))(self._on_command)
        app.action(ACTION_OPEN)(self._on_open)
        app.action(ACTION_MUTE)(self._on_mute)
        app.action(ACTION_NOT_RELEVANT)(self._on_not_relevant)
        app.action(ACTION_RELEVANT)(self._on_relevant)
        app.action(ACTION_EXCLUDE)(self._on_exclude)
        app.action(ACTION_DECLINE)(self._on_decline)

    async def _on_command(
        self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        await ack()  # first, always: Slack gives up after 3 seconds
        try:
            await self._run_command(command, respond, context)
        except Exception:
            log.exception("Slack: /news failed")
            await self.chat.answer(respond, command, SORRY)

    async def _run_command(
        self, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        text = unescape(str(command.get("text") or ""))
        target = self.chat.qualified(command.get("channel_id"), command.get("team_id"))
        user = str(command.get("user_id") or "") or None
        verb = strip_prefix(text).partition(" ")[0].lower()
        if self._is_direct(command) and verb not in ("", "help"):
            await self.chat.answer(respond, command, escape(DM_ANSWER))
            return
        if not target:
            await self.chat.answer(respond, command, "I could not tell which channel this came from.")
            return
        if changes_settings(text) and not await self.chat.may_change(user):
            await self.chat.answer(respond, command, escape(NOT_ALLOWED))
            return
        reply = self.chat.commands.handle(
            text, CommandContext(channel=PREFIX + target, user=user, now=self.chat.clock.now())
        )
        answer = escape(reply.text)
        if reply.announce:
            try:
                await self.chat.announce(
                    target, user, escape(reply.announce), str(command.get("trigger_id", ""))
                )
            except SlackChannelError as exc:
                answer += "\n\n" + self._invite_hint(exc, context)
            except SlackError as exc:
                log.warning("Slack: could not announce a subscription change in %s: %s", target, exc)
        await self.chat.answer(respond, command, answer)

    @staticmethod
    def _is_direct(command: dict[str, Any]) -> bool:
        name = str(command.get("channel_name") or "")
        target = str(command.get("channel_id") or "")
        return target.startswith("D") or name == "directmessage" or name.startswith("mpdm-")

    @staticmethod
    def _invite_hint(exc: SlackChannelError, context: AsyncBoltContext) -> str:
        bot = f"<@{context.bot_user_id}>" if context.bot_user_id else "@newsbot"
        if exc.error in ("not_in_channel", "channel_not_found"):
            return (
                f":warning: I'm not a member of this channel, so I can't post alerts here yet. "
                f"Invite me with `/invite {bot}`."
            )
        return f":warning: I can't post in this channel: {escape(str(exc))}"

    async def _on_open(self, ack: AsyncAck) -> None:
        await ack()  # the button opens the link in the browser; Slack still wants an answer

    @staticmethod
    def _button_value(body: dict[str, Any]) -> dict[str, Any]:
        """The JSON object a button carries back (empty when it carries none or something else)."""
        actions = body.get("actions") or [{}]
        try:
            value = json.loads(actions[0].get("value") or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @staticmethod
    def _button(body: dict[str, Any]) -> tuple[str, str]:
        value = SlackActions._button_value(body)
        return str(value.get("topic") or "this topic"), str(value.get("key") or "")

    def _clicked(self, body: dict[str, Any]) -> tuple[str, str | None]:
        """The channel (as the store names it) and the person of a button's click."""
        target = self.chat.qualified(
            (body.get("channel") or {}).get("id"), (body.get("team") or {}).get("id")
        )
        return target, str((body.get("user") or {}).get("id") or "") or None

    async def _run_button(
        self, body: dict[str, Any], respond: AsyncRespond, target: str, user: str | None, command: str
    ) -> None:
        """The command a button stands for, with the permission check a typed one has."""
        if not await self.chat.may_change(user):
            await self.chat.answer(respond, body, escape(NOT_ALLOWED))
            return
        reply = self.chat.commands.handle(
            command, CommandContext(PREFIX + target, user, self.chat.clock.now())
        )
        await self.chat.answer(respond, body, escape(reply.text))

    async def _on_mute(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """The *Mute topic* button: the `mute <topic> for 24h` command, with the same permission check."""
        await ack()
        topic, _ = self._button(body)
        target, user = self._clicked(body)
        command = f"mute {topic} for {BUTTON_MUTE}"
        if not target:
            await self.chat.answer(respond, body, "I could not tell which channel this came from.")
            return
        await self._run_button(body, respond, target, user, command)

    async def _on_not_relevant(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """The *Not relevant* button: stored once per reader and alert; may bring an offer."""
        await self._verdict(ack, body, respond, relevant=False)

    async def _on_relevant(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """The *Relevant* button: stored once per reader and alert."""
        await self._verdict(ack, body, respond, relevant=True)

    async def _verdict(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, relevant: bool
    ) -> None:
        await ack()
        topic, key = self._button(body)
        target, user = self._clicked(body)
        ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
        if not target or not (ts or key):
            await self.chat.answer(respond, body, "I could not tell which alert this came from.")
            return
        # the message the button sits on is the alert (or reply) the reader judges
        message_id = f"{target}:{ts}" if ts else key
        outcome = self.chat.learning.record(
            PREFIX + target, message_id, user, relevant, self.chat.clock.now(), topic=topic[:200]
        )
        log.info(
            "Slack: %s marked %s:%s (%s) as %srelevant",
            user,
            target,
            ts,
            outcome.topic,
            "" if relevant else "not ",
        )
        if outcome.proposal is None or outcome.topic is None:
            await self.chat.answer(respond, body, escape(outcome.text))
            return
        text = escape(outcome.text.split(" Reply: ", 1)[0])
        blocks = proposal_blocks(text, outcome.proposal.word, outcome.topic)
        try:
            await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        except Exception as exc:
            log.warning("Slack: response_url failed (%s); the offer goes as text", type(exc).__name__)
            await self.chat.answer(respond, body, escape(outcome.text))

    @staticmethod
    def _offer(body: dict[str, Any]) -> tuple[str, str]:
        value = SlackActions._button_value(body)
        return str(value.get("word") or ""), str(value.get("topic") or "")

    async def _on_exclude(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """*Exclude WORD*: the `exclude WORD from TOPIC` command, with the same permission check."""
        await ack()
        word, topic = self._offer(body)
        target, user = self._clicked(body)
        if not target or not word or not topic:
            await self.chat.answer(respond, body, "This offer is incomplete; nothing changed.")
            return
        await self._run_button(body, respond, target, user, f"exclude {word} from {topic}")

    async def _on_decline(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        word, topic = self._offer(body)
        await self.chat.answer(respond, body, escape(f"Fine, “{topic}” keeps “{word}” (nothing excluded)."))
