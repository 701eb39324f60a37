"""The fetcher against a real HTTP server on 127.0.0.1: politeness, caps and guards as a user sees them."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import brotli
import pytest
from aiohttp import web

from bot.errors import FetchError
from bot.ingest.article import fetch_full_text
from bot.ingest.fetch import Fetcher, FetchPolicy, FetchResult

LOCAL = FetchPolicy(allow_private_hosts=("127.0.0.1",))
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serve(routes: dict[str, Handler]) -> AsyncIterator[str]:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 15))


async def fetch_once(routes: dict[str, Handler], path: str, policy: FetchPolicy = LOCAL, **kw: Any) -> Any:
    async with serve(routes) as base, Fetcher(policy) as fetcher:
        return await fetcher.fetch(base + path, **kw)


def expect_error(routes: dict[str, Handler], path: str, policy: FetchPolicy = LOCAL) -> FetchError:
    with pytest.raises(FetchError) as info:
        run(fetch_once(routes, path, policy))
    return info.value


def test_etag_round_trip_gives_304_without_a_body_and_names_the_bot() -> None:
    seen: list[dict[str, str]] = []

    async def feed(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(
            body=FEED,
            headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"},
            content_type="application/rss+xml",
        )

    async def scenario() -> tuple[FetchResult, FetchResult]:
        async with serve({"/feed": feed}) as base, Fetcher(LOCAL) as fetcher:
            first = await fetcher.fetch(base + "/feed")
            second = await fetcher.fetch(base + "/feed", etag=first.etag, last_modified=first.last_modified)
            return first, second

    first, second = run(scenario())
    assert first.status == 200 and first.body == FEED
    assert first.etag == '"v1"' and first.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert first.content_type is not None and first.content_type.startswith("application/rss+xml")
    assert second.status == 304 and second.body is None
    assert seen[1]["If-None-Match"] == '"v1"'
    assert seen[1]["If-Modified-Since"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert seen[0]["User-Agent"].startswith("newsbot/")
    assert "br" in seen[0]["Accept-Encoding"] and "gzip" in seen[0]["Accept-Encoding"]


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_compressed_bodies_arrive_decoded(encoding: str, compress: Callable[[bytes], bytes]) -> None:
    body = FEED * 200

    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=compress(body), headers={"Content-Encoding": encoding})

    result = run(fetch_once({"/feed": feed}, "/feed"))
    assert result.body == body


def test_retry_after_on_503_is_carried_by_the_error() -> None:
    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=503, headers={"Retry-After": "120"})

    error = expect_error({"/feed": busy}, "/feed")
    assert error.kind == "http_503"
    assert error.retry_after == 120


def test_429_is_rate_limited_with_retry_after() -> None:
    async def limited(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "120"})

    error = expect_error({"/feed": limited}, "/feed")
    assert error.kind == "rate_limited"
    assert error.retry_after == 120


def test_retry_after_on_success_is_a_lower_bound_for_the_next_poll() -> None:
    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=FEED, headers={"Retry-After": "120", "Cache-Control": "max-age=60"})

    result = run(fetch_once({"/feed": feed}, "/feed"))
    assert result.cache_seconds == 120


def test_cache_control_and_expires_are_reported() -> None:
    async def max_age(request: web.Request) -> web.Response:
        return web.Response(body=FEED, headers={"Cache-Control": "public, max-age=600"})

    async def expires(request: web.Request) -> web.Response:
        return web.Response(
            body=FEED,
            headers={"Date": "Mon, 01 Jan 2024 00:00:00 GMT", "Expires": "Mon, 01 Jan 2024 00:05:00 GMT"},
        )

    async def neither(request: web.Request) -> web.Response:
        return web.Response(body=FEED)

    routes: dict[str, Handler] = {"/a": max_age, "/b": expires, "/c": neither}
    assert run(fetch_once(routes, "/a")).cache_seconds == 600
    assert run(fetch_once(routes, "/b")).cache_seconds == 300
    assert run(fetch_once(routes, "/c")).cache_seconds is None


def test_server_error_names_url_and_status() -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500)

    error = expect_error({"/feed": broken}, "/feed")
    assert error.kind == "http_500"
    assert "/feed: HTTP 500 Internal Server Error" in str(error)
    assert str(error).startswith("http://127.0.0.1:")
    assert "\n" not in str(error)


def test_redirect_to_another_loopback_address_is_refused_when_only_127_0_0_1_is_allowed() -> None:
    async def hop(request: web.Request) -> web.Response:
        port = request.url.port
        raise web.HTTPFound(f"http://127.0.0.2:{port}/feed")

    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=FEED)

    error = expect_error({"/start": hop, "/feed": feed}, "/start")
    assert error.kind == "private_address"
    assert "127.0.0.2" in str(error)


def test_loopback_is_refused_without_an_allow_list() -> None:
    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=FEED)

    error = expect_error({"/feed": feed}, "/feed", FetchPolicy())
    assert error.kind == "private_address"


def test_host_names_are_checked_after_resolution() -> None:
    """`localhost` is a name, not an address: the resolver's answer is what gets checked."""
    hits: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=FEED)

    async def scenario(policy: FetchPolicy) -> FetchResult:
        async with serve({"/feed": feed}) as base, Fetcher(policy) as fetcher:
            return await fetcher.fetch(base.replace("127.0.0.1", "localhost") + "/feed")

    with pytest.raises(FetchError) as info:
        run(scenario(FetchPolicy(allow_private_hosts=("10.0.0.0/8",))))
    assert info.value.kind == "private_address"
    assert hits == []
    result = run(scenario(FetchPolicy(allow_private_hosts=("127.0.0.0/8",))))
    assert result.body == FEED


