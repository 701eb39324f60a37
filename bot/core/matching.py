"""Topic queries and topic matching for German and English news.

A topic query names a topic with aliases, required and excluded terms and an optional threshold:

    Nordkorea | North Korea | DPRK | "Kim Jong Un" +Raketen -Südkorea ~80

Matching decides, for every article and topic, how strongly the article names the topic and why.
A word of a topic meets a word of an article in one of these ways (the quality in brackets):

- exactly, after folding case, umlauts, ß and accents: `Müller` = `Mueller` = `MÜLLER` (100)
- inflected: `Raketen` for `Rakete`, `Nordkoreas` for `Nordkorea`, `printers` for `printer` (96)
- derived: `nordkoreanischen`, `Nordkoreaner` for `Nordkorea`, `Japanese` for `Japan` (92)
- in a German compound, the topic as head or tail: `Rentenreform`, `Altersrente` for `Rente`, with
  a minimum length of the other part so that `Natoli` does not contain `NATO` and a match only at
  a word's start or end so that `Parenteral` does not contain `Rente` (85)
- fuzzily, for long words only: one typo in nine letters (a rapidfuzz Levenshtein score, minus 10)

Words of several-word aliases (`Atletico Madrid`) must meet adjacent words of the article, so
`Real Madrid` does not match an article about Atletico. Short words (four letters or fewer) match
exactly (and with a genitive/plural `s`); acronyms written in capitals (`NATO`, `US`) match only
words that are not written all in lower case, so `US` does not match `us`, and an acronym of two
letters only words written in capitals, so `IT` does not match `It` and `UN` not `Un`.

A hit scores its quality times the weight of its field (title 1.0, summary 0.94, text 0.88), and
the topic's score is its best hit plus a little for every further hit. Scores run from 0 to 100;
a topic matches when its score reaches its threshold.

Speed: the words of all topics form an index (exact forms, stems, derivation bases, compound heads
and tails). Every distinct word of a batch of articles is looked up once; an article reaches the
scoring of a topic only when it shares an indexed word with it. Only the long words that the index
did not decide go to rapidfuzz, as one vectorised search per topic word over the batch's words.

The query grammar is `topic_query.py`, the index of topic words `topic_lexicon.py`, an article as
matching reads it `match_reading.py`; this module scores articles against topics.
"""

from __future__ import annotations

import functools
import gc
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from itertools import compress, count

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.core.folding import fold
from bot.core.match_reading import HYPHENS, Field, MatchReading, read_for_matching
from bot.core.text import stem
from bot.core.topic_lexicon import ALIAS, EXCLUDED, FUZZY_MIN_LEN, REQUIRED, Lexicon, Term
from bot.core.topic_query import (
    DEFAULT_THRESHOLD,
    GRAMMAR,
    MAX_QUERY_CHARS,
    MAX_TERMS,
    QueryError,
    parse_topic,
)
from bot.model import Article, Evidence, MatchResult, TopicQuery

__all__ = [
    "DEFAULT_THRESHOLD",
    "GRAMMAR",
    "MAX_EVIDENCE",
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "MatchReading",
    "QueryError",
    "match_article",
    "match_batch",
    "match_sparse",
    "parse_topic",
    "read_for_matching",
]

MAX_EVIDENCE = 5
FUZZY_PENALTY = 10.0
FUZZY_CUTOFF = 0.88
# Words a lexicon keeps the hits of, per language, before it begins anew (a day of news holds
# about as many distinct words; each costs a hundred bytes or so).
VOCABULARY_LIMIT = 50_000
REPEAT_BONUS = 2.0
REPEAT_BONUS_CAP = 8.0
# Between the words of a phrase: spaces, a compound's hyphen, or `&`, `/`, `.`, `'`, `+` without
# spaces (`AT&T`, `E.ON`, `O'Brien`, `Müller+Partner`). A comma, a spaced dash or a line break ends a phrase.
_PHRASE_GLUE = HYPHENS | {"&", " & ", "/", ".", "'", "’", "+"}


