"""Alerts as Matrix HTML: what a room shows, and that feed text can never become markup there."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

from bot.chat.matrix_html import alert_html, notice_html, safe_link
from bot.core.render import render
from bot.model import AlertContent, Evidence, Figure, Quote

PUBLISHED = datetime(2024, 10, 29, 5, 12, tzinfo=UTC)


def seed_alert(**changes: object) -> AlertContent:
    fields: dict[str, object] = {
        "topic": "Nordkorea",
        "title": "Offenbar 10.000 Soldaten aus Nordkorea in Russland",
        "link": "https://news.example/ausland/nordkorea-100.html?a=1&b=2",
        "source": "tagesschau",
        "published": PUBLISHED,
        "score": 92.0,
        "figure": Figure(text="etwa 10.000 Soldaten", value=10000.0, unit="Soldaten", approx="etwa"),
        "quote": Quote(
            text="Wir gehen davon aus, dass Nordkorea insgesamt etwa 10.000 Soldaten geschickt hat",
            speaker="Sabrina Singh",
            role="stellvertretende Pentagon-Sprecherin",
        ),
        "evidence": (Evidence(alias="Nordkorea", word="Nordkorea", field="title", score=100.0),),
    }
    fields.update(changes)
    return AlertContent(**fields)  # type: ignore[arg-type]


class _Tags(HTMLParser):
    """Collects the tags and attributes of a fragment, as a client would parse it."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(fragment: str) -> _Tags:
    parser = _Tags()
    parser.feed(fragment)
    parser.close()
    return parser


def test_an_alert_shows_headline_bold_figure_quote_with_speaker_and_the_link() -> None:
    body, formatted = alert_html(render(seed_alert()))
    assert "<strong>etwa 10.000 Soldaten</strong>" in formatted
    assert "<blockquote>" in formatted and "Wir gehen davon aus" in formatted
    assert "— Sabrina Singh, stellvertretende Pentagon-Sprecherin" in formatted
    assert '<a href="https://news.example/ausland/nordkorea-100.html?a=1&amp;b=2">' in formatted
    assert "Offenbar 10.000 Soldaten aus Nordkorea in Russland" in formatted
    # the plain body carries the same facts for notifications and text-only clients
    assert body.startswith("[Nordkorea] Offenbar 10.000 Soldaten")
    assert "Figure: etwa 10.000 Soldaten" in body and "Sabrina Singh" in body
    assert "https://news.example/ausland/nordkorea-100.html?a=1&b=2" in body


def test_feed_text_with_markup_is_shown_as_text_never_as_tags() -> None:
    evil = '<img src=x onerror="alert(1)"> @room <a href="https://evil.example">click</a> & "quoted"'
    alert = seed_alert(
        topic="<b>topic</b>",
        title=evil,
        source="<script>x</script>",
        figure=Figure(text="<i>5</i> Panzer", value=5.0),
        quote=Quote(text="</blockquote><h1>big</h1>", speaker='Eve "<u>"'),
    )
    body, formatted = alert_html(render(alert))
    tags = parsed(formatted)
    assert set(tags.tags) <= {"p", "b", "strong", "blockquote", "br", "a", "i"}
    assert "img" not in tags.tags and "script" not in tags.tags and "h1" not in tags.tags
    assert [v for k, v in tags.attrs if k == "href"] == [
        "https://news.example/ausland/nordkorea-100.html?a=1&b=2"
    ]
    shown = "".join(tags.text)
    assert evil in shown and "<script>x</script>" in shown and "</blockquote><h1>big</h1>" in shown
    assert "&quot;" in formatted and "&lt;img" in formatted
    assert evil in body  # the plain body is text already; clients never read it as HTML


def test_only_http_links_become_anchors() -> None:
    for bad in ("javascript:alert(1)", "data:text/html,<b>x</b>", "https://ok.example/a b", "http://"):
        _body, formatted = alert_html(render(seed_alert(link=bad)))
        assert "<a " not in formatted, bad
        assert safe_link(bad) is None
    assert safe_link("HTTPS://news.example/x") == "HTTPS://news.example/x"


def test_a_followup_is_marked_and_says_what_is_new() -> None:
    _body, formatted = alert_html(render(seed_alert(relation="followup")))
    assert formatted.startswith("<p>↳ ")
    assert "Update: new figure etwa 10.000 Soldaten" in formatted


def test_an_alert_without_figure_quote_or_link_still_reads_well() -> None:
    body, formatted = alert_html(render(seed_alert(figure=None, quote=None, link=None)))
    assert "Figure" not in formatted and "<blockquote>" not in formatted and "<a " not in formatted
    assert "tagesschau · 29.10.2024 05:12 UTC · match 92 (Nordkorea)" in formatted
    assert body.splitlines()[-1] == "tagesschau · 29.10.2024 05:12 UTC · match 92 (Nordkorea)"


def test_sources_appear_once_other_outlets_report_the_story() -> None:
    alert = seed_alert(sources=("tagesschau", "AP News", "ZDF"))
    body, formatted = alert_html(render(alert))
    assert "+2 sources: AP News, ZDF" in formatted and "+2 sources: AP News, ZDF" in body


def test_notices_keep_lines_and_escape_everything() -> None:
    assert notice_html('a <b>\n@room & "x"') == "a &lt;b&gt;<br>@room &amp; &quot;x&quot;"
