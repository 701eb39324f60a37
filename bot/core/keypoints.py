"""The key quote and key figure of an article: the reason a reader trusts the alert.

Candidates come from `find_quotes` and `find_figures` over title, summary and text. Each is scored by
general rules: what the headline says, what mentions the topic, what a named source says, full
statements over fragments, figures that count something over bare numbers, earlier over later.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from bot.core.figures import figure_kind, find_figures
from bot.core.quotes import find_quotes
from bot.core.text import article_language, fold, split_sentences, words
from bot.model import Article, Figure, KeyPoints, Quote, TopicQuery


def _set(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string."""
    return frozenset(words.split())


_STOPWORDS = _set(
    "der die das und oder ein eine einer eines dem den des in im auf aus mit von vom zu zum zur für "
    "fuer über ueber nach bei als wie ist sind war hat haben wird werden sich nicht auch noch the a "
    "an of to in on for with from by at and or is are was were has have had be it its as this that"
)
_KIND_BONUS = {
    "people": 1.5,
    "money": 1.5,
    "percent": 1.2,
    "count": 0.8,
    "measure": 0.4,
    "vague": -0.8,
    "duration": -1.5,
    "bare": -3.0,
}


def _analysed_text(article: Article) -> tuple[str, int, int]:
    """title + summary + text, and the offsets where the summary and the text begin."""
    parts = [article.title.strip(), article.summary.strip(), article.text.strip()]
    text = ""
    summary_at = text_at = 0
    for index, part in enumerate(parts):
        if not part:
            if index == 1:
                summary_at = len(text)
            if index == 2:
                text_at = len(text)
            continue
        if text:
            text += "\n"
        if index == 1:
            summary_at = len(text)
        if index == 2:
            text_at = len(text)
        text += part
    return text, summary_at, text_at


def _stems(text: str) -> set[str]:
    return {w[:6] for w in (fold(x) for x in words(text)) if len(w) > 3 and w not in _STOPWORDS}


class _Topic:
    """Folded topic aliases, matched as word prefixes: `Nordkorea` meets `nordkoreanischen`."""

    def __init__(self, topic: TopicQuery | None) -> None:
        aliases = (topic.name, *topic.aliases) if topic else ()
        self.aliases = [[fold(w) for w in words(a)] for a in aliases if words(a)]

    def mentioned(self, text: str) -> bool:
        if not self.aliases:
            return False
        found = [fold(w) for w in words(text)]
        return any(all(any(_meets(f, a) for f in found) for a in alias) for alias in self.aliases)


def _meets(word: str, alias: str) -> bool:
    if len(alias) <= 3:
        return word == alias
    return word.startswith(alias) or (len(alias) >= 6 and word.startswith(alias[:-1]))