def _fuzzy_search(lexicon: Lexicon, vocab: dict[str, dict[str, tuple[tuple[int, float], ...]]]) -> None:
    """Fuzzy hits for long words the index left undecided, added to `vocab` in place.

    One rapidfuzz search per long topic word over the batch's long words of the same language,
    first letter and a close length (the Levenshtein score cannot reach the cutoff otherwise).
    """
    for lang, queries in lexicon.fuzzy.items():
        if not queries:
            continue
        by_stem: dict[str, list[str]] = defaultdict(list)
        for token, hits in vocab[lang].items():
            if len(token) >= FUZZY_MIN_LEN and not hits:
                by_stem[stem(fold(token), lang)].append(token)
        buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word_stem in by_stem:
            buckets[(word_stem[0], len(word_stem))].append(word_stem)
        for query, word in queries:
            choices = [
                s for size in range(len(query) - 2, len(query) + 3) for s in buckets.get((query[0], size), ())
            ]
            if not choices:
                continue
            found = process.extract(
                query,
                choices,
                scorer=Levenshtein.normalized_similarity,
                score_cutoff=FUZZY_CUTOFF,
                limit=None,
            )
            for choice, similarity, _ in found:
                quality = 100.0 * similarity - FUZZY_PENALTY
                for token in by_stem[choice]:
                    if lexicon.acronym[word]:
                        continue
                    old = vocab[lang][token]
                    vocab[lang][token] = (*old, (word, quality))


def _field_hits(
    field: Field, hits_of: dict[str, tuple[tuple[int, float], ...]], hit_tokens: set[str]
) -> dict[int, dict[int, tuple[float, str]]]:
    """position -> word -> (quality, the article's word) for the field's words that hit."""
    at: dict[int, dict[int, tuple[float, str]]] = defaultdict(dict)
    tokens = field.tokens
    # the positions of the words that hit, found without a Python step per word of the field
    for position in compress(count(), map(hit_tokens.__contains__, tokens)):
        token = tokens[position]
        words = at[position]
        for word, quality in hits_of[token]:
            words[word] = (quality, token)
    starts: list[int] | None = None
    for offset, index, token, written in field.joined:
        if token in hit_tokens:
            if starts is None:  # each token's offset in the text, once per field
                starts = []
                cursor = field.text.find(field.tokens[0])  # the text before it holds no word
                for tok, gap in zip(field.tokens, field.gaps, strict=True):
                    starts.append(cursor)
                    cursor += len(tok) + len(gap)
            position = bisect_left(starts, offset) + index
            for word, quality in hits_of[token]:
                old = at[position].get(word)
                if old is None or old[0] < quality:
                    at[position][word] = (quality, written)
    return at


def _phrase_at(
    term: Term, field: Field, at: dict[int, dict[int, tuple[float, str]]], start: int
) -> tuple[float, str] | None:
    """(quality, words as written) when the several-word term occurs at `start`, else None."""
    quality, written = at[start][term.words[0]]
    parts = [written]
    skipped = 0  # a middle initial between the words of a name: `George W. Bush` for `George Bush`
    for k in range(1, len(term.words)):
        pos = start + k + skipped
        glue = field.gaps[pos - 1] if pos - 1 < len(field.gaps) else "\n"
        if glue.isspace() and "\n" not in glue:
            glue = " "
        elif glue not in _PHRASE_GLUE:
            return None
        hit = at[pos].get(term.words[k]) if pos in at else None
        name = written[:1].isupper()
        if hit is None and not skipped and glue == " " and name and pos + 1 < len(field.tokens):
            initial, after = field.tokens[pos], field.gaps[pos]
            if len(initial) == 1 and initial.isupper() and after.startswith(".") and after[1:] == " ":
                skipped = 1
                glue = f" {initial}. "
                hit = at[pos + 1].get(term.words[k]) if pos + 1 in at else None
        if hit is None:
            return None
        quality = min(quality, hit[0])
        parts.append(glue + hit[1])
    return quality, "".join(parts)


_Place = tuple[float, str, str, str]  # (score, alias, word as written, field)


