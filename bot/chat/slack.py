"""The Slack app: `/news` commands, Block Kit alerts, threads and edits, over HTTP or Socket Mode.

Commands go through the one grammar in bot.chat.commands; this module only acknowledges (always at
once, before any work), shows the answer ephemerally and announces subscription changes in the
channel. Alerts are rendered by bot.chat.slack_blocks. Message ids are `<channel id>:<ts>` so that
follow-ups can name their thread and edits can call chat.update.

Errors from the Web API become exceptions the deliverer understands: a 429 carries `retry_after`
(seconds), a 5xx is retried with backoff, and a channel the bot cannot post to raises a message
that says what to do. Tokens and the signing secret are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.commands import CommandContext, CommandHandler, changes_settings, strip_prefix
from bot.chat.learning import Learning
from bot.chat.permissions import Access, may_change
from bot.chat.slack_blocks import (
    ACTION_DECLINE,
    ACTION_EXCLUDE,
    ACTION_MUTE,
    ACTION_NOT_RELEVANT,
    ACTION_OPEN,
    ACTION_RELEVANT,
    alert_blocks,
    alert_message,
    digest_message,
    escape,
    fallback_text,
    notice_message,
    proposal_blocks,
)
from bot.chat.slack_http import read_slack_request
from bot.chat.slack_oauth import oauth_settings
from bot.core.digest import Digest
from bot.core.render import render
from bot.errors import ChannelUnavailable, ChatUnavailable, ConfigError, NewsbotError, StoreError
from bot.model import AlertContent
from bot.ports import Clock
from bot.settings import Settings
from bot.store.db import Store

log = logging.getLogger(__name__)

PREFIX = "slack:"
EVENTS_PATH = "/slack/events"
API_TIMEOUT = 15  # seconds for one Web API call

# Errors after which posting to the channel cannot work until someone acts, with what to do.
CHANNEL_PROBLEMS = {
    "not_in_channel": "the bot is not a member of the channel; invite it with /invite @newsbot",
    "channel_not_found": "the channel does not exist or is private and the bot was not invited",
    "is_archived": "the channel is archived",
    "account_inactive": "the bot's account is inactive (the app was removed or the token revoked)",
    "invalid_auth": "the bot token is not valid (check SLACK_BOT_TOKEN)",
    "not_authed": "no bot token was sent (check SLACK_BOT_TOKEN)",
    "token_revoked": "the bot token was revoked; reinstall the app",
    "missing_scope": "the app lacks a scope it needs; reinstall it from config/slack-manifest.yml",
    "restricted_action": "a workspace admin restricted posting in this channel",
}
CHANNEL_RETRY_SECONDS = 900.0  # a channel problem needs a person; don't ask Slack again too soon
SERVER_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}

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


class SlackError(NewsbotError):
    """A Slack Web API call failed; `error` is Slack's code, `retry_after` when to try again."""

    def __init__(self, message: str, *, error: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.error = error
        self.retry_after = retry_after


class SlackRateLimited(SlackError, ChatUnavailable):
    """Slack answered 429: nothing was posted; try again after `retry_after` seconds."""


class SlackUnavailable(SlackError, ChatUnavailable):
    """Slack answered 5xx or could not be reached; the call may or may not have taken effect."""


class SlackChannelError(SlackError, ChannelUnavailable):
    """The bot cannot post to this channel until someone acts (invite, unarchive, reinstall)."""


def channel_id(channel: str) -> str:
    """`slack:C0123` -> `C0123`; a channel of an OAuth-installed workspace keeps its team: `C0123@T0456`."""
    if not channel.startswith(PREFIX) or len(channel) == len(PREFIX):
        raise SlackError(f"{channel!r} is not a Slack channel (expected slack:C0123456789)")
    return channel[len(PREFIX) :]


def split_message_id(message_id: str) -> tuple[str, str]:
    """`C0123:1712345678.000100` -> (`C0123`, `1712345678.000100`)."""
    channel, sep, ts = message_id.partition(":")
    if not sep or not channel or not ts:
        raise SlackError(f"{message_id!r} is not a Slack message id (expected <channel>:<ts>)")
    return channel, ts


def unescape(text: str) -> str:
    """Slack sends command text with `&`, `<`, `>` as entities; the grammar reads the characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    for key, value in dict(headers).items():
        if str(key).lower() == name.lower():
            return str(value[0] if isinstance(value, list | tuple) else value)
    return None


def translate_error(exc: SlackApiError, method: str, channel: str | None) -> SlackError:
    """Slack's answer as an exception the deliverer and a reader of the log understand."""
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = getattr(response, "data", None)
    error = str(data.get("error")) if isinstance(data, dict) and data.get("error") else None
    where = f" in {channel}" if channel else ""
    if status == 429 or error == "ratelimited":
        raw = _header(getattr(response, "headers", None), "Retry-After")
        try:
            retry_after = max(1.0, float(raw)) if raw is not None else 30.0
        except ValueError:
            retry_after = 30.0
        return SlackRateLimited(
            f"Slack rate-limited {method}{where}; retrying after {retry_after:g}s",
            error="ratelimited",
            retry_after=retry_after,
        )
    if status >= 500 or error in SERVER_ERRORS:
        return SlackUnavailable(f"Slack failed {method}{where} (HTTP {status}, {error or 'no error code'})")
    if error in CHANNEL_PROBLEMS:
        return SlackChannelError(
            f"Slack refused {method}{where}: {error}: {CHANNEL_PROBLEMS[error]}",
            error=error,
            retry_after=CHANNEL_RETRY_SECONDS,
        )
    return SlackError(f"Slack refused {method}{where}: {error or f'HTTP {status}'}", error=error)


@contextlib.contextmanager
def _without_oauth_env() -> Iterator[None]:
    """Bolt switches to OAuth when SLACK_CLIENT_ID/SECRET are in the environment; we pass settings."""
    saved = {
        name: os.environ.pop(name)
        for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
        if name in os.environ
    }
    try:
        yield
    finally:
        os.environ.update(saved)


def _target(target: str) -> tuple[str, str | None]:
    """`C0123@T0456` -> (`C0123`, `T0456`); a plain channel id has no team."""
    channel, _, team = target.partition("@")
    return channel, team or None


class SlackChat:
    """bot.ports.ChatService for Slack: channels named `slack:<channel id>`.

    With SLACK_BOT_TOKEN it serves one workspace. With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (and
    no bot token) workspaces install it through OAuth (/slack/install); each one's token is kept in
    the database and its channels are named `slack:<channel id>@<team id>`.
    """

    def __init__(self, settings: Settings, store: Store, clock: Clock, *, min_interval: float = 1.0) -> None:
        oauth = oauth_settings(settings, store) if settings.slack_bot_token is None else None
        if settings.slack_bot_token is None and oauth is None:
            raise ConfigError(
                "Slack needs SLACK_BOT_TOKEN (xoxb-…) for one workspace, or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET (with SLACK_SIGNING_SECRET) to be installed through OAuth"
            )
        self.oauth = oauth
        self.settings = settings
        self.store = store
        self.clock = clock
        self.commands = CommandHandler(store)
        self.learning = Learning(store)
        self.min_interval = min_interval
        self.base_url = settings.slack_api_url.rstrip("/") + "/"
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        self.client = AsyncWebClient(token=token, base_url=self.base_url, timeout=API_TIMEOUT)
        self._team_clients: dict[str, AsyncWebClient] = {}
        secret = settings.slack_signing_secret
        self.http_enabled = secret is not None
        with _without_oauth_env():
            self.app = AsyncApp(
                client=self.client,
                signing_secret=secret.get_secret_value() if secret else "",
                request_verification_enabled=self.http_enabled,
                process_before_response=False,
                logger=logging.getLogger("bot.chat.slack.bolt"),
                name="newsbot",
                oauth_settings=oauth,
            )
        from bot.chat.slack_surfaces import SlackSurfaces  # it builds on this module

        self.surfaces = SlackSurfaces(self)
        self._register(self.app)
        self._socket: Any = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_post: dict[str, float] = {}
        self._checked: set[str] = set()  # channels whose history was searched for resends
        self._uncertain: set[str] = set()  # keys whose last send may have posted after all
        self._tasks: set[asyncio.Task[None]] = set()

    # -- ChatService -------------------------------------------------------------------------------

    def handles(self, channel: str) -> bool:
        return channel.startswith(PREFIX)

    async def start(self) -> None:
        """Socket Mode when SLACK_APP_TOKEN is set; HTTP mode needs nothing here (see web_routes)."""
        token = self.settings.slack_app_token
        if token is None:
            if not self.http_enabled:
                log.warning(
                    "Slack: neither SLACK_SIGNING_SECRET nor SLACK_APP_TOKEN is set, so /news commands "
                    "cannot reach the bot; alerts are still posted"
                )
            return
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        self._socket = AsyncSocketModeHandler(self.app, token.get_secret_value(), web_client=self.client)
        await self._socket.connect_async()
        log.info("Slack: connected in Socket Mode")

    async def stop(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()
            self._socket = None
        for task in list(self._tasks):
            task.cancel()

    async def failed(self) -> NewsbotError:
        """Slack never fails for good here: a revoked workspace token uninstalls that workspace."""
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    def web_routes(self) -> list[web.RouteDef]:
        """POST /slack/events: slash commands, interactivity and events, signature checked by Bolt."""
        if not self.http_enabled:
            return []
        routes = [web.post(EVENTS_PATH, self.handle_http)]
        if self.oauth is not None:
            routes += [
                web.get(self.oauth.install_path, self.handle_oauth),
                web.get(self.oauth.redirect_uri_path, self.handle_oauth),
            ]
        return routes

    async def send_alert(self, channel: str, alert: AlertContent, *, key: str, thread: str | None) -> str:
        target = channel_id(channel)
        thread_ts = split_message_id(thread)[1] if thread else None
        found = await self._already_sent(target, key, thread_ts)
        if found is not None:
            log.info("Slack: %s is already in %s (ts %s); not posting it again", key, target, found)
            return f"{target}:{found}"
        args = alert_message(render(alert), key, self._story_of(key))
        if thread_ts:
            args["thread_ts"] = thread_ts
            if getattr(alert, "broadcast", False):  # a major development also shows in the channel
                args["reply_broadcast"] = True
        ts = await self._post(target, key, args)
        return f"{target}:{ts}"

    def _story_of(self, key: str) -> str | None:
        """The story id of the outbox row an alert key names (`newsbot-alert-<id>`, bot.delivery)."""
        number = key.removeprefix("newsbot-alert-")
        if number == key or not number.isdigit():
            return None
        try:
            return self.store.alert_story(int(number))
        except StoreError as exc:  # the alert matters more than its metadata
            log.warning("Slack: cannot read the story of %s: %s", key, exc)
            return None

    async def edit_alert(self, channel: str, message_id: str, alert: AlertContent) -> None:
        target, ts = split_message_id(message_id)
        message = render(alert)
        await self._call(
            "chat.update",
            target,
            channel=target,
            ts=ts,
            text=fallback_text(message),
            blocks=alert_blocks(message, message_id),
        )

    async def send_notice(self, channel: str, text: str, *, key: str) -> str:
        return await self._post_once(channel, key, notice_message(text, key))

    async def send_digest(self, channel: str, digest: Digest, *, key: str) -> str:
        return await self._post_once(channel, key, digest_message(digest, key))

    async def _post_once(self, channel: str, key: str, args: dict[str, Any]) -> str:
        """Post a message to the channel unless a message with `key` is already there."""
        target = channel_id(channel)
        found = await self._already_sent(target, key, None)
        if found is not None:
            return f"{target}:{found}"
        ts = await self._post(target, key, args)
        return f"{target}:{ts}"

    # -- Web API -------------------------------------------------------------------------------------

    async def _client_for(self, team: str | None) -> AsyncWebClient:
        """The single workspace's client, or the client with an installed workspace's own token."""
        if team is None or self.oauth is None:
            return self.client
        client = self._team_clients.get(team)
        if client is None:
            bot = await self.oauth.installation_store.async_find_bot(enterprise_id=None, team_id=team)
            if bot is None or not bot.bot_token:
                raise SlackChannelError(
                    f"the Slack workspace {team} has no installation of newsbot (uninstalled?); "
                    "reinstall it through /slack/install",
                    error="not_installed",
                    retry_after=CHANNEL_RETRY_SECONDS,
                )
            client = AsyncWebClient(token=bot.bot_token, base_url=self.base_url, timeout=API_TIMEOUT)
            self._team_clients[team] = client
        return client

    async def _call(self, method: str, where: str | None, /, **kwargs: Any) -> dict[str, Any]:
        team = None
        if isinstance(kwargs.get("channel"), str):
            kwargs["channel"], team = _target(kwargs["channel"])
        client = await self._client_for(team)
        try:
            response = await client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            raise translate_error(exc, method, where) from None
        except (TimeoutError, OSError) as exc:  # aiohttp.ClientError is an OSError
            raise SlackUnavailable(
                f"Slack could not be reached for {method}: {exc or type(exc).__name__}"
            ) from None
        data = response.data
        return data if isinstance(data, dict) else {}

    async def _post(self, target: str, key: str, args: dict[str, Any]) -> str:
        """chat.postMessage, at most one per `min_interval` seconds per channel."""
        lock = self._locks.setdefault(target, asyncio.Lock())
        async with lock:
            loop = asyncio.get_running_loop()
            wait = self._last_post.get(target, -1e9) + self.min_interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                data = await self._call("chat.postMessage", target, channel=target, **args)
            except SlackUnavailable:
                self._uncertain.add(key)  # it may have been posted: look before the next try
                raise
            finally:
                self._last_post[target] = loop.time()
        self._uncertain.discard(key)
        ts = data.get("ts")
        if not isinstance(ts, str) or not ts:
            raise SlackUnavailable(f"Slack accepted a message in {target} but returned no ts")
        return ts

    async def _already_sent(self, target: str, key: str, thread_ts: str | None) -> str | None:
        """The ts of a message carrying `key`, when a resend might double it; else None.

        Looked up for the first send to a channel after start (a crash may have cut off the
        confirmation) and after a send whose outcome was unknown (timeout, 5xx).
        """
        if target in self._checked and key not in self._uncertain:
            return None
        method = "conversations.replies" if thread_ts else "conversations.history"
        channel, team = _target(target)
        args: dict[str, Any] = {"channel": channel, "limit": 50, "include_all_metadata": True}
        if thread_ts:
            args["ts"] = thread_ts
        client = await self._client_for(team)
        try:
            response = await client.api_call(method, http_verb="GET", params=args)
        except SlackApiError as exc:
            error = translate_error(exc, method, target)
            if isinstance(error, SlackRateLimited | SlackUnavailable):
                raise error from None
            log.debug("Slack: cannot look for earlier sends in %s: %s", target, error)
            self._checked.add(target)
            return None
        except (TimeoutError, OSError) as exc:
            raise SlackUnavailable(f"Slack could not be reached for {method}: {exc}") from None
        self._checked.add(target)
        messages = response.data.get("messages") if isinstance(response.data, dict) else None
        for item in messages or []:
            metadata = item.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if payload.get("key") == key and isinstance(item.get("ts"), str):
                self._uncertain.discard(key)
                return str(item["ts"])
        return None

    # -- HTTP ----------------------------------------------------------------------------------------

    async def handle_http(self, request: web.Request) -> web.Response:
        """One request from Slack; signature, age and form are checked before Bolt parses it."""
        secret = self.settings.slack_signing_secret
        checked = await read_slack_request(request, secret.get_secret_value() if secret else "")
        if isinstance(checked, web.Response):
            return checked  # too large, unsigned, forged or malformed: a 4xx, no traceback
        try:
            bolt_response = await self.app.async_dispatch(checked)
        except Exception:
            log.exception("Slack: a request failed")
            return web.json_response({"response_type": "ephemeral", "text": SORRY})
        if bolt_response.status >= 500:
            log.error(
                "Slack: answered %d to a request; sending a friendly answer instead", bolt_response.status
            )
            bolt_response = BoltResponse(
                status=200, body=json.dumps({"response_type": "ephemeral", "text": SORRY})
            )
        elif bolt_response.status == 404:
            bolt_response = BoltResponse(status=200, body="")  # a signed request nobody listens for
        return await to_aiohttp_response(bolt_response)

    async def handle_oauth(self, request: web.Request) -> web.Response:
        """GET /slack/install and /slack/oauth_redirect: Bolt's OAuth flow (state checked, token stored)."""
        flow = self.app.oauth_flow
        if flow is None:
            return web.Response(status=404)
        bolt_request = await to_bolt_request(request)
        if request.path == flow.install_path:
            bolt_response = await flow.handle_installation(bolt_request)
        else:
            bolt_response = await flow.handle_callback(bolt_request)
        return await to_aiohttp_response(bolt_response)

    # -- listeners -----------------------------------------------------------------------------------

    def _register(self, app: AsyncApp) -> None:
        app.command(re.compile(r"^/news"))(self._on_command)
        app.action(ACTION_OPEN)(self._on_open)
        app.action(ACTION_MUTE)(self._on_mute)
        app.action(ACTION_NOT_RELEVANT)(self._on_not_relevant)
        app.action(ACTION_RELEVANT)(self._on_relevant)
        app.action(ACTION_EXCLUDE)(self._on_exclude)
        app.action(ACTION_DECLINE)(self._on_decline)
        app.event("app_uninstalled")(self._on_uninstalled)
        app.event("tokens_revoked")(self._on_uninstalled)
        self.surfaces.register(app)

    async def _on_command(
        self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        await ack()  # first, always: Slack gives up after 3 seconds
        try:
            await self._run_command(command, respond, context)
        except Exception:
            log.exception("Slack: /news failed")
            await self._answer(respond, command, SORRY)

    async def _run_command(
        self, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        text = unescape(str(command.get("text") or ""))
        target = self._qualified(command.get("channel_id"), command.get("team_id"))
        user = str(command.get("user_id") or "") or None
        verb = strip_prefix(text).partition(" ")[0].lower()
        if self._is_direct(command) and verb not in ("", "help"):
            await self._answer(respond, command, escape(DM_ANSWER))
            return
        if not target:
            await self._answer(respond, command, "I could not tell which channel this came from.")
            return
        if changes_settings(text) and not await self._may_change(user):
            await self._answer(respond, command, escape(NOT_ALLOWED))
            return
        reply = self.commands.handle(
            text, CommandContext(channel=PREFIX + target, user=user, now=self.clock.now())
        )
        answer = escape(reply.text)
        if reply.announce:
            announce = escape(reply.announce)
            if user and announce.startswith(user + " "):
                announce = f"<@{user}>" + announce[len(user) :]
            try:
                await self._post(
                    target,
                    f"announce-{command.get('trigger_id', '')}",
                    {"text": announce, "unfurl_links": False, "unfurl_media": False},
                )
            except SlackChannelError as exc:
                answer += "\n\n" + self._invite_hint(exc, context)
            except SlackError as exc:
                log.warning("Slack: could not announce a subscription change in %s: %s", target, exc)
        await self._answer(respond, command, answer)

    def _qualified(self, channel: Any, team: Any) -> str:
        """The channel as the store names it (without `slack:`): with its team when installed by OAuth."""
        if not isinstance(channel, str) or not channel:
            return ""
        if self.oauth is not None and isinstance(team, str) and team:
            return f"{channel}@{team}"
        return channel

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

    async def _answer(self, respond: AsyncRespond, payload: dict[str, Any], text: str) -> None:
        """An ephemeral answer: through response_url, else chat.postEphemeral."""
        try:
            await respond(text=text, response_type="ephemeral", replace_original=False)
            return
        except Exception as exc:
            log.warning("Slack: response_url failed (%s); trying chat.postEphemeral", type(exc).__name__)
        target = self._qualified(
            payload.get("channel_id") or (payload.get("channel") or {}).get("id"),
            payload.get("team_id") or (payload.get("team") or {}).get("id"),
        )
        user = payload.get("user_id") or (payload.get("user") or {}).get("id")
        if target and user:
            with contextlib.suppress(SlackError):
                await self._call("chat.postEphemeral", str(target), channel=target, user=user, text=text)

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
        value = SlackChat._button_value(body)
        return str(value.get("topic") or "this topic"), str(value.get("key") or "")

    async def _on_mute(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """The *Mute topic* button: the `mute <topic> for 24h` command, with the same permission check."""
        await ack()
        topic, _ = self._button(body)
        target = self._qualified((body.get("channel") or {}).get("id"), (body.get("team") or {}).get("id"))
        user = str((body.get("user") or {}).get("id") or "") or None
        command = f"mute {topic} for {BUTTON_MUTE}"
        if not target:
            await self._answer(respond, body, "I could not tell which channel this came from.")
            return
        if not await self._may_change(user):
            await self._answer(respond, body, escape(NOT_ALLOWED))
            return
        reply = self.commands.handle(command, CommandContext(PREFIX + target, user, self.clock.now()))
        await self._answer(respond, body, escape(reply.text))

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
        target = self._qualified((body.get("channel") or {}).get("id"), (body.get("team") or {}).get("id"))
        user = str((body.get("user") or {}).get("id") or "") or None
        ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
        if not target or not (ts or key):
            await self._answer(respond, body, "I could not tell which alert this came from.")
            return
        # the message the button sits on is the alert (or reply) the reader judges
        message_id = f"{target}:{ts}" if ts else key
        outcome = self.learning.record(
            PREFIX + target, message_id, user, relevant, self.clock.now(), topic=topic[:200]
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
            await self._answer(respond, body, escape(outcome.text))
            return
        text = escape(outcome.text.split(" Reply: ", 1)[0])
        blocks = proposal_blocks(text, outcome.proposal.word, outcome.topic)
        try:
            await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        except Exception as exc:
            log.warning("Slack: response_url failed (%s); the offer goes as text", type(exc).__name__)
            await self._answer(respond, body, escape(outcome.text))

    @staticmethod
    def _offer(body: dict[str, Any]) -> tuple[str, str]:
        value = SlackChat._button_value(body)
        return str(value.get("word") or ""), str(value.get("topic") or "")

    async def _on_exclude(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """*Exclude WORD*: the `exclude WORD from TOPIC` command, with the same permission check."""
        await ack()
        word, topic = self._offer(body)
        target = self._qualified((body.get("channel") or {}).get("id"), (body.get("team") or {}).get("id"))
        user = str((body.get("user") or {}).get("id") or "") or None
        if not target or not word or not topic:
            await self._answer(respond, body, "This offer is incomplete; nothing changed.")
            return
        if not await self._may_change(user):
            await self._answer(respond, body, escape(NOT_ALLOWED))
            return
        command = f"exclude {word} from {topic}"
        reply = self.commands.handle(command, CommandContext(PREFIX + target, user, self.clock.now()))
        await self._answer(respond, body, escape(reply.text))

    async def _on_decline(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        word, topic = self._offer(body)
        await self._answer(respond, body, escape(f"Fine, “{topic}” keeps “{word}” (nothing excluded)."))

    async def _may_change(self, user: str | None) -> bool:
        """Whether `user` may change what a channel receives: the one rule (bot.chat.permissions)
        over settings.slack_managers and, when it lists "admins", Slack's word on the user."""
        managers = self.settings.slack_managers

        async def workspace_admin() -> bool | None:
            if user is None or "admins" not in managers:
                return False
            try:
                info = await self._call("users.info", None, user=user)
            except SlackError as exc:
                log.warning("Slack: cannot tell whether %s is a workspace admin: %s", user, exc)
                return None
            profile = info.get("user") or {}
            return bool(profile.get("is_admin") or profile.get("is_owner"))

        access = await may_change(
            everyone=not managers, listed=user is not None and user in managers, is_admin=workspace_admin
        )
        return access is Access.ALLOWED  # when Slack cannot say, the change waits for one who may

    async def _on_uninstalled(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """app_uninstalled / tokens_revoked: an OAuth workspace's installation is removed."""
        await ack()
        team = body.get("team_id")
        log.warning("Slack: the app was uninstalled or its tokens revoked (team %s)", team)
        if self.oauth is not None and isinstance(team, str):
            await self.oauth.installation_store.async_delete_all(enterprise_id=None, team_id=team)
            self._team_clients.pop(team, None)
