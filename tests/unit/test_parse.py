"""Feed parsing over the real feed corpus and the malformed-feed corpus (copies in tests/fixtures)."""

from __future__ import annotations

import asyncio
import csv
import json
import re
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.dates import parse_datetime
from bot.core.text import clean_text
from bot.errors import ParseError
from bot.ingest.parse import (
    broken_reason,
    fast_clean_text,
    html_to_text,
    normalize_link,
    parse_careful,
    parse_fast,
    parse_feed,
    parse_in_pool,
)
from bot.model import ParsedFeed

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FEEDS = FIXTURES / "feeds"
MALFORMED = FIXTURES / "feeds-malformed"
URL = "https://example.org/feed.xml"

REAL_FILES = sorted(p.relative_to(FEEDS).as_posix() for p in FEEDS.rglob("*.xml"))
MALFORMED_FILES = sorted(p.relative_to(MALFORMED).as_posix() for p in MALFORMED.rglob("*.xml"))


def _index() -> dict[str, list[dict[str, str]]]:
    items: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (FEEDS / "all_items_index.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            items[item["feed"]].append(item)
    return items


ITEMS = _index()
with (FEEDS / "INDEX.tsv").open(encoding="utf-8") as _handle:
    CHANNELS = {row["file"]: row for row in csv.DictReader(_handle, delimiter="\t", quoting=csv.QUOTE_NONE)}


def _parse(name: str, root: Path = FEEDS) -> ParsedFeed:
    return parse_feed((root / name).read_bytes(), URL)


def test_the_corpus_is_all_there() -> None:
    assert len(REAL_FILES) == 38
    assert len(MALFORMED_FILES) == 72
    assert set(REAL_FILES) == set(ITEMS) == set(CHANNELS)


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_feed_gives_the_right_entries(name: str) -> None:
    feed = _parse(name)
    expected = ITEMS[name]
    # Items repeated whole (al_monitor repeats several, guid and all) are one entry.
    assert len(feed.entries) == len({(item["title"], item["link"], item.get("date")) for item in expected})
    assert {e.link for e in feed.entries} == {item["link"] for item in expected}
    titles = {" ".join(clean_text(re.sub("<[^>]+>", "", item["title"])).split()) for item in expected}
    assert {e.title for e in feed.entries} == titles
    dates = {item["link"]: item.get("date") for item in expected}
    for entry in feed.entries:
        date = dates[entry.link or ""]
        assert entry.published == (parse_datetime(date) if date else None)
        if entry.published is not None:
            assert entry.published.tzinfo is not None and entry.published.utcoffset() == UTC.utcoffset(None)
        assert entry.summary or entry.text or entry.title
        assert "<" not in entry.title or ">" not in entry.title
        assert entry.lang in ("de", "en")
        assert entry.key
    assert len({e.key for e in feed.entries}) == len(feed.entries)
    channel = CHANNELS[name]["channel_title"]
    assert (feed.title or "").startswith(clean_text(channel)[:50])


@pytest.mark.parametrize("name", REAL_FILES)
def test_fast_and_careful_paths_give_the_same_entries(name: str) -> None:
    body = (FEEDS / name).read_bytes()
    chosen = parse_feed(body, URL)
    fast = parse_fast(body, URL) if broken_reason(body) is None else None
    careful = parse_careful(body, URL)
    if fast is not None and fast == chosen:
        # The fast path served this feed: feedparser must agree entry for entry.
        assert careful.entries == fast.entries
        assert (careful.title, careful.link, careful.lang, careful.ttl_seconds) == (
            fast.title,
            fast.link,
            fast.lang,
            fast.ttl_seconds,
        )
    else:
        assert chosen.entries == careful.entries


def test_most_real_feeds_take_the_fast_path() -> None:
    fast = 0
    for name in REAL_FILES:
        body = (FEEDS / name).read_bytes()
        if broken_reason(body) is None and parse_feed(body, URL) == parse_fast(body, URL):
            fast += 1
    assert fast >= 34


@pytest.mark.parametrize("name", MALFORMED_FILES)
def test_malformed_feed_is_parsed_or_reported_never_a_crash(name: str) -> None:
    body = (MALFORMED / name).read_bytes()
    try:
        feed = parse_feed(body, URL)
    except ParseError as error:
        assert str(error).startswith(f"{URL}: not a feed (")
        assert b"<item" not in body and b"<entry" not in body  # nothing usable was thrown away
        return
    for entry in feed.entries:
        assert entry.key
        assert entry.published is None or entry.published.tzinfo is not None


def _malformed(name: str) -> ParsedFeed:
    return _parse(name, MALFORMED)


def test_windows_1252_quotes_become_unicode() -> None:
    assert _malformed("feedparser/encoding_demoronize-1.xml").entries[0].summary == "don\u2019t"


def test_double_encoded_utf8_is_recovered_and_reported() -> None:
    feed = _malformed("feedparser/encoding_bozo_double-encoded-html.xml")
    assert feed.entries[0].summary == "\u2026"
    assert feed.problem is not None


def test_undeclared_encodings_are_guessed_and_reported() -> None:
    for name in ("feedparser/illformed_chardet_koi8r.xml", "feedparser/encoding_bozo_linenoise.xml"):
        feed = _malformed(name)
        assert feed.entries and feed.problem


def test_escaped_ampersands_in_links() -> None:
    entry = _malformed("feedparser/illformed_rss_item_link_corrupted_ampersands.xml").entries[0]
    assert entry.link == "http://link/get?a=1&b=2"


@pytest.mark.parametrize(
    "name",
    [
        "feedparser/wellformed_sanitize_entry_content_script.xml",
        "feedparser/wellformed_sanitize_entry_content_iframe.xml",
        "feedparser/wellformed_sanitize_entry_title_script_cdata.xml",
    ],
)
def test_scripts_and_frames_leave_no_text(name: str) -> None:
    entry = _malformed(name).entries[0]
    for text in (entry.title, entry.summary, entry.text):
        assert "location.href" not in text and "<" not in text and "example.com" not in text
    assert any(text.startswith("safe") for text in (entry.title, entry.summary, entry.text))


def test_latin9_feed_with_entities_in_cdata_keeps_its_umlauts() -> None:
    feed = _malformed("real_world/nachrichten_at_weltspiegel_2012-05-15_iso8859-15_lost_umlauts.xml")
    assert len(feed.entries) == 13
    assert feed.lang == "de"
    assert "holländischen Astronauten André Kuipers" in feed.entries[0].summary
    assert "„Living Planet Report“" in feed.entries[0].summary


def test_fastfeedparser_corpus_matches_its_expectations() -> None:
    for stem in ("malformed_rss_namespaced", "utf16_encoded"):
        expected = json.loads((MALFORMED / "fastfeedparser" / f"{stem}.expected.json").read_text())
        feed = _malformed(f"fastfeedparser/{stem}.xml")
        assert [e.title for e in feed.entries] == [e["title"] for e in expected["entries"]]
        assert [e.link for e in feed.entries] == [e["link"] for e in expected["entries"]]
        assert [e.published for e in feed.entries] == [
            datetime.fromisoformat(e["published"]) for e in expected["entries"]
        ]


def test_atom_0_3_with_escaped_cdata_gives_clean_text() -> None:
    feed = _malformed("real_world/feeddeck_tagesschau_atom03_escaped_cdata_2023-12-12.xml")
    assert len(feed.entries) == 2
    for entry in feed.entries:
        assert "CDATA" not in entry.text and "]]>" not in entry.text
        assert entry.text.startswith("Die ") or entry.text.startswith("Sie ")
        assert entry.published is not None


# --------------------------------------------------------------------------- documents written here

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel><title>Test &amp; Co</title><link>https://news.example/</link>{channel}
{items}
</channel></rss>"""


def rss(items: str, channel: str = "") -> bytes:
    return RSS.format(items=items, channel=channel).encode()


def item(
    title: str = "Nordkorea schickt Soldaten",
    guid: str | None = "id-1",
    link: str | None = "https://news.example/a?utm_source=rss&id=7#top",
    description: str = "Die Regierung in Pjöngjang hat weitere Soldaten geschickt.",
    content: str | None = None,
    date: str = "Tue, 12 Dec 2023 15:20:21 +0100",
) -> str:
    parts = [f"<title>{title}</title>", f"<pubDate>{date}</pubDate>"]
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if link is not None:
        parts.append(f"<link>{link.replace('&', '&amp;')}</link>")
    parts.append(f"<description><![CDATA[{description}]]></description>")
    if content is not None:
        parts.append(f"<content:encoded><![CDATA[{content}]]></content:encoded>")
    return "<item>" + "".join(parts) + "</item>"


def test_entry_fields_are_plain_text_with_paragraphs() -> None:
    content = "<h2>Lage</h2><p>Erster Absatz mit <b>fett</b>.</p><p>Zweiter<br>Teil</p><script>x()</script>"
    feed = parse_feed(rss(item(content=content, description="<p>Kurz &amp; <i>knapp</i></p>")), URL)
    entry = feed.entries[0]
    assert entry.text == "Lage\nErster Absatz mit fett.\nZweiter\nTeil"
    assert entry.summary == "Kurz & knapp"
    assert entry.title == "Nordkorea schickt Soldaten"
    assert entry.published == datetime(2023, 12, 12, 14, 20, 21, tzinfo=UTC)
    assert feed.title == "Test & Co"
    assert feed.link == "https://news.example/"


def test_identity_is_the_guid_and_survives_title_edits() -> None:
    first = parse_feed(rss(item()), URL).entries[0]
    edited = parse_feed(rss(item(title="Nordkorea schickt noch mehr Soldaten")), URL).entries[0]
    assert first.key == edited.key == "id-1"
    assert first.content_hash != edited.content_hash
    same = parse_feed(rss(item()), URL).entries[0]
    assert same.content_hash == first.content_hash


def test_without_guid_the_normalised_link_is_the_identity() -> None:
    a = parse_feed(rss(item(guid=None)), URL).entries[0]
    b = parse_feed(
        rss(item(guid=None, title="Neu", link="https://NEWS.example/a?id=7&fbclid=abc&utm_medium=x")), URL
    ).entries[0]
    assert a.key == b.key == "https://news.example/a?id=7"
    assert a.link == "https://news.example/a?utm_source=rss&id=7#top"  # the link itself is kept as sent


def test_without_guid_or_link_a_content_hash_is_the_identity() -> None:
    a = parse_feed(rss(item(guid=None, link=None)), URL).entries[0]
    b = parse_feed(rss(item(guid=None, link=None)), URL).entries[0]
    c = parse_feed(rss(item(guid=None, link=None, description="Anders")), URL).entries[0]
    assert a.key == b.key and a.key.startswith("hash:")
    assert c.key != a.key
    assert a.link is None


def test_text_edit_changes_the_content_hash() -> None:
    a = parse_feed(rss(item(content="<p>Eins</p><p>Zwei</p>")), URL).entries[0]
    b = parse_feed(rss(item(content="<p>Eins</p><p>Drei</p>")), URL).entries[0]
    assert a.key == b.key and a.content_hash != b.content_hash


def test_normalize_link_drops_tracking_and_fragment() -> None:
    assert (
        normalize_link("HTTPS://Example.com:443/x?utm_campaign=a&b=1&gclid=z#frag")
        == "https://example.com/x?b=1"
    )
    assert normalize_link("http://example.com") == "http://example.com/"


def test_relative_and_unsafe_links() -> None:
    feed = parse_feed(rss(item(link="/news/1") + item(guid="id-2", link="javascript:alert(1)")), URL)
    assert feed.entries[0].link == "https://example.org/news/1"
    assert feed.entries[1].link is None


def test_language_from_feed_else_detected() -> None:
    declared = parse_feed(rss(item(), channel="<language>de-DE</language>"), URL)
    assert declared.lang == "de" and declared.entries[0].lang == "de"
    english = item(
        title="Troops sent", description="The government said that it has sent more troops to the front."
    )
    assert parse_feed(rss(english), URL).entries[0].lang == "en"
    assert parse_feed(rss(item()), URL).entries[0].lang == "de"


def test_ttl_and_update_period_give_a_poll_lower_bound() -> None:
    assert parse_feed(rss(item(), channel="<ttl>30</ttl>"), URL).ttl_seconds == 1800
    hourly = "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"
    assert parse_feed(rss(item(), channel=hourly), URL).ttl_seconds == 1800
    assert parse_feed(rss(item()), URL).ttl_seconds is None


def test_bare_ampersand_and_html_entities_go_to_feedparser_and_keep_the_text() -> None:
    body = rss(item(title="Müller & Söhne &ndash; Bilanz", description="Gewinn &auml;hnlich wie 2022"))
    assert broken_reason(body) is not None
    entry = parse_feed(body, URL).entries[0]
    assert entry.title == "Müller & Söhne – Bilanz"


def test_latin1_declared_as_utf8_is_recovered() -> None:
    body = rss(item(title="Grüße aus Köln")).replace(
        "Grüße aus Köln".encode(), "Grüße aus Köln".encode("latin-1")
    )
    assert broken_reason(body) is not None
    feed = parse_feed(body, URL)
    assert feed.entries[0].title == "Grüße aus Köln"
    assert feed.problem is not None


def test_a_valid_feed_without_items_is_empty_not_an_error() -> None:
    feed = parse_feed(rss(""), URL)
    assert feed.entries == ()
    assert feed.title == "Test & Co"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><p>Hi</p></body></html>",
        b'{"not": "a feed"}',
        b"\x89PNG\r\n\x1a\n\x00\x00\x00",
        b"<rss version='2.0'><channel><title>cut off",
    ],
)
def test_not_a_feed_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match=r"^https://example\.org/feed\.xml: not a feed \("):
        parse_feed(body, URL)


def test_feedparser_never_reads_a_local_file_named_by_the_body() -> None:
    with pytest.raises(ParseError):
        parse_feed(str(FEEDS / REAL_FILES[0]).encode(), URL)


def test_html_to_text_breaks_blocks_before_stripping_tags() -> None:
    assert html_to_text("<p>a</p><p>b<br/>c</p><h2>d</h2>e") == "a\nb\nc\nd\ne"
    assert html_to_text("x <style>p{}</style><!-- c -->y") == "x y"


def test_parse_in_a_process_pool_off_the_event_loop() -> None:
    body = (FEEDS / "de/fastnewsreader_tagesschau_2026-04-25.xml").read_bytes()

    async def scenario() -> ParsedFeed:
        with ProcessPoolExecutor(max_workers=1) as pool:
            return await parse_in_pool(pool, body, URL)

    assert asyncio.run(scenario()) == parse_feed(body, URL)


def test_fast_clean_text_is_clean_text() -> None:
    """The parser's fast cleaner must give exactly what bot.core.text.clean_text gives."""
    import fastfeedparser

    samples = [
        "a\r\nb\rc\x0bd\x0ce\x1cf\x85g\u2028h\u2029i",
        "&#13;x&shy;y\u200b z\ufeff",
        " \u3000 x \u3000 ",
        "e\u0301 cafe\u0301",
        "&lt;b&gt; <b>x</b>  y\t\tz\u00a0\u2009w \u202f v",
        "  lead\n\n\n  trail  \n",
        "",
    ]
    for path in [*FEEDS.rglob("*.xml"), *MALFORMED.rglob("*.xml")]:
        try:
            parsed = fastfeedparser.parse(path.read_bytes())
        except Exception:
            continue
        for entry in parsed.entries:
            samples += [v for v in (entry.get("title"), entry.get("description")) if isinstance(v, str)]
            samples += [c.get("value") or "" for c in entry.get("content") or ()]
    assert len(samples) > 4000
    for sample in samples:
        assert fast_clean_text(sample) == clean_text(sample), sample[:200]
