"""Alerts rendered for every platform from arbitrary feed text: nothing raises, and no feed can ping a
channel, add markup or links, or drive a terminal.

Every AlertContent field is drawn from arbitrary Unicode, news-shaped text and injection attempts
(`<!channel>`, `<!here>`, `<!everyone>`, `<@U123>`, `<http://evil|click>`, `<b>`, `@room`, `[bold]`).
"""

from __future__ import annotations

import asyncio
import html
import io
import json
import re
from html.parser import HTMLParser
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from bot.chat.console import ConsoleChat
from bot.chat.matrix import MatrixChat
from bot.chat.matrix_html import alert_html, notice_html, safe_link
from bot.chat.slack_blocks import alert_message, notice_message
from bot.core.payload import alert_from_dict, alert_to_dict
from bot.core.render import HEADLINE_LIMIT, QUOTE_LIMIT, Message, one_line, plain_text, render
from bot.model import AlertContent, Figure, Quote
from tests.property.strategies import alerts, feed_text

HOSTILE = AlertContent(
    topic="<!here> [bold]T[/bold]",
    title="<!channel> <b>x</b> @room [link=https://evil.example]click[/link] & \x1b]8;;http://e\x1b\\",
    link="javascript:alert(1)",
    source="<@U123>\n[red]fake line",
    published=None,
    score=91.0,
    figure=Figure(text="<http://evil.example|10.000> Soldaten", value=1e4),
    quote=Quote(text="</blockquote><script>x</script> @room", speaker="<!everyone>", role="\x07Sprecher"),
    relation="followup",
    sources=("a", "<!subteam^S1>", "@room"),
)
SHORT_WORDS = ("Nordkorea", "schickt", "10.000", "Soldaten", "<b>", "@room", "[bold]", "&")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _fields(message: Message) -> list[str]:
    return [
        v
        for v in (
            message.topic,
            message.headline,
            message.figure,
            message.quote,
            message.speaker,
            message.context,
            message.link,
            message.sources,
            message.lead,
        )
        if v is not None
    ]


# -- the neutral message ------------------------------------------------------------------------------


@given(alerts())
@example(HOSTILE)
def test_render_gives_one_line_fields_within_their_limits(alert: AlertContent) -> None:
    message = render(alert)
    assert len(message.headline) <= HEADLINE_LIMIT
    assert message.quote is None or len(message.quote) <= QUOTE_LIMIT
    for value in _fields(message):
        assert not CONTROL.search(value), value  # no line breaks, tabs, ESC, BEL, C1 codes
        assert value == one_line(value)
    expected = 2 + sum(bool(x) for x in (message.lead, message.figure, message.quote, message.sources))
    expected += bool(message.link)
    assert len(plain_text(message).splitlines()) == expected


@given(
    st.lists(
        st.sampled_from(["Nordkorea", "schickt", "10.000", "Soldaten", "<b>", "@room", "[bold]", "&"]),
        max_size=12,
    )
)
def test_a_short_headline_is_shown_as_written(words: list[str]) -> None:
    title = " ".join(words)
    alert = AlertContent("T", title, None, "s", None, 80.0, None, None)
    assert render(alert).headline == title


@given(alerts())
def test_payload_round_trip_keeps_what_render_shows(alert: AlertContent) -> None:
    data = json.loads(json.dumps(alert_to_dict(alert)))
    again = alert_from_dict(data)
    assert render(again) == render(alert)


# -- console --------------------------------------------------------------------------------------


def _console(alert: AlertContent, thread: str | None) -> str:
    stream = io.StringIO()
    chat = ConsoleChat(stream)
    asyncio.run(chat.send_alert("console", alert, key="k1", thread=thread))
    asyncio.run(chat.edit_alert("console", "console:k1", alert))
    return stream.getvalue()


@given(alerts(), st.sampled_from([None, "console:parent"]))
@example(HOSTILE, None)
def test_console_prints_feed_text_literally_and_never_as_rich_markup(
    alert: AlertContent, thread: str | None
) -> None:
    output = _console(alert, thread)
    message = render(alert)
    for value in _fields(message):
        assert value in output  # `[bold]`, `[link=…]`, `:smile:` shown as written, never interpreted
    assert "\x1b" not in output and "\x07" not in output  # a feed cannot drive the terminal


