"""The Slack app: `/news` commands, Block Kit alerts, threads and edits, over HTTP or Socket Mode.

This module is the ChatService: it builds Bolt's app, posts and edits alerts (rendered by
bot.chat.slack_blocks) and serves `/slack/events`. Message ids are `<channel id>:<ts>` so that
follow-ups can name their thread and edits can call chat.update. The Web API and its errors are in
bot.chat.slack_api, commands and buttons in bot.chat.slack_actions, the Home tab and forms in
bot.chat.slack_surfaces. Tokens and the signing secret are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.commands import CommandHandler
from bot.chat.learning import Learning
from bot.chat.permissions import Access, may_change
from bot.chat.slack_actions import NOT_ALLOWED, SORRY, SlackActions
from bot.chat.slack_api import (
    API_TIMEOUT,
    PREFIX,
    SlackChannelError,
    SlackError,
    SlackRateLimited,
    SlackUnavailable,
    SlackWebApi,
    channel_id,
    split_message_id,
)
from bot.chat.slack_blocks import alert_blocks, alert_message, digest_message, fallback_text, notice_message
from bot.chat.slack_http import read_slack_request
from bot.chat.slack_oauth import oauth_settings
from bot.chat.slack_surfaces import SlackSurfaces
from bot.core.digest import Digest
from bot.core.render import render
from bot.errors import ConfigError, NewsbotError, StoreError
from bot.model import AlertContent
from bot.ports import TimeSource
from bot.settings import Settings
from bot.store.db import Store

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


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


class SlackChat:
    """bot.ports.ChatService for Slack: channels named `slack:<channel id>`.

    With SLACK_BOT_TOKEN it serves one workspace. With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (and
    no bot token) workspaces install it through OAuth (/slack/install); each one's token is kept in
    the database and its channels are named `slack:<channel id>@<team id>`.
    """

    def __init__(
        self, settings: Settings, store: Store, clock: TimeSource, *, min_interval: float = 1.0
    ) -> None:
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
        self.base_url = settings.slack_api_url.rstrip("/") + "/"
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        self.client = AsyncWebClient(token=token, base_url=self.base_url, timeout=API_TIMEOUT)
        self.api = SlackWebApi(self.client, oauth, self.base_url, min_interval)
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
        self.actions = SlackActions(self)
        self.surfaces = SlackSurfaces(self)
        self._register(self.app)
        self._socket: Any = None

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
        found = await self.api.already_sent(target, key, thread_ts)
        if found is not None:
            log.info("Slack: %s is already in %s (ts %s); not posting it again", key, target, found)
            return f"{target}:{found}"
        args = alert_message(render(alert), key, self._story_of(key))
        if thread_ts:
            args["thread_ts"] = thread_ts
            if getattr(alert, "broadcast", False):  # a major development also shows in the channel
                args["reply_broadcast"] = True
        ts = await self.api.post(target, key, args)
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
        await self.api.call(
            "chat.update",
            target,
            channel=target,
            ts=ts,
            text=fallback_text(message),
            blocks=alert_blocks(message, message_id),
        )

    async def send_notice(self, channel: str, text: str, *, key: str) -> str:
        return await self.api.post_once(channel, key, notice_message(text, key))

    async def send_digest(self, channel: str, digest: Digest, *, key: str) -> str:
        return await self.api.post_once(channel, key, digest_message(digest, key))

    # -- HTTP --------------------------------------------------------------------------------------

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

    # -- listeners and what they share with the surfaces -------------------------------------------

    def _register(self, app: AsyncApp) -> None:
        self.actions.register(app)
        app.event("app_uninstalled")(self._on_uninstalled)
        app.event("tokens_revoked")(self._on_uninstalled)
        self.surfaces.register(app)

    def qualified(self, channel: Any, team: Any) -> str:
        """The channel as the store names it (without `slack:`): with its team when installed by OAuth."""
        if not isinstance(channel, str) or not channel:
            return ""
        if self.oauth is not None and isinstance(team, str) and team:
            return f"{channel}@{team}"
        return channel

    async def answer(self, respond: AsyncRespond, payload: dict[str, Any], text: str) -> None:
        """An ephemeral answer: through response_url, else chat.postEphemeral."""
        try:
            await respond(text=text, response_type="ephemeral", replace_original=False)
            return
        except Exception as exc:
            log.warning("Slack: response_url failed (%s); trying chat.postEphemeral", type(exc).__name__)
        target = self.qualified(
            payload.get("channel_id") or (payload.get("channel") or {}).get("id"),
            payload.get("team_id") or (payload.get("team") or {}).get("id"),
        )
        user = payload.get("user_id") or (payload.get("user") or {}).get("id")
        if target and user:
            with contextlib.suppress(SlackError):
                await self.api.call("chat.postEphemeral", str(target), channel=target, user=user, text=text)

    async def announce(self, target: str, user: str | None, text: str, key: str) -> None:
        """Tell the channel what someone changed, the person as a mention; raises SlackError."""
        if user and text.startswith(user + " "):
            text = f"<@{user}>" + text[len(user) :]
        args = {"text": text, "unfurl_links": False, "unfurl_media": False}
        await self.api.post(target, f"announce-{key}", args)

    async def may_change(self, user: str | None) -> bool:
        """Whether `user` may change what a channel receives: the one rule (bot.chat.permissions)
        over settings.slack_managers and, when it lists "admins", Slack's word on the user."""
        managers = self.settings.slack_managers

        async def workspace_admin() -> bool | None:
            if user is None or "admins" not in managers:
                return False
            try:
                info = await self.api.call("users.info", None, user=user)
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
            self.api.forget_team(team)


__all__ = [  # imported from here by the tests
    "NOT_ALLOWED",
    "SlackChannelError",
    "SlackChat",
    "SlackRateLimited",
    "SlackUnavailable",
]
