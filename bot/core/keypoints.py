"""The key quote and key figure of an article: the reason a reader trusts the alert.

Candidates come from `find_quotes` and `find_figures` over title, summary and text. Each candidate is
described by named features (where it stands, what kind of unit it has, whether the topic or the
headline's words are near, whether its sentence is background, …); a linear score over those features,
with weights fitted on labelled articles by `scripts/fit_extract.py` and stored in
`bot/core/lang/extract_weights.json`, ranks them against each other and against "nothing". The softmax of
the scores is each candidate's confidence; below the fitted threshold the key point is left out, so an
alert shows no figure rather than a wrong one.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.core import lang as lang_data
from bot.core.analysis import Analysis, analyse
from bot.core.figure_context import word_after, words_before
from bot.core.figure_traits import compound_adjective, described, follows_name, no_single_value, spelled_out
from bot.core.figures import figure_kind
from bot.core.folding import fold_cached
from bot.core.text import words
from bot.model import Article, Figure, KeyPoints, Quote, TopicQuery

C = TypeVar("C", Figure, Quote)
Features = dict[str, float]


@dataclass(frozen=True, slots=True)
class Scored(Generic[C]):
    """A candidate (None: the option "no key point") with the features that scored it."""

    candidate: C | None
    features: Mapping[str, float]
    score: float
    confidence: float  # softmax share among the candidates and "nothing", 0..1


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why the key points are what they are: every option ranked, best first, and the thresholds."""

    points: KeyPoints
    figures: tuple[Scored[Figure], ...]
    quotes: tuple[Scored[Quote], ...]
    figure_threshold: float
    quote_threshold: float

    @property
    def figure(self) -> Scored[Figure] | None:
        """The best-ranked figure option (possibly "nothing"), whether or not it passed the threshold."""
        return self.figures[0] if self.figures else None

    @property
    def quote(self) -> Scored[Quote] | None:
        """The best-ranked quote option (possibly "nothing"), whether or not it passed the threshold."""
        return self.quotes[0] if self.quotes else None


def contributions(option: Scored[C], weights: Mapping[str, float]) -> list[tuple[str, float]]:
    """What decided an option's score: each feature's weight times its value, largest effect first."""
    parts = [(name, weights.get(name, 0.0) * value) for name, value in option.features.items()]
    return sorted((p for p in parts if p[1]), key=lambda p: -abs(p[1]))


def _stems(text: str) -> set[str]:
    return _stems_of({fold_cached(x) for x in words(text)})


def _stems_of(folded: set[str]) -> set[str]:
    """Six-letter prefixes of the content words: `Soldaten` meets `Soldatinnen` in the headline."""
    stop = lang_data.table("core_stop_words")
    return {w[:6] for w in folded if len(w) > 3 and w not in stop}


class _Topic:
    """Folded topic aliases, matched as word prefixes: `Nordkorea` meets `nordkoreanischen`; a word of
    three letters or fewer only as itself, and one of six or more also without its last letter."""

    def __init__(self, topic: TopicQuery | None) -> None:
        aliases = (topic.name, *topic.aliases) if topic else ()
        self.aliases = [[_prefixes(fold_cached(w)) for w in words(a)] for a in aliases if words(a)]

    def mentioned(self, text: str) -> bool:
        return self.mentioned_in({fold_cached(w) for w in words(text)}) if self.aliases else False

    def mentioned_in(self, found: set[str]) -> bool:
        """Whether the folded words `found` name the topic."""
        return any(all(_met(found, word) for word in alias) for alias in self.aliases)


def _prefixes(alias: str) -> tuple[str, tuple[str, ...]]:
    """(the word itself, the prefixes a text word may start with; none for a short word)."""
    if len(alias) <= 3:
        return alias, ()
    return alias, (alias, alias[:-1]) if len(alias) >= 6 else (alias,)


def _met(found: set[str], word: tuple[str, tuple[str, ...]]) -> bool:
    alias, prefixes = word
    if not prefixes:
        return alias in found
    return any(f.startswith(prefixes) for f in found)


def extract_keypoints(
    article: Article,
    topic: TopicQuery | None = None,
    weights: lang_data.Weights | None = None,
    analysis: Analysis | None = None,
) -> KeyPoints:
    """The key quote and key figure of `article`, given the topic that matched (if any).

    A key point whose confidence is below its threshold is None; every candidate stays listed.
    """
    return explain_keypoints(article, topic, weights, analysis).points


