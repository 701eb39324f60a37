"""`newsbot preview` shows an article's alert as the console, Slack and Matrix would show it."""

from __future__ import annotations

import json

from tests.conftest import FIXTURES
from tests.e2e.test_run_once import newsbot


def test_preview_of_the_seed_renders_every_platform() -> None:
    run = newsbot("preview", "--topic", "Nordkorea", str(FIXTURES / "seed-article-de.txt"))
    assert run.returncode == 0, run.stderr
    console, rest = run.stdout.split("── Slack chat.postMessage", 1)
    slack_json, matrix_json = rest.split("── Matrix m.room.message", 1)
    assert "Figure: 10.000 Soldaten" in console and "Sabrina Singh" in console
    slack = json.loads(slack_json[slack_json.index("{") :])
    assert slack["unfurl_links"] is False and slack["blocks"][0]["type"] == "header"
    matrix = json.loads(matrix_json[matrix_json.index("{") :])
    assert "<strong>10.000 Soldaten</strong>" in matrix["formatted_body"] and matrix["m.mentions"] == {}


def test_preview_says_when_the_article_would_not_alert() -> None:
    run = newsbot("preview", "--topic", "Klimawandel", str(FIXTURES / "seed-article-de.txt"))
    assert run.returncode == 0, run.stderr
    assert "would not alert for “Klimawandel”" in run.stdout


def test_preview_refuses_a_private_address_url() -> None:
    run = newsbot("preview", "--topic", "Nordkorea", "http://127.0.0.1:9/article.html")
    assert run.returncode != 0
    assert "Traceback" not in run.stderr and "127.0.0.1" in run.stderr
