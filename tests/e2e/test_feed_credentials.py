"""A feed URL's user name and password never show: not in logs, notices, `feeds list` or `/news feeds`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.chat.commands import CommandContext, CommandHandler
from bot.store.db import Store
from tests.e2e.test_run_once import newsbot
from tests.feedserver import feed_server

SECRET = "s3cr3t-pass"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_credentials_in_a_failing_feed_url_reach_no_log_notice_or_listing(tmp_path: Path) -> None:
    with feed_server() as server:
        server.serve("/private.xml", "down", status=500)
        url = server.url("/private.xml").replace("http://", f"http://reader:{SECRET}@")
        config = tmp_path / "newsbot.toml"
        config.write_text(
            "\n".join(
                [
                    f'data_dir = "{tmp_path / "data"}"',
                    "[fetch]",
                    'allow_private_hosts = ["127.0.0.1"]',
                    "timeout_seconds = 5",
                    "[schedule]",
                    "max_failures = 1",  # the first failure pauses the feed and tells the channel
                    "[[feeds]]",
                    f'url = "{url}"',
                    "[[subscriptions]]",
                    'channel = "console"',
                    'topic = "NATO"',
                ]
            )
            + "\n",
            encoding="utf-8",
        )
        run = newsbot("--config", str(config), "--verbose", "run", "--once")
        listing = newsbot("--config", str(config), "feeds", "list")
        assert server.requests == ["/private.xml"]  # the feed was polled (with its credentials)
    assert run.returncode == 0, run.stderr
    assert "I paused the feed" in run.stdout  # the notice reached the console
    assert "500" in run.stderr  # the failure was logged
    assert listing.returncode == 0, listing.stderr
    for shown in (run.stdout, run.stderr, listing.stdout, listing.stderr):
        assert SECRET not in shown and "reader:" not in shown
    assert "http://***@127.0.0.1" in run.stdout and "http://***@127.0.0.1" in listing.stdout


def test_news_feeds_redacts_credentials_and_shows_another_workspace_only_hosts(sqlite_store: Store) -> None:
    sqlite_store.add_feed(f"https://reader:{SECRET}@feeds.example.org/private/rss?token=abc", "Private", NOW)
    sqlite_store.add_feed("https://www.tagesschau.de/index~rss2.xml", None, NOW)
    handler = CommandHandler(sqlite_store)

    single = handler.handle("feeds", CommandContext(channel="slack:C1", user="U1", now=NOW)).text
    assert SECRET not in single and "reader" not in single
    assert "<https://***@feeds.example.org/private/rss?token=abc>" in single
    assert "https://www.tagesschau.de/index~rss2.xml" in single

    oauth = handler.handle("feeds", CommandContext(channel="slack:C9@T2", user="U9", now=NOW)).text
    assert "shared by every workspace" in oauth
    assert "<https://feeds.example.org>" in oauth and "<https://www.tagesschau.de>" in oauth
    assert SECRET not in oauth and "token=abc" not in oauth and "/private" not in oauth

    added = handler.handle(
        f"feeds add https://u:{SECRET}@other.example.org/f", CommandContext("slack:C1", "U1", NOW)
    )
    assert added.ok and SECRET not in added.text and "https://***@other.example.org/f" in added.text
