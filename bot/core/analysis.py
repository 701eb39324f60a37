"""One analysis of each entry, computed once and read by every decision.

`analyse` reads an article's text with the core's one reader of each thing: the language detector
(`text.article_language`), the sentence splitter and tokenizer of `text.py`, the number reader of
`figures.py` (numbers with their units), the quote finder of `quotes.py` (quotes with their speakers),
the name runs of `names.py`, matching's reading of the fields; story grouping's features
(`StoryGrouper.analyse`, which depend on the grouper's aliases) are added by the caller that groups.
Key points (`keypoints.explain_keypoints`), matching (`match_batch(..., readings=...)`) and the pipeline
take the analysis instead of reading the text again: an entry that goes to five channels is read once.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from dataclasses import dataclass, replace

from bot.core.figures import find_figures
from bot.core.match_reading import MatchReading, read_for_matching
from bot.core.names import names_in
from bot.core.quotes import find_quotes
from bot.core.stories import StoryFeatures
from bot.core.text import Token, article_language, split_sentences, tokenize
from bot.model import Article, Figure, Quote

# The analysis reads this much of each field, so that its time is bounded: a 5,000-word article is
# about 35,000 characters; a 2 MB text without a full stop is read up to here and the rest left out.
MAX_FIELD_CHARS = 100_000


@dataclass(frozen=True)
class Analysis:
    """What the decisions read of one article. Offsets (`text_at`, sentences, tokens, figures, quotes)
    point into `text`: title, summary and text joined by line breaks, as key points read them.

    Every part below `story` is made at its first use and kept: the key points alone (`newsbot
    extract`) pay for no tokens, names or matching, an entry that matches no topic for no figures or
    quotes, and the pipeline reads each part once for every topic and channel."""

    article: Article
    lang: str
    text: str
    summary_at: int
    text_at: int
    story: StoryFeatures | None = None

    @functools.cached_property
    def sentences(self) -> tuple[tuple[int, str], ...]:
        """(offset, sentence) of every sentence of `text`."""
        return tuple(split_sentences(self.text))

    @functools.cached_property
    def figures(self) -> tuple[Figure, ...]:
        """Every number with its unit and the sentence it stands in."""
        starts = [start for start, _ in self.sentences]
        figures = []
        for found in find_figures(self.text, self.lang):
            index = bisect_right(starts, found.start) - 1
            sentence = self.sentences[index][1] if index >= 0 else ""
            figures.append(Figure(found.text, found.value, found.unit, found.approx, found.start, sentence))
        return tuple(figures)

    @functools.cached_property
    def quotes(self) -> tuple[Quote, ...]:
        """Every direct quote with its speaker candidates resolved."""
        return tuple(find_quotes(self.text, self.lang))

    @functools.cached_property
    def tokens(self) -> tuple[Token, ...]:
        """Words, numbers and marks of `text` with their offsets."""
        return tuple(tokenize(self.text))

    @functools.cached_property
    def names(self) -> tuple[str, ...]:
        """Runs of capitalised words, in order of first appearance."""
        return tuple(names_in(self.text, self.tokens))

    @functools.cached_property
    def matching(self) -> MatchReading:
        """The article as every topic is matched against it."""
        return read_for_matching(self.article, self.lang)


def joined_text(article: Article) -> tuple[str, int, int]:
    """title + summary + text, and the offsets where the summary and the text begin."""
    parts = [article.title.strip(), article.summary.strip(), article.text.strip()]
    text = ""
    summary_at = text_at = 0
    for index, part in enumerate(parts):
        if text and part:
            text += "\n"
        if index == 1:
            summary_at = len(text)
        if index == 2:
            text_at = len(text)
        text += part
    return text, summary_at, text_at


def analyse(article: Article, story: StoryFeatures | None = None) -> Analysis:
    """The analysis of `article` (`story`: its story-grouping features, when the caller groups it)."""
    if max(len(article.title), len(article.summary), len(article.text)) > MAX_FIELD_CHARS:
        article = replace(
            article,
            title=article.title[:MAX_FIELD_CHARS],
            summary=article.summary[:MAX_FIELD_CHARS],
            text=article.text[:MAX_FIELD_CHARS],
        )
    lang = article_language(article)
    text, summary_at, text_at = joined_text(article)
    return Analysis(
        article=article,
        lang=lang,
        text=text,
        summary_at=summary_at,
        text_at=text_at,
        story=story,
    )
