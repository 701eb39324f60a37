"""Secrets given through the environment never reach the output: not in DEBUG logs of a full
`run --once` (alerts, a failing feed), not in `db upgrade` or `feeds list`, not in settings' reprs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import load_settings
from tests.e2e.test_run_once import _config, _seed_feed
from tests.feedserver import EMPTY_FEED, feed_server

# Variables the bot reads that hold secrets. Neither SLACK_BOT_TOKEN nor SLACK_CLIENT_ID is set and
# there is no Matrix homeserver, so no platform is started: the console delivers.
SECRETS = {
    "SLACK_CLIENT_SECRET": "sk-client-6f1d0c2e9a",
    "SLACK_SIGNING_SECRET": "sk-signing-8b3e51d7c4",
    "SLACK_APP_TOKEN": "xapp-1-A0-sk-app-4c7a9e",
    "NEWSBOT_MATRIX_PASSWORD": "sk-matrix-pw-2d9f6b",
    "NEWSBOT_MATRIX_ACCESS_TOKEN": "syt_sk-matrix-token-7e1a3c",
}


def _newsbot(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "SLACK_"))}
    env.update(SECRETS)
    env["NEWSBOT_LOG_LEVEL"] = "DEBUG"
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def _assert_no_secret(result: subprocess.CompletedProcess[str]) -> None:
    for name, secret in SECRETS.items():
        assert secret not in result.stdout, f"{name} printed on stdout"
        assert secret not in result.stderr, f"{name} logged on stderr"


def test_secrets_never_reach_the_output_of_a_debug_run(tmp_path: Path) -> None:
    with feed_server() as server:
        server.serve("/feed.xml", EMPTY_FEED)
        server.serve("/error.xml", "oops", status=500)
        config = _config(tmp_path, server, "/feed.xml", "/error.xml", topics=("Nordkorea",))
        runs = [_newsbot("--config", str(config), "-v", "db", "upgrade")]
        runs.append(_newsbot("--config", str(config), "-v", "run", "--once"))
        server.serve("/feed.xml", _seed_feed(datetime.now(UTC)))
        alerting = _newsbot("--config", str(config), "-v", "run", "--once")
        runs += [alerting, _newsbot("--config", str(config), "-v", "feeds", "list")]
    assert "Sabrina Singh" in alerting.stdout  # the run did deliver, with DEBUG logging on
    assert alerting.stderr.strip(), "a -v run logs something"
    for result in runs:
        assert result.returncode == 0, result.stderr
        _assert_no_secret(result)


def test_settings_repr_and_dump_hide_the_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, secret in SECRETS.items():
        monkeypatch.setenv(name, secret)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-sk-bot-token-5a8c")
    settings = load_settings()
    assert settings.slack_client_secret is not None
    assert settings.slack_client_secret.get_secret_value() == SECRETS["SLACK_CLIENT_SECRET"]
    assert settings.matrix_password is not None and settings.matrix_access_token is not None
    assert settings.matrix_password.get_secret_value() == SECRETS["NEWSBOT_MATRIX_PASSWORD"]
    shown = " ".join([repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())])
    for secret in (*SECRETS.values(), "xoxb-sk-bot-token-5a8c"):
        assert secret not in shown


def test_json_logs_are_one_object_per_line_with_the_feed_and_the_reason(tmp_path: Path) -> None:
    with feed_server() as server:
        server.serve("/error.xml", "oops", status=500)
        config = _config(tmp_path, server, "/error.xml", topics=("Nordkorea",))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "SLACK_"))}
        env.update(SECRETS, NEWSBOT_LOG_FORMAT="json")
        run = subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(config), "run", "--once"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stderr.splitlines() if line.strip()]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    failed = [r for r in records if r["level"] == "WARNING" and server.url("/error.xml") in r["message"]]
    assert failed and "500" in failed[0]["message"]
    _assert_no_secret(run)
