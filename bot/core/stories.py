"""Group entries into stories: one story, one thread.

Each new entry is compared with the stories of a recent window (72 h by default) and gets one of
three relations:

* ``same``: another outlet's report of the same news, or an edited version of an entry already seen;
  it joins the story without a new message.
* ``followup``: the same event with a new development (new figures, new people or places, lower
  similarity); it joins the story as a thread reply.
* ``new``: a story of its own; its id is the entry's id.

How an entry is compared:

* Its title, lead (summary) and the start of its text become weighted tokens (`bot.core.story_features`):
  folded, stop words and generic headline words ("Liveblog", "Die Lage am Morgen") dropped, lightly
  stemmed. Places and organisations map to one canonical token across languages (`Nordkorea`,
  `North Korea`, `nordkoreanischen` -> `@nordkorea`; see `bot.core.entities`), figures to one token
  across locales (`10.000` == `10,000`).
* Tokens are weighted by rarity: an IDF estimated online over the stories of the window plus a prior,
  so that a word in every story counts for little. Names (capitalised words inside a sentence), places and
  figures weigh more, title words more than lead words.
* Candidates come from an inverted index (token -> stories of the window that contain it), read for the
  entry's most distinctive tokens only; no entry is compared with every stored story.
* A candidate's score is the cosine similarity to the story's accumulated profile or to its closest
  member, whichever is higher. An entry joins a story on a high score, or on a moderate one backed by
  more than one shared distinctive token of which at least one is a name, place or figure (a close score
  needs only that; a lower one needs stronger entities or many distinctive tokens; below the merge score
  they must be at least two different entities: one event name alone, "Hannover Messe", is not a
  story). A shared place alone ("Geneva") never merges; nor does a shared generic title when the leads
  share nothing. Common places that are each in many stories but together in few ("Russia", "Ukraine"
  and "Geneva") count as distinctive.

Time comes from the entries, never from the clock: an entry without a date takes the newest time seen;
a date far beyond the newest one is not trusted until an entry from another source confirms it; stories whose
last entry is older than the window (relative to the newest time) are forgotten, so memory stays bounded.
The same input in the same order always gives the same decisions.
"""

from __future__ import annotations

import heapq
import itertools
import math
import operator
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from bot.core.folding import fold
from bot.core.story_features import EVENT_PREFIX, StoryFeatures, features_of, place_aliases
from bot.core.story_model import MODEL, MODEL_PATH, StoryModel
from bot.model import Relation, StoryDecision, StoryItem

__all__ = ["EVENT_PREFIX", "MODEL", "MODEL_PATH", "StoryFeatures", "StoryGrouper", "StoryModel"]

# --- tuning (chosen on general grounds, checked on development data; see the module docstring) ---------

IDF_PRIOR_STORIES = 20.0  # pseudo-stories added to the window when estimating rarity
MERGE_SCORE = 0.42  # join on this similarity alone
SUPPORTED_SCORE = 0.16  # join on this similarity with >1 shared distinctive token, one an entity
PROFILE_DISCOUNT = 0.85  # the accumulated profile counts a little less than one member
SAME_MEMBER_SCORE = 0.60  # a near-duplicate of one member is the same report …
DUPLICATE_SCORE = 0.90  # a member this alike to another is not compared one by one (it repeats it)
NEW_PEOPLE_WORDS = 3  # … unless it names this many new name words (new people: a development)
MANY_DISTINCTIVE = 5  # this many shared distinctive tokens, one an entity, back a merge-score match
CLOSE_SCORE = 0.50  # this alike, one shared distinctive entity besides another distinctive token is enough
SAME_TITLE_RATIO = 85.0  # same source, title edited this little: the same report
NEW_ENTITY_SHARE = 0.30  # this share of the entry's names/places/figures new to the story: a follow-up
RESPELL_MIN = 6  # a name this long may be transliterated another way and still be the same name
RESPELL_RATIO = 80.0  # how alike two spellings of one name are (rapidfuzz ratio)
NEAR_HOURS = 24.0  # this close, two kinds of event in a country (or one in two rare together): one event
THIN_DISTINCTIVE = 5  # fewer shared distinctive tokens, with one name and no figure or event word: apart
MIN_EVIDENCE = 3.0  # names + figures + event words (2 at most) + countries (1; 2 rare together) past rules
FUTURE_JUMP = timedelta(hours=24)  # a date this far beyond the newest needs another source to confirm it
# Dates outside these years are placeholders (0001-01-01 is the "no date" of .NET and Go feeds),
# not news: such an item counts as undated.
PLAUSIBLE_YEARS = range(1900, 9000)


