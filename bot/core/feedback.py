"""What a channel's verdicts on its alerts teach about one subscription.

Readers mark alerts *relevant* or *not relevant*. From those verdicts, per subscription, the bot
learns which words and sources separate the unwanted alerts from the wanted ones. It uses that in
two ways: it proposes one concrete exclusion (`-Obst` for *Apple*) that would have removed most
unwanted alerts and no wanted one, and, where the channel allows it, it lowers the score of new
stories that look like the rejected ones. Nothing is learned from a single click.

Pure functions over plain values; the store supplies the verdicts with the alerts' text.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.core.folding import fold
from bot.core.text import detect_language, is_stop_word, stem, words
from bot.model import JudgedAlert, TopicQuery

# Before this many *not relevant* verdicts on a subscription nothing is learned or proposed.
MIN_REJECTIONS = 3
# A proposed exclusion must cover at least this share of the unwanted alerts (and none wanted).
MIN_PROPOSAL_COVERAGE = 0.5
# A proposed exclusion may occur in at most this share of the subscription's recent alerts: a
# word that is in (nearly) every alert would silence the topic.
MAX_RECENT_SHARE = 0.6
# The most points a learned penalty takes from a story's match score (scores are 0..100).
MAX_PENALTY = 40.0
# Additive smoothing of the per-word counts: one verdict never decides a word's weight alone.
SMOOTHING = 1.0
# A word must be in this many judged alerts before it carries weight.
MIN_WORD_SUPPORT = 2
# An alert nobody judged counts as this much of a *relevant* verdict.
UNJUDGED_WEIGHT = 0.5
# Words shorter than this are no evidence (initials, particles).
MIN_WORD_LENGTH = 3
SOURCE_PREFIX = "source:"
# The unjudged alerts that count as wanted, and that a proposal must not silence, are this recent.
LEARNING_WINDOW = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One reader's judgement of one alert, with the alert's evidence terms."""

    relevant: bool
    terms: frozenset[str]  # stems of the alert's content words, and `source:<outlet>`
    surface: tuple[tuple[str, str], ...] = ()  # stem -> the word as the alert wrote it


@dataclass(frozen=True, slots=True)
class Proposal:
    """An exclusion the channel can accept in one click."""

    word: str  # as written in the alerts: `Obst`
    removes: int  # unwanted alerts it would have removed
    unwanted: int  # unwanted alerts judged so far
    wanted: int  # wanted alerts judged so far (it removes none of them)


@dataclass(frozen=True, slots=True)
class Relevance:
    """Learned weights of one subscription: log-odds that an alert with a term is unwanted."""

    weights: tuple[tuple[str, float], ...]
    prior: float  # log-odds of unwanted before looking at any term
    unwanted: int
    wanted: int

    def unwanted_probability(self, terms: Iterable[str]) -> float:
        weights = dict(self.weights)
        score = self.prior + sum(weights.get(term, 0.0) for term in set(terms))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))

    def penalty(self, terms: Iterable[str]) -> float:
        """Points to take from a story's match score: none unless it looks more unwanted than not."""
        probability = self.unwanted_probability(terms)
        return round(MAX_PENALTY * max(0.0, probability - 0.5) * 2.0, 1)

    def strongest(self, count: int = 5) -> list[str]:
        """The terms that most mark an alert as unwanted, strongest first (for `list` and `why`)."""
        ranked = sorted((w for w in self.weights if w[1] > 0), key=lambda w: (-w[1], w[0]))
        return [term for term, _ in ranked[:count]]


def alert_terms(title: str, lead: str, source: str) -> tuple[frozenset[str], dict[str, str]]:
    """The evidence terms of an alert (content-word stems and its source) and their written forms."""
    text = f"{title}\n{lead}"
    lang = detect_language(text)
    surface: dict[str, str] = {}
    for word in words(text):
        if len(word) < MIN_WORD_LENGTH or is_stop_word(word):
            continue
        key = stem(fold(word), lang)
        surface.setdefault(key, word)
    terms = set(surface)
    if source:
        terms.add(SOURCE_PREFIX + fold(source))
    return frozenset(terms), surface


def verdict_of(alert: JudgedAlert) -> Verdict:
    """A judged alert as evidence: the words of its story and its outlet."""
    terms, surface = alert_terms(alert.title, alert.summary, alert.source)
    return Verdict(relevant=bool(alert.relevant), terms=terms, surface=tuple(sorted(surface.items())))


