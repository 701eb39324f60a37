"""How soon the bot polls again, as a user sees it in `newsbot feeds list`, with the shipped
schedule settings: a busy feed comes back at the floor after a 200 and after a 304."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from tests.e2e.test_run_once import newsbot
from tests.feedserver import FeedServer, feed_server


def busy_feed(latest: datetime, count: int = 40, every: timedelta = timedelta(minutes=30)) -> str:
    """A news feed that publishes two items an hour and shows its latest `count`."""
    items = "".join(
        f"<item><title>Meldung {n}</title><link>https://news.example/{n}</link>"
        f"<guid>https://news.example/{n}</guid><description>Text {n}</description>"
        f"<pubDate>{format_datetime(latest - n * every)}</pubDate></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Eilmeldungen</title>'
        f"<link>https://news.example/</link><description>busy</description>{items}</channel></rss>"
    )


def _config(tmp_path: Path, server: FeedServer) -> Path:
    # the shipped schedule: nothing of [schedule] is overridden
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[fetch]\nallow_private_hosts = ["127.0.0.1"]\n'
        f'[[feeds]]\nurl = "{server.url("/busy.xml")}"\n',
        encoding="utf-8",
    )
    return config


def _listed(config: Path) -> tuple[str, float]:
    """The rate column and the seconds from the last poll to the next, from `feeds list`."""
    listing = newsbot("--config", str(config), "feeds", "list")
    assert listing.returncode == 0, listing.stderr
    gap = re.search(r"\(\+(\d+) s\)", listing.stdout)
    rate = re.search(r"(\d+\.\d)/h", listing.stdout)
    assert gap and rate, listing.stdout
    return rate.group(1), float(gap.group(1))


def test_a_feed_publishing_two_items_an_hour_is_polled_again_within_five_minutes(tmp_path: Path) -> None:
    with feed_server() as server:
        server.serve("/busy.xml", busy_feed(datetime.now(UTC) - timedelta(minutes=10)))
        server.headers["/busy.xml"] = {"ETag": '"v1"'}
        config = _config(tmp_path, server)

        first = newsbot("--config", str(config), "run", "--once")
        assert first.returncode == 0, first.stderr
        rate, gap = _listed(config)
        assert 1.5 <= float(rate) <= 2.5
        assert gap <= 300  # not the hour the old schedule waited

        server.status["/busy.xml"] = 304  # nothing new: the answer to the conditional GET
        second = newsbot("--config", str(config), "run", "--once")
        assert second.returncode == 0, second.stderr
        assert len(server.requests) == 2
        rate, gap = _listed(config)
        assert 1.5 <= float(rate) <= 2.5
        assert gap <= 300
