"""Operations on the serve port: /healthz, /metrics, and a graceful stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.test_run_once import _config, _seed_feed
from tests.feedserver import EMPTY_FEED, feed_server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_serve_reports_health_and_metrics_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    with feed_server() as server:
        server.serve("/feed.xml", EMPTY_FEED)
        config = _config(tmp_path, server, "/feed.xml", topics=("Nordkorea",))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "SLACK_"))}
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "serve", "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            deadline = time.monotonic() + 60
            health: dict[str, object] = {}
            while time.monotonic() < deadline:
                try:
                    status, body = _get(f"http://127.0.0.1:{port}/healthz")
                except OSError:
                    time.sleep(0.3)
                    continue
                health = json.loads(body)
                if status == 200 and health.get("last_successful_poll"):
                    break
                time.sleep(0.3)
            assert health.get("status") == "ok", health
            assert health["store"] is True and health["scheduler"] is True

            server.serve("/feed.xml", _seed_feed(datetime.now(UTC)))
            deadline = time.monotonic() + 60
            metrics = ""
            while time.monotonic() < deadline:
                metrics = _get(f"http://127.0.0.1:{port}/metrics")[1]
                if 'newsbot_deliveries_total{outcome="sent"} 1.0' in metrics:
                    break
                time.sleep(0.5)
            assert 'newsbot_deliveries_total{outcome="sent"} 1.0' in metrics
            assert 'newsbot_polls_total{outcome="ok"}' in metrics
            assert 'newsbot_outbox_alerts{status="sent"} 1.0' in metrics
            assert "newsbot_delivery_latency_seconds_count 1.0" in metrics
        finally:
            bot.send_signal(signal.SIGTERM)
            out, err = bot.communicate(timeout=60)
    assert bot.returncode == 0, err
    assert out.count("Sabrina Singh") >= 1
    assert "Traceback" not in err