# -- Slack ----------------------------------------------------------------------------------------

_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def _slack_texts(value: Any) -> list[str]:
    """Every string Slack reads as message text: `text` fields at any depth."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_slack_texts(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_slack_texts(item))
    return found


def _assert_slack_safe(text: str) -> None:
    # `<` opens every Slack control sequence: <!channel>, <!here>, <@U123>, <http://x|y>
    assert "<" not in text, text
    assert not _ENTITY.search(text), text  # a bare `&` could complete `&lt;` from the feed's text
    # `>` only as the blockquote marker the renderer itself puts at a line's start
    for line in text.split("\n"):
        assert ">" not in (line[2:] if line.startswith("> ") else line), text


@given(alerts())
@example(HOSTILE)
def test_slack_blocks_and_fallback_carry_no_unescaped_control_characters(alert: AlertContent) -> None:
    payload = alert_message(render(alert), "k1")
    texts = _slack_texts(payload)
    assert texts
    for text in texts:
        _assert_slack_safe(text)
    for block in payload["blocks"]:
        for element in block.get("elements", ()):
            if "url" in element:
                assert element["url"].startswith(("http://", "https://"))
                assert not any(c in element["url"] for c in "<>| \n")
            if "value" in element:
                json.loads(element["value"])


@given(alerts())
def test_slack_header_shows_a_short_headline_as_written(alert: AlertContent) -> None:
    message = render(alert)
    header = alert_message(message, "k1")["blocks"][0]["text"]["text"]
    shown = html.unescape(header)
    if len(message.headline) + min(len(message.topic), 50) < 90:
        assert message.headline in shown


@given(feed_text)
def test_slack_notices_are_escaped_too(text: str) -> None:
    for part in _slack_texts(notice_message(text, "k1")):
        _assert_slack_safe(part)


# -- Matrix ---------------------------------------------------------------------------------------

ALLOWED_TAGS = {"p", "b", "i", "strong", "blockquote", "br", "a"}


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.data: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.data.append(data)


def _parse(fragment: str) -> _Collect:
    parser = _Collect()
    parser.feed(fragment)
    parser.close()
    return parser


@given(alerts())
@example(HOSTILE)
def test_matrix_html_has_only_our_tags_and_feed_text_as_text(alert: AlertContent) -> None:
    message = render(alert)
    body, formatted = alert_html(message)
    parsed = _parse(formatted)
    link = safe_link(message.link)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, (tag, formatted)
        if tag == "a":
            assert attrs == [("href", link)] and link is not None
            assert link.lower().startswith(("http://", "https://"))
        else:
            assert attrs == []
    text = "".join(parsed.data)
    for value in _fields(message):
        if value != message.link:
            assert value in text  # `<b>` from a feed is shown as `<b>`, not parsed as a tag
    assert body == plain_text(message)


@given(feed_text)
def test_matrix_notices_have_no_tags_but_line_breaks(text: str) -> None:
    parsed = _parse(notice_html(text))
    assert {tag for tag, _ in parsed.tags} <= {"br"}


def _matrix_contents(alert: AlertContent, thread: str | None) -> list[dict[str, Any]]:
    chat = MatrixChat.__new__(MatrixChat)  # only the content is under test: no client, no homeserver
    sent: list[dict[str, Any]] = []

    async def send(room_id: str, content: dict[str, Any], *, tx_id: str) -> str:
        sent.append(content)
        return f"$event{len(sent)}"

    chat._send = send  # type: ignore[method-assign]
    asyncio.run(chat.send_alert("matrix:!room:example.org", alert, key="k1", thread=thread))
    return sent


@given(alerts(), st.sampled_from([None, "$parent"]))
@example(HOSTILE, None)
def test_matrix_alerts_mention_nobody(alert: AlertContent, thread: str | None) -> None:
    """`@room` in a feed must not notify the room: every event says it mentions no one."""
    for content in _matrix_contents(alert, thread):
        assert content["m.mentions"] == {}