class _Tally:
    """The places a term (or a topic's aliases together) occurs in one article, best hit per place."""

    __slots__ = ("best", "places")

    def __init__(self) -> None:
        self.places: dict[tuple[int, int], _Place] = {}  # (field, position) -> best hit there
        self.best = 0.0

    def add(self, where: tuple[int, int], place: _Place) -> None:
        old = self.places.get(where)
        if old is None or old[0] < place[0]:
            self.places[where] = place
            if place[0] > self.best:
                self.best = place[0]

    @property
    def score(self) -> float:
        bonus = min(REPEAT_BONUS_CAP, REPEAT_BONUS * (len(self.places) - 1))
        return min(100.0, self.best + bonus) if self.places else 0.0

    def evidence(self, made: dict[_Place, Evidence], limit: int = MAX_EVIDENCE) -> tuple[Evidence, ...]:
        """The best places, one per (alias, word, field); `made` shares equal Evidence objects."""
        places: Collection[_Place] = self.places.values()
        if len(places) > 1:
            chosen: dict[tuple[str, str, str], _Place] = {}
            for place in sorted(places, key=lambda p: -p[0]):
                chosen.setdefault((place[1], place[2].lower(), place[3]), place)
                if len(chosen) == limit:
                    break
            places = chosen.values()
        shown = []
        for place in places:
            evidence = made.get(place)
            if evidence is None:
                score, alias, word, field = place
                evidence = made[place] = Evidence(alias=alias, word=word, field=field, score=score)
            shown.append(evidence)
        return tuple(shown)


_TermKey = tuple[int, int, str]  # a required or excluded term: (topic, role, display)


def _score_article(
    prepared: MatchReading,
    lexicon: Lexicon,
    topics: Sequence[TopicQuery],
    hits_of: dict[str, tuple[tuple[int, float], ...]],
    hit_vocab: set[str],
    row: list[MatchResult] | dict[int, MatchResult],
    made: dict[_Place, Evidence],
) -> None:
    """Fill `row` for the topics that share a word with the article; the rest keep their blank."""
    alias_tallies, term_tallies = _tally_places(prepared, lexicon, hits_of, hit_vocab)
    for number, alias_tally in alias_tallies.items():
        row[number] = _topic_result(topics[number], number, alias_tally, term_tallies, made)


def _tally_places(
    prepared: MatchReading,
    lexicon: Lexicon,
    hits_of: dict[str, tuple[tuple[int, float], ...]],
    hit_vocab: set[str],
) -> tuple[dict[int, _Tally], dict[_TermKey, _Tally]]:
    """Every place an article meets a term: per topic for its aliases, per required/excluded term."""
    alias_tallies: dict[int, _Tally] = {}  # topic -> all its aliases' places
    term_tallies: dict[_TermKey, _Tally] = {}  # required and excluded terms
    terms, terms_of_word = lexicon.terms, lexicon.terms_of_word
    for number, field in enumerate(prepared.fields):
        hit_tokens = field.unique & hit_vocab
        if not hit_tokens:
            continue
        at = _field_hits(field, hits_of, hit_tokens)
        for position, words in at.items():
            for word, (quality, written) in words.items():
                for term_id, index in terms_of_word[word]:
                    if index:
                        continue
                    term = terms[term_id]
                    if len(term.words) > 1:
                        phrase = _phrase_at(term, field, at, position)
                        if phrase is None:
                            continue
                        quality, written = phrase
                    place = (round(quality * field.weight, 1), term.display, written, field.name)
                    if term.role == ALIAS:
                        tally = alias_tallies.get(term.topic)
                        if tally is None:
                            tally = alias_tallies[term.topic] = _Tally()
                    else:
                        key = (term.topic, term.role, term.display)
                        tally = term_tallies.get(key)
                        if tally is None:
                            tally = term_tallies[key] = _Tally()
                    tally.add((number, position), place)
    return alias_tallies, term_tallies


def _topic_result(
    topic: TopicQuery,
    number: int,
    alias_tally: _Tally,
    term_tallies: dict[_TermKey, _Tally],
    made: dict[_Place, Evidence],
) -> MatchResult:
    """The topic's score: its aliases' best, capped by each required term, zero when one excluded hits."""
    threshold = DEFAULT_THRESHOLD if topic.threshold is None else topic.threshold
    score = alias_tally.score
    shown = alias_tally.evidence(made)
    for wanted in topic.required:
        found = term_tallies.get((number, REQUIRED, "+" + wanted))
        score = min(score, found.score if found else 0.0)
        if found:
            shown += found.evidence(made, 1)
    blocking = [
        excluded
        for unwanted in topic.excluded
        if (excluded := term_tallies.get((number, EXCLUDED, "-" + unwanted))) and excluded.score >= threshold
    ]
    if blocking:
        score = 0.0
        shown = tuple(e for excluded in blocking for e in excluded.evidence(made, 1))
    return MatchResult(topic=topic.name, score=round(score, 1), matched=score >= threshold, evidence=shown)


