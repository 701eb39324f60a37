"""Scoring a candidate story of an entry: the named features the fitted model reads, the hand-written
rules (one of them), and how the entry relates to the story it joins (`same` or `followup`). The
stories and their index: `bot.core.story_index`; the grouper: `bot.core.stories`."""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz

from bot.core.folding import fold
from bot.core.story_features import EVENT_PREFIX, StoryFeatures
from bot.core.story_index import (
    _ENTITY_KINDS,
    BODY,
    ENTITY,
    RESPELL_MIN,
    TITLE,
    StoryIndex,
    _Member,
    _plausible,
    _Story,
)
from bot.core.story_model import StoryModel
from bot.model import Relation, StoryItem

MERGE_SCORE = 0.42  # join on this similarity alone
SUPPORTED_SCORE = 0.16  # join on this similarity with >1 shared distinctive token, one an entity
PROFILE_DISCOUNT = 0.85  # the accumulated profile counts a little less than one member
SAME_MEMBER_SCORE = 0.60  # a near-duplicate of one member is the same report …
NEW_PEOPLE_WORDS = 3  # … unless it names this many new name words (new people: a development)
MANY_DISTINCTIVE = 5  # this many shared distinctive tokens, one an entity, back a merge-score match
CLOSE_SCORE = 0.50  # this alike, one shared distinctive entity besides another distinctive token is enough
SAME_TITLE_RATIO = 85.0  # same source, title edited this little: the same report
NEW_ENTITY_SHARE = 0.30  # this share of the entry's names/places/figures new to the story: a follow-up
RESPELL_RATIO = 80.0  # how alike two spellings of one name are (rapidfuzz ratio)
NEAR_HOURS = 24.0  # this close, two kinds of event in a country (or one in two rare together): one event
THIN_TITLES = 3  # this many shared headline words (not countries) are more than one name: not thin
THIN_DISTINCTIVE = 5  # fewer shared distinctive tokens, with one name and no figure or event word: apart
MIN_EVIDENCE = 3.0  # names + figures + event words (2 at most) + countries (1; 2 rare together) past rules


@dataclass(slots=True)
class _Candidate:
    story: _Story
    score: float
    member_score: float
    best_member: _Member | None
    probability: float = 1.0
    features: dict[str, float] = field(default_factory=dict)


