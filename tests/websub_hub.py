"""A WebSub hub stand-in: a real aiohttp server on loopback that takes subscription requests,
verifies them against the subscriber's callback (the challenge), and pushes signed content."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web


@dataclass
class Subscription:
    topic: str
    callback: str
    secret: str
    lease_seconds: int
    verified: bool = False


@dataclass
class Hub:
    """`confirm=False` is a hub that accepts requests but never verifies them."""

    lease_seconds: int = 3600
    confirm: bool = True
    requests: list[dict[str, str]] = field(default_factory=list)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)  # by topic
    port: int = 0
    _runner: web.AppRunner | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hub"

    async def start(self) -> None:
        app = web.Application()
        app.add_routes([web.post("/hub", self._subscribe)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _subscribe(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.requests.append(form)
        if form.get("hub.mode") != "subscribe" or not form.get("hub.callback") or not form.get("hub.topic"):
            return web.Response(status=400, text="bad request")
        if self.confirm:
            task = asyncio.create_task(self._verify(form))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.Response(status=202, text="accepted")

    async def _verify(self, form: dict[str, str]) -> None:
        """The verification of intent: GET the callback with a challenge it must echo."""
        challenge = secrets.token_hex(16)
        params = {
            "hub.mode": "subscribe",
            "hub.topic": form["hub.topic"],
            "hub.challenge": challenge,
            "hub.lease_seconds": str(self.lease_seconds),
        }
        async with (
            aiohttp.ClientSession() as session,
            session.get(form["hub.callback"], params=params) as answer,
        ):
            body = await answer.text()
            echoed = answer.status == 200 and body == challenge
        self.subscriptions[form["hub.topic"]] = Subscription(
            topic=form["hub.topic"],
            callback=form["hub.callback"],
            secret=form.get("hub.secret", ""),
            lease_seconds=self.lease_seconds,
            verified=echoed,
        )

    async def push(
        self,
        topic: str,
        body: bytes,
        *,
        secret: str | None = None,
        signed: bool = True,
        self_url: str | None = None,
    ) -> int:
        """Content distribution to the topic's subscriber; `secret` overrides the right one."""
        subscription = self.subscriptions[topic]
        headers = {
            "Content-Type": "application/rss+xml",
            "Link": f'<{self.url}>; rel="hub", <{self_url or topic}>; rel="self"',
        }
        if signed:
            key = (secret if secret is not None else subscription.secret).encode()
            headers["X-Hub-Signature"] = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        async with (
            aiohttp.ClientSession() as session,
            session.post(subscription.callback, data=body, headers=headers) as answer,
        ):
            return answer.status