def extract_keypoints(article: Article, topic: TopicQuery | None = None) -> KeyPoints:
    """The key quote and key figure of `article`, given the topic that matched (if any)."""
    lang = article_language(article)
    text, _summary_at, text_at = _analysed_text(article)
    if not text:
        return KeyPoints(lang=lang, quote=None, figure=None)
    sentences = list(split_sentences(text))
    starts = [s for s, _ in sentences]
    title_end = len(article.title.strip())
    lead_end = _lead_end(text, text_at)
    headline = _stems(article.title)
    matcher = _Topic(topic)
    mentions_cache: dict[int, bool] = {}

    def sentence_at(pos: int) -> tuple[int, str]:
        index = bisect_right(starts, pos) - 1
        return (index, sentences[index][1]) if index >= 0 else (-1, "")

    def mentions(index: int, sentence: str) -> bool:
        if index not in mentions_cache:
            mentions_cache[index] = matcher.mentioned(sentence)
        return mentions_cache[index]

    length = max(len(text), 1)
    figures = [
        Figure(f.text, f.value, f.unit, f.approx, f.start, sentence_at(f.start)[1])
        for f in find_figures(text, lang)
    ]
    quotes = find_quotes(text, lang)
    spans = [(q.start, q.start + len(q.text)) for q in quotes]
    values: dict[tuple[float, str], int] = {}
    for f in figures:
        key = (round(f.value, 6), fold(f.unit or ""))
        values[key] = values.get(key, 0) + 1

    def figure_score(figure: Figure) -> float:
        kind = figure_kind(figure)
        index, sentence = sentence_at(figure.start)
        score = _KIND_BONUS.get(kind, 0.0)
        if figure.start < title_end:
            score += 3.0
        elif figure.start < lead_end:
            score += 1.0
        if mentions(index, sentence):
            score += 2.0
        shared = len(headline & _stems(sentence)) if figure.start >= title_end else 0
        score += min(shared, 4) * 0.4
        if values.get((round(figure.value, 6), fold(figure.unit or "")), 0) > 1:
            score += 0.5
        if any(a <= figure.start < b for a, b in spans):
            score -= 0.5
        if kind in ("money", "percent") and _described(figure):
            score += 0.6  # "£1,700 in running costs", "30 Prozent der Stimmen"
        if figure.start >= title_end and _spelled_out(figure):
            # "two sides", "six books": small counts are written out and rarely the news outside the lead
            score -= 1.0 if figure.start < lead_end else 2.0
        return score - figure.start / length

    def quote_score(quote: Quote) -> float:
        index, sentence = sentence_at(quote.start)
        score = -4.0 if quote.fragment else 3.0
        if quote.speaker:
            score += 2.0
        elif quote.role:
            score += 1.0
        if quote.text[:1].islower():
            score -= 1.0
        n = len(quote.text.split())
        if 8 <= n <= 60:
            score += 1.0
        elif n > 90:
            score -= 1.0
        if matcher.mentioned(quote.text):
            score += 2.0
        elif mentions(index, sentence):
            score += 1.5
        if quote.start < title_end:
            score += 1.5
        elif quote.start < lead_end:
            score += 0.5
        score += min(len(headline & _stems(quote.text)), 4) * 0.3
        return score - quote.start / length

    figure = max(figures, key=figure_score, default=None)
    weak = figure is not None and (figure_kind(figure) in ("bare", "duration") or _spelled_out(figure))
    if figure is not None and weak and figure_score(figure) < 0:
        figure = None  # a bare number or a span of time nowhere near the headline or topic is no news
    quote = max(quotes, key=quote_score, default=None)
    if quote is not None and quote.fragment and (quote.speaker is None or len(quote.text.split()) < 4):
        quote = None  # an unattributed scare quote or a fragment of a few words is no key quote
    return KeyPoints(lang=lang, quote=quote, figure=figure, quotes=tuple(quotes), figures=tuple(figures))


def _lead_end(text: str, text_at: int) -> int:
    """End of the lead: the summary and the first paragraph of the text (at least 300 characters)."""
    match = re.compile(r"\n").search(text, min(len(text), text_at + 300))
    return match.start() if match else len(text)


_UNIT_WORDS = _set(
    "euro euros dollar dollars pfund pounds yen franken prozent percent per cent prozentpunkte"
)


def _described(figure: Figure) -> bool:
    """True when the figure's text names what it counts beyond number, unit and approximation."""
    approx = set((figure.approx or "").split())
    rest = [w for w in (fold(x) for x in words(figure.text)) if w not in approx and w not in _UNIT_WORDS]
    return len(rest) > 1 if figure.unit and fold(figure.unit) in rest else bool(rest)


def _spelled_out(figure: Figure) -> bool:
    """True when the figure's number is a word (`sieben Menschen`, `two sides`), not digits."""
    approx = len((figure.approx or "").split())
    parts = figure.text.split()
    return len(parts) > approx and fold(parts[approx]) in _NUMBER_WORDS


_NUMBER_WORDS = _set(
    "zwei drei vier fuenf sechs sieben acht neun zehn elf zwoelf zwanzig two three four five six seven "
    "eight nine ten eleven twelve twenty"
)
