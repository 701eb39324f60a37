"""A feed server on loopback that misbehaves on purpose, and a Slack stand-in that does too.

`FaultServer` serves feed documents a test sets (like tests.feedserver) and, per path, answers
each request with one `Fault` drawn by weight from a seeded random generator: a slow answer, a
hang past the client's timeout, a connection reset, a 5xx, a 429 with Retry-After, a truncated or
malformed document, a Latin-1 body declared as UTF-8, a gzip bomb, a redirect loop or a redirect
to 127.0.0.2 (a private address the bot must refuse; a second listener there counts any request
that gets through). Every answer is counted by path and fault.

`FaultySlack` is the Slack stand-in with answers that come late: chat.postMessage can post the
message and then answer slowly, with a 5xx, or not before the client gives up, so that the bot
cannot tell whether its message arrived.
"""

from __future__ import annotations

import asyncio
import enum
import random
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiohttp import web

from tests.slack_standin import SlackStandin


class Fault(enum.StrEnum):
    OK = "ok"
    TIMEOUT = "timeout"  # no answer until after the client's timeout
    RESET = "reset"  # the connection is reset (RST) before any answer
    SERVER_ERROR = "server_error"  # 500 / 502 / 503
    RATE_LIMITED = "rate_limited"  # 429 with Retry-After
    TRUNCATED = "truncated"  # the document cut off in the middle (valid HTTP, broken XML)
    SHORT_BODY = "short_body"  # Content-Length promises more than is sent, then the connection closes
    MALFORMED = "malformed"  # bare &, HTML entities, unclosed tags
    NOT_A_FEED = "not_a_feed"  # an HTML page where the feed should be
    WRONG_ENCODING = "wrong_encoding"  # Latin-1 bytes declared as UTF-8
    GZIP_BOMB = "gzip_bomb"  # a small gzip body that inflates to hundreds of megabytes
    REDIRECT_LOOP = "redirect_loop"  # /x -> /x?hop=0 -> /x?hop=1 -> /x?hop=2 -> /x?hop=0 …
    REDIRECT_PRIVATE = "redirect_private"  # a redirect to 127.0.0.2, not on the allow-list


MAINTENANCE_PAGE = b"<html><head><title>Wartung</title></head><body>Bald zurueck</body></html>"
_BOMB_CACHE: dict[int, bytes] = {}


def gzip_bomb(megabytes: int) -> bytes:
    """Zeros that gzip to about 1/1000 of their size: `megabytes` MB inflated."""
    if megabytes not in _BOMB_CACHE:
        block = b"\0" * (1 << 20)
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip stream
        parts = [compressor.compress(block) for _ in range(megabytes)]
        _BOMB_CACHE[megabytes] = b"".join(parts) + compressor.flush()
    return _BOMB_CACHE[megabytes]


def malformed(document: bytes) -> bytes:
    """The document as sloppy publishers write it: bare ampersands, HTML entities, an unclosed tag."""
    text = document.decode("utf-8")
    text = text.replace("<description>", "<description>Tom & Jerry &nbsp;&mdash; <b>fett ", 1)
    return text.replace("</channel>", "<item><title>kaputt &amp </channel>", 1).encode("utf-8")


