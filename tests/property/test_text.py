"""Text basics over arbitrary Unicode: nothing raises, offsets point into the text."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from bot.core import lang as lang_data
from bot.core.folding import fold, strip_invisible
from bot.core.text import (
    article_language,
    clean_text,
    detect_language,
    read_article,
    split_sentences,
    stem,
    tokens_and_gaps,
    words,
)
from tests.property.strategies import any_text, articles, feed_text, langs

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


@given(feed_text)
def test_clean_text_gives_trimmed_non_empty_lines_without_invisible_characters(raw: str) -> None:
    cleaned = clean_text(raw)
    assert not any(ch in cleaned for ch in INVISIBLE)
    for line in cleaned.split("\n") if cleaned else ():
        assert line and line == line.strip()
    assert unicodedata.is_normalized("NFC", cleaned)


@given(feed_text)
def test_split_sentences_offsets_point_at_the_sentences(text: str) -> None:
    last = -1
    for start, sentence in split_sentences(text):
        assert sentence and sentence == sentence.strip()
        assert text[start : start + len(sentence)] == sentence
        assert start > last
        last = start
        assert "\n" not in sentence


@given(feed_text)
def test_clean_text_then_split_sentences_keeps_offsets(raw: str) -> None:
    text = clean_text(raw)
    for start, sentence in split_sentences(text):
        assert text[start : start + len(sentence)] == sentence


@given(any_text, st.sampled_from(["de", "en", "xx"]))
def test_detect_language_answers_de_en_or_the_default(text: str, default: str) -> None:
    assert detect_language(text, default) in ("de", "en", default)


@given(articles())
def test_article_language_is_de_or_en(article: object) -> None:
    assert article_language(article) in ("de", "en")  # type: ignore[arg-type]


@given(feed_text)
def test_fold_drops_case_invisible_characters_and_marks(text: str) -> None:
    folded = fold(text)
    assert not any(ch in folded for ch in INVISIBLE)
    assert not any(unicodedata.combining(ch) for ch in folded)


@given(feed_text)
@example("㎒ ǅ Ⅻ")
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(feed_text)
@example("Mu\u0308ller A\u0308rger")
def test_fold_does_not_depend_on_the_unicode_normal_form(text: str) -> None:
    """Feeds written in NFD (macOS, some CMSs) must match topics typed in NFC: `Mu\u0308ller`."""
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


@given(feed_text)
def test_words_tokens_and_gaps_rebuild_the_text(text: str) -> None:
    tokens, gaps = tokens_and_gaps(text)
    assert len(tokens) == len(gaps)
    assert text.endswith("".join(t + g for t, g in zip(tokens, gaps, strict=True)))
    for word in words(text):
        assert word in text


@given(feed_text, langs)
def test_stem_never_raises_and_never_grows(text: str, lang: str) -> None:
    for word in words(fold(text)):
        stemmed = stem(word, lang)
        assert len(stemmed) <= len(word) + 1  # `countries` -> `country` is the only growth
        assert word.startswith(stemmed[:-1]) or not stemmed


@given(feed_text)
def test_strip_invisible(text: str) -> None:
    assert not any(ch in strip_invisible(text) for ch in INVISIBLE)


@given(feed_text, st.sampled_from([None, "de", "en"]))
@example("Titel&#10;zweite Zeile\nText", None)
@example("Titel\rText\rmehr Text", "de")
def test_read_article_gives_clean_title_and_text(document: str, lang: str | None) -> None:
    article = read_article(document, lang)
    assert "\n" not in article.title
    assert article.lang == lang
    assert article.text == clean_text(article.text)
    assert lang_data.stop_words()  # the word lists load
