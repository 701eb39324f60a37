"""The analysis of an entry: computed once, read by key points and matching, and safe on bad input."""

from __future__ import annotations

import pytest

from bot.core.analysis import MAX_FIELD_CHARS, analyse
from bot.core.keypoints import extract_keypoints
from bot.core.matching import match_batch, parse_topic
from bot.model import Article

SUMMARY = (
    "„Wir werden die Ukraine weiter unterstützen“, sagte Bundeskanzler Olaf Scholz am Montag in Berlin. "
    "Zum Gipfel kamen rund 45 000 Menschen; die Hilfen wachsen auf 3 Bio. Euro."
)


def test_the_analysis_holds_what_key_points_and_matching_read() -> None:
    article = Article("Scholz sagt Ukraine weitere Hilfe zu", SUMMARY, lang="de")
    analysis = analyse(article)
    assert analysis.lang == "de"
    assert analysis.sentences[0] == (0, "Scholz sagt Ukraine weitere Hilfe zu")
    assert [(f.value, f.unit) for f in analysis.figures] == [(45_000, "Menschen"), (3e12, "EUR")]
    assert [q.speaker for q in analysis.quotes] == ["Olaf Scholz"]
    assert "Bundeskanzler Olaf Scholz" in analysis.names and "Berlin" in analysis.names
    assert all(analysis.text[t.start :].startswith(t.text) for t in analysis.tokens)
    # the decisions read the same from the analysis as from the article
    assert extract_keypoints(article, analysis=analysis) == extract_keypoints(article)
    topics = [parse_topic("Olaf Scholz"), parse_topic("Nordkorea")]
    assert match_batch([article], topics, [analysis.matching]) == match_batch([article], topics)


@pytest.mark.parametrize(
    "article",
    [
        Article(""),
        Article("", "", "   \n\n  "),
        Article("Titel", "", "wort " * 400_000),  # 2 MB without a full stop
        Article(
            "Le gouvernement français a annoncé 3,5 milliards d'euros", "« Nous agirons », a dit le ministre."
        ),
        Article("Путин и Си Цзиньпин", "北京 2025年 — الرئيس said 10,000 Menschen „ja“ 三千"),
        Article("Ti\x00tel\x07", "Text\x1b[31m mit \x08Steuer\u202ezeichen\ufffe 12\x0c000 Euro.\r\n\x85"),
    ],
    ids=["empty", "blank", "2mb-no-full-stop", "french", "mixed-scripts", "control-characters"],
)
def test_bad_input_is_analysed_without_raising(article: Article) -> None:
    analysis = analyse(article)
    assert analysis.lang in ("de", "en")
    assert len(analysis.text) <= 3 * MAX_FIELD_CHARS + 2
    points = extract_keypoints(article, analysis=analysis)
    assert points.lang == analysis.lang
    match_batch([analysis.article], [parse_topic("Scholz")], [analysis.matching])


def test_an_empty_entry_has_nothing_to_show() -> None:
    analysis = analyse(Article(""))
    assert (analysis.text, analysis.sentences, analysis.tokens, analysis.figures, analysis.quotes) == (
        "",
        (),
        (),
        (),
        (),
    )
    points = extract_keypoints(Article(""), analysis=analysis)
    assert points.figure is None and points.quote is None
