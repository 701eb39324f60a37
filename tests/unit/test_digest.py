"""Digests: follow-ups fold into their story's line, edits bring sources, feed text stays text."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.chat.matrix_html import digest_html
from bot.chat.slack_blocks import digest_message
from bot.core.digest import Queued, build_digests, plain_digest
from bot.model import AlertContent, Figure

WHEN = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _alert(
    title: str, *, figure: str | None = None, sources: tuple[str, ...] = (), link: str | None = None
) -> AlertContent:
    shown = Figure(text=figure, value=1.0, unit=None) if figure else None
    return AlertContent("Nordkorea", title, link, "tagesschau", WHEN, 90.0, shown, None, sources=sources)


def test_followups_and_edits_fold_into_their_storys_line() -> None:
    rows = [
        Queued(1, "alert", None, _alert("Soldaten aus Nordkorea in Russland", figure="10.000 Soldaten")),
        Queued(2, "alert", None, _alert("Raketentest im Japanischen Meer")),
        Queued(3, "followup", 1, _alert("NATO bestätigt Entsendung", figure="12.000 Soldaten")),
        Queued(4, "edit", 1, _alert("x", sources=("tagesschau", "DW", "BBC"))),
        Queued(5, "followup", 99, _alert("Update zu einer älteren Meldung")),  # its parent went out earlier
        Queued(6, "edit", 98, _alert("y", sources=("a", "b"))),  # an edit of an older message
        Queued(7, "notice", None, notice="Feed https://example.org/feed paused after 5 failures"),
    ]
    (digest,) = build_digests(rows)
    assert digest.title == "News digest: 3 stories"
    first, second, third = digest.items
    assert first.headline == "Soldaten aus Nordkorea in Russland"
    assert first.updates == 1 and first.figure == "12.000 Soldaten"
    assert first.sources == "+2 sources: DW, BBC"
    assert second.updates == 0 and not second.followup
    assert third.followup and third.headline == "Update zu einer älteren Meldung"
    assert digest.notices == ("Feed https://example.org/feed paused after 5 failures",)
    text = plain_digest(digest)
    assert (
        "• [Nordkorea] Soldaten aus Nordkorea in Russland — 12.000 Soldaten (+1 update; +2 sources: DW, BBC)"
        in text
    )
    assert "↳ Update: [Nordkorea] Update zu einer älteren Meldung" in text


def test_a_long_digest_is_split_into_several_messages() -> None:
    rows = [Queued(i, "alert", None, _alert(f"Meldung {i}")) for i in range(1, 86)]
    digests = build_digests(rows, per_message=40)
    assert [len(d.items) for d in digests] == [40, 40, 5]
    assert build_digests([Queued(1, "edit", 7, _alert("x"))]) == []


def test_feed_text_in_a_digest_cannot_ping_link_or_inject_markup() -> None:
    evil = _alert("<!channel> @room <b>Eil</b> <https://evil.example|click>", link="javascript:alert(1)")
    (digest,) = build_digests([Queued(1, "alert", None, evil)])
    slack = digest_message(digest, "k")
    dumped = str(slack["blocks"]) + slack["text"]
    assert "<!channel>" not in dumped and "<https://evil" not in dumped
    assert "&lt;!channel&gt;" in dumped and "javascript:" not in dumped
    body, html = digest_html(digest)
    assert "<b>Eil</b>" not in html and "&lt;b&gt;Eil&lt;/b&gt;" in html
    assert "javascript:" not in html and "@room" in body


def test_a_digest_links_each_story_on_both_platforms() -> None:
    (digest,) = build_digests(
        [Queued(1, "alert", None, _alert("Gipfel", link="https://news.example/a?b=1&c=2"))]
    )
    sections = [b["text"]["text"] for b in digest_message(digest, "k")["blocks"] if b["type"] == "section"]
    assert sections == ["[Nordkorea] Gipfel <https://news.example/a?b=1&c=2|Read>"]
    assert '<a href="https://news.example/a?b=1&amp;c=2">Read</a>' in digest_html(digest)[1]
