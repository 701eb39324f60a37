"""A stand-in for Slack on loopback: the Web API, response_url and the request signing Slack does.

It behaves like Slack where the bot can tell: it checks the bearer token and each method's required
arguments, knows which channels exist and whether the bot is a member, keeps messages (with
threads and metadata) so chat.update and conversations.history work, and can be told to answer a
method with a 429 (and Retry-After), a 5xx or an error code. Every call is recorded.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-standin-bot-token"
APP_TOKEN = "xapp-standin-app-token"
SIGNING_SECRET = "standin-signing-secret"
BOT_USER = "U0NEWSBOT"
TEAM = "T0STANDIN"
CLIENT_ID = "1111.2222"  # the app's OAuth credentials, for multi-workspace installs
CLIENT_SECRET = "standin-client-secret"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    status: int
    error: str | None
    at: float
    token: str | None = None  # the bearer token the call came with


@dataclass
class Channel:
    member: bool = True
    archived: bool = False
    public: bool = True
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Failure:
    method: str
    status: int
    error: str
    retry_after: int | None
    times: int


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


class SlackStandin:
    def __init__(self, *, public_write: bool = False) -> None:
        self.public_write = public_write  # chat:write.public granted: post to public channels unjoined
        self.channels: dict[str, Channel] = {}
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []  # bodies posted to response_url
        self.failures: list[Failure] = []
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.sockets: list[web.WebSocketResponse] = []  # Socket Mode connections from the bot
        self.socket_messages: list[dict[str, Any]] = []  # what the bot sent back over them (acks)
        self._envelopes = itertools.count(1)
        self.workspace_tokens: dict[str, str] = {}  # bot token -> team, issued by oauth.v2.access
        self._codes: dict[str, str] = {}  # OAuth code -> team, as Slack's authorize page hands out
        self.views: dict[str, dict[str, Any]] = {}  # open modals by view id, as Slack keeps them
        self.homes: dict[str, dict[str, Any]] = {}  # the Home tab published for each user
        self.sent_views: list[dict[str, Any]] = []  # every view the app sent (publish, open, update)
        self.opened: list[str] = []  # the ids of the modals views.open opened, in order
        self.files: dict[str, bytes] = {}  # uploaded files by id, served at url_private_download
        self.downloads: list[tuple[str, str | None]] = []  # (file id, bearer token) of each download
        self._view_ids = itertools.count(1)

    # -- set-up ---------------------------------------------------------------------------------

    def add_channel(self, channel_id: str, **state: Any) -> Channel:
        channel = Channel(**state)
        self.channels[channel_id] = channel
        return channel

    def fail(
        self, method: str, status: int, error: str, *, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `method` like this instead of doing them."""
        with self._lock:
            self.failures.append(Failure(method, status, error, retry_after, times))

    def authorize(self, team: str) -> str:
        """What Slack's authorize page does when a workspace admin approves the app: a one-time code."""
        code = f"code-{team}-{next(self._ts)}"
        with self._lock:
            self._codes[code] = team
        return code

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # -- reading what happened --------------------------------------------------------------------

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (ok is None or (c.error is None) == ok)]

    def posted(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages the bot posted in a channel (thread replies included), oldest first."""
        with self._lock:
            return list(self.channels[channel_id].messages)

    def wait_for(self, check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; calls: {self.summary()}")

    def summary(self) -> list[str]:
        with self._lock:
            return [f"{c.method} {c.status} {c.error or 'ok'}" for c in self.calls]

    # -- the server -------------------------------------------------------------------------------

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._respond)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/files/{id}/{name}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._loop.run_until_complete(web.SockSite(self._runner, sock).start())
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        async def cleanup() -> None:
            for ws in self.sockets:
                await ws.close()
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then record every message the app sends (its acks)."""
        ws = web.WebSocketResponse(autoping=True)
        with self._lock:  # recorded before the handshake's answer, which the app may act on at once
            self.sockets.append(ws)
        await ws.prepare(request)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "connection_info": {"app_id": "A0NEWSBOT"},
                "debug_info": {},
            }
        )
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                with self._lock:
                    self.socket_messages.append(json.loads(message.data))
        return ws

    def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Deliver a request to the app over its Socket Mode connection, as Slack does."""
        envelope_id = f"envelope-{next(self._envelopes)}"
        body = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        # the app's connect may return a moment before the stand-in has recorded the socket
        ws = self.wait_for(lambda: self.sockets[-1] if self.sockets else None, 5, "the app's websocket")
        asyncio.run_coroutine_threadsafe(ws.send_json(body), self._loop).result(5)
        return envelope_id

    def upload(self, name: str, content: bytes) -> dict[str, Any]:
        """A file someone uploaded in a form's file field, as the submission describes it."""
        file_id = f"F{next(self._ts):08d}"
        with self._lock:
            self.files[file_id] = content
        url = f"http://127.0.0.1:{self.port}/files/{file_id}/{name}"
        return {
            "id": file_id,
            "name": name,
            "size": len(content),
            "filetype": name.rpartition(".")[2],
            "url_private": url,
            "url_private_download": url,
        }

    async def _file(self, request: web.Request) -> web.Response:
        """A file's bytes, for the bot token only (as url_private needs files:read and the token)."""
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        file_id = request.match_info["id"]
        with self._lock:
            self.downloads.append((file_id, token))
            content = self.files.get(file_id)
        if token != BOT_TOKEN and token not in self.workspace_tokens:
            return web.Response(status=403, text="login page")
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="application/octet-stream")

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self._lock:
            self.responses.append({"name": request.match_info["name"], **body})
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                try:
                    args.update(json.loads(raw or b"{}"))
                except ValueError:
                    return self._answer(method, args, 200, {"ok": False, "error": "invalid_json"})
            else:
                args.update(parse_qsl(raw.decode()))
        token = args.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer ") :]
        with self._lock:
            failure = next((f for f in self.failures if f.method == method and f.times > 0), None)
            if failure is not None:
                failure.times -= 1
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            if failure.status >= 500:
                return self._answer(
                    method,
                    args,
                    failure.status,
                    None,
                    headers,
                    text="<html>upstream error</html>",
                    error=failure.error,
                )
            return self._answer(method, args, failure.status, {"ok": False, "error": failure.error}, headers)
        if method == "oauth.v2.access":
            return self._answer(method, args, 200, self._oauth_access(args, auth))
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if not token:
            return self._answer(method, args, 200, {"ok": False, "error": "not_authed"})
        if token != expected and not (method != "apps.connections.open" and token in self.workspace_tokens):
            return self._answer(method, args, 200, {"ok": False, "error": "invalid_auth"}, token=token)
        if method == "auth.test" and token in self.workspace_tokens:
            team = self.workspace_tokens[token]
            return self._answer(method, args, 200, {**self._m_auth_test(args), "team_id": team}, token=token)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._answer(method, args, 200, {"ok": False, "error": "unknown_method"})
        with self._lock:
            data = handler(args)
        return self._answer(method, args, 200, data, token=token)

    def _oauth_access(self, args: dict[str, Any], auth: str) -> dict[str, Any]:
        """oauth.v2.access: the app's credentials (Basic auth or form) and a code -> a bot token."""
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[len("Basic ") :]).decode().partition(":")
        else:
            client_id, secret = str(args.get("client_id", "")), str(args.get("client_secret", ""))
        if client_id != CLIENT_ID or secret != CLIENT_SECRET:
            return {"ok": False, "error": "invalid_client"}
        with self._lock:
            team = self._codes.pop(str(args.get("code", "")), None)
            if team is None:
                return {"ok": False, "error": "invalid_code"}
            token = f"xoxb-{team.lower()}-token"
            self.workspace_tokens[token] = team
        return {
            "ok": True,
            "app_id": "A0NEWSBOT",
            "authed_user": {"id": "U0ADMIN"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": BOT_USER,
            "team": {"id": team, "name": f"Workspace {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _answer(
        self,
        method: str,
        args: dict[str, Any],
        status: int,
        data: dict[str, Any] | None,
        headers: dict[str, str] | None = None,
        *,
        text: str | None = None,
        error: str | None = None,
        token: str | None = None,
    ) -> web.Response:
        if data is not None and not data.get("ok"):
            error = str(data.get("error"))
        with self._lock:
            self.calls.append(Call(method, args, status, error, time.monotonic(), token))
        if data is None:
            return web.Response(status=status, text=text or "", content_type="text/html", headers=headers)
        return web.json_response(data, status=status, headers=headers)

    # -- methods ------------------------------------------------------------------------------------

    def _new_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _channel(self, args: dict[str, Any], *, write: bool) -> tuple[Channel | None, str | None]:
        channel_id = args.get("channel")
        if not channel_id:
            return None, "channel_not_found"
        channel = self.channels.get(str(channel_id))
        if channel is None or (not channel.public and not channel.member):
            return None, "channel_not_found"
        if channel.archived:
            return None, "is_archived"
        if not channel.member and not (write and self.public_write and channel.public):
            return None, "not_in_channel"
        return channel, None

    @staticmethod
    def _check_blocks(blocks: Any) -> str | None:
        if blocks is None:
            return None
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if not isinstance(blocks, list) or block_kit_problems({"blocks": blocks}, "message"):
            return "invalid_blocks"
        return None

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://standin.slack.example/",
            "team": "Stand-in",
            "user": "newsbot",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": "B0NEWSBOT",
        }

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._channel(args, write=True)
        if channel is None:
            return {"ok": False, "error": error}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if (problem := self._check_blocks(args.get("blocks"))) is not None:
            return {"ok": False, "error": problem}
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata is not None and not (isinstance(metadata, dict) and metadata.get("event_type")):
            return {"ok": False, "error": "invalid_metadata_format"}
        thread_ts = args.get("thread_ts")
        if thread_ts and not any(m["ts"] == thread_ts for m in channel.messages):
            return {"ok": False, "error": "thread_not_found"}  # the stand-in is stricter than Slack here
        message = {
            "ts": self._new_ts(),
            "user": BOT_USER,
            "text": args.get("text", ""),
            "blocks": args.get("blocks"),
            "metadata": metadata,
            "thread_ts": thread_ts,
            "unfurl_links": args.get("unfurl_links"),
            "unfurl_media": args.get("unfurl_media"),
            "edits": 0,
        }
        channel.messages.append(message)
        return {"ok": True, "channel": args["channel"], "ts": message["ts"], "message": message}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._channel(args, write=True)
        if channel is None:
            return {"ok": False, "error": error}
        if not args.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        message = next((m for m in channel.messages if m["ts"] == args["ts"]), None)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message["user"] != BOT_USER:
            return {"ok": False, "error": "cant_update_message"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if (problem := self._check_blocks(args.get("blocks"))) is not None:
            return {"ok": False, "error": problem}
        message["text"] = args.get("text", message["text"])
        message["blocks"] = args.get("blocks", message["blocks"])
        message["edits"] += 1
        return {"ok": True, "channel": args["channel"], "ts": message["ts"]}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._channel(args, write=True)
        if channel is None:
            return {"ok": False, "error": error}
        if not args.get("user"):
            return {"ok": False, "error": "user_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        self.responses.append({"name": "ephemeral", "response_type": "ephemeral", **args})
        return {"ok": True, "message_ts": self._new_ts()}

    def _visible(self, message: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
        shown = {
            k: v for k, v in message.items() if k not in ("metadata", "edits", "unfurl_links", "unfurl_media")
        }
        if _truthy(args.get("include_all_metadata")) and message.get("metadata"):
            shown["metadata"] = message["metadata"]
        return shown

    def _view_arg(self, args: dict[str, Any], surface: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """The `view` argument, checked as Slack checks it: (the view, or None with Slack's answer)."""
        view = args.get("view")
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError:
                return None, {"ok": False, "error": "invalid_arguments"}
        if not isinstance(view, dict):
            return None, {"ok": False, "error": "invalid_arguments"}
        problems = block_kit_problems(view, surface)
        self.sent_views.append(view)
        if problems:
            return None, {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        return view, {}

    def _stored_view(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or f"V{next(self._view_ids):08d}"
        stored = {
            **view,
            "id": view_id,
            "team_id": TEAM,
            "hash": f"{time.time():.6f}.{next(self._ts)}",
            "state": {"values": {}},
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
        }
        self.views[view_id] = stored
        return stored

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view, refusal = self._view_arg(args, "modal")
        if view is None:
            return refusal
        stored = self._stored_view(view)
        self.opened.append(stored["id"])
        return {"ok": True, "view": stored}

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        current = self.views.get(str(view_id)) if view_id else None
        if current is None:
            return {"ok": False, "error": "not_found"}
        if args.get("hash") and args["hash"] != current["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        view, refusal = self._view_arg(args, "modal")
        if view is None:
            return refusal
        return {"ok": True, "view": self._stored_view(view, str(view_id))}

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        view, refusal = self._view_arg(args, "home")
        if view is None:
            return refusal
        stored = self._stored_view(view)
        self.homes[str(args["user_id"])] = stored
        return {"ok": True, "view": stored}

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(args.get("channel") or ""))
        if channel is None or (not channel.public and not channel.member):
            return {"ok": False, "error": "channel_not_found"}
        info = {"id": args["channel"], "is_member": channel.member, "is_archived": channel.archived}
        return {"ok": True, "channel": info}

    def _m_users_conversations(self, args: dict[str, Any]) -> dict[str, Any]:
        """The channels the bot is a member of (one page; the stand-in has few)."""
        channels = [
            {"id": channel_id, "is_member": True, "is_archived": False}
            for channel_id, channel in self.channels.items()
            if channel.member and not channel.archived
        ]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._channel(args, write=False)
        if channel is None:
            return {"ok": False, "error": error}
        top = [m for m in channel.messages if not m["thread_ts"]]
        limit = int(args.get("limit", 100))
        return {
            "ok": True,
            "messages": [self._visible(m, args) for m in reversed(top)][:limit],
            "has_more": False,
        }

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, error = self._channel(args, write=False)
        if channel is None:
            return {"ok": False, "error": error}
        ts = args.get("ts")
        thread = [m for m in channel.messages if m["ts"] == ts or m["thread_ts"] == ts]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        return {"ok": True, "messages": [self._visible(m, args) for m in thread], "has_more": False}


@contextmanager
def slack_standin(**options: Any) -> Iterator[SlackStandin]:
    standin = SlackStandin(**options)
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()


# -- requests as Slack signs them ----------------------------------------------------------------


def sign(
    body: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """The headers Slack sends: X-Slack-Signature = v0=HMAC-SHA256(secret, "v0:<ts>:<body>")."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }


def slash_command(text: str, **options: Any) -> str:
    """The form body of a slash command, as Slack POSTs it to /slack/events."""
    return urlencode(slash_payload(text, **options))


def slash_payload(
    text: str,
    *,
    response_url: str,
    channel_id: str = "C0NEWS",
    channel_name: str = "news",
    user_id: str = "U0ANN",
    user_name: str = "ann",
    command: str = "/news",
) -> dict[str, str]:
    """A slash command's fields, with the text escaped as Slack escapes it."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM,
        "team_domain": "standin",
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": escaped,
        "api_app_id": "A0NEWSBOT",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"trigger-{time.monotonic_ns()}",
    }


def block_action(
    action_id: str, value: str, *, response_url: str, channel_id: str = "C0NEWS", message_ts: str = "1.000001"
) -> str:
    """The form body of a button click (interactivity): payload=<json>."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "standin"},
        "user": {"id": "U0ANN", "username": "ann", "team_id": TEAM},
        "api_app_id": "A0NEWSBOT",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id},
        "trigger_id": f"trigger-{time.monotonic_ns()}",
        "channel": {"id": channel_id, "name": "news"},
        "message": {"type": "message", "ts": message_ts, "text": "alert"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "newsbot_feedback",
                "type": "button",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


# -- Block Kit's limits, as Slack enforces them ------------------------------------------------------

BLOCK_LIMITS = {"message": 50, "modal": 100, "home": 100}
_TEXT_BLOCKS = {"section", "header", "context", "actions", "divider", "input", "image"}


def _text_problems(where: str, text: Any, limit: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(text, dict) or text.get("type") not in ("plain_text", "mrkdwn"):
        return [f"{where}: not a text object"]
    if plain_only and text["type"] != "plain_text":
        return [f"{where}: must be plain_text"]
    value = text.get("text")
    if not isinstance(value, str) or not value:
        return [f"{where}: empty text"]
    if len(value) > limit:
        return [f"{where}: {len(value)} characters, more than {limit}"]
    return []


def _bad_file_input(element: dict[str, Any]) -> bool:
    """True when a file_input element is malformed."""
    count = element.get("max_files", 10)
    return not (
        isinstance(count, int) and 1 <= count <= 10 and isinstance(element.get("filetypes", []), list)
    )


def _element_problems(where: str, element: Any) -> list[str]:
    if not isinstance(element, dict):
        return [f"{where}: not an element"]
    kind = element.get("type")
    problems: list[str] = []
    action_id = element.get("action_id")
    if action_id is not None and (not isinstance(action_id, str) or len(action_id) > 255):
        problems.append(f"{where}: bad action_id")
    if "placeholder" in element:
        problems += _text_problems(f"{where}.placeholder", element["placeholder"], 150, plain_only=True)
    if kind == "button":
        problems += _text_problems(f"{where}.text", element.get("text"), 75, plain_only=True)
        if len(str(element.get("value", ""))) > 2000 or len(str(element.get("url", ""))) > 3000:
            problems.append(f"{where}: value or url too long")
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"{where}: bad style")
    elif kind == "plain_text_input":
        longest = element.get("max_length", 3000)
        if not isinstance(longest, int) or not 1 <= longest <= 3000:
            problems.append(f"{where}: bad max_length")
        elif len(str(element.get("initial_value", ""))) > longest:
            problems.append(f"{where}: initial_value longer than max_length")
    elif kind == "file_input":
        if _bad_file_input(element):
            problems.append(f"{where}: file_input needs 1 to 10 max_files and a list of filetypes")
    elif kind == "number_input":
        if not isinstance(element.get("is_decimal_allowed"), bool):
            problems.append(f"{where}: number_input needs is_decimal_allowed")
    elif kind == "static_select":
        options = element.get("options")
        if not isinstance(options, list) or not 1 <= len(options) <= 100:
            problems.append(f"{where}: 1 to 100 options")
            options = []
        for n, option in enumerate(options):
            problems += _text_problems(f"{where}.options[{n}]", option.get("text"), 75, plain_only=True)
            if not isinstance(option.get("value"), str) or not 1 <= len(option["value"]) <= 150:
                problems.append(f"{where}.options[{n}]: bad value")
        if "initial_option" in element and element["initial_option"] not in options:
            problems.append(f"{where}: initial_option is not one of the options")
    else:
        problems.append(f"{where}: unknown element type {kind!r}")
    return problems


def block_kit_problems(view: dict[str, Any], surface: str) -> list[str]:
    """Everything about a message's blocks or a view that Slack would refuse (invalid_blocks,
    invalid_arguments): block counts, text lengths, required fields, unique ids."""
    problems: list[str] = []
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return ["blocks: not a list"]
    if len(blocks) > BLOCK_LIMITS[surface]:
        problems.append(f"{len(blocks)} blocks, more than {BLOCK_LIMITS[surface]}")
    if surface != "message":
        if view.get("type") != surface:
            problems.append(f"type must be {surface}")
        if len(str(view.get("private_metadata", ""))) > 3000 or len(str(view.get("callback_id", ""))) > 255:
            problems.append("private_metadata or callback_id too long")
    if surface == "modal":
        problems += _text_problems("title", view.get("title"), 24, plain_only=True)
        for name in ("submit", "close"):
            if name in view:
                problems += _text_problems(name, view[name], 24, plain_only=True)
        if any(b.get("type") == "input" for b in blocks if isinstance(b, dict)) and "submit" not in view:
            problems.append("a modal with inputs needs a submit button")
    block_ids: set[str] = set()
    for n, block in enumerate(blocks):
        where = f"blocks[{n}]"
        if not isinstance(block, dict) or block.get("type") not in _TEXT_BLOCKS:
            problems.append(f"{where}: unknown block")
            continue
        if "block_id" in block:
            block_id = block["block_id"]
            if not isinstance(block_id, str) or len(block_id) > 255 or block_id in block_ids:
                problems.append(f"{where}: bad or repeated block_id")
            block_ids.add(str(block_id))
        kind = block["type"]
        if kind == "header":
            problems += _text_problems(where, block.get("text"), 150, plain_only=True)
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"{where}: a section needs text or fields")
            if "text" in block:
                problems += _text_problems(where, block["text"], 3000)
            if "accessory" in block:
                problems += _element_problems(f"{where}.accessory", block["accessory"])
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
                problems.append(f"{where}: 1 to 10 context elements")
            else:
                for m, element in enumerate(elements):
                    problems += _text_problems(f"{where}.elements[{m}]", element, 2000)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
                problems.append(f"{where}: 1 to 25 action elements")
                elements = []
            ids = [e.get("action_id") for e in elements if isinstance(e, dict) and e.get("action_id")]
            if len(ids) != len(set(ids)):
                problems.append(f"{where}: repeated action_id")
            for m, element in enumerate(elements):
                problems += _element_problems(f"{where}.elements[{m}]", element)
        elif kind == "input":
            if surface == "message":
                problems.append(f"{where}: no input blocks in messages")
            problems += _text_problems(f"{where}.label", block.get("label"), 2000, plain_only=True)
            if "hint" in block:
                problems += _text_problems(f"{where}.hint", block["hint"], 2000, plain_only=True)
            if "element" not in block:
                problems.append(f"{where}: an input needs an element")
            else:
                problems += _element_problems(f"{where}.element", block["element"])
    return problems


# -- interactivity and events as Slack sends them -------------------------------------------------------


def event_body(event: dict[str, Any], *, team: str = TEAM) -> dict[str, Any]:
    """An Events API callback (HTTP: a JSON body; Socket Mode: the envelope's payload)."""
    return {
        "token": "deprecated-verification-token",
        "team_id": team,
        "api_app_id": "A0NEWSBOT",
        "event": {"event_ts": f"{time.time():.6f}", **event},
        "type": "event_callback",
        "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": BOT_USER, "is_bot": True}],
    }


def home_opened(user: str = "U0ANN", *, team: str = TEAM) -> dict[str, Any]:
    return event_body(
        {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}, team=team
    )


def _who(user: str, team: str) -> dict[str, Any]:
    return {
        "type": "",
        "team": {"id": team, "domain": "standin"},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0NEWSBOT",
        "token": "deprecated-verification-token",
        "trigger_id": f"trigger-{time.monotonic_ns()}",
    }


def view_action(
    view: dict[str, Any],
    action_id: str,
    value: str,
    *,
    user: str = "U0ANN",
    team: str = TEAM,
    block_id: str = "",
    **fields: Any,
) -> dict[str, Any]:
    """A button click inside a view (the Home tab or a modal), with the view's state as typed."""
    if fields:
        view = filled(view, **fields)
    return {
        **_who(user, team),
        "type": "block_actions",
        "container": {"type": "view", "view_id": view.get("id")},
        "view": view,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "type": "plain_text_input" if block_id else "button",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }


def _state_of(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element.get("type")
    if kind == "file_input":
        return {"type": kind, "files": [value] if value else []}
    if kind == "static_select":
        option = next((o for o in element.get("options", []) if o["value"] == value), None)
        if option is None and value is not None:  # what a forged request could carry
            option = {"text": {"type": "plain_text", "text": str(value)}, "value": value}
        return {"type": kind, "selected_option": option}
    return {"type": kind, "value": value}


def filled(view: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The view with its inputs as a person left them: initial values, then `fields` by block id
    (None clears a field)."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        initial = element.get("initial_value")
        if element.get("type") == "static_select" and element.get("initial_option"):
            initial = element["initial_option"]["value"]
        value = fields.get(block["block_id"], initial)
        values[block["block_id"]] = {element["action_id"]: _state_of(element, value)}
    return {**view, "state": {"values": values}}


def view_submission(
    view: dict[str, Any], *, user: str = "U0ANN", team: str = TEAM, **fields: Any
) -> dict[str, Any]:
    """A modal submitted with its fields as `filled` makes them."""
    return {
        **_who(user, team),
        "type": "view_submission",
        "view": filled(view, **fields),
        "response_urls": [],
    }


def message_shortcut(
    callback_id: str, message: dict[str, Any], *, channel_id: str = "C0NEWS", user: str = "U0ANN"
) -> dict[str, Any]:
    """A message shortcut chosen on `message` in a channel."""
    return {
        **_who(user, TEAM),
        "type": "message_action",
        "callback_id": callback_id,
        "channel": {"id": channel_id, "name": "news"},
        "message": {"type": "message", **message},
        "message_ts": message.get("ts", "1.000001"),
        "response_url": "",
    }


def interactive_body(payload: dict[str, Any]) -> str:
    """The form body Slack POSTs for interactivity: payload=<json>."""
    return urlencode({"payload": json.dumps(payload)})