class StoryScoring(StoryIndex):
    """The window's stories with the scoring of candidates among them."""

    _model: StoryModel
    _common: frozenset[str]  # the built-in places and organisations: one alone says little

    def _score(
        self,
        item: StoryItem,
        features: StoryFeatures,
        vector: dict[str, float],
        story: _Story,
        when: datetime | None,
    ) -> _Candidate | None:
        """The candidate with its features and the fitted model's probability that it is the story."""
        profile, mark = story.profile, story.mark
        shared = [token for token in vector if token in profile]
        # a name spelled another way in the other language (Prigoschin, Prigozhin) is shared too
        spelled = (
            self._respelled(features, vector, story) if shared and features.lang not in story.langs else []
        )
        if len(shared) + len(spelled) < 2:
            return None  # neither the rules nor the model take one shared token
        weights_of = story.weights
        profile_score = (
            sum(vector[t] * weights_of[profile[t]] for t in shared) / story.norm if story.norm else 0.0
        )
        # a member holds none of the tokens the profile lacks that the entry has... except those cut
        # from a big story's profile, so the tokens compared are those the story has ever held
        cut = story.cut
        common = shared + [token for token in vector if token in cut] if cut else shared
        weights = list(map(vector.__getitem__, common))
        member_score = 0.0
        best_member: _Member | None = None
        zeros = itertools.repeat(0.0)
        for member in story.members:
            score = sum(map(operator.mul, weights, map(member.vector().get, common, zeros)))
            if score > member_score:
                member_score, best_member = score, member
        # the profile of a story with many members covers much; discounting it keeps a story from
        # swallowing its neighbours one loosely related entry at a time
        score = max(PROFILE_DISCOUNT * profile_score, member_score)
        if score < SUPPORTED_SCORE:
            return None  # less alike than this, no candidate is the story (neither rules nor model)
        # distinctive: rare enough in the window to say which story an entry belongs to
        df = self._df.get
        rare = max(2.0, 0.04 * len(self._stories))
        distinctive = [token for token in shared if df(token, 0) <= rare]
        entities = [
            token
            for token in distinctive
            if features.kinds.get(token) in _ENTITY_KINDS or mark(token) & ENTITY
        ]
        # common places and organisations that are rare together count as distinctive, and as one more
        # distinctive token for the set: "Russia", "Ukraine" and "Geneva" in one story, "US" and "Geneva" in
        # several
        places = [token for token in shared if token in self._common]
        together = len(places) >= 2 and self._rare_together(places)
        if together:
            entities += [token for token in places if token not in entities]
            distinctive = distinctive + [token for token in places if token not in distinctive]
        run_of = self._entity_runs(features, entities, story)
        points = self._entity_points(features, entities, story, run_of)
        entity_set = set(entities)
        shared_title = [token for token in shared if token in features.title]
        rules = self._rules_accept(
            features,
            score,
            member_score,
            shared,
            distinctive,
            self._entity_count(entities, run_of, together),
            points,
            story,
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
            "titles": float(
                min(sum(bool(mark(t) & TITLE) and t not in self._common for t in shared_title), 4)
            ),
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
        if self._thin(values, score, together):
            specific = False
        probability = self._model.probability(values) if specific else 0.0
        return _Candidate(story, score, member_score, best_member, probability, values)

    @staticmethod
    def _thin(values: dict[str, float], score: float, together: bool) -> bool:
        """Whether all the candidate shares is one name or organisation, countries and a few words: no
        figure, no event word, fewer than `THIN_DISTINCTIVE` distinctive tokens, no countries rare
        together. Two reports of one club, one person or one country are different stories unless more
        says they are the same (the same result, toll, place and day), or they are near-duplicates."""
        return (
            not together
            and values["names"] <= 1
            and not values["figures"]
            and not values["events"]
            and values["distinctive"] < THIN_DISTINCTIVE
            and values["titles"] < THIN_TITLES
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
                other[:2] == token[:2] and fuzz.ratio(token, other) >= RESPELL_RATIO
                for other in story.long_names
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
        entity_count: int,
        points: float,
        story: _Story,
    ) -> bool:
        """The hand-written rules of the module docstring: one feature of the fitted model."""
        if score < SUPPORTED_SCORE or not self._specific(shared):
            return False
        # below the merge score one entity, however well named, is not enough: different news from one
        # event ("Hannover Messe", "Winter Olympics") shares its name and little else
        if score < MERGE_SCORE and (points < 2.0 or entity_count < 2):
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
            and story.body_words >= 5
            and not any(token in features.body or story.mark(token) & BODY for token in shared)
        )

    def _entity_runs(
        self, features: StoryFeatures, entities: Sequence[str], story: _Story
    ) -> dict[str, object]:
        """Which entity each shared entity token is part of: tokens written side by side in the entry, or
        in a report of the story, are one ("Winter Olympics", "Winter Games", "Olympic")."""
        parent: dict[object, object] = {}

        def find(node: object) -> object:
            while parent.get(node, node) != node:
                node = parent[node]
            return node

        for token in entities:
            run = features.runs.get(token)
            keys: list[tuple[str, object]] = [("entry", run)] if run is not None else []
            if token in story.runs or token in story.runs.values():
                keys.append(("story", self.run_root(story, token)))
            for key in keys:
                a, b = find(token), find(key)
                if a != b:
                    parent[a] = b
        return {token: find(token) for token in entities}

    def _entity_count(self, entities: Sequence[str], run_of: dict[str, object], together: bool) -> int:
        """How many entities the candidate shares: names and places not common, each once however it is
        written; common places (a country) count as one more only when they are rare together."""
        specific = {run_of[token] for token in entities if token not in self._common}
        return len(specific) + (1 if together else 0)

    def _entity_points(
        self, features: StoryFeatures, tokens: Iterable[str], story: _Story, run_of: dict[str, object]
    ) -> float:
        """How much the shared entities say: names written side by side are one entity; a common place
        or organisation counts half; a full name (two shared words of one name) and a (not common)
        entity in both headlines count half more."""
        runs: dict[object, list[str]] = {}
        for token in tokens:
            runs.setdefault(run_of.get(token, token), []).append(token)
        total = 0.0
        for members in runs.values():
            common = all(token in self._common for token in members)
            points = 0.5 if common else 1.0
            if len(members) >= 2 and not common:
                points += 0.5
            if not common and any(token in features.title and story.mark(token) & TITLE for token in members):
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
            if not best.story.mark(token) & ENTITY:
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