def _plausible(published: datetime | None) -> datetime | None:
    return published if published is not None and published.year in PLAUSIBLE_YEARS else None


_ENTITY_KINDS = frozenset({"alias", "name", "num"})
_MAX_TOKENS = 48  # an entry's vector keeps its strongest tokens
_MAX_PROFILE = 400  # a story's profile keeps its strongest tokens
_MAX_MEMBERS = 12  # members compared one by one: the first and the most recent
_QUERY_TOKENS = 20  # the entry's strongest tokens looked up in the index
_MAX_POSTINGS = 50  # a token in more live stories than this finds no candidates: it is not rare
_MAX_CANDIDATES = 4  # stories scored in full: the best overlaps of the index
_MAX_ITEM_IDS = 500  # item ids a story remembers for edits
_MAX_STORY_TOKENS = 2 * _MAX_PROFILE  # a story's token set is rebuilt from its members beyond this
_BOUND_SLACK = 1e-9  # rounding between a bound and the score it bounds


@dataclass(slots=True)
class _Member:
    id: str
    source: str
    title: str
    vector: dict[str, float]  # unit length, IDF of its arrival time
    body: frozenset[str]


@dataclass(slots=True)
class _Story:
    seq: int
    id: str
    first: datetime | None
    last: datetime | None
    # the members' own dates, even those held back from the window's clock: how far apart in time
    # the story's reports really are
    dated: tuple[datetime, datetime] | None = None
    profile: dict[str, float] = field(default_factory=dict)  # sum of member vectors
    norm: float = 0.0
    members: list[_Member] = field(default_factory=list)
    entities: set[str] = field(default_factory=set)
    long_names: dict[str, list[str]] = field(default_factory=dict)  # names that may be respelled, by prefix
    body: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)  # headline words of its members
    langs: set[str] = field(default_factory=set)  # languages of its members
    item_ids: list[str] = field(default_factory=list)
    # every token of its members' vectors (those of members no longer compared too): what an entry can
    # share with it at most, for the bound of `_bound`
    tokens: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Candidate:
    story: _Story
    score: float
    member_score: float
    best_member: _Member | None
    probability: float = 1.0
    features: dict[str, float] = field(default_factory=dict)


def _dot(vector: dict[str, float], other: dict[str, float]) -> float:
    """The dot product of two sparse vectors, multiplied and summed in C over the shared tokens."""
    shared = vector.keys() & other.keys()
    total: float = sum(map(operator.mul, map(vector.__getitem__, shared), map(other.__getitem__, shared)))
    return total