def explain_keypoints(
    article: Article,
    topic: TopicQuery | None = None,
    weights: lang_data.Weights | None = None,
    analysis: Analysis | None = None,
) -> Explanation:
    """The key points with every candidate's features, score and confidence (`weights`: the fitted
    ones unless given, as the fitting script does for each cross-validation fold; `analysis`: the
    article's, when the caller has it, so that its text is not read again for each topic)."""
    fitted = weights or lang_data.extract_weights()
    read = analysis if analysis is not None else analyse(article)
    lang = read.lang
    if not read.text:
        return Explanation(KeyPoints(lang=lang, quote=None, figure=None), (), (), 1.0, 1.0)
    context = _Context(read, topic)
    figures = context.figures
    quotes = context.quotes
    figure_options = _rank(
        [(f, context.figure_features(f)) for f in figures], context.no_figure_features(), fitted.figure
    )
    choosable = [q for q in quotes if not q.fragment or context.shown_quote(q) or _spoken_fragment(q)]
    quote_options = _rank(
        [(q, context.quote_features(q)) for q in choosable], context.no_quote_features(), fitted.quote
    )
    figure_options = _by_fact(figure_options, _figure_fact)
    figure_options[0] = context.as_headline_says(figure_options[0])
    quote_options = _by_fact(quote_options, _quote_fact)
    best_figure = figure_options[0]
    best_quote = quote_options[0]
    figure = best_figure.candidate if best_figure.confidence >= fitted.figure_threshold else None
    quote = best_quote.candidate if best_quote.confidence >= fitted.quote_threshold else None
    points = KeyPoints(lang=lang, quote=quote, figure=figure, quotes=tuple(quotes), figures=tuple(figures))
    return Explanation(
        points, tuple(figure_options), tuple(quote_options), fitted.figure_threshold, fitted.quote_threshold
    )


def _spoken_fragment(quote: Quote) -> bool:
    """A fragment of four words or more that the text attributes to someone."""
    return quote.speaker is not None and len(quote.text.split()) >= 4


def _figure_fact(figure: Figure) -> tuple[float, str]:
    """A figure's value and folded unit: the mentions of one fact share it."""
    return (round(figure.value, 6), fold_cached(figure.unit or ""))


def _quote_fact(quote: Quote) -> tuple[object, ...]:
    return (quote.text, quote.speaker)


def _by_fact(options: list[Scored[C]], fact: Callable[[C], tuple[object, ...]]) -> list[Scored[C]]:
    """The options ranked by fact, not by mention: the shares of every mention of the same fact (value
    and unit, or words and speaker) added up, as the fitting script counts a fact right when any of its
    mentions is; the first option is the best-scored mention of the most likely fact, with that fact's
    confidence. A fact stated in the headline and again in the lead beats a single mention in between."""
    keys = [None if o.candidate is None else fact(o.candidate) for o in options]
    shares: dict[tuple[object, ...] | None, float] = {}
    for key, option in zip(keys, options, strict=True):
        shares[key] = shares.get(key, 0.0) + option.confidence
    best_key = max(shares, key=shares.__getitem__)  # ties: the fact of the better-ranked option
    at: int = keys.index(best_key)
    best = options[at]
    chosen: Scored[C] = Scored(best.candidate, best.features, best.score, min(1.0, shares[best_key]))
    ranked = options[:at] + options[at + 1 :]
    ranked.insert(0, chosen)
    return ranked


def _rank(
    candidates: Sequence[tuple[C, Features]], nothing: Features, weights: Mapping[str, float]
) -> list[Scored[C]]:
    """Every candidate and "nothing", scored by the weights and ranked best first (ties: earlier first)."""
    options: list[tuple[C | None, Features]] = [(None, nothing)]
    options.extend(candidates)
    scores = [sum(weights.get(name, 0.0) * value for name, value in f.items()) for _, f in options]
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    scored = [
        Scored(candidate, features, score, e / total)
        for (candidate, features), score, e in zip(options, scores, exps, strict=True)
    ]
    order = sorted(range(len(scored)), key=lambda i: (-scores[i], i))
    return [scored[i] for i in order]


