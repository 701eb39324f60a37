"""Slack's own surfaces on top of the one command grammar: the App Home tab, the forms (modals) and
the "Track this story's topic" message shortcut.

Nothing here changes the store by itself: a submitted form becomes the command a person could type
(bot.chat.slack_modals) and goes through the same CommandHandler and the same permission check as
`/news`, on every submission. Slack needs an answer to a form within three seconds, so a form is
checked and carried out before it is acknowledged; a mistake is acknowledged as an error next to its
field and nothing is stored. Any failure is an answer (a field error or a short modal), never a 5xx.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError

from bot.chat.commands import PREVIEW_WINDOW, CommandContext, Reply, changes_settings
from bot.chat.slack_actions import DM_ANSWER, NOT_ALLOWED
from bot.chat.slack_api import PREFIX, SlackError, translate_error
from bot.chat.slack_blocks import escape, fit, safe_url
from bot.chat.slack_files import download_file
from bot.chat.slack_form_kit import VALUE, FormResult, notice_view, read_metadata, state_files, state_values
from bot.chat.slack_guards import UNKNOWN_FORM, guard, guard_form, malformed_forms, on_unknown_form
from bot.chat.slack_home import (
    ACTION_ADD_FEED,
    ACTION_ADD_TOPIC,
    ACTION_PAGE,
    ACTION_RESUME_FEED,
    ACTION_SETTINGS,
    ChannelState,
    home_view,
)
from bot.chat.slack_modals import (
    ACTION_PREVIEW,
    FEED_FORM,
    PREVIEW_ON_ENTER,
    SETTINGS_FORM,
    TOPIC_FORM,
    feed_request,
    feed_view,
    settings_request,
    settings_version,
    settings_view,
    topic_query,
    topic_request,
    topic_view,
)
from bot.core.matching import QueryError, parse_topic
from bot.core.names import distinctive_names
from bot.core.windows import DeliveryPrefs

if TYPE_CHECKING:
    from bot.chat.slack import SlackChat

log = logging.getLogger(__name__)

SHORTCUT_TRACK = "newsbot_track_story"
PREVIEW_SHOWN = 5  # matches listed under the Preview button
MEMBER_PAGES = 5  # users.conversations pages read for the Home tab (200 channels each)
STALE_SETTINGS = (
    "Someone changed this channel's settings after you opened this form. Close it and open "
    "Channel settings again to see them as they are now."
)
NOT_A_MEMBER = (
    "I'm not a member of that channel, so I can't post its alerts yet. Invite me there with "
    "/invite @newsbot; the alerts follow."
)
UNKNOWN_CHANNEL = "I could not tell which channel this form is for. Close it and open it again."
CHANNEL_ID = re.compile(r"[A-Z0-9]{2,40}(?:@[A-Z0-9]{2,40})?")  # `C0123` or `C0123@T0456`
_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def _user(body: dict[str, Any]) -> str | None:
    user = body.get("user") or {}
    return str(user.get("id") or "") or None if isinstance(user, dict) else None


def _team(body: dict[str, Any]) -> str | None:
    team = body.get("team")
    value = team.get("id") if isinstance(team, dict) else body.get("team_id")
    return str(value) if value else None


def plain_message(text: str) -> str:
    """A Slack message's text without its markup: `<https://x|Headline>` -> `Headline`, mentions
    dropped, entities decoded; what names can be read from."""

    def label(match: re.Match[str]) -> str:
        return match.group(2) or ""

    return html.unescape(_MARKUP.sub(label, text))


def _message_text(message: dict[str, Any]) -> str:
    """The words of a message: its text, else the texts of its blocks."""
    parts = [str(message.get("text") or "")]
    for block in message.get("blocks") or []:
        if isinstance(block, dict) and isinstance(block.get("text"), dict):
            parts.append(str(block["text"].get("text") or ""))
    return plain_message("\n".join(part for part in parts if part))


class SlackSurfaces:
    """The listeners of the Home tab, the forms and the shortcut, for one SlackChat."""

    def __init__(self, chat: SlackChat) -> None:
        self.chat = chat

    def register(self, app: AsyncApp) -> None:
        app.middleware(malformed_forms)
        app.event("app_home_opened")(guard(self._on_home_opened))
        app.action(re.compile("^" + ACTION_PAGE))(guard(self._on_page))
        app.action(ACTION_ADD_TOPIC)(guard(self._on_open_topic))
        app.action(ACTION_SETTINGS)(guard(self._on_open_settings))
        app.action(ACTION_ADD_FEED)(guard(self._on_open_feed))
        app.action(ACTION_RESUME_FEED)(guard(self._on_resume_feed))
        app.action(ACTION_PREVIEW)(guard(self._on_preview))
        on_enter = re.compile("^(" + "|".join(PREVIEW_ON_ENTER) + ")$")
        app.action({"action_id": VALUE, "block_id": on_enter})(guard(self._on_preview))
        app.shortcut(SHORTCUT_TRACK)(guard(self._on_track_shortcut))
        app.view(TOPIC_FORM)(guard_form("topic", self._on_topic_form))
        app.view(SETTINGS_FORM)(guard_form("threads", self._on_settings_form))
        app.view(FEED_FORM)(guard_form("url", self._on_feed_form))
        app.view(re.compile(".*"))(on_unknown_form)

    # -- Web API --------------------------------------------------------------------------------

    async def _api(
        self, team: str | None, method: str, *, form: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        """One Web API call with the workspace's own client (JSON body, or form-encoded for reads)."""
        client = await self.chat.api.client_for(team)
        try:
            if form:
                response = await client.api_call(method, params=kwargs)
            else:
                response = await client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            raise translate_error(exc, method, None) from None
        except (TimeoutError, OSError) as exc:
            raise SlackError(f"Slack could not be reached for {method}: {type(exc).__name__}") from None
        data = response.data
        return data if isinstance(data, dict) else {}

    async def _open(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        trigger = body.get("trigger_id")
        if not trigger:
            log.warning("Slack: a request to open a form came without a trigger_id")
            return
        await self._api(_team(body), "views.open", trigger_id=trigger, view=view)

    async def _tell(self, body: dict[str, Any], title: str, text: str) -> None:
        """A short answer as a modal, for requests that have no channel to answer in (the Home tab)."""
        await self._open(body, notice_view(title, text))

    # -- Home -----------------------------------------------------------------------------------

    def _ours(self, target: str, team: str | None) -> bool:
        """Whether a channel (as the store names it) belongs to this workspace."""
        if not CHANNEL_ID.fullmatch(target):
            return False
        _, _, owner = target.partition("@")
        if self.chat.oauth is None:
            return not owner
        return owner == (team or "")

    async def _member_channels(self, team: str | None) -> list[str]:
        """The channels the bot is a member of in the workspace, as the store names them."""
        found: list[str] = []
        cursor = ""
        for _ in range(MEMBER_PAGES):
            args: dict[str, Any] = {
                "types": "public_channel,private_channel",
                "exclude_archived": "true",
                "limit": 200,
            }
            if cursor:
                args["cursor"] = cursor
            try:
                data = await self._api(team, "users.conversations", form=True, **args)
            except SlackError as exc:
                log.warning("Slack: cannot list the bot's channels for the Home tab: %s", exc)
                break
            for channel in data.get("channels") or []:
                target = self.chat.qualified(channel.get("id"), team) if isinstance(channel, dict) else ""
                if target and self._ours(target, team):
                    found.append(target)
            cursor = str((data.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                break
        return found

    async def home(self, user: str, team: str | None, page: int = 0) -> dict[str, Any]:
        """The Home tab of `user`: every channel of the workspace the bot is in or has settings for."""
        store = self.chat.store
        now = self.chat.clock.now()
        subscriptions = store.list_subscriptions()
        prefs = store.delivery_prefs()
        modes = store.thread_modes()
        paused = store.paused_channels()
        known = [s.channel for s in subscriptions] + sorted({*prefs, *modes, *paused})
        targets = list(dict.fromkeys(await self._member_channels(team)))
        for channel in known:
            target = channel[len(PREFIX) :]
            if channel.startswith(PREFIX) and self._ours(target, team) and target not in targets:
                targets.append(target)
        channels = [
            ChannelState(
                target=target,
                subscriptions=[s for s in subscriptions if s.channel == PREFIX + target],
                thread_mode=modes.get(PREFIX + target, "thread"),
                prefs=prefs.get(PREFIX + target, DeliveryPrefs()),
                paused=paused.get(PREFIX + target),
                not_relevant=store.feedback_counts(PREFIX + target),
            )
            for target in targets
        ]
        # the feeds are the install's; other workspaces of an OAuth install see only their hosts
        view = home_view(channels, store.list_feeds(), now, page, shared=self.chat.oauth is not None)
        await self._api(team, "views.publish", user_id=user, view=view)
        return view

    async def _on_home_opened(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        await self.home(str(event["user"]), body.get("team_id"))

    async def _on_page(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        user = _user(body)
        value = str(((body.get("actions") or [{}])[0]).get("value") or "0")
        if user:
            await self.home(user, _team(body), int(value) if value.isdigit() else 0)

    def _button_channel(self, body: dict[str, Any]) -> str | None:
        """The channel a Home tab button stands for, if it is one of this workspace's."""
        value = str(((body.get("actions") or [{}])[0]).get("value") or "")
        return value if value and self._ours(value, _team(body)) else None

    async def _on_open_topic(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        target = self._button_channel(body)
        if target is None:
            await self._tell(body, "newsbot", UNKNOWN_CHANNEL)
            return
        await self._open(body, topic_view(target, home=True))

    async def _on_open_settings(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        target = self._button_channel(body)
        if target is None:
            await self._tell(body, "newsbot", UNKNOWN_CHANNEL)
            return
        mode, prefs = self._settings(target)
        await self._open(body, settings_view(target, mode, prefs, home=True))

    async def _on_open_feed(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await self._open(body, feed_view(home=True))

    async def _on_resume_feed(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """The Resume button of a paused feed: the `feeds resume <url>` command."""
        value = str(((body.get("actions") or [{}])[0]).get("value") or "")
        feed = self.chat.store.get_feed(int(value)) if value.isdigit() else None
        user = _user(body)
        if feed is None:
            await self._tell(
                body, "newsbot", "That feed is gone; the Home tab shows the feeds there are now."
            )
        elif not await self.chat.may_change(user):
            await self._tell(body, "Not allowed", NOT_ALLOWED)
            return
        else:
            reply = self._run(f"feeds resume {feed.url}", None, user)
            if not reply.ok:
                await self._tell(body, "newsbot", reply.text)
        if user:
            await self.home(user, _team(body))

    def _settings(self, target: str) -> tuple[str, DeliveryPrefs]:
        channel = PREFIX + target
        mode = self.chat.store.thread_modes().get(channel, "thread")
        return mode, self.chat.store.delivery_prefs().get(channel, DeliveryPrefs())

    def _run(self, command: str, target: str | None, user: str | None) -> Reply:
        """A command as if typed in the channel (feeds are not a channel's: any channel name will do)."""
        channel = PREFIX + (target or "home")
        return self.chat.commands.handle(
            command, CommandContext(channel=channel, user=user, now=self.chat.clock.now())
        )

    # -- the topic form's preview ------------------------------------------------------------------

    def preview_text(self, values: dict[str, str | None], now: datetime) -> str:
        """What the topic would have matched among the stored entries of the last 72 hours."""
        query, threshold, lang, errors = topic_query(values)
        if errors:
            return "Nothing to preview yet: " + escape(next(iter(errors.values())))
        try:
            topic = parse_topic(query, threshold)
        except QueryError as exc:
            return "Nothing to preview yet: " + escape(str(exc))
        found = self.chat.commands.recent_matches(topic, now, lang)
        if not found:
            return escape(f"No story of the last {PREVIEW_WINDOW.days} days matches “{topic.name}”.")
        shown = len(found[:PREVIEW_SHOWN])
        lines = [
            f"*{len(found)} stor{'y' if len(found) == 1 else 'ies'} of the last "
            f"{PREVIEW_WINDOW.days} days would have matched*"
            + (f" (the best {shown}):" if len(found) > shown else ":")
        ]
        for entry, _article, result in found[:PREVIEW_SHOWN]:
            title = fit(entry.title, 300, mrkdwn=True)
            link = safe_url(entry.link)
            headline = f"<{link}|{title}>" if link else title
            when = f" · {entry.published:%d.%m. %H:%M} UTC" if entry.published else ""
            lines.append(
                f"• {headline} — {fit(entry.source, 100, mrkdwn=True)}{when} · match {result.score:.0f}"
            )
        return "\n".join(lines)[:3000]

    async def _on_preview(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        meta = read_metadata(view)
        target = str(meta.get("channel") or "")
        if not view.get("id") or not target:
            return
        values = state_values(view)
        text = self.preview_text(values, self.chat.clock.now())
        updated = topic_view(target, values, text, home=bool(meta.get("home")))
        try:
            await self._api(
                _team(body), "views.update", view_id=view["id"], hash=view.get("hash"), view=updated
            )
        except SlackError as exc:
            if exc.error != "hash_conflict":  # the person typed on; the next Preview shows it
                raise

    # -- the shortcut -------------------------------------------------------------------------------

    def suggested_topic(self, text: str, now: datetime) -> dict[str, str | None]:
        """The topic form's fields for a message: its most distinctive name as the topic, the next one
        as a word that must also appear, so that the topic follows this story."""
        recent = self.chat.store.recent_entries(now - PREVIEW_WINDOW)[-5000:]
        names = distinctive_names(text, (f"{e.title}\n{e.summary}" for e in recent), limit=2)
        return {"topic": names[0] if names else None, "required": names[1] if len(names) > 1 else None}

    async def _on_track_shortcut(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """ "Track this story's topic" on a message: the topic form, prefilled from the message."""
        channel = (body.get("channel") or {}).get("id")
        target = self.chat.qualified(channel, _team(body))
        if not target:
            await self._tell(body, "newsbot", UNKNOWN_CHANNEL)
            return
        if str(channel).startswith("D"):
            await self._tell(body, "newsbot", DM_ANSWER)
            return
        text = _message_text(body.get("message") or {})
        await self._open(body, topic_view(target, self.suggested_topic(text, self.chat.clock.now())))

    # -- submissions -------------------------------------------------------------------------------

    async def _submit(
        self, ack: AsyncAck, body: dict[str, Any], target: str | None, result: FormResult, field: str
    ) -> None:
        """Carry out a checked form: permission, then its commands; any refusal is a field error."""
        if result.errors:
            await ack(response_action="errors", errors=result.errors)
            return
        user = _user(body)
        needs_permission = (
            any(changes_settings(command) for command in result.commands) or not result.commands
        )
        if needs_permission and not await self.chat.may_change(user):
            await ack(response_action="errors", errors={field: NOT_ALLOWED})
            return
        replies = [self._run(command, target, user) for command in result.commands]
        failed = next((reply for reply in replies if not reply.ok), None)
        if failed is not None:
            await ack(response_action="errors", errors={field: failed.text[:1000]})
            return
        if target and await self._is_member(target, _team(body)) is False:
            # as `/news` does: the change is made, and the person learns the bot must be invited first
            done = "\n".join(r.text for r in replies)
            await ack(response_action="update", view=notice_view("Saved", f"{done}\n\n{NOT_A_MEMBER}"))
            return
        await ack()
        view = body.get("view") or {}
        await self._after(body, target, replies, key=f"form-{view.get('id', '')}-{view.get('hash', '')}")

    async def _is_member(self, target: str, team: str | None) -> bool | None:
        """Whether the bot is in the channel (None when Slack cannot say): a form may come from a
        message shortcut in a channel the bot was never invited to."""
        channel = target.partition("@")[0]
        try:
            data = await self._api(team, "conversations.info", form=True, channel=channel)
        except SlackError as exc:
            if exc.error == "channel_not_found":  # private, and the bot is not in it
                return False
            log.info("Slack: cannot tell whether the bot is in %s: %s", target, exc)
            return None
        info = data.get("channel") or {}
        return bool(info.get("is_member")) if "is_member" in info else None

    async def _after(
        self, body: dict[str, Any], target: str | None, replies: list[Reply], *, key: str
    ) -> None:
        """What a slash command does after it ran: tell the channel, tell the person, refresh Home."""
        user = _user(body)
        announce = " ".join(escape(r.announce) for r in replies if r.announce)
        if target and announce:
            try:
                await self.chat.announce(target, user, announce, key)
            except SlackError as exc:
                log.warning("Slack: could not announce a change made in a form in %s: %s", target, exc)
        answer = "\n".join(escape(r.text) for r in replies) or "Nothing changed."
        if target and user:
            try:
                await self.chat.api.call("chat.postEphemeral", target, channel=target, user=user, text=answer)
            except SlackError as exc:
                log.info("Slack: could not confirm a form in %s: %s", target, exc)
        if user and read_metadata(body.get("view") or {}).get("home"):
            await self.home(user, _team(body))

    def _form_channel(self, body: dict[str, Any]) -> str | None:
        target = str(read_metadata(body.get("view") or {}).get("channel") or "")
        return target if target and self._ours(target, _team(body)) else None

    async def _on_topic_form(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        target = self._form_channel(body)
        if target is None:
            await ack(response_action="errors", errors={"topic": UNKNOWN_CHANNEL})
            return
        result = topic_request(state_values(body.get("view") or {}))
        await self._submit(ack, body, target, result, "topic")

    async def _on_settings_form(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        target = self._form_channel(body)
        if target is None:
            await ack(response_action="errors", errors={"threads": UNKNOWN_CHANNEL})
            return
        mode, prefs = self._settings(target)
        result = settings_request(state_values(body.get("view") or {}), mode, prefs)
        opened = read_metadata(body.get("view") or {}).get("version")
        if result.commands and opened != settings_version(mode, prefs):
            await ack(response_action="errors", errors={"threads": STALE_SETTINGS})
            return
        await self._submit(ack, body, target, result, "threads")

    async def _on_feed_form(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        files = state_files(view, "opml")
        opml: bytes | None = None
        if files:
            try:
                client = functools.partial(self.chat.api.client_for, _team(body))
                opml = await download_file(files[0], client, self.chat.base_url)
            except SlackError as exc:
                await ack(response_action="errors", errors={"opml": str(exc)[:1000]})
                return
        result = feed_request(state_values(view), opml)
        await self._submit(ack, body, None, result, "url" if "url" in result.errors or not files else "opml")


# the tests import these from here
__all__ = [
    "SHORTCUT_TRACK",
    "STALE_SETTINGS",
    "UNKNOWN_FORM",
    "SlackSurfaces",
]