class StoryGrouper:
    """Assigns entries, in time order, to stories; see the module docstring for how."""

    def __init__(
        self,
        window: timedelta = timedelta(hours=72),
        aliases: Sequence[Sequence[str]] = (),
        model: StoryModel | None = None,
    ) -> None:
        self.window = window
        self._model = model or MODEL
        self._by_story: dict[str, int] = {}  # story id -> seq of the live story
        self._aliases = place_aliases()
        self._common = self._aliases.common
        for group in aliases:
            self._aliases.add(group)
        self._stories: dict[int, _Story] = {}
        self._index: dict[str, set[int]] = {}  # token -> live stories whose profile holds it
        self._in_language: dict[str, set[int]] = {}  # language -> live stories with a member in it
        self._by_item: dict[str, int] = {}  # item id -> story seq
        self._expiry: list[tuple[datetime, int]] = []  # (last time, story seq); stale entries skipped
        self._undated: list[int] = []  # stories made before any dated entry
        self._seq = 0
        self._newest: datetime | None = None
        self._recent: deque[tuple[datetime, str]] = deque(maxlen=8)  # (date, source) of recent entries
        self._pending: tuple[datetime, str] | None = None  # the date just held back, and its source
        self._held: deque[tuple[datetime, str, int]] = deque(maxlen=8)  # held dates and their stories

    # -- public ---------------------------------------------------------------------------------------

    @property
    def story_count(self) -> int:
        """Stories kept in memory: those of the window."""
        return len(self._stories)

    def add_aliases(self, aliases: Sequence[str]) -> None:
        """Treat every spelling in `aliases` as one name from now on (a topic added later)."""
        self._aliases.add(aliases)

    def analyse(self, item: StoryItem) -> StoryFeatures:
        """What grouping reads of `item`: compute it once, store its `encode()`, pass it to `assign`."""
        return features_of(item, self._aliases)

    def assign(self, item: StoryItem, features: StoryFeatures | None = None) -> StoryDecision:
        """The story of `item` and how it relates to it; the item joins that story."""
        when = self._effective_time(_plausible(item.published), item.source)
        known = self._by_item.get(item.id)
        if known is not None and known in self._stories:
            story = self._stories[known]
            self._touch(story, when)
            self._hold(story)
            return StoryDecision(story=story.id, relation="same", similarity=1.0)

        features = features if features is not None else features_of(item, self._aliases)
        vector = self._vector(features)
        best = self._best_candidate(item, features, vector, when)
        if best is None:
            story = self._new_story(item.id, when)
            self._add_member(story, item, features, vector, when)
            self._hold(story)
            self._evict()
            return StoryDecision(story=story.id, relation="new", similarity=0.0)

        relation = self._relation(item, features, vector, best)
        self._add_member(best.story, item, features, vector, when, best.member_score)
        self._hold(best.story)
        self._evict()
        return StoryDecision(story=best.story.id, relation=relation, similarity=round(best.score, 4))

    def restore(self, item: StoryItem, story_id: str, features: StoryFeatures | None = None) -> None:
        """Put `item` back into the story it was grouped into before (start-up, or another process's
        entry): no candidates are scored, so rebuilding the window costs little per entry."""
        when = self._effective_time(_plausible(item.published), item.source)
        if item.id in self._by_item and self._by_item[item.id] in self._stories:
            self._pending = None
            return
        features = features if features is not None else features_of(item, self._aliases)
        vector = self._vector(features)
        seq = self._by_story.get(story_id)
        story = self._stories.get(seq) if seq is not None else None
        if story is None:
            story = self._new_story(story_id, when)
        self._add_member(story, item, features, vector, when)
        self._hold(story)
        self._evict()

    def explain(self, item: StoryItem) -> list[tuple[str, float, dict[str, float]]]:
        """The candidate stories of `item` (story id, probability, features), best first, without
        assigning it: what `newsbot stories --explain` prints and `scripts/fit_stories.py` fits on.
        The window's clock moves on as it would for `assign`; the entry joins no story."""
        when = self._effective_time(_plausible(item.published), item.source)
        self._pending = None
        features = features_of(item, self._aliases)
        vector = self._vector(features)
        found = [c for c in self._scored(item, features, vector, when)]
        found.sort(key=lambda c: (-c.probability, c.story.seq))
        return [(c.story.id, c.probability, c.features) for c in found]

    # -- time -----------------------------------------------------------------------------------------

    def _effective_time(self, published: datetime | None, source: str) -> datetime | None:
        """The time an entry counts at, and the window's clock (the newest trusted time).

        A date far beyond what the stream has shown so far counts as the newest time until an entry
        from another source confirms the jump, so that one feed with a broken clock cannot expire every
        story; the very first date starts the clock only once a second one agrees with it."""
        newest = self._newest
        if published is None:
            return newest
        reference = newest
        if reference is None and self._recent:
            reference = max(other for other, _ in self._recent)
        confirmed = any(
            abs(published - other) <= FUTURE_JUMP and other_source != source
            for other, other_source in self._recent
        )
        self._recent.append((published, source))
        if reference is not None and published > reference + FUTURE_JUMP:
            if not confirmed:
                self._pending = (published, source)
                return reference
            self._confirm_jump(published, source)
        if newest is None:
            if reference is None:
                return published  # the first date: nothing to judge it by yet
            # the clock starts; a first date far ahead of this one was the odd one out
            start = published if published < reference - FUTURE_JUMP else max(published, reference)
            self._newest = start
            for seq in self._undated:
                story = self._stories.get(seq)
                if story is not None:
                    story.first = story.last = start
                    heapq.heappush(self._expiry, (start, seq))
            self._undated.clear()
            return published
        if published > newest:
            self._newest = published
        return published

    def _confirm_jump(self, published: datetime, source: str) -> None:
        """Another source confirms a jump in time: the entries held back at the old time move to theirs,
        so that the story they began is not forgotten as old."""
        for held, held_source, seq in self._held:
            story = self._stories.get(seq)
            if story is not None and held_source != source and abs(held - published) <= FUTURE_JUMP:
                self._touch(story, held)
                if story.first is not None and story.first < held - FUTURE_JUMP:
                    story.first = held
        self._held.clear()

    def _hold(self, story: _Story) -> None:
        """Remember the story of an entry whose date waits for confirmation (see `_effective_time`)."""
        if self._pending is not None:
            self._held.append((*self._pending, story.seq))
            self._pending = None

    def _touch(self, story: _Story, when: datetime | None) -> None:
        if when is None:
            return
        if story.first is None or when < story.first:
            story.first = when
        if story.last is None or when > story.last:
            story.last = when
            heapq.heappush(self._expiry, (when, story.seq))

    def _evict(self) -> None:
        if self._newest is None:
            return
        horizon = self._newest - self.window
        while self._expiry and self._expiry[0][0] < horizon:
            last, seq = heapq.heappop(self._expiry)
            story = self._stories.get(seq)
            if story is None or story.last != last:
                continue  # stale entry: the story was updated (or is gone)
            del self._stories[seq]
            if self._by_story.get(story.id) == seq:
                del self._by_story[story.id]
            for token in story.profile:
                postings = self._index.get(token)
                if postings is not None:
                    postings.discard(seq)
                    if not postings:
                        del self._index[token]
            for item_id in story.item_ids:
                if self._by_item.get(item_id) == seq:
                    del self._by_item[item_id]
            for lang in story.langs:
                self._in_language[lang].discard(seq)

    # -- similarity -----------------------------------------------------------------------------------

    def _idf(self, token: str) -> float:
        postings = self._index.get(token)
        df = len(postings) if postings is not None else 0
        return math.log((len(self._stories) + IDF_PRIOR_STORIES) / (df + 1.0))

    def _rare_together(self, tokens: Sequence[str]) -> bool:
        """Few stories of the window hold all of `tokens`: common places that are each in many stories
        ("Russia", "Ukraine", "Geneva") can still be rare together."""
        limit = max(2.0, 0.04 * len(self._stories))
        empty: set[int] = set()
        postings = sorted((self._index.get(token, empty) for token in tokens), key=len)
        return len(postings[0].intersection(*postings[1:])) <= limit

    def _vector(self, features: StoryFeatures) -> dict[str, float]:
        # the IDF of `_idf`, inlined: this runs for every token of every entry, also at start-up
        index = self._index
        stories = len(self._stories) + IDF_PRIOR_STORIES
        log = math.log
        scored = sorted(
            (
                (weight * log(stories / ((len(index[token]) if token in index else 0) + 1.0)), token)
                for token, weight in features.weights.items()
            ),
            key=lambda pair: (-pair[0], pair[1]),
        )[:_MAX_TOKENS]
        norm = math.sqrt(sum(value * value for value, _ in scored)) or 1.0
        return {token: value / norm for value, token in scored}

    def _candidates(self, vector: dict[str, float], lang: str = "") -> Iterable[_Story]:
        """Stories sharing two of the entry's distinctive tokens (one is enough for a story in another
        language, whose other words may be spelled differently), best overlap first."""
        index = self._index
        lists: list[tuple[float, set[int]]] = []
        # the vector is in the order of its weights, strongest first (`_vector`)
        for token, value in itertools.islice(vector.items(), _QUERY_TOKENS):
            postings = index.get(token)
            if postings is not None and len(postings) <= _MAX_POSTINGS:
                lists.append((value, postings))
        if not lists:
            return []
        # the stories holding two or more of the looked-up tokens, found by set operations in C; the
        # weighted overlap is summed (in the order of `strongest`) only where a story holds a token
        seen: set[int] = set()
        several: set[int] = set()
        for _, postings in lists:
            several |= seen & postings
            seen |= postings
        totals: dict[int, float] = {}
        for value, postings in lists:
            for seq in postings & several:
                totals[seq] = totals.get(seq, 0.0) + value
        ranked = heapq.nsmallest(_MAX_CANDIDATES, [(-total, seq) for seq, total in totals.items()])
        # a story holding one token only is a candidate when it is in another language; its overlap is
        # that token's value, so tokens weaker than the weakest candidate so far need no look, and of one
        # token's stories only the oldest few can be among the best
        same_language = self._in_language.get(lang, set())
        for value, postings in lists:
            if len(ranked) >= _MAX_CANDIDATES and -value > ranked[-1][0]:
                break
            single = heapq.nsmallest(_MAX_CANDIDATES, postings - several - same_language)
            if single:
                ranked = heapq.nsmallest(_MAX_CANDIDATES, ranked + [(-value, seq) for seq in single])
        stories = self._stories
        return [stories[seq] for _, seq in ranked]

    def _best_candidate(
        self, item: StoryItem, features: StoryFeatures, vector: dict[str, float], when: datetime | None
    ) -> _Candidate | None:
        """The most alike of the candidate stories the model accepts. Candidates are scored in the order
        of how alike they can be at most (`_bound`); once that is below the best score so far, no later
        one can win, so they are not scored."""
        bounded = sorted(
            (
                (-self._bound(vector, story), story.seq, story)
                for story in self._live_candidates(vector, features.lang, when)
            ),
            key=operator.itemgetter(0, 1),
        )
        best: _Candidate | None = None
        threshold = self._model.threshold
        for negative_bound, _, story in bounded:
            if best is not None and -negative_bound + _BOUND_SLACK < best.score:
                break
            candidate = self._score(item, features, vector, story, when)
            if candidate is None or candidate.probability < threshold:
                continue
            if best is None or (candidate.score, -story.seq) > (best.score, -best.story.seq):
                best = candidate
        return best

    @staticmethod
    def _bound(vector: dict[str, float], story: _Story) -> float:
        """How alike the entry can be to the story at most: the length of its vector over the tokens the
        story's members hold (each member and the profile's direction are unit vectors over those)."""
        shared = vector.keys() & story.tokens
        values = list(map(vector.__getitem__, shared))
        return math.sqrt(sum(map(operator.mul, values, values)))

    def _live_candidates(self, vector: dict[str, float], lang: str, when: datetime | None) -> list[_Story]:
        """The index's candidates whose time span is within the window of `when`."""
        if when is None:
            return list(self._candidates(vector, lang))
        early, late = when - self.window, when + self.window
        return [
            story
            for story in self._candidates(vector, lang)
            if story.last is None or story.first is None or not (story.last < early or story.first > late)
        ]

    def _scored(
        self, item: StoryItem, features: StoryFeatures, vector: dict[str, float], when: datetime | None
    ) -> Iterable[_Candidate]:
        for story in self._live_candidates(vector, features.lang, when):
            candidate = self._score(item, features, vector, story, when)
            if candidate is not None:
                yield candidate

    def _score(
        self,
        item: StoryItem,
        features: StoryFeatures,
        vector: dict[str, float],
        story: _Story,
        when: datetime | None,
    ) -> _Candidate | None:
        """The candidate with its features and the fitted model's probability that it is the story."""
        profile = story.profile
        shared = [token for token in vector if token in profile]
        # a name spelled another way in the other language (Prigoschin, Prigozhin) is shared too
        spelled = (
            self._respelled(features, vector, story) if shared and features.lang not in story.langs else []
        )
        if len(shared) + len(spelled) < 2:
            return None  # neither the rules nor the model take one shared token
        profile_score = sum(vector[t] * profile[t] for t in shared) / story.norm if story.norm else 0.0
        # a member holds none of the tokens the profile lacks that the entry has... except those cut
        # from a big story's profile, so the tokens compared are those the story has ever held
        common = shared if len(story.tokens) == len(profile) else list(vector.keys() & story.tokens)
        weights = list(map(vector.__getitem__, common))
        member_score = 0.0
        best_member: _Member | None = None
        zeros = itertools.repeat(0.0)
        for member in story.members:
            score = sum(map(operator.mul, weights, map(member.vector.get, common, zeros)))
            if score > member_score:
                member_score, best_member = score, member
        # the profile of a story with many members covers much; discounting it keeps a story from
        # swallowing its neighbours one loosely related entry at a time
        score = max(PROFILE_DISCOUNT * profile_score, member_score)
        if score < SUPPORTED_SCORE:
            return None  # less alike than this, no candidate is the story (neither rules nor model)
        # distinctive: rare enough in the window to say which story an entry belongs to
        index = self._index
        rare = max(2.0, 0.04 * len(self._stories))
        distinctive = [token for token in shared if (len(index[token]) if token in index else 0) <= rare]
        entities = [
            token
            for token in distinctive
            if features.kinds.get(token) in _ENTITY_KINDS or token in story.entities
        ]
        # common places and organisations that are rare together count as distinctive, and as one more
        # distinctive token for the set: "Russia", "Ukraine" and "Geneva" in one story, "US" and "Geneva" in
        # several
        places = [token for token in shared if token in self._common]
        together = len(places) >= 2 and self._rare_together(places)
        if together:
            entities += [token for token in places if token not in entities]
            distinctive = distinctive + [token for token in places if token not in distinctive]
        points = self._entity_points(features, entities, story)
        entity_set = set(entities)
        shared_title = [token for token in shared if token in features.title]
        rules = self._rules_accept(
            features, score, member_score, shared, distinctive, entities, points, story
        )
        names = {
            features.runs.get(t, t)
            for t in entities
            if t not in self._common and features.kinds.get(t) not in ("num", "event")
        }
        values = {
            "rules": 1.0 if rules else 0.0,
            "similarity": score,
            "member": member_score,
            "points": min(points, 6.0),
            "names": float(min(len(names) + len(spelled), 4)),
            "figures": float(min(sum(features.kinds.get(t) == "num" for t in shared), 3)),
            "events": float(min(sum(t.startswith(EVENT_PREFIX) for t in shared), 4)),
            "places": float(min(len(places), 3)),
            "distinctive": float(min(len(distinctive), 8)),
            "other_language": 1.0 if features.lang not in story.langs else 0.0,
            # shared distinctive words that are no entity or event; shared headline words; the story's size
            "content": float(min(sum(t not in entity_set and t[:1] != EVENT_PREFIX for t in distinctive), 8)),
            "titles": float(min(sum(t in story.titles and t not in self._common for t in shared_title), 4)),
            "size": min(math.log2(len(story.item_ids)), 5.0) if story.item_ids else 0.0,
        }
        # common places count once, twice when they are rare together ("Myanmar" and "Thailand")
        evidence = (
            values["names"]
            + values["figures"]
            + min(values["events"], 2.0)
            + min(values["places"], 2.0 if together else 1.0)
        )
        # beyond the rules the model decides, but only on several kinds of evidence: one name, one
        # event's name ("Hannover Messe") or a country with an event word is not one story
        # the entry's own date, even one held back from the window's clock: how far apart the reports are
        item_date = _plausible(item.published)
        own = item_date or when
        hours = abs((own - story.last).total_seconds()) / 3600 if own and story.last else 0.0
        values["days"] = min(hours / 24.0, 3.0)  # how far apart in time, in days
        near = hours <= NEAR_HOURS and (
            (values["events"] >= 2 and values["places"] >= 1)
            or (together and values["events"] >= 1 and score >= CLOSE_SCORE)
        )
        specific = rules or (evidence >= MIN_EVIDENCE and (bool(spelled) or near or self._specific(shared)))
        # a date held back from the window's clock still tells how far apart the reports are: an entry
        # a window away from every report of the story (a later event of the same kind and place, or a
        # feed with a broken clock) joins it only when it is close to it
        dated = story.dated
        far = (
            item_date is not None
            and dated is not None
            and not (dated[0] - self.window <= item_date <= dated[1] + self.window)
        )
        if far and score < CLOSE_SCORE:
            specific = False
        if self._thin(values, score):
            specific = False
        probability = self._model.probability(values) if specific else 0.0
        return _Candidate(story, score, member_score, best_member, probability, values)

    @staticmethod
    def _thin(values: dict[str, float], score: float) -> bool:
        """Whether all the candidate shares is one name or organisation, countries and a few words: no
        figure, no event word, fewer than `THIN_DISTINCTIVE` distinctive tokens. Two reports of one
        club, one person or one country are different stories unless more says they are the same (the
        same result, toll, place and day), or they are near-duplicates."""
        return (
            values["names"] <= 1
            and not values["figures"]
            and not values["events"]
            and values["distinctive"] < THIN_DISTINCTIVE
            and score < SAME_MEMBER_SCORE
        )

    def _respelled(self, features: StoryFeatures, vector: dict[str, float], story: _Story) -> list[str]:
        """The entry's names not in the story that nearly match one of its names: the same name
        transliterated another way (Prigoschin / Prigozhin, Selenskyj / Zelensky)."""
        found = []
        for token in vector:
            if features.kinds.get(token) != "name" or token in story.profile or len(token) < RESPELL_MIN:
                continue
            if any(
                fuzz.ratio(token, other) >= RESPELL_RATIO for other in story.long_names.get(token[:2], ())
            ):
                found.append(token)
        return found

    def _specific(self, shared: Sequence[str]) -> bool:
        """Whether the shared tokens say more than a kind of event in a country: two earthquakes in
        Japan are two stories unless a name, a figure or some other word is shared too."""
        return any(not token.startswith(EVENT_PREFIX) and token not in self._common for token in shared)

    def _rules_accept(
        self,
        features: StoryFeatures,
        score: float,
        member_score: float,
        shared: Sequence[str],
        distinctive: Sequence[str],
        entities: Sequence[str],
        points: float,
        story: _Story,
    ) -> bool:
        """The hand-written rules of the module docstring: one feature of the fitted model."""
        if score < SUPPORTED_SCORE or not self._specific(shared):
            return False
        # below the merge score one entity, however well named, is not enough: different news from one
        # event ("Hannover Messe", "Winter Olympics") shares its name and little else
        if score < MERGE_SCORE and (points < 2.0 or len({features.runs.get(t, t) for t in entities}) < 2):
            return False
        alike = (member_score >= SAME_MEMBER_SCORE and len(distinctive) >= 4) or (
            points > 0.0 and (score >= CLOSE_SCORE or len(distinctive) >= MANY_DISTINCTIVE)
        )
        if len(distinctive) < 2 or (points < 1.5 and not alike):
            return False  # one shared word or two common places is not a story, unless the rest is alike
        # a generic headline is no reason to merge: when both leads say something, a shared word must
        # come from one of the leads, not only from both headlines
        return not (
            len(features.body) >= 5
            and len(story.body) >= 5
            and not any(token in features.body or token in story.body for token in shared)
        )

    def _entity_points(self, features: StoryFeatures, tokens: Iterable[str], story: _Story) -> float:
        """How much the shared entities say: names written side by side are one entity; a common place
        or organisation counts half; a full name (two shared words of one name) and a (not common)
        entity in both headlines count half more."""
        runs: dict[object, list[str]] = {}
        for token in tokens:
            runs.setdefault(features.runs.get(token, token), []).append(token)
        total = 0.0
        for members in runs.values():
            common = all(token in self._common for token in members)
            points = 0.5 if common else 1.0
            if len(members) >= 2 and not common:
                points += 0.5
            if not common and any(token in features.title and token in story.titles for token in members):
                points += 0.5
            total += points
        return total

    def _relation(
        self, item: StoryItem, features: StoryFeatures, vector: dict[str, float], best: _Candidate
    ) -> Relation:
        """`followup` when the entry brings news to the story (a new figure in its headline, or a
        good share of its names and figures new), else `same`: another report of what is known.

        A near-duplicate of one member is the same report only when it brings little new: a report
        in the other language that names new people is news however much it shares with the story."""
        entity_weight = new_weight = 0.0
        new_names = 0
        for token, value in vector.items():
            kind = features.kinds.get(token)
            if kind not in _ENTITY_KINDS or token in self._common:
                continue  # a country, old or new, says nothing of whether the story moved on
            entity_weight += value
            if token not in best.story.entities:
                new_weight += value
                new_names += kind == "name"
                if kind == "num" and token in features.title and best.member_score < SAME_MEMBER_SCORE:
                    return "followup"  # a new figure in the headline is news
        novel = bool(entity_weight) and new_weight / entity_weight >= NEW_ENTITY_SHARE
        if best.member_score >= SAME_MEMBER_SCORE and not (novel and new_names >= NEW_PEOPLE_WORDS):
            return "same"
        for other in best.story.members:
            if other.source == item.source and item.source:
                ratio = fuzz.ratio(fold(item.title), fold(other.title))
                if ratio >= SAME_TITLE_RATIO:
                    return "same"
        return "followup" if novel else "same"

    # -- stories --------------------------------------------------------------------------------------

    def _new_story(self, item_id: str, when: datetime | None) -> _Story:
        self._seq += 1
        story = _Story(seq=self._seq, id=item_id, first=when, last=when)
        self._stories[story.seq] = story
        self._by_story[item_id] = story.seq
        if when is None:
            self._undated.append(story.seq)
        else:
            heapq.heappush(self._expiry, (when, story.seq))
        return story

    def _add_member(
        self,
        story: _Story,
        item: StoryItem,
        features: StoryFeatures,
        vector: dict[str, float],
        when: datetime | None,
        member_score: float | None = None,
    ) -> None:
        """Add the entry to the story; `member_score` is how alike it is to the closest member, when known.
        A near-duplicate of a member joins the profile but is not compared one by one: it would only
        repeat that member."""
        member = _Member(item.id, item.source, item.title, vector, features.body)
        own = _plausible(item.published)
        if own is not None:
            dated = story.dated
            story.dated = (own, own) if dated is None else (min(dated[0], own), max(dated[1], own))
        if member_score is None:
            member_score = max((_dot(vector, other.vector) for other in story.members), default=0.0)
        if member_score < DUPLICATE_SCORE:
            if len(story.members) >= _MAX_MEMBERS:
                del story.members[1]  # keep the first report and the most recent ones
            story.members.append(member)
        story.tokens.update(vector)
        if len(story.tokens) > _MAX_STORY_TOKENS:
            # forget the tokens of members no longer compared: what the members and the profile hold
            story.tokens = set(story.profile).union(*(other.vector for other in story.members))
        self._by_item[item.id] = story.seq
        story.item_ids.append(item.id)
        if len(story.item_ids) > _MAX_ITEM_IDS:
            forgotten = story.item_ids.pop(0)
            if self._by_item.get(forgotten) == story.seq:
                del self._by_item[forgotten]
        self._add_to_profile(story, vector)
        for token in vector:
            kind = features.kinds.get(token)
            if kind in _ENTITY_KINDS and token not in story.entities:
                story.entities.add(token)
                if kind == "name" and len(token) >= RESPELL_MIN:
                    story.long_names.setdefault(token[:2], []).append(token)
        story.body.update(t for t in features.body if t in vector)
        story.titles.update(t for t in features.title if t in vector)
        story.langs.add(features.lang)
        self._in_language.setdefault(features.lang, set()).add(story.seq)
        self._touch(story, when)

    def _add_to_profile(self, story: _Story, vector: dict[str, float]) -> None:
        """Add a member's vector to the story's profile, keeping its strongest tokens and the index."""
        profile = story.profile
        for token, value in vector.items():
            if token not in profile:
                self._index.setdefault(token, set()).add(story.seq)
                profile[token] = 0.0
            profile[token] += value
        if len(profile) > _MAX_PROFILE:
            # the few weakest by a partial selection: sorting the whole profile on every member of a
            # big story cost more than the rest of the assignment
            weakest = heapq.nsmallest(
                len(profile) - _MAX_PROFILE, zip(profile.values(), profile, strict=True)
            )
            for _, token in weakest:
                del profile[token]
                postings = self._index.get(token)
                if postings is not None:
                    postings.discard(story.seq)
                    if not postings:
                        del self._index[token]
        values = profile.values()
        story.norm = math.sqrt(sum(map(operator.mul, values, values)))
