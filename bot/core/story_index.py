"""The stories of story grouping's window: their members and profiles, the inverted index over their
tokens (which stories an entry is compared with), and the window's clock (time from the entries, never
from the clock). Scoring a candidate: `bot.core.story_scoring`; the grouper: `bot.core.stories`."""

from __future__ import annotations

import heapq
import itertools
import math
import operator
import sys
from array import array
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.story_features import StoryFeatures
from bot.model import StoryItem

IDF_PRIOR_STORIES = 20.0  # pseudo-stories added to the window when estimating rarity
DUPLICATE_SCORE = 0.90  # a member this alike to another is not compared one by one (it repeats it)
RESPELL_MIN = 6  # a name this long may be transliterated another way and still be the same name
FUTURE_JUMP = timedelta(hours=24)  # a date this far beyond the newest needs another source to confirm it
# Dates outside these years are placeholders (0001-01-01 is the "no date" of .NET and Go feeds),
# not news: such an item counts as undated.
PLAUSIBLE_YEARS = range(1900, 9000)


def _plausible(published: datetime | None) -> datetime | None:
    return published if published is not None and published.year in PLAUSIBLE_YEARS else None


_ENTITY_KINDS = frozenset({"alias", "name", "num"})
_MAX_TOKENS = 48  # an entry's vector keeps its strongest tokens
_MAX_PROFILE = 400  # a story's profile keeps its strongest tokens
_MAX_MEMBERS = 8  # members compared one by one: the first and the most recent
_QUERY_TOKENS = 20  # the entry's strongest tokens looked up in the index
_MAX_POSTINGS = 50  # a token finds candidates among the last this many live stories that took it
_MAX_CANDIDATES = 4  # stories scored in full: the best overlaps of the index
_MAX_ITEM_IDS = 500  # item ids a story remembers for edits
_MAX_CUT_TOKENS = _MAX_PROFILE  # a story's cut tokens are rebuilt from its members beyond this
_BOUND_SLACK = 1e-9  # rounding between a bound and the score it bounds
_ZEROS = itertools.repeat(0.0)  # what a member's vector holds of a token it lacks
TITLE, BODY, ENTITY = 1, 2, 4  # the marks of a story's tokens (`_Story.mark`)


@dataclass(slots=True)
class _Member:
    """A report compared one by one. Its vector (unit length, IDF of its arrival time) is kept as
    tokens and unboxed values: a window holds 100,000 of them, and a dict of boxed floats costs four
    times the memory."""

    id: str
    source: str
    title: str
    tokens: tuple[str, ...]
    values: array[float]

    def vector(self) -> dict[str, float]:
        return dict(zip(self.tokens, self.values, strict=True))

    def dot(self, vector: dict[str, float]) -> float:
        """The dot product with an entry's sparse vector."""
        total: float = sum(map(operator.mul, self.values, map(vector.get, self.tokens, _ZEROS)))
        return total


@dataclass(slots=True)
class _Story:
    seq: int
    id: str
    first: datetime | None
    last: datetime | None
    # the members' own dates, even those held back from the window's clock: how far apart in time
    # the story's reports really are
    dated: tuple[datetime, datetime] | None = None
    # the sum of member vectors: each token's slot in `weights`, unboxed floats in the order of `profile`
    # (a window holds millions of them, and a boxed float costs three times the memory)
    profile: dict[str, int] = field(default_factory=dict)
    weights: array[float] = field(default_factory=lambda: array("d"))
    norm: float = 0.0
    members: list[_Member] = field(default_factory=list)
    # what each token of its members' vectors was in them: a headline word (`TITLE`), a word of a lead
    # or text (`BODY`), a name, place or figure (`ENTITY`): by the token's profile slot, and in a small
    # dict for the tokens a full profile dropped (`mark` reads both)
    flags: array[int] = field(default_factory=lambda: array("B"))
    dropped_marks: dict[str, int] | None = None
    body_words: int = 0  # how many tokens are marked `BODY`
    long_names: tuple[str, ...] = ()  # names that may be respelled in another language
    langs: tuple[str, ...] = ()  # languages of its members
    item_ids: list[str] = field(default_factory=list)
    # tokens cut from a big story's profile that its members' vectors may still hold: with the profile,
    # what an entry can share with it at most (the bound of `_bound`); None for most stories
    cut: set[str] | None = None
    # names its members wrote side by side, as a forest (token -> a token of the same name): "Winter
    # Olympics" in one report and "Olympic" ... "Winter Games" in another are one name
    runs: dict[str, str] = field(default_factory=dict)

    def mark(self, token: str) -> int:
        """The marks of `token` in the story's members (0 where none holds it)."""
        slot = self.profile.get(token)
        if slot is not None:
            return self.flags[slot]
        return self.dropped_marks.get(token, 0) if self.dropped_marks else 0


