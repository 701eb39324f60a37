"""A real HTTP server on loopback that serves whatever feed document a test sets."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FeedServer:
    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        self.status: dict[str, int] = {}
        self.headers: dict[str, dict[str, str]] = {}  # extra response headers per path
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                status = server.status.get(self.path, 200 if self.path in server.documents else 404)
                body = server.documents.get(self.path, b"not found") if status == 200 else b"error"
                if status == 304:
                    body = b""  # Not Modified has no body
                self.send_response(status)
                extra = server.headers.get(self.path, {})
                if "Content-Type" not in extra:
                    self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(self, path: str, document: str | bytes, status: int = 200) -> None:
        self.documents[path] = document.encode() if isinstance(document, str) else document
        self.status[path] = status


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


EMPTY_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Beispiel-Nachrichten</title><link>https://news.example/</link>
<description>leer</description><language>de</language></channel></rss>"""