class _Context:
    """What the features of one article's candidates are computed from, computed once."""

    def __init__(self, analysis: Analysis, topic: TopicQuery | None) -> None:
        text = analysis.text
        self.text = text
        self.lang = analysis.lang
        self.sentences = analysis.sentences
        self.starts = [s for s, _ in self.sentences]
        self.title_end = len(analysis.article.title.strip())
        self.lead_end = _lead_end(text, analysis.text_at)
        self.first_sentence = bisect_right(self.starts, self.title_end)  # the index of the one below it
        self.headline = _stems(analysis.article.title)
        self.matcher = _Topic(topic)
        self.length = max(len(text), 1)
        self._mentions: dict[int, bool] = {}
        self.figures = analysis.figures
        self.quotes = analysis.quotes
        self.quote_starts = [q.start for q in self.quotes]
        self.quote_ends = [q.start + len(q.text) for q in self.quotes]
        self.values = Counter(_figure_fact(f) for f in self.figures)
        self.title_values = {round(f.value, 6) for f in self.figures if f.start < self.title_end}
        self.title_facts = {_figure_fact(f) for f in self.figures if f.start < self.title_end}
        # where the text below the headline first states a figure of each kind (a bound states none)
        self.first_of_kind: dict[str, int] = {}
        bounds = lang_data.table("bound_words")
        self.largest_of_kind: dict[str, float] = {}
        self.kinds: Counter[str] = Counter()
        for f in self.figures:
            kind = figure_kind(f)
            self.kinds[kind] += 1
            self.largest_of_kind[kind] = max(f.value, self.largest_of_kind.get(kind, f.value))
            if f.start >= self.title_end and f.approx not in bounds:
                self.first_of_kind.setdefault(kind, f.start)
        self._sentence_words: dict[int, set[str]] = {}
        self._speakers: dict[tuple[str | None, str | None], bool] = {}
        headline_words = {fold_cached(w) for w in words(analysis.article.title)}
        self.headline_words = headline_words
        self.cued = {
            kind
            for kind, cues in (("percent", "poll_cues"), ("people", "toll_cues"), ("money", "money_cues"))
            if headline_words & lang_data.table(cues)
        }
        self.exact = [(figure_kind(f), f.value) for f in self.figures if f.approx not in bounds]
        self.first_full = next(
            (q for q in self.quotes if not q.fragment and q.text[:1].isupper() and q.start >= self.title_end),
            None,
        )
        self.named_facts = {_figure_fact(f) for f in self.figures if follows_name(text, f, self.title_end)}
        self.changed_from, self.changed_to = self._changes()
        self.headline_quoted = [
            fold_cached(q.text).strip(" ,.")
            for q in self.quotes
            if q.start < self.title_end and len(q.text) > 5
        ]
        self.later_quoted = _Within(
            " | ".join(fold_cached(q.text) for q in self.quotes if q.start >= self.title_end)
            if self.headline_quoted
            else ""
        )

    def _changes(self) -> tuple[set[int], set[int]]:
        """Where a change's two values start (`from 31.9% … to 31.4%`): the value before it and after."""
        before: set[int] = set()
        after: set[int] = set()
        for first, second in zip(self.figures, self.figures[1:], strict=False):
            if (
                second.start - (first.start + len(first.text)) < 80
                and figure_kind(first) == figure_kind(second)
                and self._word_before(first.start) in lang_data.table("change_from_words")
                and self._word_before(second.start) in lang_data.table("change_to_words")
            ):
                before.add(first.start)
                after.add(second.start)
        return before, after

    def _word_after(self, figure: Figure) -> str:
        return fold_cached(word_after(self.text, figure.start + len(figure.text))[0].rstrip("."))

    def _word_before(self, pos: int) -> str:
        found = words_before(self.text, pos, 1)
        return found[0] if found else ""

    def _topic_speaks(self, speaker: str | None, role: str | None) -> bool:
        """Whether the topic names the speaker or the speaker's role, computed once per speaker."""
        key = (speaker, role)
        if key not in self._speakers:
            self._speakers[key] = bool(speaker or role) and self.matcher.mentioned(f"{speaker} {role}")
        return self._speakers[key]

    def sentence_at(self, pos: int) -> tuple[int, str]:
        index = bisect_right(self.starts, pos) - 1
        return (index, self.sentences[index][1]) if index >= 0 else (-1, "")

    def sentence_words(self, index: int, sentence: str) -> set[str]:
        """The folded words of sentence `index`, computed once per sentence."""
        if index not in self._sentence_words:
            self._sentence_words[index] = {fold_cached(w) for w in words(sentence)}
        return self._sentence_words[index]

    def mentions(self, index: int, sentence: str) -> bool:
        if index not in self._mentions:
            found = self.sentence_words(index, sentence)
            self._mentions[index] = bool(self.matcher.aliases) and self.matcher.mentioned_in(found)
        return self._mentions[index]

    def _position(self, start: int, features: Features) -> None:
        if start < self.title_end:
            features["in_headline"] = 1.0
        elif start < self.lead_end:
            features["in_lead"] = 1.0
        features["later_in_text"] = start / self.length

    def as_headline_says(self, best: Scored[Figure]) -> Scored[Figure]:
        """The chosen fact in the headline's words when the headline states it too (same value and unit):
        `10.000 Soldaten`, not `etwa 10.000 nordkoreanischen Soldaten` from the lead."""
        chosen = best.candidate
        if chosen is None or chosen.start < self.title_end:
            return best
        for figure in self.figures:
            if figure.start >= self.title_end:
                break
            if _figure_fact(figure) == _figure_fact(chosen):
                return Scored(
                    figure, {**best.features, "stated_in_headline": 1.0}, best.score, best.confidence
                )
        return best

    def figure_features(self, figure: Figure) -> Features:
        kind = figure_kind(figure)
        index, sentence = self.sentence_at(figure.start)
        features: Features = {f"unit_{kind}": 1.0}
        self._position(figure.start, features)
        if self.mentions(index, sentence):
            features["topic_in_sentence"] = 1.0
        if figure.start >= self.title_end:
            self._headline_ties(figure, index, sentence, features)
        if self.values[_figure_fact(figure)] > 1:
            features["repeated"] = 1.0
        at = bisect_right(self.quote_starts, figure.start) - 1
        if at >= 0 and figure.start < self.quote_ends[at]:
            features["inside_quote"] = 1.0
        self._writing(figure, kind, features)
        if abs(figure.value) < 10:
            features["below_ten"] = 1.0
        if no_single_value(figure, self.lang):
            features["no_single_value"] = 1.0
        if compound_adjective(figure):
            features["compound_adjective"] = 1.0  # `five-day summit`, `18-tägigen Streik`: what it describes
        markers = lang_data.table("background_markers") & self.sentence_words(index, sentence)
        if markers and markers != {self._word_after(figure)}:  # `3.3 million years ago` dates the figure
            features["background_sentence"] = 1.0
        if figure.start >= self.title_end and self.first_of_kind.get(kind) == figure.start:
            features["first_of_its_kind"] = 1.0
        if figure.start >= self.title_end and index == self.first_sentence:
            features["in_first_sentence"] = 1.0  # the sentence below the headline says what happened
        if self.kinds[kind] > 1 and figure.value == self.largest_of_kind[kind]:
            features["largest_of_its_kind"] = 1.0  # a total, not one of its parts (`84%` beside `26%`)
        self._shape(figure, kind, features)
        return features

    def _headline_ties(self, figure: Figure, index: int, sentence: str, features: Features) -> None:
        """What a figure below the headline shares with it: words of its sentence, its value, its fact."""
        shared = len(self.headline & _stems_of(self.sentence_words(index, sentence)))
        if shared:
            features["headline_words_in_sentence"] = min(shared, 4) / 4
        if round(figure.value, 6) in self.title_values:
            features["value_in_headline"] = 1.0
            if _figure_fact(figure) in self.title_facts:
                features["fact_in_headline"] = 1.0  # `21 Kilogramm` again, not `21 Päckchen`
        if figure.unit and fold_cached(figure.unit)[:6] in self.headline:
            features["unit_in_headline"] = 1.0  # `21 Kilogramm` in the text of `… 21 Kilogramm Kokain`

    def _writing(self, figure: Figure, kind: str, features: Features) -> None:
        """How the figure is written: what it counts, in words, as a bound or an estimate, in
        parentheses, after a threshold word."""
        if kind in ("money", "percent") and described(figure):
            features["says_what_it_counts"] = 1.0
        if spelled_out(figure):
            if figure.start < self.title_end:
                features["written_out_headline"] = 1.0
            elif kind in ("measure", "money", "duration", "percent"):
                features["written_out_with_unit"] = 1.0  # `elf Zentimeter`: a measured fact, not a tally
            else:
                features["written_out"] = 1.0  # `two sides`, `six books`: small counts in passing
        if figure.approx:
            bound = figure.approx in lang_data.table("bound_words")
            features["bound" if bound else "approximate"] = 1.0
        before = self.text[max(0, figure.start - 30) : figure.start]
        opened = before.rfind("(")
        if opened >= 0 and ")" not in before[opened:]:
            features["in_parentheses"] = 1.0  # `about 200 acres (80.9 hectares)`: a conversion or an aside
        if lang_data.table("threshold_words") & {fold_cached(w) for w in words(before)[-3:]} or (
            figure.approx in lang_data.table("bound_words")
            and self._word_before(figure.start) in lang_data.table("mark_verbs")
        ):
            features["after_threshold_word"] = 1.0

    def _shape(self, figure: Figure, kind: str, features: Features) -> None:
        """What the headline and the rest of the text say about this figure's kind and value."""
        if kind in self.cued:
            features["kind_cued_by_headline"] = 1.0  # `Poll shows …`: the share, not the crowd size
        if kind == "bare" and abs(figure.value) >= 1e5:
            features["bare_large"] = 1.0  # `cap its population at 10 million`: a scale says what it is
        if figure.approx in lang_data.table("bound_words") and any(
            k == kind and v != figure.value and abs(v - figure.value) <= 0.1 * abs(figure.value)
            for k, v in self.exact
        ):
            features["bound_with_exact_value"] = 1.0  # `unter 30 Prozent` when the text gives `29 Prozent`
        unit = figure.unit or ""
        if self.lang != "de" and figure.start >= self.title_end and unit[:1].isupper() and kind == "count":
            features["capitalised_noun"] = 1.0  # `404 Media`, `Billboard 200`: a name, not a count
        if _figure_fact(figure) in self.named_facts:
            features["follows_name"] = 1.0
        if figure.start in self.changed_from:
            features["value_before_change"] = 1.0  # `from 31.9% … to 31.4%`: the old value
        elif figure.start in self.changed_to:
            features["value_after_change"] = 1.0

    def no_figure_features(self) -> Features:
        features: Features = {"nothing": 1.0}
        if not any(f.start < self.lead_end for f in self.figures):
            features["nothing_no_figure_in_lead"] = 1.0
        return features

    def shown_quote(self, quote: Quote) -> bool:
        """A quote of three words or more in the headline, of four or more in the lead: the words the
        editor chose to show, whether or not they say who spoke them (`'People Don't Think MPs …': …`)."""
        n = len(quote.text.split())
        # a headline is terse by design; below it three words are a phrase (`"unbekannte Kämpfer"`)
        return (quote.start < self.title_end and n >= 3) or (quote.start < self.lead_end and n >= 4)

    def quote_features(self, quote: Quote) -> Features:
        index, sentence = self.sentence_at(quote.start)
        features: Features = {}
        if quote.fragment:
            shown = "headline_fragment" if quote.start < self.title_end else "lead_fragment"
            features[shown if self.shown_quote(quote) else "fragment"] = 1.0
        if self.matcher.aliases and self._topic_speaks(quote.speaker, quote.role):
            features["topic_speaks"] = 1.0  # `NATO-Generalsekretär Mark Rutte` on NATO: the topic's voice
        self._speaker_and_length(quote, features)
        folded = {fold_cached(w) for w in words(quote.text)}
        if self.matcher.aliases and self.matcher.mentioned_in(folded):
            features["topic_in_quote"] = 1.0
        elif self.mentions(index, sentence):
            features["topic_in_sentence"] = 1.0
        self._position(quote.start, features)
        shared = len(self.headline & _stems_of(folded))
        if shared:
            features["headline_words_in_quote"] = min(shared, 4) / 4
        if quote is self.quotes[0]:
            features["first_quote"] = 1.0
        if quote is self.first_full:
            features["first_full_quote"] = 1.0  # the first quote that is a sentence of its own
        if quote.start < self.title_end and fold_cached(quote.text) in self.later_quoted:
            features["headline_clip"] = 1.0  # `‘Go It Alone’` in the headline of `"… go it alone."`
        elif quote.start >= self.title_end and any(
            c in fold_cached(quote.text) for c in self.headline_quoted
        ):
            features["clipped_in_headline"] = 1.0  # the quote the headline clipped its words from
        return features

    def _speaker_and_length(self, quote: Quote, features: Features) -> None:
        """Who is said to speak the quote (a name, the headline's, a role only) and how it reads."""
        if quote.speaker:
            features["named_speaker"] = 1.0
            if fold_cached(quote.speaker.split()[-1]) in self.headline_words:
                features["speaker_in_headline"] = 1.0  # `Yunus announces resignation`: his words
        elif quote.role:
            features["role_only"] = 1.0
        if quote.text[:1].islower():
            features["starts_lower_case"] = 1.0
        n = len(quote.text.split())
        if n < 8:
            features["short"] = 1.0
        elif n > 90:
            features["long"] = 1.0

    def no_quote_features(self) -> Features:
        return {"nothing": 1.0}


class _Within:
    """`x in within`: whether `x` (stripped of its closing punctuation) is part of the text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __contains__(self, part: object) -> bool:
        return isinstance(part, str) and len(part.strip(" ,.")) > 5 and part.strip(" ,.") in self.text


def _lead_end(text: str, text_at: int) -> int:
    """End of the lead: the summary and the first paragraph of the text (at least 300 characters)."""
    match = re.compile(r"\n").search(text, min(len(text), text_at + 300))
    return match.start() if match else len(text)
