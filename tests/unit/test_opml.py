"""OPML import/export: a reader's export comes in, ours goes back out, hostile files are refused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import ParseError
from bot.ingest.opml import OpmlFeed, parse_opml, write_opml

READER_EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="Nachrichten" title="Nachrichten">
      <outline type="rss" text="tagesschau.de" title="tagesschau.de"
               xmlUrl="https://www.tagesschau.de/xml/rss2/" htmlUrl="https://www.tagesschau.de/"/>
      <outline text="Welt">
        <outline type="rss" text="BBC News &#8211; World" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
      </outline>
    </outline>
    <outline type="rss" text="heise online" xmlurl="https://www.heise.de/rss/heise-atom.xml"
             category="/Tech"/>
    <outline type="rss" text="Podcast" xmlUrl="feed://example.com/podcast.xml"/>
    <outline type="rss" text="Local file" xmlUrl="file:///etc/passwd"/>
    <outline type="rss" text="Old mirror" xmlUrl="ftp://ftp.example.org/news.rss"/>
    <outline type="rss" text="again" xmlUrl="https://www.tagesschau.de/xml/rss2/"/>
  </body>
</opml>
"""


def test_reader_export_is_imported_with_folders_as_categories() -> None:
    feeds = parse_opml(READER_EXPORT)
    assert feeds == [
        OpmlFeed("https://www.tagesschau.de/xml/rss2/", "tagesschau.de", "Nachrichten"),
        OpmlFeed("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC News – World", "Nachrichten/Welt"),
        OpmlFeed("https://www.heise.de/rss/heise-atom.xml", "heise online", "Tech"),
        OpmlFeed("http://example.com/podcast.xml", "Podcast", None),
    ]


def test_export_then_import_gives_the_same_feeds() -> None:
    feeds = [
        OpmlFeed("https://www.tagesschau.de/xml/rss2/", "tagesschau.de", "Nachrichten"),
        OpmlFeed(
            "https://feeds.bbci.co.uk/news/world/rss.xml", 'BBC "World" <News> & more', "Nachrichten/Welt"
        ),
        OpmlFeed("https://example.com/feed?a=1&b=2", None, None),
    ]
    text = write_opml(feeds)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    back = parse_opml(text.encode())
    assert back == [
        feeds[0],
        feeds[1],
        OpmlFeed("https://example.com/feed?a=1&b=2", "https://example.com/feed?a=1&b=2", None),
    ]


def test_entity_expansion_bomb_is_refused_quickly() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
  <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<opml version="2.0"><body><outline text="&g;" xmlUrl="https://example.com/feed"/></body></opml>"""
    started = time.perf_counter()
    with pytest.raises(ParseError, match="entities"):
        parse_opml(bomb)
    assert time.perf_counter() - started < 1


def test_external_entities_are_never_loaded() -> None:
    xxe = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&secret;" xmlUrl="https://example.com/feed"/></body></opml>"""
    with pytest.raises(ParseError):
        parse_opml(xxe)


@pytest.mark.parametrize("data", [b"", b"<html><body>hi</body></html>", b"<opml><body><outline"])
def test_not_opml_is_a_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError, match="OPML"):
        parse_opml(data)


def test_empty_opml_has_no_feeds() -> None:
    assert parse_opml(b'<opml version="2.0"><head/><body/></opml>') == []
    assert parse_opml(write_opml([]).encode()) == []


def test_import_then_export_through_the_store_keeps_titles_and_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "reader.opml"
    source.write_bytes(READER_EXPORT)
    assert main(["feeds", "import", str(source)]) == 0
    capsys.readouterr()
    assert main(["feeds", "export"]) == 0
    exported = parse_opml(capsys.readouterr().out.encode())
    assert exported == parse_opml(READER_EXPORT)  # titles and (nested) folders survive the store


def test_import_says_which_entries_it_skipped_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "reader.opml"
    source.write_bytes(READER_EXPORT)
    assert main(["feeds", "import", str(source)]) == 0
    out = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert out[0] == f"imported 4 new feeds from {source} (0 already present, 3 skipped)"
    assert out[1:] == [
        "  skipped “Local file” <file:///etc/passwd>: not an http or https URL",
        "  skipped “Old mirror” <ftp://ftp.example.org/news.rss>: not an http or https URL",
        "  skipped “again” <https://www.tagesschau.de/xml/rss2/>: listed twice",
    ]
