"""Slack's Web API as the app uses it: errors the deliverer understands, one client per workspace,
posts paced per channel, and a look before a send that might double an earlier one.

A 429 carries `retry_after` (seconds), a 5xx is retried with backoff, and a channel the bot
cannot post to raises a message that says what to do. Tokens are never logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ChannelUnavailable, ChatUnavailable, NewsbotError

log = logging.getLogger("bot.chat.slack")  # one logger for the Slack app, whichever module speaks

PREFIX = "slack:"
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


def _target(target: str) -> tuple[str, str | None]:
    """`C0123@T0456` -> (`C0123`, `T0456`); a plain channel id has no team."""
    channel, _, team = target.partition("@")
    return channel, team or None


class SlackWebApi:
    """The Web API calls of the app, with the single workspace's client or an installed one's."""

    def __init__(
        self, client: AsyncWebClient, oauth: AsyncOAuthSettings | None, base_url: str, min_interval: float
    ) -> None:
        self.client = client
        self.oauth = oauth
        self.base_url = base_url
        self.min_interval = min_interval
        self._team_clients: dict[str, AsyncWebClient] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_post: dict[str, float] = {}
        self._checked: set[str] = set()  # channels whose history was searched for resends
        self._uncertain: set[str] = set()  # keys whose last send may have posted after all

    def forget_team(self, team: str) -> None:
        """Drop an uninstalled workspace's client, so its revoked token is not used again."""
        self._team_clients.pop(team, None)

    async def client_for(self, team: str | None) -> AsyncWebClient:
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

    async def call(self, method: str, where: str | None, /, **kwargs: Any) -> dict[str, Any]:
        team = None
        if isinstance(kwargs.get("channel"), str):
            kwargs["channel"], team = _target(kwargs["channel"])
        client = await self.client_for(team)
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

    async def post(self, target: str, key: str, args: dict[str, Any]) -> str:
        """chat.postMessage, at most one per `min_interval` seconds per channel."""
        lock = self._locks.setdefault(target, asyncio.Lock())
        async with lock:
            loop = asyncio.get_running_loop()
            wait = self._last_post.get(target, -1e9) + self.min_interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                data = await self.call("chat.postMessage", target, channel=target, **args)
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

    async def already_sent(self, target: str, key: str, thread_ts: str | None) -> str | None:
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
        client = await self.client_for(team)
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

    async def post_once(self, channel: str, key: str, args: dict[str, Any]) -> str:
        """Post a message to the channel unless a message with `key` is already there."""
        target = channel_id(channel)
        found = await self.already_sent(target, key, None)
        if found is not None:
            return f"{target}:{found}"
        ts = await self.post(target, key, args)
        return f"{target}:{ts}"