def _vocabulary(
    lexicon: Lexicon, prepared: Sequence[MatchReading]
) -> tuple[dict[str, dict[str, tuple[tuple[int, float], ...]]], dict[str, set[str]]]:
    """Every distinct word of the batch analysed, each once for the lexicon's life: (language ->
    word -> hits, words that hit). A word's hits depend only on the word and the topics, so the bot,
    which matches every polled feed against the same lexicon, looks each word up once, not once a
    feed; the words it has met are kept up to `VOCABULARY_LIMIT` a language, then begun anew."""
    known, hitting = lexicon.words_met, lexicon.words_hit
    for lang, met in known.items():
        if len(met) > VOCABULARY_LIMIT:  # before the batch: every word it meets stays until it ends
            met.clear()
            hitting[lang].clear()
    unseen: dict[str, set[str]] = {"de": set(), "en": set()}
    for item in prepared:
        met = known[item.lang]
        for field in item.fields:
            unseen[item.lang].update(token for token in field.unique if token not in met)
    fresh: dict[str, dict[str, tuple[tuple[int, float], ...]]] = {}
    for lang, tokens in unseen.items():
        analyse = lexicon.analyse
        fresh[lang] = {token: analyse(token, lang) for token in tokens}
    _fuzzy_search(lexicon, fresh)
    for lang, found in fresh.items():
        known[lang].update(found)
        hitting[lang].update(token for token, hits in found.items() if hits)
    return known, hitting


def _score_rows(
    articles: Sequence[Article],
    topics: Sequence[TopicQuery],
    lexicon: Lexicon,
    rows: Sequence[list[MatchResult] | dict[int, MatchResult]],
    readings: Sequence[MatchReading] | None = None,
) -> None:
    """Fill one row per article with the results of the topics it shares a word with (`readings`: the
    articles as `read_for_matching` read them, when the caller has them already)."""
    prepared = readings if readings is not None else [read_for_matching(article) for article in articles]
    vocab, hit_vocab = _vocabulary(lexicon, prepared)
    made: dict[_Place, Evidence] = {}
    for item, row in zip(prepared, rows, strict=True):
        _score_article(item, lexicon, topics, vocab[item.lang], hit_vocab[item.lang], row, made)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a batch: it builds many small objects and no cycles.

    A batch of 10,000 articles allocates millions of containers; the collector's generational
    passes over them (and over the rows already built) cost a third of the batch's time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def match_sparse(articles: Sequence[Article], topics: Sequence[TopicQuery]) -> list[dict[int, MatchResult]]:
    """Per article, only its results that are not blank (topic number -> result): what a caller
    that splits a large batch over processes sends back, a few bytes for most articles."""
    with _gc_paused():
        rows: list[dict[int, MatchResult]] = [{} for _ in articles]
        _score_rows(articles, topics, _lexicon_for(tuple(topics)), rows)
        return rows


@functools.lru_cache(maxsize=4)
def _lexicon_for(topics: tuple[TopicQuery, ...]) -> Lexicon:
    """The lexicon of a set of topics, built once while the set stays the same: the bot matches
    every polled feed's entries against the same subscriptions (read-only after construction)."""
    return Lexicon(topics)


def match_batch(
    articles: Sequence[Article],
    topics: Sequence[TopicQuery],
    readings: Sequence[MatchReading] | None = None,
) -> list[list[MatchResult]]:
    """Every article scored against every topic: one row per article, one result per topic, in order
    (`readings`: the articles' analyses' `matching`, so that they are not read again).

    Work grows with the number of distinct words and the number of article-topic pairs that share
    a word, not with articles × topics × text. (The core starts no processes: a caller that wants a
    batch split over cores runs `match_sparse` on shares of it, as bench/match.py does.)
    """
    empty_row = [MatchResult(topic=topic.name, score=0.0, matched=False) for topic in topics]
    with _gc_paused():
        rows = [list(empty_row) for _ in articles]
        if not articles or not topics:
            return rows
        _score_rows(articles, topics, _lexicon_for(tuple(topics)), rows, readings)
        return rows


def match_article(article: Article, topics: Sequence[TopicQuery]) -> list[MatchResult]:
    """One result per topic, in the topics' order."""
    return match_batch([article], topics)[0]
