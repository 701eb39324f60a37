"""`newsbot serve` against forged and malformed requests to /slack/events: a 4xx each, never a traceback."""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.feedserver import feed_server
from tests.integration.test_slack_serve import newsbot_serve
from tests.slack_standin import SIGNING_SECRET, slack_standin, slash_command

FORM = "application/x-www-form-urlencoded"


def signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": FORM, **headers}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_forged_oversized_and_malformed_requests_get_4xx_and_the_bot_goes_on(tmp_path: Path) -> None:
    with slack_standin() as standin, feed_server() as feeds:
        standin.add_channel("C0NEWS")
        with newsbot_serve(tmp_path, standin, feeds) as url:
            command = slash_command("list", response_url=standin.response_url("list")).encode()
            cases = {
                "bad signature, non-numeric timestamp": (
                    command,
                    {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=" + "0" * 64},
                ),
                "bad signature, timestamp not ASCII digits": (
                    command,
                    {"X-Slack-Request-Timestamp": "¹²³", "X-Slack-Signature": "v0=00"},
                ),
                "unsigned body over 1 MB": (b"text=" + b"a" * 1_200_000, {}),
                "unsigned non-UTF-8 body": (b"text=\xff\xfe\xfd", {}),
                "signed non-UTF-8 body": (b"text=\xff\xfe\xfd", signed(b"text=\xff\xfe\xfd")),
                "signed payload=[1]": (b"payload=%5B1%5D", signed(b"payload=%5B1%5D")),
                "signed payload that is not JSON": (b"payload=oops", signed(b"payload=oops")),
            }
            statuses = {name: post(url, body, headers) for name, (body, headers) in cases.items()}
            assert post(url, command, signed(command)) == 200  # a real command still works after all that
            standin.wait_for(lambda: standin.responses or None, what="the answer to /news list")
        # newsbot_serve asserts on exit that its log holds no traceback
    assert statuses == {
        "bad signature, non-numeric timestamp": 401,
        "bad signature, timestamp not ASCII digits": 401,
        "unsigned body over 1 MB": 400,
        "unsigned non-UTF-8 body": 401,
        "signed non-UTF-8 body": 400,
        "signed payload=[1]": 400,
        "signed payload that is not JSON": 400,
    }
    assert [r["name"] for r in standin.responses] == ["list"]  # no refused request reached a listener
    log = (tmp_path / "serve.log").read_text()
    assert log.count("(400): request body too large") == 1
    assert log.count("(400): request body is not UTF-8") == 1
    assert log.count("(400): malformed request body") == 2
    assert log.count("(401): invalid or missing signature") >= 3  # and the start-up probes
