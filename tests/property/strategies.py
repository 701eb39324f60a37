"""Hypothesis strategies for feed text: arbitrary Unicode, news-shaped text and hostile markup."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import strategies as st

from bot.model import AlertContent, Article, Evidence, Figure, Quote

# Every code point a decoded feed can hold (surrogates cannot be encoded, so no feed carries them).
CHARS = st.characters(codec="utf-8")

# Pieces of real news text and of the things an attacker or a broken feed puts in it.
FRAGMENTS = (
    # quotation marks of both languages, nested and unbalanced
    "„",
    "“",
    "”",
    '"',
    "»",
    "«",
    "‚",
    "‘",
    "’",
    "'",
    "…",
    # numbers by locale, with what they count
    "10.000",
    "10,000",
    "3,5",
    "3.5",
    "2 Mrd.",
    "1,2 Millionen",
    "30.6bn",
    "5km",
    "3%",
    "€",
    "$",
    "US$",
    "Prozent",
    "percent",
    "Euro",
    "Soldaten",
    "soldiers",
    "etwa",
    "mehr als",
    "about",
    "bis",
    "to",
    "1.000.000",
    "0,5",
    "1e9",
    "2024",
    "12:30",
    "1.",
    "99,9 %",
    # speakers, roles, speech verbs
    "sagte",
    "said",
    "so",
    "erklärte",
    "told",
    "according to",
    "Sabrina Singh",
    "Rutte",
    "Scholz",
    "die stellvertretende Pentagon-Sprecherin",
    "Bundeskanzler",
    "Dr.",
    "Mr.",
    "er",
    "she",
    ":",
    "Nordkorea",
    "North Korea",
    "Südkorea",
    "Raketen",
    "Iran",
    "Iranian",
    "Ukraine",
    "Ostukraine",
    "Müller",
    "Mueller",
    "MÜLLER",
    "Straße",
    "der",
    "die",
    "the",
    "and",
    "und",
    # punctuation, separators, whitespace of every kind
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    ".",
    ". ",
    "!",
    "?",
    ",",
    ";",
    "-",
    "–",
    "—",
    "|",
    "+",
    "~",
    "(",
    ")",
    "[",
    "]",
    "\u00a0",
    "\u2009",
    "\u202f",
    "\u2028",
    "\u2029",
    "\x85",
    "\x0b",
    "\x1c",
    # invisible and combining characters, direction marks
    "\u200b",
    "\u00ad",
    "\ufeff",
    "\u2060",
    "\u0308",
    "\u0301",
    "\u200e",
    "\u202e",
    # markup and pings, for every platform
    "<",
    ">",
    "&",
    "&amp;",
    "&lt;",
    "&#60;",
    "<b>",
    "</b>",
    "<script>alert(1)</script>",
    '<a href="https://evil.example">click</a>',
    "<img src=x onerror=alert(1)>",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C123>",
    "<!subteam^S123>",
    "<http://evil.example|click>",
    "@room",
    "@channel",
    "@here",
    "@everyone",
    "@alice:example.org",
    "[bold]",
    "[/]",
    "[link=https://evil.example]x[/link]",
    "[red]",
    ":smile:",
    "*",
    "_",
    "~",
    "`",
    "javascript:alert(1)",
    "https://evil.example/?a=1&b=2",
    "\x1b[31m",
)

fragment_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(CHARS, max_size=4), max_size=40).map("".join)
# Arbitrary Unicode and news-shaped text, half and half.
any_text = st.text(CHARS, max_size=200) | fragment_text
short_text = st.text(CHARS, max_size=30) | st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join)
langs = st.sampled_from(["de", "en"])

INJECTIONS = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<http://evil.example|click>",
    "<b>bold</b>",
    "<script>alert(1)</script>",
    "@room",
    "[bold]x[/bold]",
    "[link=https://evil.example]click[/link]",
)
# Text that certainly holds at least one injection attempt somewhere.
hostile_text = st.builds(
    lambda before, bad, after: before + bad + after, short_text, st.sampled_from(INJECTIONS), short_text
)
feed_text = any_text | hostile_text


@st.composite
def articles(draw: st.DrawFn) -> Article:
    return Article(
        title=draw(feed_text),
        summary=draw(feed_text),
        text=draw(feed_text | quoted_text()),
        lang=draw(st.sampled_from([None, "de", "en", "fr", ""])),
    )


dates = st.none() | st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
finite = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def alerts(draw: st.DrawFn) -> AlertContent:
    """An alert in which every piece of text is untrusted feed text."""
    figure = draw(
        st.none()
        | st.builds(
            Figure,
            text=feed_text,
            value=finite,
            unit=st.none() | feed_text,
            approx=st.none() | short_text,
        )
    )
    quote = draw(
        st.none()
        | st.builds(
            Quote,
            text=feed_text,
            speaker=st.none() | feed_text,
            role=st.none() | feed_text,
            fragment=st.booleans(),
        )
    )
    evidence = draw(
        st.lists(
            st.builds(
                Evidence,
                alias=short_text,
                word=feed_text,
                field=st.sampled_from(["title", "summary", "text"]),
                score=st.floats(0, 100),
            ),
            max_size=4,
        )
    )
    return AlertContent(
        topic=draw(feed_text),
        title=draw(feed_text),
        link=draw(
            st.none() | feed_text | st.sampled_from(["https://news.example/a?b=1&c=2", "http://x.y/<z>"])
        ),
        source=draw(feed_text),
        published=draw(dates),
        score=draw(st.floats(0, 100)),
        figure=figure,
        quote=quote,
        evidence=tuple(evidence),
        relation=draw(st.sampled_from(["new", "same", "followup"])),
        sources=tuple(draw(st.lists(feed_text, max_size=8))),
        updated=draw(dates),
        broadcast=draw(st.booleans()),
    )


QUOTE_PAIRS = (("„", "“"), ("„", "”"), ('"', '"'), ("“", "”"), ("»", "«"), ("«", "»"), ("‚", "‘"), ("‘", "’"))
NEWS_WORDS = (
    "Wir gehen davon aus dass Nordkorea etwa 10.000 Soldaten geschickt hat We expect North Korea to send "
    "3,5 Prozent mehr 2 Mrd. Euro Raketen the and said sagte <!here> @room <b>x</b> [bold] & ’s"
)
WORDS = st.sampled_from(NEWS_WORDS.split(" "))
sentence_words = st.lists(WORDS | short_text, min_size=1, max_size=14).map(" ".join)
ATTRIBUTIONS = (
    ", sagte die stellvertretende Pentagon-Sprecherin Sabrina Singh.",
    ", said Smith.",
    ' Smith said. "',
    ", so Rutte.",
    ", warnte er.",
    ".",
    "",
    ", according to <!channel>.",
)


@st.composite
def quoted_text(draw: st.DrawFn) -> str:
    """Text with quotations in it: marks of every kind around news words, with attributions."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        opener, closer = draw(st.sampled_from(QUOTE_PAIRS))
        before = draw(st.sampled_from(["", "Bundeskanzler Scholz: ", "He said: ", "Er sagte, "]) | short_text)
        parts.append(
            before
            + opener
            + draw(sentence_words)
            + draw(st.sampled_from(["", ",", ".", "!"]))
            + closer
            + draw(st.sampled_from(ATTRIBUTIONS))
            + draw(st.sampled_from([" ", "\n", " Dann ", ""]))
        )
    return "".join(parts)


news_text = feed_text | quoted_text()