def latin1_declared_utf8(document: bytes) -> bytes:
    """The same text in Latin-1 while the XML declaration (and the header) still say UTF-8."""
    return document.decode("utf-8").encode("latin-1", errors="replace")


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a bot killed mid-request) is normal here, not worth a traceback."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class FaultServer:
    """Feed documents on 127.0.0.1, answered with faults drawn per request; see the module docstring."""

    def __init__(
        self,
        *,
        seed: int = 0,
        delay: tuple[float, float] = (0.0, 0.0),
        hang_seconds: float = 8.0,
        bomb_megabytes: int = 200,
        retry_after: int = 2,
    ) -> None:
        self.documents: dict[str, bytes] = {}
        self.weights: dict[str, dict[Fault, float]] = {}
        self.counts: Counter[tuple[str, Fault]] = Counter()
        self.private_hits: list[str] = []  # requests that reached 127.0.0.2: must stay empty
        self.delay = delay
        self.hang_seconds = hang_seconds
        self.bomb_megabytes = bomb_megabytes
        self.retry_after = retry_after
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class PrivateHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    server.private_hits.append(self.path)
                body = server.documents.get(self.path.split("?")[0], b"private")
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.private = _QuietServer(("127.0.0.2", 0), PrivateHandler)
        self._threads = [
            threading.Thread(target=self.httpd.serve_forever, daemon=True),
            threading.Thread(target=self.private.serve_forever, daemon=True),
        ]

    # -- set-up -----------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, document: str | bytes) -> None:
        data = document.encode("utf-8") if isinstance(document, str) else document
        with self._lock:
            self.documents[path] = data

    def set_faults(self, path: str, weights: dict[Fault, float]) -> None:
        """Answer each request for `path` with a fault drawn by these weights (OK fills the rest)."""
        with self._lock:
            self.weights[path] = dict(weights)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()
        for httpd in (self.httpd, self.private):
            httpd.shutdown()
            httpd.server_close()

    def requests(self, path: str | None = None) -> int:
        with self._lock:
            return sum(n for (p, _), n in self.counts.items() if path is None or p == path)

    def by_fault(self) -> Counter[Fault]:
        with self._lock:
            totals: Counter[Fault] = Counter()
            for (_, fault), n in self.counts.items():
                totals[fault] += n
            return totals

    # -- answering --------------------------------------------------------------------------------

    def _draw(self, path: str) -> tuple[Fault, bytes | None, float]:
        with self._lock:
            document = self.documents.get(path)
            weights = self.weights.get(path, {})
            faults = [Fault.OK, *weights]
            ok_weight = max(0.0, 1.0 - sum(weights.values()))
            fault = self._rng.choices(faults, [ok_weight, *weights.values()])[0]
            pause = self._rng.uniform(*self.delay) if self.delay[1] > 0 else 0.0
            self.counts[(path, fault)] += 1
        return fault, document, pause

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path, _, query = handler.path.partition("?")
        if query.startswith("hop="):  # a later hop of a redirect loop: round and round
            hop = int(query[4:] or 0)
            self._send(handler, 302, b"", {"Location": f"{path}?hop={(hop + 1) % 3}"})
            return
        fault, document, pause = self._draw(path)
        if pause:
            time.sleep(pause)
        if document is None:
            self._send(handler, 404, b"not found")
            return
        if fault is Fault.TIMEOUT:
            self._stopping.wait(self.hang_seconds)
            handler.close_connection = True
            return
        if fault is Fault.RESET:
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.connection.close()
            handler.close_connection = True
            return
        if fault is Fault.SERVER_ERROR:
            status = self._rng.choice((500, 502, 503))
            self._send(handler, status, b"<html><body>upstream trouble</body></html>", close=True)
        elif fault is Fault.RATE_LIMITED:
            self._send(handler, 429, b"slow down", {"Retry-After": str(self.retry_after)})
        elif fault is Fault.TRUNCATED:
            self._send(handler, 200, document[: max(1, len(document) * 2 // 3)])
        elif fault is Fault.SHORT_BODY:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            handler.send_header("Content-Length", str(len(document)))
            handler.end_headers()
            handler.wfile.write(document[: len(document) // 2])
            handler.close_connection = True
        elif fault is Fault.MALFORMED:
            self._send(handler, 200, malformed(document))
        elif fault is Fault.NOT_A_FEED:
            self._send(
                handler, 200, b"<html><head><title>Wartung</title></head><body>Bald zurueck</body></html>"
            )
        elif fault is Fault.WRONG_ENCODING:
            self._send(handler, 200, latin1_declared_utf8(document))
        elif fault is Fault.GZIP_BOMB:
            self._send(handler, 200, gzip_bomb(self.bomb_megabytes), {"Content-Encoding": "gzip"})
        elif fault is Fault.REDIRECT_LOOP:
            self._send(handler, 302, b"", {"Location": f"{path}?hop=0"})
        elif fault is Fault.REDIRECT_PRIVATE:
            port = self.private.server_address[1]
            self._send(handler, 302, b"", {"Location": f"http://127.0.0.2:{port}{path}"})
        else:
            self._send(handler, 200, document)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        *,
        close: bool = False,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if close:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except OSError:
            handler.close_connection = True  # the client gave up (a bomb it cut off): fine


@contextmanager
def fault_server(**options: Any) -> Iterator[FaultServer]:
    server = FaultServer(**options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class LateAnswer(enum.StrEnum):
    SLOW = "slow"  # posted, answered after a pause
    SERVER_ERROR = "server_error"  # posted, answered 500: the bot cannot know it arrived
    HANG = "hang"  # posted, answered only after the client's timeout


class FaultySlack(SlackStandin):
    """The Slack stand-in whose chat.postMessage may post and then answer late or wrongly.

    `post_delay` (seconds, drawn uniformly) slows every chat.postMessage answer after the message
    is stored; `late(kind, times)` makes the next `times` answers a 500 or a hang instead.
    """

    def __init__(
        self, *, seed: int = 0, post_delay: tuple[float, float] = (0.0, 0.0), hang_seconds: float = 20.0
    ) -> None:
        super().__init__()
        self.post_delay = post_delay
        self.hang_seconds = hang_seconds
        self.late_answers: list[LateAnswer] = []
        self.late_counts: Counter[LateAnswer] = Counter()
        self._random = random.Random(seed)

    def late(self, kind: LateAnswer, times: int = 1) -> None:
        with self._lock:
            self.late_answers.extend([kind] * times)

    async def _api(self, request: web.Request) -> web.Response:
        response = await super()._api(request)
        if request.match_info["method"] != "chat.postMessage" or response.status != 200:
            return response
        with self._lock:
            kind = self.late_answers.pop(0) if self.late_answers else LateAnswer.SLOW
            self.late_counts[kind] += 1
            pause = self._random.uniform(*self.post_delay) if self.post_delay[1] > 0 else 0.0
        if kind is LateAnswer.HANG:
            await asyncio.sleep(self.hang_seconds)
        elif kind is LateAnswer.SERVER_ERROR:
            return web.Response(status=500, text="<html>upstream error</html>", content_type="text/html")
        elif pause:
            await asyncio.sleep(pause)
        return response


@contextmanager
def faulty_slack(**options: Any) -> Iterator[FaultySlack]:
    standin = FaultySlack(**options)
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()