class StoryIndex:
    """The live stories of the window and what finds them; see `bot.core.stories` for how they are used."""

    def __init__(self, window: timedelta, pooled: frozenset[str] = frozenset()) -> None:
        self.window = window
        self._by_story: dict[str, int] = {}  # story id -> seq of the live story
        self._stories: dict[int, _Story] = {}
        self._df: dict[str, int] = {}  # token -> how many live stories' profiles hold it (its rarity)
        # which live stories hold them, for the tokens of `pooled` only (the common places, whose
        # rarity together `_rare_together` reads): a set per token of the window would cost more than
        # the stories themselves
        self._pooled = pooled
        self._holders: dict[str, set[int]] = {}
        # token -> the last `_MAX_POSTINGS` live stories whose profile took it (in the order they took
        # it): where candidates are looked up, so that a token of many stories still finds the recent
        # ones. A list, not an ordered set: a story is in it at most once (it holds the token in its
        # profile), and a window's token lists cost a seventh of the memory of dicts
        self._lookup: dict[str, list[int]] = {}
        self._in_language: dict[str, set[int]] = {}  # language -> live stories with a member in it
        self._by_item: dict[str, int] = {}  # item id -> story seq
        self._expiry: list[tuple[datetime, int]] = []  # (last time, story seq); stale entries skipped
        self._undated: list[int] = []  # stories made before any dated entry
        self._seq = 0
        self._newest: datetime | None = None
        self._recent: deque[tuple[datetime, str]] = deque(maxlen=8)  # (date, source) of recent entries
        self._pending: tuple[datetime, str] | None = None  # the date just held back, and its source
        self._held: deque[tuple[datetime, str, int]] = deque(maxlen=8)  # held dates and their stories

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
                self._forget(token, seq)
            for item_id in story.item_ids:
                if self._by_item.get(item_id) == seq:
                    del self._by_item[item_id]
            for lang in story.langs:
                self._in_language[lang].discard(seq)

    # -- similarity -----------------------------------------------------------------------------------

    def _idf(self, token: str) -> float:
        return math.log((len(self._stories) + IDF_PRIOR_STORIES) / (self._df.get(token, 0) + 1.0))

    def _rare_together(self, tokens: Sequence[str]) -> bool:
        """Few stories of the window hold all of `tokens`: common places that are each in many stories
        ("Russia", "Ukraine", "Geneva") can still be rare together."""
        limit = max(2.0, 0.04 * len(self._stories))
        empty: set[int] = set()
        postings = sorted((self._holders.get(token, empty) for token in tokens), key=len)
        return len(postings[0].intersection(*postings[1:])) <= limit

    def _vector(self, features: StoryFeatures) -> dict[str, float]:
        # the IDF of `_idf`, inlined: this runs for every token of every entry, also at start-up
        df = self._df.get
        stories = len(self._stories) + IDF_PRIOR_STORIES
        log = math.log
        scored = sorted(
            (
                (weight * log(stories / (df(token, 0) + 1.0)), token)
                for token, weight in features.weights.items()
            ),
            key=lambda pair: (-pair[0], pair[1]),
        )[:_MAX_TOKENS]
        norm = math.sqrt(sum(value * value for value, _ in scored)) or 1.0
        return {token: value / norm for value, token in scored}

    def _candidates(self, vector: dict[str, float], lang: str = "") -> Iterable[_Story]:
        """Stories sharing two of the entry's distinctive tokens (one is enough for a story in another
        language, whose other words may be spelled differently), best overlap first."""
        lookup = self._lookup
        lists: list[tuple[float, list[int]]] = []
        # the vector is in the order of its weights, strongest first (`_vector`)
        for token, value in itertools.islice(vector.items(), _QUERY_TOKENS):
            holders = lookup.get(token)
            if holders is not None:
                lists.append((value, holders))
        if not lists:
            return []
        # the stories holding two or more of the looked-up tokens, found by set operations in C; the
        # weighted overlap is summed (in the order of `strongest`) only where a story holds a token
        seen: set[int] = set()
        several: set[int] = set()
        for _, postings in lists:
            several.update(seen.intersection(postings))  # in place: no copy of what is seen per token
            seen.update(postings)
        totals: dict[int, float] = {}
        for value, postings in lists:
            for seq in several.intersection(postings):
                totals[seq] = totals.get(seq, 0.0) + value
        ranked = heapq.nsmallest(_MAX_CANDIDATES, [(-total, seq) for seq, total in totals.items()])
        # a story holding one token only is a candidate when it is in another language; its overlap is
        # that token's value, so tokens weaker than the weakest candidate so far need no look, and of one
        # token's stories only the oldest few can be among the best
        same_language = self._in_language.get(lang, set())
        for value, postings in lists:
            if len(ranked) >= _MAX_CANDIDATES and -value > ranked[-1][0]:
                break
            single = heapq.nsmallest(_MAX_CANDIDATES, set(postings).difference(several, same_language))
            if single:
                ranked = heapq.nsmallest(_MAX_CANDIDATES, ranked + [(-value, seq) for seq in single])
        stories = self._stories
        return [stories[seq] for _, seq in ranked]

    @staticmethod
    def _bound(vector: dict[str, float], story: _Story) -> float:
        """How alike the entry can be to the story at most: the length of its vector over the tokens the
        story's members hold (each member and the profile's direction are unit vectors over those)."""
        shared = vector.keys() & story.profile.keys()
        if story.cut:
            shared.update(vector.keys() & story.cut)
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
        # one string per outlet, however many of its reports the window holds
        source = sys.intern(item.source)
        member = _Member(item.id, source, item.title, tuple(vector), array("d", vector.values()))
        own = _plausible(item.published)
        if own is not None:
            dated = story.dated
            story.dated = (own, own) if dated is None else (min(dated[0], own), max(dated[1], own))
        if member_score is None:
            member_score = max((other.dot(vector) for other in story.members), default=0.0)
        if member_score < DUPLICATE_SCORE:
            if len(story.members) >= _MAX_MEMBERS:
                del story.members[1]  # keep the first report and the most recent ones
            story.members.append(member)
        self._by_item[item.id] = story.seq
        story.item_ids.append(item.id)
        if len(story.item_ids) > _MAX_ITEM_IDS:
            forgotten = story.item_ids.pop(0)
            if self._by_item.get(forgotten) == story.seq:
                del self._by_item[forgotten]
        self._add_to_profile(story, vector)
        if story.cut is not None and len(story.cut) > _MAX_CUT_TOKENS:
            # forget the cut tokens of members no longer compared
            story.cut = set().union(*(other.tokens for other in story.members)) - story.profile.keys()
        self._mark(story, features, vector)
        self._join_runs(story, features, vector)
        if features.lang not in story.langs:
            story.langs += (features.lang,)
        self._in_language.setdefault(features.lang, set()).add(story.seq)
        self._touch(story, when)

    @staticmethod
    def _mark(story: _Story, features: StoryFeatures, vector: dict[str, float]) -> None:
        """Mark what the member's tokens were: headline words, lead words, names, places, figures."""
        title, body, kinds = features.title, features.body, features.kinds
        profile, flags = story.profile, story.flags
        for token in vector:
            slot = profile.get(token)
            mark = flags[slot] if slot is not None else story.mark(token)
            new = (TITLE if token in title else 0) | (BODY if token in body else 0)
            kind = kinds.get(token)
            if kind in _ENTITY_KINDS and not mark & ENTITY:
                new |= ENTITY
                if kind == "name" and len(token) >= RESPELL_MIN:
                    story.long_names += (token,)
            if new & ~mark:
                if new & BODY and not mark & BODY:
                    story.body_words += 1
                if slot is not None:
                    flags[slot] = mark | new
                else:  # dropped by the profile as this member joined
                    story.dropped_marks = story.dropped_marks or {}
                    story.dropped_marks[token] = mark | new

    def _add_to_profile(self, story: _Story, vector: dict[str, float]) -> None:
        """Add a member's vector to the story's profile, keeping its strongest tokens and the index."""
        profile, weights, flags = story.profile, story.weights, story.flags
        for token, value in vector.items():
            slot = profile.get(token)
            if slot is None:
                self._df[token] = self._df.get(token, 0) + 1
                if token in self._pooled:
                    self._holders.setdefault(token, set()).add(story.seq)
                if story.cut:
                    story.cut.discard(token)
                recent = self._lookup.setdefault(token, [])
                recent.append(story.seq)
                if len(recent) > _MAX_POSTINGS:
                    del recent[0]  # the story that took it longest ago
                slot = profile[token] = len(weights)
                weights.append(0.0)
                dropped = story.dropped_marks
                flags.append(dropped.pop(token, 0) if dropped else 0)
            weights[slot] += value
        if len(profile) > _MAX_PROFILE:
            # the few weakest by a partial selection: sorting the whole profile on every member of a
            # big story cost more than the rest of the assignment
            weakest = heapq.nsmallest(
                len(profile) - _MAX_PROFILE,
                zip(map(weights.__getitem__, profile.values()), profile, strict=True),
            )
            if story.cut is None:
                story.cut = set()
            if story.dropped_marks is None:
                story.dropped_marks = {}
            for _, token in weakest:
                story.dropped_marks[token] = flags[profile.pop(token)]
                story.cut.add(token)
                self._forget(token, story.seq)
            # the kept tokens' slots, renumbered in their order
            kept = array("d", map(weights.__getitem__, profile.values()))
            story.flags = array("B", map(flags.__getitem__, profile.values()))
            story.profile = profile = dict(zip(profile, range(len(kept)), strict=True))
            story.weights = weights = kept
        story.norm = math.sqrt(sum(map(operator.mul, weights, weights)))

    def _forget(self, token: str, seq: int) -> None:
        """The story `seq` no longer holds `token` (trimmed from its profile, or the story expired)."""
        held = self._df[token] - 1
        if held:
            self._df[token] = held
        else:
            del self._df[token]
        holders = self._holders.get(token)
        if holders is not None:
            holders.discard(seq)
            if not holders:
                del self._holders[token]
        recent = self._lookup.get(token)
        if recent is not None and seq in recent:  # not there when newer stories pushed it out
            recent.remove(seq)
            if not recent:
                del self._lookup[token]

    @staticmethod
    def run_root(story: _Story, token: str) -> str:
        """The token that stands for the name `token` belongs to in the story (itself when alone)."""
        runs = story.runs
        while runs.get(token, token) != token:
            token = runs[token]
        return token

    def _join_runs(self, story: _Story, features: StoryFeatures, vector: dict[str, float]) -> None:
        """Remember which of the member's names were written side by side."""
        groups: dict[int, list[str]] = {}
        for token in vector:
            run = features.runs.get(token)
            if run is not None and features.kinds.get(token) == "name":
                groups.setdefault(run, []).append(token)
        for tokens in groups.values():
            if len(tokens) < 2:
                continue
            root = self.run_root(story, tokens[0])
            for other in tokens[1:]:
                other_root = self.run_root(story, other)
                if other_root != root:
                    story.runs[other_root] = root