def test_only_http_and_https_are_fetched() -> None:
    async def to_file(request: web.Request) -> web.Response:
        raise web.HTTPFound("file:///etc/passwd")

    async def direct() -> None:
        async with Fetcher(LOCAL) as fetcher:
            await fetcher.fetch("file:///etc/passwd")

    with pytest.raises(FetchError) as info:
        run(direct())
    assert info.value.kind == "bad_scheme"
    assert expect_error({"/feed": to_file}, "/feed").kind == "bad_scheme"


def test_permanent_redirect_is_reported_for_the_stored_url() -> None:
    async def old(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/new")

    async def temporary(request: web.Request) -> web.Response:
        raise web.HTTPFound("/new")

    async def new(request: web.Request) -> web.Response:
        return web.Response(body=FEED)

    routes: dict[str, Handler] = {"/old": old, "/tmp": temporary, "/new": new}
    moved = run(fetch_once(routes, "/old"))
    assert moved.status == 200 and moved.body == FEED
    assert moved.url.endswith("/new")
    assert moved.permanent_url == moved.url
    not_moved = run(fetch_once(routes, "/tmp"))
    assert not_moved.url.endswith("/new")
    assert not_moved.permanent_url is None


def test_redirect_loop_hits_the_redirect_limit() -> None:
    async def a(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/b")

    async def b(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/a")

    error = expect_error({"/a": a, "/b": b}, "/a")
    assert error.kind == "redirect_limit"


def test_gzip_bomb_is_cut_off_at_the_cap_with_little_memory() -> None:
    """A 1 GB body of zeros, gzip-compressed on the fly in streamed chunks (~1 MB on the wire)."""

    async def bomb(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Encoding": "gzip", "Content-Type": "application/xml"})
        await response.prepare(request)
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = bytes(1 << 20)
        try:
            for _ in range(1024):  # 1 GiB of zeros
                await response.write(compressor.compress(block) + compressor.flush(zlib.Z_SYNC_FLUSH))
            await response.write(compressor.flush())
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response

    tracemalloc.start()
    try:
        error = expect_error({"/bomb": bomb}, "/bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.kind == "too_large"
    assert "10,000,000" in str(error)
    assert peak < 40_000_000, f"peak {peak:,} bytes"  # the body is never inflated beyond the cap


def test_plain_body_over_the_cap_is_refused() -> None:
    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 2_000)

    policy = FetchPolicy(allow_private_hosts=("127.0.0.1",), max_bytes=1_000)
    assert expect_error({"/big": big}, "/big", policy).kind == "too_large"


def test_slow_server_hits_the_total_time_cap() -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        try:
            for _ in range(100):  # a byte every 0.1 s: every read is quick, the whole is not
                await response.write(b"<")
                await asyncio.sleep(0.1)
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response

    policy = FetchPolicy(allow_private_hosts=("127.0.0.1",), timeout_seconds=0.5)
    loop_time = asyncio.new_event_loop()
    started = loop_time.time()
    error = expect_error({"/slow": trickle}, "/slow", policy)
    elapsed = loop_time.time() - started
    loop_time.close()
    assert error.kind == "timeout"
    assert elapsed < 3


def test_connection_refused_is_a_connection_error() -> None:
    async def scenario() -> None:
        async with serve({}) as base:
            dead = base  # the port is free again once the server is gone
        async with Fetcher(LOCAL) as fetcher:
            await fetcher.fetch(dead + "/feed")

    with pytest.raises(FetchError) as info:
        run(scenario())
    assert info.value.kind == "connection"


def test_per_host_limit_bounds_parallel_connections() -> None:
    active = [0]
    most = [0]

    async def feed(request: web.Request) -> web.Response:
        active[0] += 1
        most[0] = max(most[0], active[0])
        await asyncio.sleep(0.05)
        active[0] -= 1
        return web.Response(body=FEED)

    async def scenario() -> list[FetchResult]:
        policy = FetchPolicy(allow_private_hosts=("127.0.0.1",), per_host=3)
        async with serve({"/feed": feed}) as base, Fetcher(policy) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(f"{base}/feed?{i}") for i in range(12)))

    results = run(scenario())
    assert all(r.body == FEED for r in results)
    assert most[0] <= 3


def test_time_cap_counts_from_a_requests_turn_not_from_its_wait_for_a_connection() -> None:
    """Many feeds of one host: each answers within the cap, so none may time out while it waits its turn."""

    async def feed(request: web.Request) -> web.Response:
        await asyncio.sleep(0.2)
        return web.Response(body=FEED)

    async def scenario() -> list[FetchResult | BaseException]:
        policy = FetchPolicy(allow_private_hosts=("127.0.0.1",), per_host=2, timeout_seconds=0.6)
        async with serve({"/feed": feed}) as base, Fetcher(policy) as fetcher:
            polls = (fetcher.fetch(f"{base}/feed?{i}") for i in range(12))  # 6 turns of 0.2 s each
            return await asyncio.gather(*polls, return_exceptions=True)

    results = run(scenario())
    assert [r.body if isinstance(r, FetchResult) else r for r in results] == [FEED] * 12


# --------------------------------------------------------------------------- full text of teaser-only entries

ARTICLE = """<!DOCTYPE html><html lang="de"><head><title>Haushalt</title></head><body>
<nav><a href="/">Startseite</a> <a href="/politik">Politik</a> <a href="/login">Anmelden</a></nav>
<article><h1>Ampel ringt um den Haushalt</h1>
<p>Die Spitzen der Ampelkoalition haben am Dienstag erneut über den Haushalt 2024 beraten. Nach Angaben
aus Regierungskreisen geht es um eine Lücke von rund 17 Milliarden Euro, die geschlossen werden muss.</p>
<p>„Wir werden eine Lösung finden“, sagte Finanzminister Christian Lindner vor Beginn der Gespräche.
Die Wirtschaft drängt auf eine schnelle Einigung, weil viele Förderprogramme auf der Kippe stehen.</p>
<p>Vertreter der Gewerkschaften warnten davor, bei Sozialleistungen zu kürzen. Eine Entscheidung wird
noch in dieser Woche erwartet, hieß es aus Koalitionskreisen am Abend.</p>
</article>
<footer>© 2023 Beispiel-Verlag · Impressum · Datenschutz · Cookie-Einstellungen</footer>
</body></html>""".encode()


def test_full_text_is_the_article_without_navigation() -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(body=ARTICLE, content_type="text/html", charset="utf-8")

    async def scenario() -> str | None:
        async with serve({"/artikel": page}) as base, Fetcher(LOCAL) as fetcher:
            return await fetch_full_text(fetcher, base + "/artikel")

    text = run(scenario())
    assert text is not None
    assert "17 Milliarden Euro" in text and "„Wir werden eine Lösung finden“" in text
    assert "Anmelden" not in text and "Impressum" not in text
    assert len(text.split("\n")) >= 3  # paragraphs stay paragraphs


def test_full_text_is_none_when_the_page_fails_or_is_refused() -> None:
    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=404)

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG....", content_type="image/png")

    async def scenario(policy: FetchPolicy, path: str) -> str | None:
        async with serve({"/gone": gone, "/image": image}) as base, Fetcher(policy) as fetcher:
            return await fetch_full_text(fetcher, base + path)

    assert run(scenario(LOCAL, "/gone")) is None
    assert run(scenario(LOCAL, "/image")) is None
    assert run(scenario(FetchPolicy(), "/gone")) is None  # loopback refused by the same guard


def test_an_ip_literal_is_refused_on_every_fetch_not_only_the_first() -> None:
    # the guard remembers its answer per literal host: a refusal must stay a refusal
    async def kinds() -> list[str]:
        found = []
        async with Fetcher(FetchPolicy(timeout_seconds=5)) as fetcher:
            for url in ["http://127.0.0.1:9/feed"] * 3 + ["http://[::1]:9/feed"]:
                try:
                    await fetcher.fetch(url)
                except FetchError as exc:
                    found.append(exc.kind)
        return found

    assert run(kinds()) == ["private_address"] * 4
