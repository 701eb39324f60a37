"""The whole pipeline through the CLI: a feed on a local HTTP server, alerts on the console."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from tests.conftest import FIXTURES
from tests.feedserver import EMPTY_FEED, FeedServer, feed_server


def _seed_feed(published: datetime) -> str:
    document = (FIXTURES / "seed-feed.xml").read_text(encoding="utf-8")
    return document.replace("Tue, 29 Oct 2024 06:12:00 +0100", format_datetime(published))


def _config(tmp_path: Path, server: FeedServer, *feeds: str, topics: tuple[str, ...]) -> Path:
    lines = [
        f'data_dir = "{tmp_path / "data"}"',
        "[fetch]",
        'allow_private_hosts = ["127.0.0.1"]',
        "timeout_seconds = 5",
        "full_text_below_chars = 0",  # no article pages: the items link to hosts that do not exist
        "[schedule]",
        "tick_seconds = 1",
        "min_interval_seconds = 1",
    ]
    for path in feeds:
        lines += ["[[feeds]]", f'url = "{server.url(path)}"']
    for topic in topics:
        lines += ["[[subscriptions]]", 'channel = "console"', f'topic = "{topic}"']
    config = tmp_path / "newsbot.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def newsbot(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_seed_feed_alerts_once_for_the_topic_it_is_about(tmp_path: Path) -> None:
    with feed_server() as server:
        server.serve("/feed.xml", EMPTY_FEED)
        config = _config(tmp_path, server, "/feed.xml", topics=("Nordkorea", "Klimawandel"))

        first = newsbot("--config", str(config), "run", "--once")
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip() == ""

        server.serve("/feed.xml", _seed_feed(datetime.now(UTC)))
        second = newsbot("--config", str(config), "run", "--once")
        assert second.returncode == 0, second.stderr
        out = second.stdout
        assert out.count("Offenbar 10.000 Soldaten aus Nordkorea in Russland") == 1
        assert "[Nordkorea]" in out and "[Klimawandel]" not in out
        assert "10.000 Soldaten" in out
        assert "Wir gehen davon aus, dass Nordkorea" in out
        assert "Sabrina Singh" in out

        third = newsbot("--config", str(config), "run", "--once")
        assert third.returncode == 0, third.stderr
        assert third.stdout.strip() == ""


def test_first_poll_stores_the_backlog_without_alerting(tmp_path: Path) -> None:
    with feed_server() as server:
        server.serve("/feed.xml", _seed_feed(datetime.now(UTC)))
        config = _config(tmp_path, server, "/feed.xml", topics=("Nordkorea",))
        first = newsbot("--config", str(config), "run", "--once")
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip() == ""  # existing entries of a new feed are history, not news


def test_broken_feeds_are_reported_and_the_others_still_alert(tmp_path: Path) -> None:
    with feed_server() as server:
        for path in ("/good.xml", "/broken.xml", "/error.xml", "/empty.xml"):
            server.serve(path, EMPTY_FEED)
        config = _config(
            tmp_path,
            server,
            "/good.xml",
            "/broken.xml",
            "/error.xml",
            "/empty.xml",
            "/missing.xml",
            topics=("Nordkorea",),
        )
        assert newsbot("--config", str(config), "run", "--once").returncode == 0
        server.serve("/good.xml", _seed_feed(datetime.now(UTC)))
        server.serve("/broken.xml", "<html><body>This is not a feed</body></html>")
        server.serve("/error.xml", "oops", status=500)
        server.serve("/empty.xml", "")
        run = newsbot("--config", str(config), "run", "--once")
        assert run.returncode == 0, run.stderr
        assert "Sabrina Singh" in run.stdout
        assert "Traceback" not in run.stderr
        for path in ("/broken.xml", "/error.xml", "/empty.xml", "/missing.xml"):
            assert server.url(path) in run.stderr, f"{path} failure not reported:\n{run.stderr}"
        listing = newsbot("--config", str(config), "feeds", "list")
        assert listing.returncode == 0, listing.stderr
        assert "500" in listing.stdout and "404" in listing.stdout


def test_unreachable_feed_and_missing_config_are_one_line_each(tmp_path: Path) -> None:
    missing = newsbot("--config", str(tmp_path / "nope.toml"), "run", "--once")
    assert missing.returncode != 0
    assert missing.stderr.strip().count("\n") == 0 and "config file not found" in missing.stderr

    config = tmp_path / "dead.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        '[fetch]\nallow_private_hosts = ["127.0.0.1"]\ntimeout_seconds = 3\n'
        '[[feeds]]\nurl = "http://127.0.0.1:9/feed.xml"\n'
    )
    run = newsbot("--config", str(config), "run", "--once")
    assert run.returncode == 0
    assert "http://127.0.0.1:9/feed.xml" in run.stderr and "Traceback" not in run.stderr