def learn_from(
    judged: Sequence[JudgedAlert], unjudged: Sequence[JudgedAlert], topic: TopicQuery
) -> Relevance | None:
    """What a subscription's judged and unjudged alerts teach (see `learn`)."""
    return learn([verdict_of(a) for a in judged], topic, [verdict_of(a).terms for a in unjudged])


def _topic_stems(topic: TopicQuery) -> frozenset[str]:
    """The words of the topic's own query: never proposed, never penalised."""
    stems = set()
    for phrase in (*topic.aliases, *topic.required, *topic.excluded):
        for word in words(phrase):
            stems.add(stem(fold(word), "de"))
            stems.add(stem(fold(word), "en"))
    return frozenset(stems)


def learn(
    verdicts: Sequence[Verdict], topic: TopicQuery, unjudged: Sequence[frozenset[str]] = ()
) -> Relevance | None:
    """Naive-Bayes weights over the judged alerts; None until enough alerts were rejected.

    Readers mostly mark what they do not want, so the subscription's alerts nobody judged count
    as wanted, at `UNJUDGED_WEIGHT` each: what they share with the rejected ones is no evidence.
    """
    unwanted = [v for v in verdicts if not v.relevant]
    wanted = [v for v in verdicts if v.relevant]
    if len(unwanted) < MIN_REJECTIONS:
        return None
    own = _topic_stems(topic)
    in_unwanted = Counter(term for v in unwanted for term in v.terms)
    in_wanted: dict[str, float] = {}
    for terms, weight in [(v.terms, 1.0) for v in wanted] + [(t, UNJUDGED_WEIGHT) for t in unjudged]:
        for term in terms:
            in_wanted[term] = in_wanted.get(term, 0.0) + weight
    wanted_total = len(wanted) + UNJUDGED_WEIGHT * len(unjudged)
    weights = []
    for term in sorted(in_unwanted):
        if term in own or in_unwanted[term] < MIN_WORD_SUPPORT:
            continue
        p_unwanted = (in_unwanted[term] + SMOOTHING) / (len(unwanted) + 2 * SMOOTHING)
        p_wanted = (in_wanted.get(term, 0.0) + SMOOTHING) / (wanted_total + 2 * SMOOTHING)
        weights.append((term, round(math.log(p_unwanted / p_wanted), 4)))
    # The prior stays neutral: how often readers click says nothing about a new story.
    return Relevance(weights=tuple(weights), prior=0.0, unwanted=len(unwanted), wanted=len(wanted))


def propose_exclusion(
    verdicts: Sequence[Verdict], topic: TopicQuery, unjudged: Sequence[frozenset[str]] = ()
) -> Proposal | None:
    """The one word whose exclusion removes the most unwanted alerts and no wanted one.

    None until enough alerts were rejected, and when no word covers enough of them without
    touching a wanted alert, more than `MAX_RECENT_SHARE` of the alerts nobody judged, or every
    alert of the topic: a proposal never silences a topic.
    """
    unwanted = [v for v in verdicts if not v.relevant]
    wanted = [v for v in verdicts if v.relevant]
    if len(unwanted) < MIN_REJECTIONS:
        return None
    own = _topic_stems(topic)
    in_wanted = {term for v in wanted for term in v.terms}
    coverage = Counter(
        term
        for v in unwanted
        for term in v.terms
        if not term.startswith(SOURCE_PREFIX) and term not in own and term not in in_wanted
    )
    needed = max(2, math.ceil(MIN_PROPOSAL_COVERAGE * len(unwanted)))
    everything = len(verdicts) + len(unjudged)
    for term, count in sorted(coverage.items(), key=lambda item: (-item[1], -len(item[0]), item[0])):
        if count < needed:
            break
        untouched = sum(term in terms for terms in unjudged)
        if untouched > MAX_RECENT_SHARE * len(unjudged) or count + untouched >= everything:
            continue
        written = Counter(dict(v.surface).get(term, term) for v in unwanted if term in v.terms)
        return Proposal(
            word=written.most_common(1)[0][0], removes=count, unwanted=len(unwanted), wanted=len(wanted)
        )
    return None
