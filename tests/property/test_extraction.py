"""Quotes, figures and key points over arbitrary Unicode: nothing raises, offsets point into the text,
the key quote and key figure are among the candidates."""

from __future__ import annotations

import math

from hypothesis import example, given
from hypothesis import strategies as st

from bot.core.figures import figure_kind, find_figures, parse_number
from bot.core.keypoints import extract_keypoints
from bot.core.matching import parse_topic
from bot.core.quotes import find_quotes
from bot.model import Article, TopicQuery
from tests.property.strategies import any_text, articles, langs, news_text

topic_or_none = st.none() | st.sampled_from(
    ["Nordkorea | North Korea", "Iran", "Müller", "Ukraine +Raketen", "Soldaten"]
).map(parse_topic)


@given(news_text, langs)
def test_quotes_start_where_their_words_stand(text: str, lang: str) -> None:
    last = -1
    for quote in find_quotes(text, lang):
        assert quote.text and quote.text == quote.text.strip()
        assert 0 <= quote.start < len(text)
        assert quote.start >= last
        last = quote.start
        # the quote's first words stand at its offset (a quote split by its attribution is joined,
        # so only its first part is there verbatim)
        assert text[quote.start :].lstrip().startswith(quote.text[:1])
        for part in (quote.speaker, quote.role):
            assert part is None or part.strip()


@given(news_text, langs)
@example("€\r\n0", "de")
@example("£\n0 Soldaten", "en")
@example("9" * 400 + " Soldaten", "de")
@example("9" * 300 + " Billionen Euro", "de")
@example("1.000." + "000." * 110 + "000 Euro", "de")
def test_figures_read_as_they_stand_in_the_text(text: str, lang: str) -> None:
    last = -1
    for figure in find_figures(text, lang):
        assert 0 <= figure.start < len(text)
        assert text[figure.start : figure.start + len(figure.text)] == figure.text
        assert figure.start >= last
        last = figure.start
        assert math.isfinite(figure.value)
        assert figure_kind(figure)


@given(any_text, langs)
@example("¹", "de")
@example("3,5²", "de")
@example("9" * 400, "en")
def test_parse_number_is_a_finite_number_or_none(token: str, lang: str) -> None:
    value = parse_number(token, lang)
    assert value is None or math.isfinite(value)


@given(articles(), topic_or_none)
@example(Article(title="£", summary="0", text=""), None)
@example(Article(title="ETWA", text="0"), None)  # issue 18: `ETWA\n0`, a figure across a line break
@example(Article(title="", text="ETWA\n0"), None)
def test_key_points_come_from_the_candidates(article: Article, topic: TopicQuery | None) -> None:
    points = extract_keypoints(article, topic)
    assert points.lang in ("de", "en")
    assert points.quote is None or points.quote in points.quotes
    assert points.figure is None or points.figure in points.figures
    for figure in points.figures:
        assert figure.text in figure.sentence or not figure.sentence
